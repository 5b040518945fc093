#!/usr/bin/env bash
# rhcos-forge shared helpers for the build-host scripts: logging, failure, input validators,
# atomic writes, masked logs. Bundles (lib-bundle.sh), registries (lib-registry.sh) and SBOMs
# (lib-sbom.sh) are files of their own, sourced only by the scripts that use them, so a step ships
# and hashes (components/host/step.ts) only the code it runs.
#
# Sourced (never run) by the scripts beside it:
#   RF_SCRIPT=<name>
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Conventions every script follows:
#   * progress goes to stderr (rf_log); stdout carries only the final JSON line;
#   * a failure prints exactly one line to stderr,
#       rhcos-forge <script>: step "<step>" failed: <why>
#     (after the failing tool's own output) and exits non-zero;
#   * secrets are never printed and never put on a command line.
# shellcheck shell=bash

set -Eeuo pipefail

: "${RF_SCRIPT:=$(basename "${0%.sh}")}"
RF_STEP="start"

# Marker so that a failure reported inside a subshell is not reported again by
# the ERR trap of the parent shell ("exactly one line").
RF__ERRMARK="$(mktemp "${TMPDIR:-/tmp}/rhcos-forge-err.XXXXXX")"
rm -f "$RF__ERRMARK"
RF__MAINPID="$BASHPID"

# Cleanup hooks run on EXIT (LIFO order is not needed; keep it simple).
RF__CLEANUPS=()

rf_log() {
  printf 'rhcos-forge %s: %s\n' "$RF_SCRIPT" "$*" >&2
}

# rf_step <name>: name the step that the following commands belong to. With
# RF_LOG_TIMES=1 (the bench sets it) the line also carries the epoch time in
# milliseconds, so a reader can see where a step's time goes.
rf_step() {
  RF_STEP="$1"
  if [[ "${RF_LOG_TIMES:-}" == 1 ]]; then
    rf_log "step \"$1\" at $(date +%s%3N)"
  else
    rf_log "step \"$1\""
  fi
}

# rf_fail <step> <why...>: print the single error line and exit 1.
rf_fail() {
  local step="$1"
  shift
  local why="$*"
  why="${why//$'\r'/ }"
  why="${why//$'\n'/ }"
  : > "$RF__ERRMARK" 2>/dev/null || true
  printf 'rhcos-forge %s: step "%s" failed: %s\n' "$RF_SCRIPT" "$step" "$why" >&2
  exit 1
}

rf__on_err() {
  local rc="$1" cmd="$2"
  if [ -e "$RF__ERRMARK" ]; then
    exit "$rc"
  fi
  : > "$RF__ERRMARK" 2>/dev/null || true
  cmd="${cmd//$'\n'/ }"
  printf 'rhcos-forge %s: step "%s" failed: command exited %s: %s\n' \
    "$RF_SCRIPT" "$RF_STEP" "$rc" "$cmd" >&2
  exit "$rc"
}

rf__on_exit() {
  local rc=$? c
  if [ "$BASHPID" = "$RF__MAINPID" ]; then
    for c in "${RF__CLEANUPS[@]}"; do
      eval "$c" || true
    done
  fi
  if [ "$BASHPID" = "$RF__MAINPID" ]; then
    rm -f "$RF__ERRMARK"
  fi
  exit "$rc"
}

# rf_on_exit <shell snippet>: register a cleanup to run when the script exits.
rf_on_exit() {
  RF__CLEANUPS+=("$1")
}

# rf_work_dir: sets $work to a fresh scratch directory of this run under the private (0700)
# $RF_ROOT/tmp, removed on exit. Not in a subshell: the cleanup must register in this shell.
rf_work_dir() {
  mkdir -p "$RF_ROOT/tmp"
  chmod 0700 "$RF_ROOT/tmp"
  rf_scratch_dir "$RF_ROOT/tmp" "$RF_SCRIPT"
}

# rf_scratch_dir <parent> <name>: sets $work to a fresh <parent>/<name>.<pid>.XXXXXX, removed on
# exit, after removing the scratch directories of earlier runs whose process is gone. A cancelled
# `pulumi up` ends a step with SIGKILL (pulumi-command v1.2.1 runs local commands with
# exec.CommandContext, provider/pkg/provider/local/commandOutputs.go), and a killed engine or
# host ends it without any trap running: the next run is the one that can clean up, and these
# directories may hold a run's secrets (auth.json, the mirror's password).
rf_scratch_dir() {
  local parent="$1" name="$2" d pid
  for d in "$parent/$name".*; do
    [ -d "$d" ] || continue
    pid="${d#"$parent/$name".}"
    pid="${pid%%.*}"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
  work="$(mktemp -d "$parent/$name.$$.XXXXXX")"
  rf_on_exit "rm -rf '$work'"
}

trap 'rf__on_err $? "$BASH_COMMAND"' ERR
trap rf__on_exit EXIT

# rf_json_str <string>: print the string as a JSON string literal (with quotes).
rf_json_str() {
  local s="$1" out="" c i code
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  s="${s//$'\b'/\\b}"
  s="${s//$'\f'/\\f}"
  if [[ "$s" == *[[:cntrl:]]* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c="${s:i:1}"
      if [[ "$c" == [[:cntrl:]] ]]; then
        printf -v code '%d' "'$c"
        printf -v c '\\u%04x' "$code"
      fi
      out+="$c"
    done
    s="$out"
  fi
  printf '"%s"' "$s"
}

# rf_json_arr <items...>: print a JSON array of strings.
rf_json_arr() {
  local first=1 item
  printf '['
  for item in "$@"; do
    [ "$first" = 1 ] || printf ','
    first=0
    rf_json_str "$item"
  done
  printf ']'
}

# rf_bool <value>: normalise 1/true/yes/on to true, everything else to false.
rf_bool() {
  case "${1,,}" in
    1|true|yes|on) echo true ;;
    *) echo false ;;
  esac
}

# rf_sha256_stdin: hex sha256 of stdin.
rf_sha256_stdin() {
  sha256sum | cut -d' ' -f1
}

# rf_need <tool...>: fail the current step if a tool is missing.
rf_need() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    rf_fail "$RF_STEP" "required tool(s) not found on the build host: ${missing[*]}"
  fi
}

# rf_init <umask|-> [NAME=default...]: how every script starts: its umask ("-": the caller's),
# then each RF_* input it takes, set to its default where the caller left it unset or empty
# (`${NAME:-default}`).
rf_init() {
  local kv name
  [ "$1" = - ] || umask "$1"
  shift
  for kv in "$@"; do
    name="${kv%%=*}"
    [ -n "${!name:-}" ] || printf -v "$name" '%s' "${kv#*=}"
  done
}

# ---------------------------------------------------------------- input validators
# Every script checks its RF_* inputs with these before acting: a malformed value fails step
# "arguments" with the script's own error line, naming the variable (the value is shown
# %q-quoted and cut short, so it can never run or span lines).

# rf__shown <value>: the value as a one-line, shell-quoted, bounded string for an error line.
rf__shown() {
  local v="${1:0:120}"
  printf '%q' "$v"
  [ "${#1}" -le 120 ] || printf '...'
}

# rf_require_match <NAME> <value> <ERE> <what>: the whole value matches ERE.
rf_require_match() {
  [[ "$2" =~ $3 ]] || rf_fail "arguments" "$1 must be $4, got: $(rf__shown "$2")"
}

# rf_require_path <NAME> <value> [<root>]: an absolute path of plain characters
# (letters, digits, . _ - + @ /) without a '..' component; with <root>, inside <root>.
rf_require_path() {
  local name="$1" value="$2" root="${3:-}" part parts
  rf_require_match "$name" "$value" '^/[A-Za-z0-9._+@/-]*$' \
    "an absolute path of plain characters (letters, digits, . _ - + @ /)"
  IFS=/ read -r -a parts <<< "$value"
  for part in "${parts[@]}"; do
    [ "$part" != ".." ] || rf_fail "arguments" "$name must not contain a '..' component, got: $(rf__shown "$value")"
  done
  if [ -n "$root" ]; then
    case "${value%/}/" in
      "${root%/}"/*) ;;
      *) rf_fail "arguments" "$name must be inside $root, got: $(rf__shown "$value")" ;;
    esac
  fi
}

# rf_require_id <NAME> <value>: a plain identifier usable as one path component and a dnf
# section name (letters, digits, then . _ : -; at most 128), never '.' or '..'.
rf_require_id() {
  rf_require_match "$1" "$2" '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' \
    "an id (a letter or digit, then letters, digits, . _ : -)"
}

# rf_require_tag <NAME> <value>: an image tag (also used as a directory name).
rf_require_tag() {
  rf_require_match "$1" "$2" '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' \
    "a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"
}

# rf_require_ref <NAME> <value> repo|digest: a registry repository without tag or digest
# (repo), or an image pinned by digest, <repo>@sha256:<64 hex> (digest).
rf_require_ref() {
  local name="$1" value="$2" kind="$3" repo
  repo="${value%@sha256:*}"
  if [ "$kind" = digest ]; then
    rf_require_match "$name" "$value" '^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$' \
      "an image pinned by digest (repo@sha256:<64 hex>)"
  fi
  { [[ "$repo" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ ]] && [[ "$repo" == */* ]] && [[ "${repo##*/}" != *:* ]] \
    && [[ "/$repo/" != */../* ]] && [[ "$repo" != *//* ]]; } \
    || rf_fail "arguments" "$name must be a registry repository without tag or digest, got: $(rf__shown "$value")"
}

# rf_require_port <NAME> <value>: a TCP port, 1-65535.
rf_require_port() {
  { [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]] && [ "$2" -le 65535 ]; } \
    || rf_fail "arguments" "$1 must be a port number (1-65535), got: $(rf__shown "$2")"
}

# rf_require_uint <NAME> <value>: a whole number (seconds, counts), at most 9 digits.
rf_require_uint() {
  rf_require_match "$1" "$2" '^[0-9]{1,9}$' "a whole number"
}

# rf_require_bool <NAME> <value>: 1/0, true/false, yes/no, on/off (any case). A typo must not
# quietly turn into false: RF_TLS_VERIFY=treu would otherwise disable TLS checks.
rf_require_bool() {
  case "${2,,}" in
    1|0|true|false|yes|no|on|off) ;;
    *) rf_fail "arguments" "$1 must be true or false (1/0, yes/no, on/off), got: $(rf__shown "$2")" ;;
  esac
}

# rf_require_words <NAME> <value> <ERE> <what>: each space-separated word matches ERE.
rf_require_words() {
  local name="$1" value="$2" re="$3" what="$4" w words
  [[ "$value" != *[$'\n\r\t']* ]] \
    || rf_fail "arguments" "$name must be one line of space-separated words, got: $(rf__shown "$value")"
  read -r -a words <<< "$value"
  for w in "${words[@]}"; do
    [[ "$w" =~ $re ]] || rf_fail "arguments" "$name: each word must be $what, got: $(rf__shown "$w")"
  done
}

# rf_atomic_write <path> <mode>: write stdin to path via temp file + mv.
# Leaves the file untouched (mtime included) when the content and mode are
# already the same. Prints "changed" or "unchanged" on stdout.
rf_atomic_write() {
  local path="$1" mode="$2" dir tmp
  dir="$(dirname "$path")"
  mkdir -p "$dir"
  tmp="$(mktemp "$dir/.rhcos-forge.XXXXXX")"
  if ! cat > "$tmp"; then
    rm -f "$tmp"
    return 1
  fi
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s "$tmp" "$path" \
    && [ "$(stat -c '%a' "$path")" = "$(printf '%o' "$((8#$mode))")" ]; then
    rm -f "$tmp"
    echo unchanged
    return 0
  fi
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  echo changed
}

# rf_mask <secrets file>: filter stdin to stdout, replacing every literal
# occurrence of each line of the secrets file with *** and the user-info part
# of URLs (scheme://user:pass@host) with ***@. Line-buffered.
rf_mask() {
  local secrets="$1"
  awk -v f="$secrets" '
    BEGIN { n = 0; while ((getline l < f) > 0) { if (length(l) > 0) s[++n] = l } }
    {
      line = $0
      for (i = 1; i <= n; i++) {
        out = ""
        while ((p = index(line, s[i])) > 0) {
          out = out substr(line, 1, p - 1) "***"
          line = substr(line, p + length(s[i]))
        }
        line = out line
      }
      gsub(/:\/\/[^\/@ \t]*@/, "://***@", line)
      print line
      fflush()
    }'
}

# rf_run_logged <log> <secrets file> <cmd...>: run cmd with stdout+stderr
# masked (rf_mask), copied to stderr and to <log>. Returns cmd's exit code.
rf_run_logged() {
  local log="$1" secrets="$2" rcfile
  shift 2
  : > "$log"
  rcfile="$(mktemp "${TMPDIR:-/tmp}/rhcos-forge-rc.XXXXXX")"
  echo 0 > "$rcfile"
  { "$@" < /dev/null 2>&1 || echo "$?" > "$rcfile"; } | rf_mask "$secrets" | tee -a "$log" >&2
  local rc
  rc="$(cat "$rcfile")"
  rm -f "$rcfile"
  return "$rc"
}

# rf_port_open <host> <port>: true when something accepts TCP there.
rf_port_open() {
  local host="$1" port="$2"
  [ "$host" = "0.0.0.0" ] && host=127.0.0.1
  [ "$host" = "::" ] && host=::1
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# The background mirror server (repo-mirror.sh RF_SERVE_MODE background) as files under
# $RF_ROOT: its pid, and the command and address it was started with (mirror-server.cmd, one
# NUL-terminated word each; mirror-server.addr, "<bind> <port>"), so a later step can start it
# again after the host rebooted or the process died (build-image.sh, step "mirror").

# rf_mirror_alive: the pid in $RF_ROOT/mirror-server.pid is our server (a stale pid may be anything).
rf_mirror_alive() {
  local pid=""
  [ ! -f "$RF_ROOT/mirror-server.pid" ] || pid="$(cat "$RF_ROOT/mirror-server.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'mirror-server\.py|http\.server'
}

# rf_mirror_start <command words…>: start the server detached, record pid, command and address.
# Inherited lock descriptors (8, 9) are closed: the server must never hold a step's lock.
rf_mirror_start() {
  setsid "$@" >> "$RF_ROOT/mirror-server.log" 2>&1 < /dev/null 8>&- 9>&- &
  echo "$!" > "$RF_ROOT/mirror-server.pid"
  printf '%s\0' "$@" > "$RF_ROOT/mirror-server.cmd"
}

# rf_mirror_restart: start the recorded server again when it is not running; prints
# "restarted" or "running", or nothing when no background server was recorded.
rf_mirror_restart() {
  local -a cmd
  [ -f "$RF_ROOT/mirror-server.cmd" ] && [ -f "$RF_ROOT/mirror-server.addr" ] || return 0
  if rf_mirror_alive; then echo running; return 0; fi
  mapfile -d '' -t cmd < "$RF_ROOT/mirror-server.cmd"
  [ "${#cmd[@]}" -gt 0 ] || return 0
  rf_mirror_start "${cmd[@]}"
  local bind port i
  read -r bind port < "$RF_ROOT/mirror-server.addr"
  for ((i = 0; i < 100; i++)); do
    if rf_port_open "$bind" "$port"; then echo restarted; return 0; fi
    sleep 0.1
  done
  return 1
}
