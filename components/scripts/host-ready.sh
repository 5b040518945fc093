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
#   RF_CLOUD_INIT_ENABLED  file cloud-init's systemd generator writes when it runs this boot
#                          (default /run/cloud-init/enabled)
#   RF_NEED_KVM            1: the host must offer KVM (image.builder cosa), checked first (default 0)
#   RF_KVM_DEVICE          KVM device (default /dev/kvm)
#
# stdout: {"ready":true,"arch":"x86_64","podman":"<version>"}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_init - RF_ROOT=/var/lib/rhcos-forge RF_CLOUD_INIT_TIMEOUT=900 RF_CLOUD_INIT_ENABLED=/run/cloud-init/enabled \
  RF_NEED_KVM=0 RF_KVM_DEVICE=/dev/kvm
# Set but empty means "check no tool", so only an unset list takes the default.
RF_REQUIRED_TOOLS="${RF_REQUIRED_TOOLS-podman skopeo createrepo_c dnf}"

rf_require_path RF_ROOT "$RF_ROOT"
rf_require_words RF_REQUIRED_TOOLS "$RF_REQUIRED_TOOLS" '^[A-Za-z0-9_][A-Za-z0-9._+-]*$' "a command name"
[[ "$RF_CLOUD_INIT_TIMEOUT" =~ ^[0-9]+$ ]] \
  || rf_fail "arguments" "RF_CLOUD_INIT_TIMEOUT must be a number of seconds"
rf_require_bool RF_NEED_KVM "$RF_NEED_KVM"
rf_require_path RF_CLOUD_INIT_ENABLED "$RF_CLOUD_INIT_ENABLED"
rf_require_path RF_KVM_DEVICE "$RF_KVM_DEVICE"

# First, before waiting on anything: a cosa build needs KVM, and a host without it (a cloud VM
# without nested virtualization) can do nothing useful for this stack. cosa-build.sh checks again.
if [ "$(rf_bool "$RF_NEED_KVM")" = true ]; then
  rf_step "kvm"
  if [ ! -c "$RF_KVM_DEVICE" ] || [ ! -r "$RF_KVM_DEVICE" ] || [ ! -w "$RF_KVM_DEVICE" ]; then
    rf_fail "kvm" "rhcos-forge:image.builder is cosa, which needs KVM, but $RF_KVM_DEVICE is not a character device" \
      "this user can read and write on the build host: pick a host or droplet size with nested virtualization" \
      "(or a bare-metal host), or use rhcos-forge:image.builder podman"
  fi
fi

# Only where cloud-init runs this boot (a droplet): installed but not run (a workstation, a CI
# machine, a container), `cloud-init status --wait` would wait for a boot stage that never comes.
# cloud-init's systemd generator writes /run/cloud-init/enabled early in a boot it runs in
# (systemd/cloud-init-generator.tmpl, RUN_ENABLED_FILE), before sshd starts; and `cloud-init
# status` says "not run" or "disabled" where it has nothing to finish. On a droplet cloud-init has
# started before sshd accepts the connection, so it reports "running" or "done" there.
ci_status=""
if command -v cloud-init >/dev/null 2>&1 && [ -e "$RF_CLOUD_INIT_ENABLED" ]; then
  ci_status=$(cloud-init status 2>/dev/null || true)
fi
if [[ -n "$ci_status" && "$ci_status" != *"status: not run"* && "$ci_status" != *"status: disabled"* ]]; then
  rf_step "cloud-init"
  rc=0
  timeout "$RF_CLOUD_INIT_TIMEOUT" cloud-init status --wait >&2 || rc=$?
  case "$rc" in
    0) ;;
    2) rf_log "cloud-init finished degraded (recoverable errors); continuing" ;;
    124) rf_fail "cloud-init" "cloud-init did not finish within ${RF_CLOUD_INIT_TIMEOUT}s" ;;
    *) rf_fail "cloud-init" "cloud-init status --wait exited $rc (cloud-init reported an error)" ;;
  esac
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
