#!/usr/bin/env bash
# rhcos-forge sign-image.sh
#
# Signs a pushed image (by digest) with a sigstore signature stored in the registry beside it,
# the way containers/image and cosign store them: an OCI manifest tagged sha256-<hex>.sig in the
# image's repository, one layer per signature (the "cosign container image signature" payload,
# annotation dev.cosignproject.cosign/signature = base64 ECDSA-SHA256 signature of the payload).
# Existing signatures under that tag are kept; a digest already signed by this key is left alone.
#
# Why not `podman push --sign-by-sigstore-private-key`: podman 4.3.1 has the flag, but Debian
# builds containers/image with sigstore disabled ("Debian-local change: sigstore disabled"), so
# this script writes the same objects itself (openssl signs, skopeo pushes an oci: layout). The
# result is verified by upstream containers/image in the host tests (dev/policycheck).
#
# env:
#   RF_ROOT         work dir (default /var/lib/rhcos-forge)
#   RF_IMAGE_REF    the image to sign, <repo>@sha256:<64 hex>
#   RF_TLS_VERIFY   true (default) | false
#
# stdin (bundle), one entry per line:
#   rhcos-forge-bundle v1
#   signingkey <base64 of the PKCS#8 PEM private key>  (decrypted by the program: openssl
#              cannot read cosign's scrypt/secretbox envelope; written 0600, removed on exit)
#   publickey <base64 of the SPKI PEM public key>
#   authfile <base64 of a containers auth.json>     (optional)
#
# stdout (last line):
#   {"ref":"<repo>@sha256:…","digest":"sha256:…","signature":"<repo>:sha256-<hex>.sig",
#    "signatureDigest":"sha256:…","keySha256":"<hex>","signed":true|false}
#   signed: false when the digest already carried a signature by this key.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
rf_init 077 RF_ROOT=/var/lib/rhcos-forge RF_IMAGE_REF=
RF_TLS_VERIFY="$(rf_bool "${RF_TLS_VERIFY:-true}")"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_split_digest_ref RF_IMAGE_REF "$RF_IMAGE_REF"
rf_need skopeo openssl jq base64 sha256sum
sig_tag="$repo:${digest/:/-}.sig"
tls_opt=("--tls-verify=$RF_TLS_VERIFY")

rf_work_dir

# ---------------------------------------------------------------- unpack
rf_step "unpack"
key="$work/signing.key"
pub="$work/signing.pub"
authfile=""
on_entry() {
  local lineno="$1" kind="$2"
  shift 2
  case "$kind" in
    signingkey) rf_unpack_secret_file "$lineno" signingkey "$key" "$@" ;;
    publickey) rf_unpack_secret_file "$lineno" publickey "$pub" "$@" ;;
    authfile)
      authfile="$work/auth.json"
      rf_unpack_authfile "$lineno" "$authfile" "$@"
      ;;
    *) rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'" ;;
  esac
}
rf_read_bundle bundle on_entry
[ -s "$key" ] || rf_fail "unpack" "the bundle has no signingkey entry"
[ -s "$pub" ] || rf_fail "unpack" "the bundle has no publickey entry"
openssl pkey -pubin -in "$pub" -noout 2> "$work/pub.log" \
  || rf_fail "unpack" "publickey is not a PEM public key: $(tail -n 1 "$work/pub.log")"
key_sha="$(openssl pkey -pubin -in "$pub" -outform DER | rf_sha256_stdin)"
# what the tools' output is masked with: the lines of the key (and the registry credentials)
{ grep -v -- '-----' "$key" || true; } > "$work/secrets"
auth_opt=()
if [ -n "$authfile" ]; then
  auth_opt=(--authfile "$authfile")
  rf_auth_secrets "$authfile" "$work/auth.secrets"
  cat "$work/auth.secrets" >> "$work/secrets"
fi

# ---------------------------------------------------------------- image
rf_step "image"
if ! skopeo inspect --raw "${tls_opt[@]}" "${auth_opt[@]}" "docker://$RF_IMAGE_REF" \
  > "$work/image.manifest" 2> "$work/inspect.log"; then
  rf_fail "image" "could not read $RF_IMAGE_REF: $(rf_registry_why "$work/inspect.log" "$work/secrets")"
fi
[ "sha256:$(rf_sha256_stdin < "$work/image.manifest")" = "$digest" ] \
  || rf_fail "image" "the registry's manifest for $RF_IMAGE_REF does not hash to $digest"

# ---------------------------------------------------------------- existing signatures
# verified_by_key <oci layout dir>: true when a layer of its manifest is a payload for $digest
# whose signature annotation verifies with the public key
verified_by_key() {
  local dir="$1" manifest n i layer_digest sig payload
  manifest="$dir/blobs/sha256/$(jq -r '.manifests[0].digest' "$dir/index.json" | cut -d: -f2)"
  n="$(jq '.layers | length' "$manifest")"
  for ((i = 0; i < n; i++)); do
    layer_digest="$(jq -r ".layers[$i].digest" "$manifest")"
    sig="$(jq -r ".layers[$i].annotations[\"dev.cosignproject.cosign/signature\"] // empty" "$manifest")"
    payload="$dir/blobs/sha256/${layer_digest#sha256:}"
    if [ -z "$sig" ] || [ ! -f "$payload" ]; then continue; fi
    [ "$(jq -r '.critical.image["docker-manifest-digest"] // empty' "$payload" 2>/dev/null)" = "$digest" ] || continue
    printf '%s' "$sig" | base64 -d > "$work/check.sig" 2>/dev/null || continue
    if openssl dgst -sha256 -verify "$pub" -signature "$work/check.sig" "$payload" > /dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

rf_step "existing signatures"
old="$work/old"
have_old=false
# our own attachment is read without a policy: what matters is checked below with openssl
if skopeo --insecure-policy copy --quiet --preserve-digests --src-tls-verify="$RF_TLS_VERIFY" "${auth_opt[@]}" \
  "docker://$sig_tag" "oci:$old:old" > "$work/old.log" 2>&1; then
  have_old=true
  if verified_by_key "$old"; then
    sig_digest="$(jq -r '.manifests[0].digest' "$old/index.json")"
    rf_log "$RF_IMAGE_REF already carries a signature by this key ($sig_tag)"
    printf '{"ref":%s,"digest":%s,"signature":%s,"signatureDigest":%s,"keySha256":%s,"signed":false}\n' \
      "$(rf_json_str "$RF_IMAGE_REF")" "$(rf_json_str "$digest")" "$(rf_json_str "$sig_tag")" \
      "$(rf_json_str "$sig_digest")" "$(rf_json_str "$key_sha")"
    exit 0
  fi
  rf_log "$sig_tag holds no signature by this key; adding one"
elif grep -Eqi 'manifest unknown|not found' "$work/old.log"; then
  rf_log "$RF_IMAGE_REF has no signatures yet"
else
  rf_fail "existing signatures" "could not read $sig_tag: $(rf_registry_why "$work/old.log" "$work/secrets")"
fi

# ---------------------------------------------------------------- sign
rf_step "sign"
lay="$work/layout"
mkdir -p "$lay/blobs/sha256"
payload="$work/payload.json"
jq -cn --arg ref "$RF_IMAGE_REF" --arg digest "$digest" \
  '{critical: {identity: {"docker-reference": $ref}, image: {"docker-manifest-digest": $digest},
     type: "cosign container image signature"},
    optional: {creator: "rhcos-forge sign-image.sh"}}' \
  > "$payload"
if ! openssl dgst -sha256 -sign "$key" -out "$work/payload.sig" "$payload" 2> "$work/sign.log"; then
  rf_fail "sign" "openssl could not sign with the key:" \
    "$(rf_mask "$work/secrets" < "$work/sign.log" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-200)"
fi
openssl dgst -sha256 -verify "$pub" -signature "$work/payload.sig" "$payload" > /dev/null 2>&1 \
  || rf_fail "sign" "the signing key does not match the public key"
read -r payload_digest payload_size < <(rf_oci_add_blob "$lay" "$payload")
new_layer="$(jq -cn --arg d "$payload_digest" --argjson s "$payload_size" \
  --arg sig "$(base64 -w0 < "$work/payload.sig")" \
  '{mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: $d, size: $s,
    annotations: {"dev.cosignproject.cosign/signature": $sig}}')"
layers="[]"
if [ "$have_old" = true ]; then
  old_manifest="$old/blobs/sha256/$(jq -r '.manifests[0].digest' "$old/index.json" | cut -d: -f2)"
  layers="$(jq -c '.layers' "$old_manifest")"
  for b in $(jq -r '.layers[].digest' "$old_manifest" | cut -d: -f2); do
    cp "$old/blobs/sha256/$b" "$lay/blobs/sha256/$b"
  done
fi
layers="$(jq -cn --argjson old "$layers" --argjson new "$new_layer" '$old + [$new]')"
jq -cn --argjson layers "$layers" \
  '{architecture: "", os: "", config: {}, rootfs: {type: "layers", diff_ids: [$layers[].digest]}}' > "$work/config.json"
read -r config_digest config_size < <(rf_oci_add_blob "$lay" "$work/config.json")
jq -cn --arg cd "$config_digest" --argjson cs "$config_size" --argjson layers "$layers" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs}, layers: $layers}' \
  > "$work/manifest.json"
read -r manifest_digest _ < <(rf_oci_index "$lay" "$work/manifest.json" sig)

# ---------------------------------------------------------------- push
rf_step "push"
if ! rf_run_logged "$work/push.log" "$work/secrets" skopeo --insecure-policy copy --quiet --preserve-digests \
  --dest-tls-verify="$RF_TLS_VERIFY" "${auth_opt[@]}" "oci:$lay:sig" "docker://$sig_tag"; then
  rf_fail "push" "could not push $sig_tag: $(rf_registry_why "$work/push.log")"
fi

# ---------------------------------------------------------------- verify
rf_step "verify"
check="$work/check"
if ! skopeo --insecure-policy copy --quiet --preserve-digests --src-tls-verify="$RF_TLS_VERIFY" "${auth_opt[@]}" \
  "docker://$sig_tag" "oci:$check:sig" > "$work/check.log" 2>&1; then
  rf_fail "verify" "could not read back $sig_tag: $(rf_registry_why "$work/check.log" "$work/secrets")"
fi
verified_by_key "$check" || rf_fail "verify" "$sig_tag as read back holds no signature by this key for $digest"
[ "$(jq -r '.manifests[0].digest' "$check/index.json")" = "$manifest_digest" ] \
  || rf_fail "verify" "$sig_tag changed while it was written (a concurrent signer?)"
rf_log "signed $RF_IMAGE_REF ($sig_tag, $(jq '.layers | length' "$work/manifest.json") signature(s))"

# ---------------------------------------------------------------- result
rf_step "result"
printf '{"ref":%s,"digest":%s,"signature":%s,"signatureDigest":%s,"keySha256":%s,"signed":true}\n' \
  "$(rf_json_str "$RF_IMAGE_REF")" "$(rf_json_str "$digest")" "$(rf_json_str "$sig_tag")" \
  "$(rf_json_str "$manifest_digest")" "$(rf_json_str "$key_sha")"
