#!/usr/bin/env bash
# Stand-ins for `oc` and `podman` (chosen by the name it is called as) for
# test/host/release.test.ts. Every call is recorded (one shell-quoted line) in $FAKE_LOG.
#
# `oc adm release new` remembers its name=image overrides and `oc adm release info` reports them
# as references.spec.tags, as oc does; FAKE_PRUNE=<name> leaves one out, the way oc prunes a
# component no operator's image-references names.
#
# env: FAKE_LOG, FAKE_STATE (dir), FAKE_RELEASE_DIGEST, FAKE_OVERLAY_DIGEST,
#      FAKE_LEAK_AUTH=1 (print the registry auth the tool was given), FAKE_FAIL_NEW=1, FAKE_PRUNE
set -euo pipefail
tool="$(basename "$0")"
{ printf '%s' "$tool"; printf ' %q' "$@"; printf '\n'; } >> "$FAKE_LOG"
state="$FAKE_STATE"
mkdir -p "$state"
key() { printf '%s' "$1" | sha256sum | cut -c1-16; }

authfile=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in -a|--authfile) authfile="${args[i + 1]}" ;; esac
done
leak() {
  if [ "${FAKE_LEAK_AUTH:-}" = 1 ] && [ -n "$authfile" ]; then echo "debug: auth $(cat "$authfile")" >&2; fi
}

case "$tool" in
  oc)
    case "$1 ${2:-} ${3:-}" in
      "adm release new")
        leak
        if [ "${FAKE_FAIL_NEW:-}" = 1 ]; then
          echo "error: unable to push: unauthorized: access to the requested resource is not authorized" >&2
          exit 1
        fi
        to=""
        for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" != --to-image ] || to="${args[i + 1]}"; done
        d="${FAKE_RELEASE_DIGEST:-sha256:2222222222222222222222222222222222222222222222222222222222222222}"
        echo "$d" > "$state/$(key "$to")"
        echo "$d" > "$state/$(key "${to%:*}@$d")"
        refs=""
        for a in "${args[@]}"; do
          case "$a" in
            -*|*" "*) ;;
            [a-z]*=*@sha256:*)
              [ "${a%%=*}" = "${FAKE_PRUNE:-}" ] && continue
              refs+="${refs:+,}{\"name\": \"${a%%=*}\", "
              refs+="\"from\": {\"kind\": \"DockerImage\", \"name\": \"${a#*=}\"}}" ;;
          esac
        done
        echo "$refs" > "$state/$(key "$to").refs"
        cp "$state/$(key "$to").refs" "$state/$(key "${to%:*}@$d").refs"
        echo "info: Manifests will be extracted to /tmp/release-image"
        echo "Pushed release $to" ;;
      "adm release info")
        leak
        ref="${*: -1}"
        [ -f "$state/$(key "$ref")" ] || { echo "error: image \"$ref\" not found: manifest unknown" >&2; exit 1; }
        info='{\n  "image": "%s",\n  "digest": "%s",\n  "metadata": {"version": "4.19.10"},\n'
        info+='  "references": {"spec": {"tags": [%s]}}\n}\n'
        # shellcheck disable=SC2059 # the format is the two literals above
        printf "$info" \
          "$ref" "$(cat "$state/$(key "$ref")")" "$(cat "$state/$(key "$ref").refs" 2>/dev/null || true)" ;;
      *) echo "fake oc: unsupported: $*" >&2; exit 2 ;;
    esac ;;
  podman)
    case "$1" in
      build) leak; echo "STEP 1/2: FROM ..."; echo "COMMIT" ;;
      push)
        leak
        d="${FAKE_OVERLAY_DIGEST:-sha256:3333333333333333333333333333333333333333333333333333333333333333}"
        for ((i = 0; i < ${#args[@]}; i++)); do
          [ "${args[i]}" != --digestfile ] || echo "$d" > "${args[i + 1]}"
        done
        tag="${args[${#args[@]} - 2]}"
        echo "$d" > "$state/$(key "${tag%:*}@$d")" ;;
      *) echo "fake podman: unsupported: $*" >&2; exit 2 ;;
    esac ;;
esac
