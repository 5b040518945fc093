#!/usr/bin/env bash
# A stand-in for `podman` running the coreos-assembler container, for test/host/cosa-build.test.ts.
# It records every call (one shell-quoted line each) in $FAKE_LOG and imitates what cosa leaves in
# the /srv work dir: src/config, builds/builds.json, builds/<id>/<arch>/meta.json and media files.
#
# env: FAKE_LOG, FAKE_STATE (dir), FAKE_COMMIT, FAKE_BUILD_ID, FAKE_DIGEST,
#      FAKE_FAIL (a cosa command that fails), FAKE_LEAK_AUTH=1 (print the auth the push used)
set -euo pipefail
{ printf 'podman'; printf ' %q' "$@"; printf '\n'; } >> "$FAKE_LOG"
state="$FAKE_STATE"
mkdir -p "$state"

case "${1:-}" in
  image) [ "${2:-}" = exists ] && [ -e "$state/image-present" ]; exit $? ;;
  pull) touch "$state/image-present"; echo "Writing manifest to image destination"; exit 0 ;;
  run) shift ;;
  *) echo "fake podman: unsupported: $*" >&2; exit 2 ;;
esac

srv="" auth=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -v)
      case "$2" in
        *:/srv/) srv="${2%:/srv/}" ;;
        *:/run/rhcos-forge/auth.json:ro) auth="${2%%:*}" ;;
      esac
      shift 2 ;;
    --uidmap|--userns|--device|--tmpfs|--name|--security-opt|-e) shift 2 ;;
    --*) shift ;;
    *@sha256:*) shift; break ;;
    *) echo "fake podman: unexpected argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$srv" ] || { echo "fake podman: no /srv volume" >&2; exit 2; }
cmd="${1:-}"
shift || true
if [ "${FAKE_FAIL:-}" = "$cmd" ]; then
  echo "error: fake $cmd failed on purpose" >&2
  exit 1
fi
arch="$(uname -m)"
id="${FAKE_BUILD_ID:-419.96.202501010000-0}"
meta="$srv/builds/$id/$arch/meta.json"

case "$cmd" in
  init)
    mkdir -p "$srv/src/config/.git/info" "$srv/cache" "$srv/builds" "$srv/tmp"
    echo "# manifest" > "$srv/src/config/manifest.yaml"
    echo "Cloning into 'config'..." >&2 ;;
  shell)
    [ "${1:-}" = "--" ] && shift
    case "${1:-}" in
      bash) echo "${FAKE_COMMIT:-0123456789abcdef0123456789abcdef01234567}" ;;
      skopeo)
        ref="${*: -1}"
        [ -e "$state/pushed" ] || { echo "manifest unknown" >&2; exit 1; }
        case "$ref" in
          *@sha256:*) d="${ref##*@}"; [ "$d" = "$(cat "$state/pushed")" ] || { echo "manifest unknown" >&2; exit 1; }; echo "$d" ;;
          *) cat "$state/pushed" ;;
        esac ;;
    esac ;;
  fetch) echo "Importing packages... done" ;;
  build)
    mkdir -p "$srv/builds/$id/$arch"
    echo "ostree container" > "$srv/builds/$id/$arch/rhcos-$id-ostree.$arch.ociarchive"
    printf '{"buildid":"%s","images":{"ostree":{"path":"rhcos-%s-ostree.%s.ociarchive"}}}\n' "$id" "$id" "$arch" > "$meta"
    printf '{"schema-version":"1.0.0","builds":[{"id":"%s","arches":["%s"]}]}\n' "$id" "$arch" > "$srv/builds/builds.json"
    echo "New build ID: $id" ;;
  osbuild)
    for p in "$@"; do
      case "$p" in
        metal) names="metal:raw" ;;
        metal4k) names="metal4k:raw" ;;
        live) names="live-iso:iso live-kernel:img live-initramfs:img live-rootfs:img" ;;
      esac
      for n in $names; do
        f="rhcos-$id-${n%%:*}.$arch.${n##*:}"
        echo "$p ${n%%:*} media of $id" > "$srv/builds/$id/$arch/$f"
        python3 - "$meta" "${n%%:*}" "$f" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["images"][sys.argv[2]] = {"path": sys.argv[3]}
json.dump(m, open(sys.argv[1], "w"))
EOF
      done
    done
    echo "Successfully generated: $*" ;;
  push-container)
    echo "skopeo copy oci-archive:builds/$id/$arch/rhcos-$id-ostree.$arch.ociarchive docker://$1"
    if [ "${FAKE_LEAK_AUTH:-}" = 1 ] && [ -n "$auth" ]; then
      echo "debug: using credentials $(cat "$auth")"
    fi
    echo "${FAKE_DIGEST:-sha256:1111111111111111111111111111111111111111111111111111111111111111}" > "$state/pushed" ;;
  *) echo "fake podman: unknown cosa command $cmd" >&2; exit 2 ;;
esac
