#!/usr/bin/env bash
# A stand-in for `podman` running the coreos-assembler container, for test/host/cosa-build.test.ts.
# It records every call (one shell-quoted line each) in $FAKE_LOG and imitates what cosa leaves in
# the /srv work dir: src/config, builds/builds.json, builds/<id>/<arch>/meta.json, a real OCI
# archive of the OS container (a one-layer image made here) and media files. `cosa shell --
# skopeo …` runs this machine's real skopeo, with the container's paths (/srv/, the auth file,
# REGISTRY_AUTH_FILE) mapped to the host's, so pushes and digests are a real registry's.
#
# env: FAKE_LOG, FAKE_STATE (dir), FAKE_COMMIT, FAKE_BUILD_ID,
#      FAKE_FAIL (a cosa command that fails), FAKE_LEAK_AUTH=1 (print the auth the push used),
#      FAKE_COSA_HELP=targets|plain (`cosa build --help` of a cosa whose build takes TARGETs, as
#      the rhcos-4.x branches; or none, as main), FAKE_BUILD_ARGS_CONF="STREAM=…" (the config has
#      a build-args.conf, as the configs main's buildah build reads)
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
envs=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -v)
      case "$2" in
        *:/srv/) srv="${2%:/srv/}" ;;
        *:/run/rhcos-forge/auth.json:ro) auth="${2%%:*}" ;;
      esac
      shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    --uidmap|--userns|--device|--tmpfs|--name|--security-opt) shift 2 ;;
    --*) shift ;;
    *@sha256:*) shift; break ;;
    *) echo "fake podman: unexpected argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$srv" ] || { echo "fake podman: no /srv volume" >&2; exit 2; }
# in_host <arg>: a container path as this host sees it
in_host() {
  local a="$1"
  a="${a//\/srv\//$srv/}"
  [ -z "$auth" ] || a="${a//\/run\/rhcos-forge\/auth.json/$auth}"
  printf '%s' "$a"
}
for e in "${envs[@]}"; do export "$(in_host "$e")"; done
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
    [ -z "${FAKE_BUILD_ARGS_CONF:-}" ] || printf '%s\n' "$FAKE_BUILD_ARGS_CONF" > "$srv/src/config/build-args.conf"
    echo "Cloning into 'config'..." >&2 ;;
  shell)
    [ "${1:-}" = "--" ] && shift
    case "${1:-}" in
      bash) echo "${FAKE_COMMIT:-0123456789abcdef0123456789abcdef01234567}" ;;
      skopeo)
        shift
        args=()
        for a in "$@"; do args+=("$(in_host "$a")"); done
        if [ "${args[0]}" = copy ] && [ "${FAKE_LEAK_AUTH:-}" = 1 ] && [ -n "$auth" ]; then
          echo "debug: using credentials $(cat "$auth")"
        fi
        cd "$srv" && exec skopeo "${args[@]}" ;;
      *) echo "fake podman: unsupported shell command $*" >&2; exit 2 ;;
    esac ;;
  fetch) echo "Importing packages... done" ;;
  build)
    if [ "${1:-}" = --help ]; then
      # Shaped like the two kinds of `cosa build --help` (coreos-assembler src/cmd-build).
      if [ "${FAKE_COSA_HELP:-targets}" = targets ]; then
        printf '%s\n' 'Usage: coreos-assembler build [OPTIONS]... [TARGET]...' '  Accepted TARGET arguments:' '' \
          '  - container  the bootable container image' '  - ostree     old name of container' \
          '  - qemu       a QCOW2 image too' >&2
      else
        printf 'Usage: coreos-assembler build [OPTIONS]...\n  Build the bootable container image with buildah.\n' >&2
      fi
      exit 0
    fi
    mkdir -p "$srv/builds/$id/$arch"
    archive="rhcos-$id-ostree.$arch.ociarchive"
    # A one-layer OCI image, deterministic for a build id (the layer holds it).
    python3 - "$srv/builds/$id/$arch/$archive" "$id" <<'EOF'
import hashlib, io, json, sys, tarfile
out, build_id = sys.argv[1], sys.argv[2]
def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
def desc(media, data):
    return {"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}
layer = tar_of([("usr/lib/rhcos-forge-fake-build", (build_id + "\n").encode())])
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Labels": {"containers.bootc": "1", "version": build_id}},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}},
                    sort_keys=True).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": desc("application/vnd.oci.image.config.v1+json", config),
                       "layers": [desc("application/vnd.oci.image.layer.v1.tar", layer)]}, sort_keys=True).encode()
index = json.dumps({"schemaVersion": 2,
                    "manifests": [desc("application/vnd.oci.image.manifest.v1+json", manifest)]}).encode()
blobs = [("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b) for b in (layer, config, manifest)]
open(out, "wb").write(tar_of([("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)] + blobs))
EOF
    printf '{"buildid":"%s","images":{"ostree":{"path":"%s"}}}\n' "$id" "$archive" > "$meta"
    printf '{"schema-version":"1.0.0","builds":[{"id":"%s","arches":["%s"]}]}\n' "$id" "$arch" \
      > "$srv/builds/builds.json"
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
  *) echo "fake podman: unknown cosa command $cmd" >&2; exit 2 ;;
esac
