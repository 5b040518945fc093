#!/usr/bin/env bash
# rhcos-forge prune-images.sh
#
# Registry retention for the images this build host pushed to one repository: keeps the newest
# RF_KEEP of them (by push time) and every digest in RF_PROTECT (what the stack's MachineConfigs
# and outputs point at), and deletes the others by digest together with their signatures
# (sha256-<hex>.sig) and SBOMs (sha256-<hex>.sbom). Which images are ours: the result.json of each
# build under $RF_ROOT/builds (build-image.sh writes it after a push); an image this host did not
# push is never considered. A registry that refuses deletes (405, UNSUPPORTED, denied) is a
# warning, not a failure. A pruned build's result.json becomes pruned.json, so a later build of
# the same inputs pushes again.
#
# RF_MODE list (the create of the destroy-time cleanup, image.retention.deleteOnDestroy) deletes
# nothing and reports every image of ours as kept; RF_MODE destroy (its delete, on `pulumi
# destroy`) deletes every image of ours, ignoring RF_KEEP and RF_PROTECT: the stack that pointed
# at them is going away. Both still consider only the images this host's builds pushed.
#
# env:
#   RF_ROOT         work dir (default /var/lib/rhcos-forge)
#   RF_IMAGE_REPO   the repository (no tag, no digest)
#   RF_KEEP         how many of the newest images to keep (>= 1, default 5)
#   RF_PROTECT      space-separated sha256:<hex> digests never deleted
#   RF_TLS_VERIFY   true (default) | false
#   RF_MODE         prune (default) | list | destroy
#
# stdin (bundle, optional): rhcos-forge-bundle v1 / authfile <base64 auth.json>
#
# stdout (last line):
#   {"kept":["sha256:…",…],"deleted":["sha256:…",…],"refused":["sha256:…",…],"warnings":["…",…]}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
rf_init 077 RF_ROOT=/var/lib/rhcos-forge RF_IMAGE_REPO= RF_KEEP=5 RF_PROTECT= RF_MODE=prune
RF_TLS_VERIFY="$(rf_bool "${RF_TLS_VERIFY:-true}")"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
case "$RF_MODE" in
  prune | list | destroy) ;;
  *) rf_fail "arguments" "RF_MODE must be prune, list or destroy, got: '$RF_MODE'" ;;
esac
{ [[ "$RF_IMAGE_REPO" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ ]] && [[ "${RF_IMAGE_REPO##*/}" != *:* ]]; } \
  || rf_fail "arguments" "RF_IMAGE_REPO must be a repository without tag or digest, got: '$RF_IMAGE_REPO'"
[[ "$RF_KEEP" =~ ^[1-9][0-9]{0,3}$ ]] || rf_fail "arguments" "RF_KEEP must be a whole number >= 1, got: '$RF_KEEP'"
read -r -a protect <<< "$RF_PROTECT"
for d in "${protect[@]}"; do
  [[ "$d" =~ ^sha256:[0-9a-f]{64}$ ]] || rf_fail "arguments" "RF_PROTECT must hold sha256:<64 hex> digests, got: '$d'"
done
rf_need skopeo
tls_opt=("--tls-verify=$RF_TLS_VERIFY")

rf_work_dir

# ---------------------------------------------------------------- unpack
rf_step "unpack"
rf_read_auth_bundle

# ---------------------------------------------------------------- ours
rf_step "ours"
# newest first: "<digest> <result file>" for each build of this repository still in the registry
ours="$work/ours"
: > "$ours"
if [ -d "$RF_ROOT/builds" ]; then
  while IFS= read -r f; do
    line="$(tail -n 1 "$f")"
    ref="$(grep -oE '"ref":"[^"]*"' <<< "$line" | head -n 1 | sed -E 's/^"ref":"(.*)"$/\1/')"
    [ "${ref%@*}" = "$RF_IMAGE_REPO" ] || continue
    digest="${ref##*@}"
    [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || continue
    grep -q "^$digest " "$ours" || printf '%s %s\n' "$digest" "$f" >> "$ours"
  done < <(find "$RF_ROOT/builds" -mindepth 2 -maxdepth 2 -name result.json -printf '%T@ %p\n' \
    | sort -rn | cut -d' ' -f2-)
fi
pushed_here="$(wc -l < "$ours") image(s) of $RF_IMAGE_REPO pushed from this host"
case "$RF_MODE" in
  prune) rf_log "$pushed_here; keeping the newest $RF_KEEP and ${#protect[@]} protected" ;;
  list) rf_log "$pushed_here; deleting none" ;;
  destroy) rf_log "$pushed_here; deleting all of them (destroy)" ;;
esac

# ---------------------------------------------------------------- prune
rf_step "prune"
kept=()
deleted=()
refused=()
warnings=()
# delete_ref <docker ref>: 0 deleted or absent, 1 refused by the registry, 2 other failure
delete_ref() {
  if skopeo delete "${tls_opt[@]}" "${auth_opt[@]}" "docker://$1" > "$work/delete.log" 2>&1; then
    return 0
  fi
  if grep -Eqi 'manifest unknown|not found|image may not exist' "$work/delete.log"; then
    return 0
  fi
  if grep -Eqi 'unsupported|405|method not allowed|denied|unauthorized|forbidden' "$work/delete.log"; then
    return 1
  fi
  return 2
}
n=0
while read -r digest file; do
  n=$((n + 1))
  is_protected=false
  for d in "${protect[@]}"; do [ "$d" != "$digest" ] || is_protected=true; done
  keep_it=false
  case "$RF_MODE" in
    list) keep_it=true ;;
    prune) if [ "$n" -le "$RF_KEEP" ] || [ "$is_protected" = true ]; then keep_it=true; fi ;;
  esac
  if [ "$keep_it" = true ]; then
    kept+=("$digest")
    continue
  fi
  rc=0
  # attachments first: a signature or SBOM never outlives its image by a failed run
  for suffix in sig sbom; do
    delete_ref "$RF_IMAGE_REPO:${digest/:/-}.$suffix" || { rc=$?; break; }
  done
  [ "$rc" != 0 ] || delete_ref "$RF_IMAGE_REPO@$digest" || rc=$?
  case "$rc" in
    0)
      deleted+=("$digest")
      mv -f "$file" "$(dirname "$file")/pruned.json"
      rf_log "deleted $RF_IMAGE_REPO@$digest with its signatures and SBOM"
      ;;
    1)
      refused+=("$digest")
      warnings+=(
        "the registry refused to delete $RF_IMAGE_REPO@$digest: $(rf_registry_why "$work/delete.log" "$secrets")"
      )
      rf_log "warning: ${warnings[-1]}"
      ;;
    *)
      rf_fail "prune" "could not delete $RF_IMAGE_REPO@$digest: $(rf_registry_why "$work/delete.log" "$secrets")"
      ;;
  esac
done < "$ours"

# ---------------------------------------------------------------- result
rf_step "result"
printf '{"kept":%s,"deleted":%s,"refused":%s,"warnings":%s}\n' \
  "$(rf_json_arr "${kept[@]}")" "$(rf_json_arr "${deleted[@]}")" \
  "$(rf_json_arr "${refused[@]}")" "$(rf_json_arr "${warnings[@]}")"
