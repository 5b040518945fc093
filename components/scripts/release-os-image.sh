#!/usr/bin/env bash
# rhcos-forge release-os-image.sh
#
# The image a release payload names for its OS component (rhel-coreos): what
# `oc adm release info --image-for rhel-coreos <release>` prints, the first step of
# openshift/machine-config-operator docs/UsingLayering.md. A release image carries
# /release-manifests/image-references, an ImageStream whose spec.tags[] name each
# component and its image (the file `oc adm release info` reads), and
# /release-manifests/release-metadata ({"version": …}). Both are read with podman, so the
# build host needs no oc. A release by digest never changes: the answer is kept per
# digest and a re-run prints it again without pulling.
#
# env:
#   RF_ROOT            work dir (default /var/lib/rhcos-forge)
#   RF_RELEASE         the release image, repo@sha256:<64 hex>
#   RF_OS_COMPONENT    the component to read (default rhel-coreos)
#   RF_TLS_VERIFY      true (default) | false
#
# stdin (optional): the registry-auth bundle (rhcos-forge-registry-auth v1, authfile <base64>)
#
# stdout (last line): {"release":"…","component":"rhel-coreos","image":"<repo>@sha256:…","version":"…"}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
rf_init 022 RF_ROOT=/var/lib/rhcos-forge RF_RELEASE= RF_OS_COMPONENT=rhel-coreos RF_TLS_VERIFY=true

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
rf_require_bool RF_TLS_VERIFY "$RF_TLS_VERIFY"
RF_TLS_VERIFY="$(rf_bool "$RF_TLS_VERIFY")"
rf_split_digest_ref RF_RELEASE "$RF_RELEASE"
rf_require_match RF_OS_COMPONENT "$RF_OS_COMPONENT" '^[a-z0-9][a-z0-9-]*$' \
  "a release component name such as rhel-coreos"
rf_need podman python3

result_dir="$RF_ROOT/releases/os-images"
result_file="$result_dir/${digest#sha256:}-$RF_OS_COMPONENT.json"
mkdir -p "$result_dir"
rf_work_dir
rf_read_auth_bundle

# ---------------------------------------------------------------- reuse
rf_step "reuse"
if [ -s "$result_file" ]; then
  rf_log "release $RF_RELEASE: $RF_OS_COMPONENT already read"
  tail -n 1 "$result_file"
  exit 0
fi

# ---------------------------------------------------------------- payload
rf_step "payload"
podman_opts=("--tls-verify=$RF_TLS_VERIFY" "${auth_opt[@]}")
if ! rf_run_logged "$work/pull.log" "$secrets" podman pull -q "${podman_opts[@]}" "$RF_RELEASE"; then
  rf_fail "payload" "could not pull release $RF_RELEASE: $(rf_registry_why "$work/pull.log" "$secrets")"
fi
ctr="$(podman create "$RF_RELEASE" /bin/true 2> "$work/create.log")" \
  || rf_fail "payload" "could not open release $RF_RELEASE: $(tail -n 1 "$work/create.log")"
rf_on_exit "podman rm -f $ctr > /dev/null 2>&1 || true"
podman cp "$ctr:/release-manifests/image-references" "$work/image-references" 2> "$work/cp.log" \
  || rf_fail "payload" "$RF_RELEASE is not a release payload:" \
    "it has no /release-manifests/image-references ($(tail -n 1 "$work/cp.log"))"
podman cp "$ctr:/release-manifests/release-metadata" "$work/release-metadata" 2> /dev/null \
  || : > "$work/release-metadata"

# ---------------------------------------------------------------- component
rf_step "component"
python3 -c 'import json, sys
refs = json.load(open(sys.argv[1]))
try:
    meta = json.load(open(sys.argv[2]))
except ValueError:
    meta = {}
tags = (refs.get("spec") or {}).get("tags") or []
image = next(((t.get("from") or {}).get("name", "") for t in tags if t.get("name") == sys.argv[3]), "")
version = meta.get("version") or (refs.get("metadata") or {}).get("name", "")
print(image)
print(version)' "$work/image-references" "$work/release-metadata" "$RF_OS_COMPONENT" > "$work/found" \
  || rf_fail "component" "the image-references of $RF_RELEASE is not an ImageStream in JSON"
image="$(sed -n 1p "$work/found")"
version="$(sed -n 2p "$work/found")"
[ -n "$image" ] || rf_fail "component" "release $RF_RELEASE names no $RF_OS_COMPONENT in its image-references"
[[ "$image" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$ ]] \
  || rf_fail "component" "release $RF_RELEASE names $RF_OS_COMPONENT as '$image', not an image pinned by digest"

# ---------------------------------------------------------------- result
rf_step "result"
result="{\"release\":$(rf_json_str "$RF_RELEASE"),\"component\":$(rf_json_str "$RF_OS_COMPONENT")"
result+=",\"image\":$(rf_json_str "$image"),\"version\":$(rf_json_str "$version")}"
printf '%s\n' "$result" | rf_atomic_write "$result_file" 0644 > /dev/null \
  || rf_fail "result" "could not write $result_file"
rf_log "release $RF_RELEASE ($version): $RF_OS_COMPONENT is $image"
printf '%s\n' "$result"
