#!/usr/bin/env bash
# rhcos-forge shared helpers for the build-host scripts.
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
  rf_require_match "$name" "$value" '^/[A-Za-z0-9._+@/-]*$' "an absolute path of plain characters (letters, digits, . _ - + @ /)"
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
  rf_require_match "$1" "$2" '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' "an id (a letter or digit, then letters, digits, . _ : -)"
}

# rf_require_tag <NAME> <value>: an image tag (also used as a directory name).
rf_require_tag() {
  rf_require_match "$1" "$2" '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' "a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"
}

# rf_require_ref <NAME> <value> repo|digest: a registry repository without tag or digest
# (repo), or an image pinned by digest, <repo>@sha256:<64 hex> (digest).
rf_require_ref() {
  local name="$1" value="$2" kind="$3" repo
  repo="${value%@sha256:*}"
  if [ "$kind" = digest ]; then
    rf_require_match "$name" "$value" '^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$' "an image pinned by digest (repo@sha256:<64 hex>)"
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
  [[ "$value" != *[$'\n\r\t']* ]] || rf_fail "arguments" "$name must be one line of space-separated words, got: $(rf__shown "$value")"
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
  local text
  if [ -n "${2:-}" ]; then text="$(rf_mask "$2" < "$1")"; else text="$(cat "$1")"; fi
  if grep -Eqi 'manifest unknown|manifest .* not found|not found: manifest|reading manifest .*: .*not found' <<< "$text"; then
    echo "the image does not exist in the registry (manifest unknown)"
  elif grep -Eqi 'unauthorized|authentication required|401|invalid username/password|denied' <<< "$text"; then
    echo "the registry refused the credentials (unauthorized)"
  elif grep -Eqi 'connection refused|no such host|i/o timeout|network is unreachable|server gave HTTP response to HTTPS client|x509' <<< "$text"; then
    echo "the registry is unreachable: $(grep -Eio '(connection refused|no such host|i/o timeout|network is unreachable|server gave HTTP response to HTTPS client|x509[^"]*)' <<< "$text" | head -n 1)"
  else
    grep -v '^[[:space:]]*$' <<< "$text" | tail -n 1 | cut -c1-300
  fi
}

# rf_unpack_secret_file <lineno> <kind> <dest> <field> [extra field]: a `<kind> <base64>` entry
# of a stdin bundle holding a secret (registry auth, signing key), decoded to a 0600 file; fails
# step "unpack" naming the bundle line and the entry, never the value.
rf_unpack_secret_file() {
  local lineno="$1" kind="$2" dest="$3" field="${4:-}" extra="${5:-}"
  { [ -n "$field" ] && [ -z "$extra" ]; } || rf_fail "unpack" "bundle line $lineno: $kind takes one base64 field"
  (umask 077 && printf '%s' "$field" | base64 -d > "$dest" 2>/dev/null) \
    || rf_fail "unpack" "bundle line $lineno: $kind is not valid base64"
  chmod 0600 "$dest"
}

# rf_unpack_authfile <lineno> <dest> <field> [extra field]: the `authfile <base64>` entry.
rf_unpack_authfile() {
  rf_unpack_secret_file "$1" authfile "$2" "${3:-}" "${4:-}"
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

# ---------------------------------------------------------------- RPMs and SBOM of an image
# One implementation for build-image.sh (the layered image, before and after its build) and
# sbom-image.sh (a pushed image it pulls, e.g. a cosa build): the same rpm query, the same SPDX
# document, the same attachment. They use the caller's $work, $RF_TLS_VERIFY and auth_opt array,
# and fail the caller's current step.

# rf_resolve_in_root <root> <path>: follow symlinks of path inside root
rf_resolve_in_root() {
  local root="$1" p="$2" i t
  for ((i = 0; i < 8; i++)); do
    if [ -L "$root/$p" ]; then
      t="$(readlink "$root/$p")"
      case "$t" in
        /*) p="${t#/}" ;;
        *) p="$(dirname "$p")/$t" ;;
      esac
    else
      break
    fi
  done
  printf '%s/%s' "$root" "$p"
}

# rf_rpm_list <image> <out> [sbom out]: "name<TAB>arch<TAB>[epoch:]version-release" lines of the
# image's rpmdb (podman image mount); with <sbom out>, also
# "name<TAB>epoch<TAB>version<TAB>release<TAB>arch<TAB>license<TAB>sourcerpm" lines
rf_rpm_list() {
  local image="$1" out="$2" sbom_out="${3:-}" mnt cand dbdir="" copy
  mnt="$(podman image mount "$image" 2> "$work/mount.log")" \
    || rf_fail "$RF_STEP" "podman image mount $image failed: $(tail -n 1 "$work/mount.log")"
  rf_on_exit "podman image unmount '$image' >/dev/null 2>&1"
  for cand in usr/share/rpm var/lib/rpm usr/lib/sysimage/rpm; do
    cand="$(rf_resolve_in_root "$mnt" "$cand")"
    if [ -e "$cand/rpmdb.sqlite" ] || [ -e "$cand/Packages" ] || [ -e "$cand/Packages.db" ]; then
      dbdir="$cand"
      break
    fi
  done
  copy="$work/rpmdb.$RANDOM$RANDOM"
  mkdir -p "$copy"
  if [ -n "$dbdir" ]; then
    # query a copy: never let rpm/sqlite write into the image's storage
    cp -a "$dbdir/." "$copy/"
  fi
  podman image unmount "$image" > /dev/null 2>&1 || true
  if [ -z "$dbdir" ]; then
    rf_log "no rpm database found in $image; treating it as having no packages"
    : > "$out"
    [ -z "$sbom_out" ] || : > "$sbom_out"
    return 0
  fi
  # One query in the SBOM's shape; the diff's shape is cut from it.
  rpm --dbpath "$copy" -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{LICENSE}\t%{SOURCERPM}\n' \
    2> "$work/rpm.log" | { grep -v '^gpg-pubkey	' || true; } | LC_ALL=C sort > "$work/rpmqa.$$" \
    || rf_fail "$RF_STEP" "rpm -qa on the rpm database of $image failed: $(tail -n 1 "$work/rpm.log")"
  awk -F '\t' -v OFS='\t' '{ print $1, $5, ($2 == "" ? "" : $2 ":") $3 "-" $4 }' "$work/rpmqa.$$" | LC_ALL=C sort > "$out"
  if [ -n "$sbom_out" ]; then mv -f "$work/rpmqa.$$" "$sbom_out"; else rm -f "$work/rpmqa.$$"; fi
  rm -rf "$copy"
}

# rf_sbom_push <rpms (rf_rpm_list's sbom out)> <repo> <digest> <created> <base ref|""> <source|"">:
# renders the SPDX 2.3 document of <repo>@<digest> (every RPM: name, epoch, version, release,
# arch, the RPM License tag, source RPM; the base image by digest as its origin, DESCENDANT_OF;
# <source>, "<git url>@<commit>", as what it was GENERATED_FROM) and pushes it to the repository
# as an OCI artifact whose subject is the image, tagged sha256-<hex>.sbom. podman 4.3 / skopeo 1.9
# cannot push to the OCI 1.1 referrers API and docker-registry 2.8 does not serve it, hence
# cosign's tag convention; a registry with referrers support also lists it through its subject.
# Sets RF_SBOM_JSON to {"ref":…,"digest":…,"tag":…,"packages":<n>}.
# shellcheck disable=SC2154 # auth_opt is the caller's
rf_sbom_push() {
  local rpms="$1" repo="$2" digest="$3" created="$4" base="$5" source="$6"
  local started sbom npkgs lay empty_digest empty_size doc_digest doc_size sbom_digest sbom_size sbom_tag
  rf_need jq skopeo
  started="$(date +%s%N)"
  sbom="$work/sbom.spdx.json"
  jq -n --rawfile rpms "$rpms" --arg repo "$repo" --arg digest "$digest" \
    --arg base "$base" --arg source "$source" --arg created "$created" --arg creator "Tool: rhcos-forge $RF_SCRIPT.sh" '
    def oci_purl($r; $d): "pkg:oci/\($r | split("/") | last)@\($d | sub(":"; "%3A"))?repository_url=\($r | @uri)";
    def pkg($id; $name; $version): {SPDXID: $id, name: $name, versionInfo: $version, downloadLocation: "NOASSERTION",
      filesAnalyzed: false, licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", copyrightText: "NOASSERTION"};
    ($rpms | split("\n") | map(select(length > 0) | split("\t"))) as $rows
    | ($rows | to_entries | map(.key as $i | .value as [$n, $e, $v, $r, $a, $l, $s]
        | pkg("SPDXRef-rpm-\($i)"; $n; (if $e == "" then "" else "\($e):" end) + "\($v)-\($r)")
        + {supplier: "NOASSERTION", sourceInfo: "built from source RPM \($s)", licenseComments: "RPM License tag: \($l)",
           externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
             referenceLocator: ("pkg:rpm/\($n | @uri)@\($v)-\($r)?arch=\($a)" + (if $e == "" then "" else "&epoch=\($e)" end) + "&upstream=\($s | @uri)")}]})) as $packages
    | (if $base == "" then [] else ($base | split("@")) as $b | [pkg("SPDXRef-base"; $b[0]; $b[1])
        + {primaryPackagePurpose: "CONTAINER", comment: "the base image the build started FROM",
           externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: oci_purl($b[0]; $b[1])}]}] end) as $origin
    | (if $source == "" then [] else [pkg("SPDXRef-source"; ($source | sub("@[^@]*$"; "")); ($source | sub("^.*@"; "")))
        + {primaryPackagePurpose: "SOURCE", downloadLocation: "git+\($source)", comment: "the OS config the image was built from"}] end) as $sources
    | {
        spdxVersion: "SPDX-2.3", dataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
        name: "\($repo)@\($digest)",
        documentNamespace: "https://rhcos-forge.invalid/spdx/\($repo | @uri)/\($digest)",
        creationInfo: {created: $created, creators: [$creator]},
        documentDescribes: ["SPDXRef-image"],
        packages: ([
          pkg("SPDXRef-image"; $repo; $digest) + {primaryPackagePurpose: "CONTAINER",
            externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: oci_purl($repo; $digest)}]}
        ] + $origin + $sources + $packages),
        relationships: ([
          {spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-image"}
        ] + ($origin | map({spdxElementId: "SPDXRef-image", relationshipType: "DESCENDANT_OF", relatedSpdxElement: .SPDXID}))
          + ($sources | map({spdxElementId: "SPDXRef-image", relationshipType: "GENERATED_FROM", relatedSpdxElement: .SPDXID}))
          + ($packages | map({spdxElementId: "SPDXRef-image", relationshipType: "CONTAINS", relatedSpdxElement: .SPDXID})))
      }' > "$sbom" || rf_fail "$RF_STEP" "could not render the SPDX document"
  npkgs="$(jq '[.packages[] | select(.SPDXID | startswith("SPDXRef-rpm-"))] | length' "$sbom")"

  # the artifact: an OCI layout holding the document, pushed by skopeo as it is (no conversion)
  lay="$work/sbom-layout"
  mkdir -p "$lay/blobs/sha256"
  printf '{}' > "$work/empty.json"
  read -r empty_digest empty_size < <(rf_oci_add_blob "$lay" "$work/empty.json")
  read -r doc_digest doc_size < <(rf_oci_add_blob "$lay" "$sbom")
  skopeo inspect --raw "--tls-verify=$RF_TLS_VERIFY" "${auth_opt[@]}" "docker://$repo@$digest" > "$work/image.manifest" 2> "$work/inspect.log" \
    || rf_fail "$RF_STEP" "could not read the manifest of $repo@$digest: $(rf_registry_why "$work/inspect.log")"
  jq -cn --arg ed "$empty_digest" --argjson es "$empty_size" --arg dd "$doc_digest" --argjson ds "$doc_size" \
    --arg mt "$(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$work/image.manifest")" \
    --arg d "$digest" --argjson s "$(stat -c %s "$work/image.manifest")" --arg created "$created" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "application/spdx+json",
      config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $ed, size: $es},
      layers: [{mediaType: "application/spdx+json", digest: $dd, size: $ds, annotations: {"org.opencontainers.image.title": "sbom.spdx.json"}}],
      subject: {mediaType: $mt, digest: $d, size: $s},
      annotations: {"org.opencontainers.image.created": $created}}' > "$work/sbom.manifest"
  read -r sbom_digest sbom_size < <(rf_oci_add_blob "$lay" "$work/sbom.manifest")
  printf '{"imageLayoutVersion":"1.0.0"}' > "$lay/oci-layout"
  jq -cn --arg d "$sbom_digest" --argjson s "$sbom_size" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "sbom"}}]}' \
    > "$lay/index.json"
  sbom_tag="$repo:${digest/:/-}.sbom"
  : > "$work/sbom.nosecrets"
  if ! rf_run_logged "$work/sbom-push.log" "$work/sbom.nosecrets" skopeo --insecure-policy copy --quiet --preserve-digests \
    "--dest-tls-verify=$RF_TLS_VERIFY" "${auth_opt[@]}" "oci:$lay:sbom" "docker://$sbom_tag"; then
    rf_fail "$RF_STEP" "could not push $sbom_tag: $(rf_registry_why "$work/sbom-push.log")"
  fi
  # shellcheck disable=SC2034 # read by the caller
  RF_SBOM_JSON="{\"ref\":$(rf_json_str "$repo@$sbom_digest"),\"digest\":$(rf_json_str "$sbom_digest"),\"tag\":$(rf_json_str "$sbom_tag"),\"packages\":$npkgs}"
  rf_log "SBOM ($npkgs RPMs, SPDX 2.3) pushed as $sbom_tag ($sbom_digest) in $(( ($(date +%s%N) - started) / 1000000 )) ms"
}
