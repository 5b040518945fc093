#!/usr/bin/env bash
# rhcos-forge host-ready.sh
#
# Makes sure the build host is usable: waits for cloud-init (when present),
# checks the tools the other scripts need, creates the work directory.
#
# env:
#   RF_ROOT                work dir on the host (default /var/lib/rhcos-forge)
#   RF_REQUIRED_TOOLS      space-separated (default "podman skopeo createrepo_c dnf")
#   RF_CLOUD_INIT_TIMEOUT  seconds to wait for cloud-init (default 900)
#
# stdout: {"ready":true,"arch":"x86_64","podman":"<version>"}
set -euo pipefail
RF_SCRIPT="host-ready"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RF_ROOT="${RF_ROOT:-/var/lib/rhcos-forge}"
RF_REQUIRED_TOOLS="${RF_REQUIRED_TOOLS-podman skopeo createrepo_c dnf}"
RF_CLOUD_INIT_TIMEOUT="${RF_CLOUD_INIT_TIMEOUT:-900}"

rf_require_path RF_ROOT "$RF_ROOT"
rf_require_words RF_REQUIRED_TOOLS "$RF_REQUIRED_TOOLS" '^[A-Za-z0-9_][A-Za-z0-9._+-]*$' "a command name"
[[ "$RF_CLOUD_INIT_TIMEOUT" =~ ^[0-9]+$ ]] \
  || rf_fail "arguments" "RF_CLOUD_INIT_TIMEOUT must be a number of seconds"

if command -v cloud-init >/dev/null 2>&1; then
  rf_step "cloud-init"
  # `cloud-init status --wait` waits for as long as the status is "not run": forever on a host
  # where cloud-init is installed but nothing starts it (no systemd, as in a container or a CI VM;
  # installed after boot). A host cloud-init sets up (a droplet) is past "not run" by the time SSH
  # reaches it: its host key and authorized key are what cloud-init installs.
  ci_status=$(cloud-init status 2>/dev/null || true)
  if [ "$ci_status" = "status: not run" ]; then
    rf_log "cloud-init is installed but has not run on this host (status: not run); not waiting for it"
  else
    rc=0
    timeout "$RF_CLOUD_INIT_TIMEOUT" cloud-init status --wait >&2 || rc=$?
    case "$rc" in
      0) ;;
      2) rf_log "cloud-init finished degraded (recoverable errors); continuing" ;;
      124) rf_fail "cloud-init" "cloud-init did not finish within ${RF_CLOUD_INIT_TIMEOUT}s" ;;
      *) rf_fail "cloud-init" "cloud-init status --wait exited $rc (cloud-init reported an error)" ;;
    esac
  fi
fi

rf_step "check tools"
read -r -a tools <<< "$RF_REQUIRED_TOOLS"
missing=()
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ "${#missing[@]}" -gt 0 ]; then
  rf_fail "check tools" "missing on the build host: ${missing[*]}"
fi

for t in "${tools[@]}"; do
  if [ "$t" = dnf ]; then
    rf_step "check dnf reposync"
    if ! dnf reposync --help >/dev/null 2>&1; then
      rf_fail "check dnf reposync" "'dnf reposync --help' failed; install dnf-plugins-core"
    fi
  fi
done

rf_step "mkdir"
if [ ! -d "$RF_ROOT" ]; then
  mkdir -p "$RF_ROOT" || rf_fail "mkdir" "could not create $RF_ROOT"
  chmod 0700 "$RF_ROOT" || rf_fail "mkdir" "could not chmod $RF_ROOT"
fi

arch="$(uname -m)"
podman_version=""
if command -v podman >/dev/null 2>&1; then
  podman_version="$(podman --version 2>/dev/null | awk '{print $NF}')" || podman_version=""
fi

printf '{"ready":true,"arch":%s,"podman":%s}\n' "$(rf_json_str "$arch")" "$(rf_json_str "$podman_version")"
