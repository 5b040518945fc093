#!/usr/bin/env bash
# rhcos-forge put-file.sh <path> [mode]
#
# Writes stdin to <path> atomically (temp file in the same directory + mv),
# with umask 077 and the given mode (default 0600); creates the parent
# directory. Meant for secrets (registry auth.json, .repo files with
# credentials): the content is never printed, not even as a hash.
# When the file already has exactly this content and mode it is left alone.
# env: RF_ROOT (optional) - the path must then be inside it.
#
# stdout: {"path":"<path>","changed":true|false}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_init 077

rf_step "arguments"
{ [ "$#" -ge 1 ] && [ "$#" -le 2 ]; } || rf_fail "arguments" "usage: put-file.sh <path> [mode]"
path="$1"
mode="${2:-0600}"
[ -n "$path" ] || rf_fail "arguments" "empty path"
# Absolute and plain; inside RF_ROOT when the caller names the work dir.
rf_require_path "path" "$path" "${RF_ROOT:-}"
[[ "$mode" =~ ^[0-7]{3,4}$ ]] || rf_fail "arguments" "mode must be octal (e.g. 0600), got: $mode"
[ ! -d "$path" ] || rf_fail "arguments" "$path is a directory"

rf_step "write"
if ! result="$(rf_atomic_write "$path" "$mode")"; then
  rf_fail "write" "could not write $path"
fi

changed=false
[ "$result" = changed ] && changed=true
printf '{"path":%s,"changed":%s}\n' "$(rf_json_str "$path")" "$changed"
