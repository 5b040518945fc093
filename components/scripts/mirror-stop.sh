#!/usr/bin/env bash
# rhcos-forge mirror-stop.sh
#
# Run by RepoMirror on `pulumi destroy`: stops serving the mirror the way repo-mirror.sh started
# it. The mirrored RPMs stay on disk (a re-create then syncs only what changed); the volume of a
# DigitalOcean host goes with the host.
#
# env:
#   RF_ROOT               work dir (default /var/lib/rhcos-forge)
#   RF_SERVE_MODE         systemd (default) | background | none
#   RF_SYSTEMD_UNIT_DIR   where the unit lives (default /etc/systemd/system)
#
# stdout (last line): {"stopped":true|false}  (false: nothing was running)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_init - RF_ROOT=/var/lib/rhcos-forge RF_SERVE_MODE=systemd RF_SYSTEMD_UNIT_DIR=/etc/systemd/system

UNIT_NAME="rhcos-forge-mirror.service"

rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
# RF_SERVE_MODE: the case below refuses anything but systemd, background or none before acting.
rf_require_path RF_SYSTEMD_UNIT_DIR "$RF_SYSTEMD_UNIT_DIR"

stopped=false
case "$RF_SERVE_MODE" in
  none) ;;
  background)
    rf_step "stop background server"
    pidfile="$RF_ROOT/mirror-server.pid"
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    # Only a process that is still our server (mirror-server.py, or an older rhcos-forge's
    # python3 -m http.server): a stale pid may belong to anything by now.
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
      && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'mirror-server\.py|http\.server'; then
      kill "$pid" || rf_fail "stop background server" "could not signal pid $pid"
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      ! kill -0 "$pid" 2>/dev/null || rf_fail "stop background server" "pid $pid did not exit"
      stopped=true
      rf_log "mirror server (pid $pid) stopped"
    fi
    rm -f "$pidfile" "$RF_ROOT/mirror-server.conf" "$RF_ROOT/mirror-server.cmd" "$RF_ROOT/mirror-server.addr"
    ;;
  systemd)
    rf_step "stop systemd unit"
    unit="$RF_SYSTEMD_UNIT_DIR/$UNIT_NAME"
    if [ -f "$unit" ]; then
      rf_need systemctl
      systemctl disable --now "$UNIT_NAME" >&2 \
        || rf_fail "stop systemd unit" "systemctl disable --now $UNIT_NAME failed"
      rm -f "$unit"
      systemctl daemon-reload >&2 || rf_fail "stop systemd unit" "systemctl daemon-reload failed"
      stopped=true
      rf_log "$UNIT_NAME disabled and removed"
    fi
    ;;
  *) rf_fail "arguments" "RF_SERVE_MODE must be systemd, background or none, got: '$RF_SERVE_MODE'" ;;
esac

printf '{"stopped":%s}\n' "$stopped"
