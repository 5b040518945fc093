#!/usr/bin/env bash
# rhcos-forge rhsm-register.sh
#
# Registers a RHEL build host with subscription-manager (org + activation key)
# or unregisters it. Registered, podman passes the host's entitlement into
# every RUN of a build (the "entitled RHEL host" of the OpenShift layering docs).
#
# subscription-manager takes an activation key only as a command-line option
# (`register --activationkey`, candlepin/subscription-manager
# src/subscription_manager/cli_command/register.py: no file, stdin or prompt
# for it), and a command line is readable by every user of the host in
# /proc/<pid>/cmdline. So the CLI is not started as a process of its own: a
# python3 reads org and key from 0600 files and runs subscription-manager's
# own script in-process (runpy, as __main__) with them in sys.argv, which
# never reaches the kernel's view of the command line. The process list shows
# only `python3 <work>/register.py <cli> <org file> <key file>`.
#
# env:
#   RF_ROOT          work dir (default /var/lib/rhcos-forge)
#   RF_RHSM_ACTION   register (default) | unregister
#   RF_RHSM_CLI      subscription-manager (default /usr/sbin/subscription-manager;
#                    must be a Python script, as it is on RHEL)
#
# stdin (register):
#   rhcos-forge-bundle v1
#   secret <base64 "org"> <base64 org id>
#   secret <base64 "activationkey"> <base64 activation key>
#
# stdout: {"registered":true|false,"changed":true|false}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-bundle.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bundle.sh"
rf_init 077 RF_ROOT=/var/lib/rhcos-forge RF_RHSM_ACTION=register RF_RHSM_CLI=/usr/sbin/subscription-manager

rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
rf_require_path RF_RHSM_CLI "$RF_RHSM_CLI"
case "$RF_RHSM_ACTION" in
  register|unregister) ;;
  *) rf_fail "arguments" "RF_RHSM_ACTION must be register or unregister, got: $(rf__shown "$RF_RHSM_ACTION")" ;;
esac
[ -x "$RF_RHSM_CLI" ] \
  || rf_fail "arguments" "$RF_RHSM_CLI is not installed" \
    "(buildHost.register needs a RHEL host with subscription-manager)"
rf_need python3

registered() { "$RF_RHSM_CLI" identity > /dev/null 2>&1; }

if [ "$RF_RHSM_ACTION" = unregister ]; then
  rf_step "unregister"
  if ! registered; then
    printf '{"registered":false,"changed":false}\n'
    exit 0
  fi
  rf_work_dir
  : > "$work/nosecrets"
  rf_run_logged "$work/unregister.log" "$work/nosecrets" "$RF_RHSM_CLI" unregister \
    || rf_fail "unregister" "subscription-manager unregister failed: $(tail -n 1 "$work/unregister.log")"
  printf '{"registered":false,"changed":true}\n'
  exit 0
fi

rf_step "unpack"
rf_work_dir
on_entry() {
  local lineno="$1" kind="$2" name
  [ "$kind" = secret ] || rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'"
  name="$(rf_b64_field "$lineno" name "${3:-}")"
  case "$name" in
    org|activationkey) rf_unpack_secret_file "$lineno" "secret $name" "$work/$name" "${4:-}" "${5:-}" ;;
    *) rf_fail "unpack" "bundle line $lineno: unknown secret '$name' (org or activationkey)" ;;
  esac
}
rf_read_bundle bundle on_entry
for name in org activationkey; do
  [ -s "$work/$name" ] || rf_fail "unpack" "the bundle has no $name"
done
# Hidden from the tool's output (it echoes the organization it registers to).
cat "$work/org" > "$work/secrets"
printf '\n' >> "$work/secrets"
cat "$work/activationkey" >> "$work/secrets"

rf_step "register"
if registered; then
  rf_log "the host is already registered; not registering again"
  printf '{"registered":true,"changed":false}\n'
  exit 0
fi
head -n 1 "$RF_RHSM_CLI" | grep -Eq '^#!.*python' \
  || rf_fail "register" "$RF_RHSM_CLI is not a Python script," \
    "so the activation key cannot be kept off its command line; refusing"
cat > "$work/register.py" <<'PY'
import runpy, sys
cli, org_file, key_file = sys.argv[1:4]
with open(org_file) as f:
    org = f.read().strip()
with open(key_file) as f:
    key = f.read().strip()
sys.argv = [cli, "register", "--org", org, "--activationkey", key]
runpy.run_path(cli, run_name="__main__")
PY
if ! rf_run_logged "$work/register.log" "$work/secrets" \
  python3 "$work/register.py" "$RF_RHSM_CLI" "$work/org" "$work/activationkey"; then
  rf_fail "register" \
    "subscription-manager register failed: $(grep -v '^[[:space:]]*$' "$work/register.log" | tail -n 1 | cut -c1-300)"
fi
registered || rf_fail "register" "subscription-manager register reported success but the host has no identity"
printf '{"registered":true,"changed":true}\n'
