#!/usr/bin/env bash
# rhcos-forge release-wait.sh
#
# Waits until the cluster runs a release image: ClusterVersion `version`
# reports status.history[0].image == RF_RELEASE_IMAGE with state Completed.
# Logs every change of the CVO's progress. API errors are retried: the API
# server itself restarts during an upgrade.
#
# RF_MODE=destroy only says what `pulumi destroy` does to the cluster (nothing:
# OpenShift cannot be downgraded) and exits 0; it needs no kubeconfig.
#
# env:
#   RF_RELEASE_IMAGE      repo@sha256:<64 hex>
#   RF_TIMEOUT_SECONDS    default 10800 (3 h)
#   RF_POLL_SECONDS       default 30
#   RF_KUBE_CONTEXT       optional kubeconfig context
#   RF_MODE               wait (default) | destroy
#
# stdin: the kubeconfig (RF_MODE=wait); written to a 0600 file, never printed.
#
# stdout (last line): {"image":"…","version":"…","state":"Completed"}
set -euo pipefail
RF_SCRIPT="release-wait"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RF_ROOT="${RF_ROOT:-/var/lib/rhcos-forge}"
RF_RELEASE_IMAGE="${RF_RELEASE_IMAGE:-}"
RF_TIMEOUT_SECONDS="${RF_TIMEOUT_SECONDS:-10800}"
RF_POLL_SECONDS="${RF_POLL_SECONDS:-30}"
RF_KUBE_CONTEXT="${RF_KUBE_CONTEXT:-}"
RF_MODE="${RF_MODE:-wait}"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
[[ "$RF_RELEASE_IMAGE" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$ ]] \
  || rf_fail "arguments" "RF_RELEASE_IMAGE must be a release image pinned by digest (repo@sha256:<64 hex>), got: '$RF_RELEASE_IMAGE'"
[[ "$RF_TIMEOUT_SECONDS" =~ ^[0-9]+$ ]] || rf_fail "arguments" "RF_TIMEOUT_SECONDS must be a number of seconds"
{ [[ "$RF_POLL_SECONDS" =~ ^[0-9]+$ ]] && [ "$RF_POLL_SECONDS" -ge 1 ]; } || rf_fail "arguments" "RF_POLL_SECONDS must be a positive number of seconds"
[ -z "$RF_KUBE_CONTEXT" ] || [[ "$RF_KUBE_CONTEXT" =~ ^[A-Za-z0-9@:/._-]+$ ]] \
  || rf_fail "arguments" "RF_KUBE_CONTEXT must be a kubeconfig context name"

if [ "$RF_MODE" = destroy ]; then
  rf_log "pulumi destroy leaves the cluster on $RF_RELEASE_IMAGE: OpenShift cannot be downgraded, so rhcos-forge does not touch ClusterVersion on destroy. To move on, upgrade to another release (oc adm upgrade --to-image <release@digest> --allow-explicit-upgrade)."
  printf '{"image":%s,"retained":true}\n' "$(rf_json_str "$RF_RELEASE_IMAGE")"
  exit 0
fi
[ "$RF_MODE" = wait ] || rf_fail "arguments" "RF_MODE must be wait or destroy, got: '$RF_MODE'"

# ---------------------------------------------------------------- tools
rf_step "tools"
kube=""
for t in oc kubectl; do
  if command -v "$t" > /dev/null 2>&1; then kube="$t"; break; fi
done
[ -n "$kube" ] || rf_fail "tools" "neither oc nor kubectl was found on the build host: install the OpenShift CLI (oc) to watch the ClusterVersion"

mkdir -p "$RF_ROOT/tmp"
chmod 0700 "$RF_ROOT/tmp"
work="$(mktemp -d "$RF_ROOT/tmp/release-wait.XXXXXX")"
rf_on_exit "rm -rf '$work'"
kubeconfig="$work/kubeconfig"
(umask 077 && cat > "$kubeconfig") || rf_fail "tools" "could not read the kubeconfig from stdin"
[ -s "$kubeconfig" ] || rf_fail "tools" "no kubeconfig on stdin"
secrets="$work/secrets"
sed -nE 's/^[[:space:]]*(token|client-key-data|client-certificate-data|password)[[:space:]]*:[[:space:]]*"?([^"[:space:]]+)"?.*$/\2/p' "$kubeconfig" > "$secrets" || true
kube_opts=(--kubeconfig "$kubeconfig")
[ -z "$RF_KUBE_CONTEXT" ] || kube_opts+=(--context "$RF_KUBE_CONTEXT")

# ---------------------------------------------------------------- wait
rf_step "wait"
jsonpath='{.status.history[0].image}{"\t"}{.status.history[0].state}{"\t"}{.status.history[0].version}{"\t"}{.status.desired.image}{"\t"}{range .status.conditions[?(@.type=="Progressing")]}{.message}{end}{"\t"}{range .status.conditions[?(@.type=="Failing")]}{.status}{": "}{.message}{end}'
deadline=$((SECONDS + RF_TIMEOUT_SECONDS))
last=""
status=""
while :; do
  if "$kube" "${kube_opts[@]}" get clusterversion version -o "jsonpath=$jsonpath" > "$work/status" 2> "$work/get.log"; then
    IFS=$'\t' read -r image state version desired progressing failing < "$work/status" || true
    status="history[0]=${image:-?} (${state:-?}, ${version:-?}); desired=${desired:-?}; ${progressing:-}"
    [ -z "${failing:-}" ] || [[ "$failing" == False* ]] || status+="; failing: $failing"
    if [ "$status" != "$last" ]; then
      rf_log "$(printf '%s' "$status" | rf_mask "$secrets")"
      last="$status"
    fi
    if [ "${image:-}" = "$RF_RELEASE_IMAGE" ] && [ "${state:-}" = Completed ]; then
      printf '{"image":%s,"version":%s,"state":"Completed"}\n' "$(rf_json_str "$image")" "$(rf_json_str "${version:-}")"
      exit 0
    fi
  else
    rf_log "reading ClusterVersion failed (retrying): $(rf_mask "$secrets" < "$work/get.log" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-200)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    rf_fail "wait" "the cluster did not finish updating to $RF_RELEASE_IMAGE within ${RF_TIMEOUT_SECONDS}s; last status: $(printf '%s' "${status:-unknown}" | rf_mask "$secrets")"
  fi
  sleep "$RF_POLL_SECONDS"
done
