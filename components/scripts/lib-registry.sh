#!/usr/bin/env bash
# rhcos-forge registry helpers: the credentials of a containers auth.json, a short reason from a
# registry tool's output, the registry-auth bundle, OCI blobs. Sourced (it sources lib-bundle.sh
# and lib.sh) by the scripts that talk to a registry:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
# shellcheck shell=bash

set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-bundle.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bundle.sh"

# rf_auth_secrets <auth.json> <out>: write the credential values of a containers auth.json to
# <out>, one a line, for rf_mask; an empty file when there is no authfile.
rf_auth_secrets() {
  local authfile="$1" out="$2"
  : > "$out"
  [ -n "$authfile" ] || return 0
  grep -oE '"(auth|password|identitytoken)"[[:space:]]*:[[:space:]]*"[^"]+"' "$authfile" \
    | sed -E 's/.*:[[:space:]]*"([^"]+)"/\1/' > "$out" || true
}

# rf_registry_why <log> [secrets file]: a short reason from podman/skopeo/oc output, masked.
rf_registry_why() {
  local text missing unreachable
  if [ -n "${2:-}" ]; then text="$(rf_mask "$2" < "$1")"; else text="$(cat "$1")"; fi
  missing='manifest unknown|manifest .* not found|not found: manifest|reading manifest .*: .*not found'
  unreachable='connection refused|no such host|i/o timeout|network is unreachable'
  unreachable+='|server gave HTTP response to HTTPS client'
  if grep -Eqi "$missing" <<< "$text"; then
    echo "the image does not exist in the registry (manifest unknown)"
  elif grep -Eqi 'unauthorized|authentication required|401|invalid username/password|denied' <<< "$text"; then
    echo "the registry refused the credentials (unauthorized)"
  elif grep -Eqi "$unreachable|x509" <<< "$text"; then
    echo "the registry is unreachable: $(grep -Eio "($unreachable|x509[^\"]*)" <<< "$text" | head -n 1)"
  else
    grep -v '^[[:space:]]*$' <<< "$text" | tail -n 1 | cut -c1-300
  fi
}

# rf_oci_add_blob <oci layout dir> <file>: copies the file into the layout's blobs by its sha256;
# prints "sha256:<hex> <size>" for the descriptor that names it.
rf_oci_add_blob() {
  local h
  h="$(rf_sha256_stdin < "$2")"
  mkdir -p "$1/blobs/sha256"
  cp "$2" "$1/blobs/sha256/$h"
  printf 'sha256:%s %s\n' "$h" "$(stat -c %s "$2")"
}

# rf_oci_index <oci layout dir> <manifest file> <ref name>: adds the manifest to the layout's blobs
# and makes it the layout's one image, named <ref name> (oci-layout, index.json); prints
# "sha256:<hex> <size>" of the manifest, as rf_oci_add_blob does.
rf_oci_index() {
  local digest size
  read -r digest size < <(rf_oci_add_blob "$1" "$2")
  printf '{"imageLayoutVersion":"1.0.0"}' > "$1/oci-layout"
  jq -cn --arg d "$digest" --argjson s "$size" --arg name "$3" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": $name}}]}' > "$1/index.json"
  printf '%s %s\n' "$digest" "$size"
}


# rf_split_digest_ref <NAME> <value>: an image pinned by digest, <repo>@sha256:<64 hex>, whose
# repository has no tag; sets repo and digest, or fails step "arguments" naming the variable.
# shellcheck disable=SC2034 # repo and digest are the caller's
rf_split_digest_ref() {
  [[ "$2" =~ ^([A-Za-z0-9][A-Za-z0-9._:/-]*)@(sha256:[0-9a-f]{64})$ ]] \
    || rf_fail "arguments" "$1 must be repo@sha256:<64 hex>, got: '$2'"
  repo="${BASH_REMATCH[1]}"
  digest="${BASH_REMATCH[2]}"
  [[ "${repo##*/}" != *:* ]] || rf_fail "arguments" "$1 must name a repository without a tag, got: '$2'"
}

# rf__auth_entry <lineno> <kind> <field...>: the one entry of a registry-auth bundle.
# shellcheck disable=SC2154 # work is the caller's (rf_work_dir)
rf__auth_entry() {
  local lineno="$1" kind="$2"
  shift 2
  [ "$kind" = authfile ] || rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'"
  authfile="$work/auth.json"
  rf_unpack_authfile "$lineno" "$authfile" "$@"
}

# rf_read_auth_bundle: reads the optional stdin bundle whose only entry is `authfile <base64>`
# (components/bundle.ts renderAuthBundle) and sets authfile (its 0600 copy or ""), auth_opt
# (--authfile <file> or nothing) and secrets ($work/secrets, its credentials for rf_mask).
# shellcheck disable=SC2034 # auth_opt and secrets are read by the caller
rf_read_auth_bundle() {
  authfile=""
  rf_read_bundle bundle rf__auth_entry optional
  auth_opt=()
  [ -z "$authfile" ] || auth_opt=(--authfile "$authfile")
  secrets="$work/secrets"
  rf_auth_secrets "$authfile" "$secrets"
}
