#!/usr/bin/env bash
# rhcos-forge release-new.sh
#
# Makes a custom OpenShift release image: `oc adm release new --from-release`
# with component overrides (the built OS as rhel-coreos, any other
# name=image@digest), checks that the new release carries the built OS under
# that name, then, when extra manifests are given, one
# layer on top adding them to /release-manifests (the CVO applies every
# manifest it finds there). Pushes to RF_RELEASE_REPO:RF_RELEASE_ID
# and reports the digest. Registry auth arrives on stdin and only ever lives in
# a 0600 file passed with -a / --authfile.
#
# env:
#   RF_ROOT            work dir (default /var/lib/rhcos-forge)
#   RF_FROM_RELEASE    the release to start from, repo@sha256:<64 hex>
#   RF_RELEASE_REPO    push repository without tag
#   RF_RELEASE_ID      content hash from the caller: push tag and work dir name
#   RF_RELEASE_NAME    optional release name, a semantic version (oc adm release new --name)
#   RF_OVERRIDES       space-separated name=repo@sha256:<64 hex>
#   RF_OS_COMPONENT    optional: the override that is the built OS (e.g. rhel-coreos); the new
#                      release must reference exactly that image under that name
#   RF_TLS_VERIFY      true (default) | false
#
# stdin, one entry per line:
#   rhcos-forge-release v1
#   manifest <base64 of a file name> <base64 of its content>   (any number)
#   authfile <base64 of a containers auth.json>                (optional)
#
# stdout (last line, also $RF_ROOT/releases/$RF_RELEASE_ID/result.json):
#   {"ref":"<repo>@sha256:…","digest":"sha256:…","tag":"<repo>:<id>","version":"…","from":"…"}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
rf_init 022 RF_ROOT=/var/lib/rhcos-forge RF_FROM_RELEASE= RF_RELEASE_REPO= RF_RELEASE_ID= RF_RELEASE_NAME= \
  RF_OVERRIDES= RF_OS_COMPONENT= RF_TLS_VERIFY=true

digest_re='^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$'

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
rf_require_bool RF_TLS_VERIFY "$RF_TLS_VERIFY"
RF_TLS_VERIFY="$(rf_bool "$RF_TLS_VERIFY")"
rf_require_words RF_OVERRIDES "$RF_OVERRIDES" '^[^=]+=.+$' "<component>=<image>"
[[ "$RF_FROM_RELEASE" =~ $digest_re ]] \
  || rf_fail "arguments" "RF_FROM_RELEASE must be a release image pinned by digest (repo@sha256:<64 hex>)," \
    "got: '$RF_FROM_RELEASE'"
{ [[ "$RF_RELEASE_REPO" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ ]] && [[ "${RF_RELEASE_REPO##*/}" != *:* ]] \
  && [[ "$RF_RELEASE_REPO" == */* ]]; } \
  || rf_fail "arguments" "RF_RELEASE_REPO must be a registry repository without tag or digest, got: '$RF_RELEASE_REPO'"
[[ "$RF_RELEASE_ID" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] \
  || rf_fail "arguments" "RF_RELEASE_ID must be a valid image tag, got: '$RF_RELEASE_ID'"
# oc refuses a --name that is not a semantic version (openshift/oc pkg/cli/admin/release/new.go:
# "--name must be a semantic version", blang/semver Parse): MAJOR.MINOR.PATCH without leading
# zeros, dot-separated pre-release identifiers (numeric ones without leading zeros), build metadata.
semver_num='(0|[1-9][0-9]*)'
semver_pre="($semver_num|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
semver_re="^$semver_num\\.$semver_num\\.$semver_num(-$semver_pre(\\.$semver_pre)*)?"
semver_re+="(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?\$"
[ -z "$RF_RELEASE_NAME" ] || [[ "$RF_RELEASE_NAME" =~ $semver_re ]] \
  || rf_fail "arguments" "RF_RELEASE_NAME must be a semantic version such as 4.19.10-custom.1" \
    "(oc adm release new --name), got: $(rf__shown "$RF_RELEASE_NAME")"
rf_require_match RF_OS_COMPONENT "$RF_OS_COMPONENT" '^([a-z0-9][a-z0-9-]*)?$' \
  "a release component name such as rhel-coreos"
read -r -a overrides <<< "$RF_OVERRIDES"
for o in "${overrides[@]}"; do
  name="${o%%=*}"
  image="${o#*=}"
  { [ "$name" != "$o" ] && [[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]]; } \
    || rf_fail "arguments" "override '$o' must be <component>=<image>"
  [[ "$image" =~ $digest_re ]] \
    || rf_fail "arguments" "override $name must be pinned by digest (repo@sha256:<64 hex>), got: '$image'"
  [ "$name" != "$RF_OS_COMPONENT" ] || os_image="$image"
done
if [ -n "$RF_OS_COMPONENT" ] && [ -z "${os_image:-}" ]; then
  rf_fail "arguments" "RF_OS_COMPONENT $RF_OS_COMPONENT is not one of the overrides in RF_OVERRIDES"
fi

# ---------------------------------------------------------------- tools
rf_step "tools"
if ! command -v oc > /dev/null 2>&1; then
  rf_fail "tools" "oc (the OpenShift CLI) was not found on the build host:" \
    "install the oc client of the release's minor version (openshift-clients," \
    "or openshift-client-linux.tar.gz from mirror.openshift.com/pub/openshift-v4/clients/ocp/)"
fi
rf_need python3 base64

release_dir="$RF_ROOT/releases/$RF_RELEASE_ID"
result_file="$release_dir/result.json"
mkdir -p "$release_dir"
rf_work_dir

# ---------------------------------------------------------------- unpack
rf_step "unpack"
manifests="$work/context/release-manifests"
mkdir -p "$manifests"
authfile=""
nmanifests=0
on_entry() {
  local lineno="$1" kind="$2" f1="${3:-}" f2="${4:-}" name
  [ -z "${5:-}" ] || rf_fail "unpack" "bundle line $lineno: too many fields"
  case "$kind" in
    manifest)
      name="$(rf_b64_field "$lineno" name "$f1")"
      [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*\.(yaml|yml|json)$ ]] \
        || rf_fail "unpack" "bundle line $lineno: manifest name must be a plain .yaml file name, got: '$name'"
      rf_b64_field "$lineno" "content of $name" "$f2" > "$manifests/$name"
      nmanifests=$((nmanifests + 1))
      ;;
    authfile)
      authfile="$work/auth.json"
      rf_unpack_authfile "$lineno" "$authfile" "$f1" "$f2"
      ;;
    *) rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'" ;;
  esac
}
rf_read_bundle release on_entry
[ "$nmanifests" = 0 ] || rf_need podman

secrets="$work/secrets"
rf_auth_secrets "$authfile" "$secrets"

oc_opts=()
[ -z "$authfile" ] || oc_opts+=(-a "$authfile")
[ "$RF_TLS_VERIFY" = true ] || oc_opts+=(--insecure=true)
podman_opts=("--tls-verify=$RF_TLS_VERIFY")
[ -z "$authfile" ] || podman_opts+=(--authfile "$authfile")


# release_info <ref> <out>: digest and version of a release image, and the image its
# RF_OS_COMPONENT references (references.spec.tags[].from.name), on three lines
release_info() {
  oc adm release info "${oc_opts[@]}" --output=json "$1" > "$work/info.json" 2> "$work/info.log" || return 1
  python3 -c 'import json,sys
info = json.load(open(sys.argv[1]))
print(info.get("digest", ""))
print((info.get("metadata") or {}).get("version", ""))
tags = ((info.get("references") or {}).get("spec") or {}).get("tags") or []
print(next(((t.get("from") or {}).get("name", "") for t in tags if t.get("name") == sys.argv[2]), ""))' \
    "$work/info.json" "$RF_OS_COMPONENT" > "$2" 2>/dev/null
}

# ---------------------------------------------------------------- reuse
rf_step "reuse"
tag="$RF_RELEASE_REPO:$RF_RELEASE_ID"
if [ -f "$result_file" ]; then
  old_ref="$(sed -nE 's/.*"ref":"([^"]*)".*/\1/p' "$result_file" | head -n 1)"
  if [ -n "$old_ref" ] && release_info "$old_ref" "$work/old"; then
    rf_log "release $RF_RELEASE_ID already pushed as $old_ref; not building"
    tail -n 1 "$result_file"
    exit 0
  fi
  rf_log "previous result ${old_ref:-?} is not usable any more; building again"
fi

# ---------------------------------------------------------------- release new
rf_step "release new"
base_tag="$tag"
[ "$nmanifests" = 0 ] || base_tag="$tag-base"
new_args=(adm release new "${oc_opts[@]}" --from-release "$RF_FROM_RELEASE" --to-image "$base_tag")
[ -z "$RF_RELEASE_NAME" ] || new_args+=(--name "$RF_RELEASE_NAME")
if ! rf_run_logged "$work/new.log" "$secrets" oc "${new_args[@]}" "${overrides[@]}"; then
  rf_fail "release new" "oc adm release new from $RF_FROM_RELEASE failed: $(rf_registry_why "$work/new.log" "$secrets")"
fi
release_info "$base_tag" "$work/base" \
  || rf_fail "release new" \
    "could not read $base_tag back with oc adm release info: $(rf_registry_why "$work/info.log" "$secrets")"
digest="$(sed -n 1p "$work/base")"
version="$(sed -n 2p "$work/base")"
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] \
  || rf_fail "release new" "oc adm release info reported no usable digest for $base_tag"
# oc adds an override under a name the from-release lacks, then drops it again unless some
# operator's image-references names it (openshift/oc pkg/cli/admin/release/new.go,
# pruneUnreferencedImageStreams): the release would boot the stock OS. Never push that silently.
if [ -n "$RF_OS_COMPONENT" ]; then
  carried="$(sed -n 3p "$work/base")"
  [ "$carried" = "$os_image" ] \
    || rf_fail "release new" "the new release does not carry the built OS as $RF_OS_COMPONENT" \
      "(it references '${carried:-nothing}', expected $os_image):" \
      "the from-release's operators do not reference that component; use the OS component of the release (rhel-coreos)"
fi
rf_log "release $version pushed as $RF_RELEASE_REPO@$digest"

# ---------------------------------------------------------------- manifests
if [ "$nmanifests" -gt 0 ]; then
  rf_step "manifests"
  printf 'FROM %s\nCOPY release-manifests/ /release-manifests/\n' "$RF_RELEASE_REPO@$digest" \
    > "$work/context/Containerfile"
  if ! rf_run_logged "$work/build.log" "$secrets" podman build "${podman_opts[@]}" \
    --label "io.rhcos-forge.release-id=$RF_RELEASE_ID" -t "$tag" -f "$work/context/Containerfile" "$work/context"; then
    rf_fail "manifests" "podman build of the manifest layer failed: $(rf_registry_why "$work/build.log" "$secrets")"
  fi
  if ! rf_run_logged "$work/push.log" "$secrets" \
    podman push "${podman_opts[@]}" --digestfile "$work/digest" "$tag" "docker://$tag"; then
    rf_fail "manifests" "could not push $tag: $(rf_registry_why "$work/push.log" "$secrets")"
  fi
  digest="$(tr -d '[:space:]' < "$work/digest")"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || rf_fail "manifests" "podman push reported no usable digest"
  rf_log "added $nmanifests manifest(s) to /release-manifests: $RF_RELEASE_REPO@$digest"
fi

# ---------------------------------------------------------------- result
rf_step "result"
ref="$RF_RELEASE_REPO@$digest"
result="{\"ref\":$(rf_json_str "$ref"),\"digest\":$(rf_json_str "$digest"),\"tag\":$(rf_json_str "$tag")"
result+=",\"version\":$(rf_json_str "$version"),\"from\":$(rf_json_str "$RF_FROM_RELEASE")}"
printf '%s\n' "$result" | rf_atomic_write "$result_file" 0644 > /dev/null \
  || rf_fail "result" "could not write $result_file"
printf '%s\n' "$result"
