#!/usr/bin/env bash
# rhcos-forge sbom-image.sh
#
# The SPDX 2.3 SBOM of an image pushed by another step (image.builder cosa: `cosa push-container`
# leaves no image in podman's storage): pulls the image by digest, lists the RPMs of its own
# rpmdb and pushes the same document and attachment build-image.sh makes for layered images
# (lib.sh rf_rpm_list, rf_sbom_push), with the OS config it was built from as its origin instead
# of a base image. An attachment already in the registry for this digest and source is reused.
#
# env:
#   RF_ROOT         work dir (default /var/lib/rhcos-forge)
#   RF_IMAGE_REF    the image, <repo>@sha256:<64 hex>
#   RF_SBOM_SOURCE  what it was built from, "<git url>@<commit>" (optional)
#   RF_RECORD_BUILD a build id (optional): the caller's step pushed the image, so it is recorded as
#                   $RF_ROOT/builds/<id>/result.json, where prune-images.sh finds what this host
#                   pushed (retention and deleteOnDestroy then cover it like a layered build)
#   RF_TLS_VERIFY   true (default) | false
#
# stdin (bundle, optional): rhcos-forge-bundle v1 / authfile <base64 auth.json>
#
# stdout (last line, also $RF_ROOT/sboms/<image hex>.json):
#   {"ref":"<repo>@sha256:…","digest":"sha256:…","tag":"<repo>:sha256-<hex>.sbom","packages":<n>}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-sbom.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-sbom.sh"
rf_init 077 RF_ROOT=/var/lib/rhcos-forge RF_IMAGE_REF= RF_SBOM_SOURCE= RF_RECORD_BUILD=
RF_TLS_VERIFY="$(rf_bool "${RF_TLS_VERIFY:-true}")"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_split_digest_ref RF_IMAGE_REF "$RF_IMAGE_REF"
[ -z "$RF_SBOM_SOURCE" ] \
  || [[ "$RF_SBOM_SOURCE" =~ ^[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]@]+(@[^[:space:]@]+)?@[0-9a-f]{7,64}$ ]] \
  || rf_fail "arguments" "RF_SBOM_SOURCE must be <git url>@<commit hex>, got: '$RF_SBOM_SOURCE'"
[ -z "$RF_RECORD_BUILD" ] || [[ "$RF_RECORD_BUILD" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] \
  || rf_fail "arguments" "RF_RECORD_BUILD must be a build id (letters, digits, . _ -), got: '$RF_RECORD_BUILD'"
rf_need podman skopeo rpm jq
tls_opt=("--tls-verify=$RF_TLS_VERIFY")

rf_work_dir

# ---------------------------------------------------------------- unpack
rf_step "unpack"
rf_read_auth_bundle

# record_push <sbom json>: what prune-images.sh reads as "pushed by this host" (its last line's ref)
record_push() {
  [ -n "$RF_RECORD_BUILD" ] || return 0
  jq -c --arg ref "$RF_IMAGE_REF" --arg digest "$digest" '{ref: $ref, digest: $digest, sbom: .}' <<< "$1" \
    | rf_atomic_write "$RF_ROOT/builds/$RF_RECORD_BUILD/result.json" 0644 > /dev/null \
    || rf_fail "$RF_STEP" "could not record the push in $RF_ROOT/builds/$RF_RECORD_BUILD"
}

# ---------------------------------------------------------------- reuse
rf_step "reuse"
result_file="$RF_ROOT/sboms/${digest#sha256:}.json"
sbom_tag="$repo:${digest/:/-}.sbom"
if [ -f "$result_file" ] && [ "$(jq -r '.source // ""' "$result_file" 2>/dev/null)" = "$RF_SBOM_SOURCE" ] \
  && [ "$(jq -r '.tag // ""' "$result_file")" = "$sbom_tag" ]; then
  old_digest="$(jq -r '.digest' "$result_file")"
  # what the tag holds now (the raw manifest: skopeo 1.9 cannot inspect an artifact's empty config)
  if [ "sha256:$(skopeo inspect --raw "${tls_opt[@]}" "${auth_opt[@]}" "docker://$sbom_tag" 2>/dev/null \
    | rf_sha256_stdin)" = "$old_digest" ]; then
    rf_log "the SBOM of $RF_IMAGE_REF is already in the registry ($sbom_tag)"
    record_push "$(jq -c 'del(.source)' "$result_file")"
    jq -c 'del(.source)' "$result_file"
    exit 0
  fi
  rf_log "the recorded SBOM of $RF_IMAGE_REF is not in the registry any more; making it again"
fi

# ---------------------------------------------------------------- pull
rf_step "pull"
if ! podman image exists "$RF_IMAGE_REF" 2>/dev/null; then
  if ! rf_run_logged "$work/pull.log" "$secrets" podman pull -q "${tls_opt[@]}" "${auth_opt[@]}" "$RF_IMAGE_REF"; then
    rf_fail "pull" "could not pull $RF_IMAGE_REF: $(rf_registry_why "$work/pull.log" "$secrets")"
  fi
  # an OS image is large: what this step pulled goes when it is done
  rf_on_exit "podman rmi '$RF_IMAGE_REF' >/dev/null 2>&1"
fi

# ---------------------------------------------------------------- rpms
rf_step "rpms"
rf_rpm_list "$RF_IMAGE_REF" "$work/image.rpms" "$work/sbom.rpms"
rf_log "$RF_IMAGE_REF has $(wc -l < "$work/image.rpms") packages"

# ---------------------------------------------------------------- sbom
rf_step "sbom"
# the image's own creation time: the same image always gets the same document (and digest)
created="$(podman image inspect --format '{{.Created.UTC.Format "2006-01-02T15:04:05Z"}}' "$RF_IMAGE_REF" \
  2> "$work/inspect.log")" \
  || rf_fail "sbom" "podman image inspect $RF_IMAGE_REF failed: $(tail -n 1 "$work/inspect.log")"
rf_sbom_push "$work/sbom.rpms" "$repo" "$digest" "$created" "" "$RF_SBOM_SOURCE"

# ---------------------------------------------------------------- result
rf_step "result"
mkdir -p "$RF_ROOT/sboms"
jq -c --arg source "$RF_SBOM_SOURCE" '. + {source: $source}' <<< "$RF_SBOM_JSON" \
  | rf_atomic_write "$result_file" 0644 > /dev/null \
  || rf_fail "result" "could not write $result_file"
record_push "$RF_SBOM_JSON"
printf '%s\n' "$RF_SBOM_JSON"
