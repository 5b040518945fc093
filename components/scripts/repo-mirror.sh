#!/usr/bin/env bash
# rhcos-forge repo-mirror.sh
#
# Mirrors upstream dnf repos (dnf reposync) and/or a named package set
# (dnf download --resolve) under one directory and serves it over HTTP so that
# `podman build` on this host can install RPMs from it. The server is
# mirror-server.py (beside this script, installed as $RF_ROOT/mirror-server.py).
#
# env:
#   RF_ROOT               work dir (default /var/lib/rhcos-forge)
#   RF_MIRROR_DIR         served root (default $RF_ROOT/mirror; must be inside RF_ROOT)
#   RF_UPSTREAM_REPOFILE  dnf .repo file defining the upstream repos (may hold
#                         username=/password=, and sslclientcert=/sslclientkey=/
#                         sslcacert= paths of PEM files put-files.sh wrote; never printed)
#   RF_REPO_IDS           space-separated repo ids to mirror into $RF_MIRROR_DIR/<id>/
#   RF_NEWEST_ONLY        1 (default) = only the newest version of each package
#   RF_PACKAGE_SET_ID     e.g. rhcos-forge-extras: package-set mode
#   RF_PACKAGES           space-separated packages for the set (may be empty)
#   RF_PACKAGE_ALLDEPS    1 = dnf download --alldeps (default 0)
#   RF_DNF_RELEASEVER     optional --releasever for dnf (hosts that cannot detect it)
#   RF_MIRROR_PORT        default 5180
#   RF_MIRROR_BIND        the IP address (or host name) the server binds (default 127.0.0.1)
#   RF_MIRROR_AUTH_FILE   HTTP basic auth: a 0600 file holding one `<user>:<password>`
#                         line (put-files.sh writes it from stdin); every request must
#                         carry those credentials. Empty: no auth.
#   RF_SERVE_MODE         systemd (default) | background | none
#   RF_SYSTEMD_UNIT_DIR   where the unit goes (default /etc/systemd/system)
#   RF_FORCE_SYNC         1 = sync even when the inputs did not change
#
# stdout: {"repos":["<id>",...],"packageSet":"<id or empty>","changed":true|false}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_init 022 RF_ROOT=/var/lib/rhcos-forge RF_UPSTREAM_REPOFILE= RF_REPO_IDS= RF_NEWEST_ONLY=1 \
  RF_PACKAGE_SET_ID= RF_PACKAGES= RF_PACKAGE_ALLDEPS=0 RF_DNF_RELEASEVER= RF_MIRROR_PORT=5180 \
  RF_MIRROR_BIND=127.0.0.1 RF_MIRROR_AUTH_FILE= RF_SERVE_MODE=systemd RF_SYSTEMD_UNIT_DIR=/etc/systemd/system \
  RF_FORCE_SYNC=0
RF_STAMP_VERSION="repo-mirror v1"
RF_MIRROR_DIR="${RF_MIRROR_DIR:-$RF_ROOT/mirror}"

UNIT_NAME="rhcos-forge-mirror.service"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
# The served tree is the work dir's: a mirror dir elsewhere would serve (and --delete) any directory.
rf_require_path RF_MIRROR_DIR "$RF_MIRROR_DIR" "$RF_ROOT"
[ -z "$RF_UPSTREAM_REPOFILE" ] || rf_require_path RF_UPSTREAM_REPOFILE "$RF_UPSTREAM_REPOFILE"
rf_require_path RF_SYSTEMD_UNIT_DIR "$RF_SYSTEMD_UNIT_DIR"
rf_require_words RF_REPO_IDS "$RF_REPO_IDS" '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' "a repo id"
[ -z "$RF_PACKAGE_SET_ID" ] || rf_require_id RF_PACKAGE_SET_ID "$RF_PACKAGE_SET_ID"
# RPM names as rhcos-forge:mirror.packageSet.packages takes them (no paths, globs or shell characters).
rf_require_words RF_PACKAGES "$RF_PACKAGES" '^[A-Za-z0-9_][A-Za-z0-9._+:~^-]*$' "an RPM package name"
[ -z "$RF_DNF_RELEASEVER" ] \
  || rf_require_match RF_DNF_RELEASEVER "$RF_DNF_RELEASEVER" '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' \
    "a release version such as 9 or 9.4"
rf_require_port RF_MIRROR_PORT "$RF_MIRROR_PORT"
rf_require_uint RF_LOCK_TIMEOUT "${RF_LOCK_TIMEOUT:-3600}"
for b in RF_NEWEST_ONLY RF_PACKAGE_ALLDEPS RF_FORCE_SYNC; do
  rf_require_bool "$b" "${!b}"
  printf -v "$b" '%s' "$(rf_bool "${!b}")"
done
read -r -a repo_ids <<< "$RF_REPO_IDS"
read -r -a packages <<< "$RF_PACKAGES"
id_re='^[A-Za-z0-9][A-Za-z0-9._:-]*$'
for id in "${repo_ids[@]}"; do
  [[ "$id" =~ $id_re ]] || rf_fail "arguments" "invalid repo id: $id"
done
if [ -n "$RF_PACKAGE_SET_ID" ]; then
  [[ "$RF_PACKAGE_SET_ID" =~ $id_re ]] || rf_fail "arguments" "invalid package set id: $RF_PACKAGE_SET_ID"
  for id in "${repo_ids[@]}"; do
    [ "$id" != "$RF_PACKAGE_SET_ID" ] || rf_fail "arguments" "package set id $id is also a repo id"
  done
fi
if [ "${#packages[@]}" -gt 0 ] && [ -z "$RF_PACKAGE_SET_ID" ]; then
  rf_fail "arguments" "RF_PACKAGES given without RF_PACKAGE_SET_ID"
fi
# An IPv4 or IPv6 address, or a host name resolving to one of this host's (mirror-server.py binds
# what getaddrinfo returns first).
{ [[ "$RF_MIRROR_BIND" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] \
  || [[ "$RF_MIRROR_BIND" =~ ^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$ ]] \
  || { [[ "$RF_MIRROR_BIND" =~ ^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$ ]] && [[ "$RF_MIRROR_BIND" =~ [A-Za-z] ]]; }; } \
  || rf_fail "arguments" "invalid RF_MIRROR_BIND (must be an IP address or a host name): $(rf__shown "$RF_MIRROR_BIND")"
case "$RF_SERVE_MODE" in
  systemd|background|none) ;;
  *) rf_fail "arguments" "RF_SERVE_MODE must be systemd, background or none, got: $RF_SERVE_MODE" ;;
esac
if [ -n "$RF_MIRROR_AUTH_FILE" ]; then
  rf_require_path RF_MIRROR_AUTH_FILE "$RF_MIRROR_AUTH_FILE"
  [ -f "$RF_MIRROR_AUTH_FILE" ] || rf_fail "arguments" "RF_MIRROR_AUTH_FILE $RF_MIRROR_AUTH_FILE does not exist"
  # Readable by root only: it holds the password every build presents.
  [ "$(stat -c '%a' "$RF_MIRROR_AUTH_FILE")" = 600 ] \
    || rf_fail "arguments" "RF_MIRROR_AUTH_FILE $RF_MIRROR_AUTH_FILE must be mode 0600"
  grep -Eq '^[^:[:space:]]+:[^[:space:]]+$' "$RF_MIRROR_AUTH_FILE" \
    || rf_fail "arguments" "RF_MIRROR_AUTH_FILE $RF_MIRROR_AUTH_FILE must hold one <user>:<password> line"
fi
server_src="$(dirname "${BASH_SOURCE[0]}")/mirror-server.py"
[ "$RF_SERVE_MODE" = none ] || [ -f "$server_src" ] \
  || rf_fail "arguments" "mirror-server.py is not beside repo-mirror.sh ($server_src)"

need_upstream=false
# "<option> = <value>" in the upstream repo file, around the equals sign
opt_eq='[[:space:]]*=[[:space:]]*'
if [ "${#repo_ids[@]}" -gt 0 ] || [ "${#packages[@]}" -gt 0 ]; then
  need_upstream=true
fi
if [ "$need_upstream" = true ]; then
  [ -n "$RF_UPSTREAM_REPOFILE" ] || rf_fail "arguments" "RF_UPSTREAM_REPOFILE is required"
  [ -f "$RF_UPSTREAM_REPOFILE" ] || rf_fail "arguments" "upstream repo file not found: $RF_UPSTREAM_REPOFILE"
  for id in "${repo_ids[@]}"; do
    grep -Eq "^[[:space:]]*\[$id\][[:space:]]*$" "$RF_UPSTREAM_REPOFILE" \
      || rf_fail "arguments" "repo id $id is not defined in $RF_UPSTREAM_REPOFILE"
  done
  # TLS files the repo file names must be there (put-files.sh writes them in the same step).
  tls_files="s/^[[:space:]]*(sslcacert|sslclientcert|sslclientkey)$opt_eq([^[:space:]]+)[[:space:]]*\$/\\1\\t\\2/p"
  while IFS=$'\t' read -r opt file; do
    [ -r "$file" ] || rf_fail "arguments" "$RF_UPSTREAM_REPOFILE names $opt $file, which does not exist"
  done < <(sed -nE "$tls_files" "$RF_UPSTREAM_REPOFILE")
fi

# repo_option <id> <option>: the option's value in the repo's section of the upstream file.
repo_option() {
  awk -v id="[$1]" -v opt="$2" '
    /^[[:space:]]*\[/ { gsub(/[[:space:]]/, ""); cur = $0; next }
    cur == id { line = $0; sub(/^[[:space:]]*/, "", line)
      if (index(line, opt) == 1) {
        v = substr(line, length(opt) + 1); sub(/^[[:space:]]*=[[:space:]]*/, "", v); print v; exit
      } }
  ' "$RF_UPSTREAM_REPOFILE"
}

# ---------------------------------------------------------------- prepare
rf_step "prepare"
state_dir="$RF_ROOT/state"
dnf_dir="$RF_ROOT/dnf"
mkdir -p "$RF_ROOT" "$RF_MIRROR_DIR" "$state_dir" "$dnf_dir"
chmod 0700 "$state_dir" "$dnf_dir"
# one mirror run at a time per RF_ROOT (dnf cache, reposdir and server state are shared)
exec 9> "$state_dir/repo-mirror.lock"
if ! flock -w "${RF_LOCK_TIMEOUT:-3600}" 9; then
  rf_fail "prepare" "another repo-mirror.sh run holds $state_dir/repo-mirror.lock"
fi
rf_scratch_dir "$RF_ROOT" .repo-mirror

# Values to hide from tool output: every password-ish value of the repo file.
secrets="$work/secrets"
: > "$secrets"
if [ "$need_upstream" = true ]; then
  sed -nE "s/^[[:space:]]*(password|proxy_password|sslclientkey_password)$opt_eq(.*[^[:space:]])[[:space:]]*\$/\\2/p" \
    "$RF_UPSTREAM_REPOFILE" > "$secrets"
  # and every line of every client key (a tool quoting a key file must not show it either)
  while IFS= read -r keyfile; do
    grep -v -e '^-----' -e '^[[:space:]]*$' "$keyfile" >> "$secrets" || true
  done < <(sed -nE "s/^[[:space:]]*sslclientkey$opt_eq([^[:space:]]+)[[:space:]]*\$/\\1/p" "$RF_UPSTREAM_REPOFILE")
fi

# A reposdir holding only the upstream repo file, so that the host's own repos
# are never used. A symlink: the credentials are not copied anywhere.
reposdir="$dnf_dir/reposdir"
mkdir -p "$reposdir"
chmod 0700 "$reposdir"
if [ "$need_upstream" = true ]; then
  target="$(readlink -f "$RF_UPSTREAM_REPOFILE")"
  if [ "$(readlink "$reposdir/upstream.repo" 2>/dev/null || true)" != "$target" ]; then
    ln -sfn "$target" "$reposdir/upstream.repo"
  fi
fi
dnf_opts=(
  "--setopt=reposdir=$reposdir"
  "--setopt=cachedir=$dnf_dir/cache"
  "--setopt=skip_if_unavailable=False"
)
[ -z "$RF_DNF_RELEASEVER" ] || dnf_opts+=("--releasever=$RF_DNF_RELEASEVER")

mirror_key="$(printf '%s' "$RF_MIRROR_DIR" | rf_sha256_stdin | cut -c1-16)"
stamp_file="$state_dir/mirror-$mirror_key.stamp"
inputs_hash="$(
  {
    printf '%s\n' "$RF_STAMP_VERSION" "$RF_MIRROR_DIR" "$RF_REPO_IDS" "$RF_NEWEST_ONLY" \
      "$RF_PACKAGE_SET_ID" "$RF_PACKAGES" "$RF_PACKAGE_ALLDEPS" "$RF_DNF_RELEASEVER"
    if [ "$need_upstream" = true ]; then cat "$RF_UPSTREAM_REPOFILE"; fi
  } | rf_sha256_stdin
)"

managed=("${repo_ids[@]}")
[ -z "$RF_PACKAGE_SET_ID" ] || managed+=("$RF_PACKAGE_SET_ID")

# fingerprint of what is served: names, sizes, mtimes of the managed dirs
fingerprint() {
  local d
  for d in "${managed[@]}"; do
    if [ -d "$RF_MIRROR_DIR/$d" ]; then
      (cd "$RF_MIRROR_DIR" && find "$d" -printf '%p\t%s\t%T@\n' | LC_ALL=C sort)
    fi
  done | rf_sha256_stdin
}

up_to_date=false
if [ "$RF_FORCE_SYNC" != true ] && [ -f "$stamp_file" ] \
  && [ "$(cat "$stamp_file")" = "$inputs_hash" ]; then
  up_to_date=true
  for d in "${managed[@]}"; do
    [ -f "$RF_MIRROR_DIR/$d/repodata/repomd.xml" ] || up_to_date=false
  done
fi

# why_from_log <log>: one short, masked reason from a dnf log
why_from_log() {
  local log="$1" line
  line="$(grep -E 'Curl error|Cannot download|Status code|Failed to download|Error:' "$log" | head -n 1 || true)"
  [ -n "$line" ] || line="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)"
  printf '%s' "$line" | sed -E 's/^[[:space:]]*(-[[:space:]]*)?//' | cut -c1-300
}
# what dnf says when an upstream repo cannot be reached or refuses the request
unreachable_re='Curl error|Cannot download|Failed to download metadata|Connection refused|Could not resolve|timed out'

# createrepo_for <step> <dir> [createrepo_c flags]
createrepo_for() {
  local step="$1" dir="$2"
  shift 2
  if ! rf_run_logged "$work/createrepo.log" "$secrets" createrepo_c "$@" "$dir"; then
    rf_fail "$step" "createrepo_c failed on $dir: $(why_from_log "$work/createrepo.log")"
  fi
}

changed=false
if [ "$up_to_date" = true ]; then
  rf_log "mirror is up to date (inputs unchanged); not syncing"
else
  rf_need dnf createrepo_c
  before="$(fingerprint)"

  # ------------------------------------------------------------ reposync
  for id in "${repo_ids[@]}"; do
    rf_step "reposync $id"
    sync_opts=(--repoid="$id" --download-path="$RF_MIRROR_DIR" --download-metadata --delete)
    [ "$RF_NEWEST_ONLY" != true ] || sync_opts+=(--newest-only)
    if ! rf_run_logged "$work/reposync.log" "$secrets" dnf "${dnf_opts[@]}" reposync "${sync_opts[@]}"; then
      why="$(why_from_log "$work/reposync.log")"
      if grep -Eqi "$unreachable_re" "$work/reposync.log"; then
        hint=""
        if [ -n "$(repo_option "$id" sslclientcert)" ]; then
          hint=" (check its client certificate: rhcos-forge:mirrorClientCerts.$id, or the cluster entitlement)"
        elif [[ "$(repo_option "$id" baseurl)" == https://* ]]; then
          hint=" (if it requires a client certificate, set rhcos-forge:mirrorClientCerts.$id or entitlement: cluster)"
        fi
        rf_fail "reposync $id" "upstream repo $id is unreachable or refused the request: $why$hint"
      fi
      rf_fail "reposync $id" "dnf reposync failed for $id: $why"
    fi
    mkdir -p "$RF_MIRROR_DIR/$id"
    if [ ! -f "$RF_MIRROR_DIR/$id/repodata/repomd.xml" ]; then
      rf_step "createrepo $id"
      createrepo_for "createrepo $id" "$RF_MIRROR_DIR/$id"
    elif [ "$RF_NEWEST_ONLY" = true ]; then
      # the downloaded metadata still lists the older versions that were not
      # downloaded: drop them, keep comps/updateinfo/modules.
      rf_step "createrepo $id"
      createrepo_for "createrepo $id" "$RF_MIRROR_DIR/$id" --update --keep-all-metadata
    fi
  done

  # ------------------------------------------------------------ package set
  if [ -n "$RF_PACKAGE_SET_ID" ]; then
    set_dir="$RF_MIRROR_DIR/$RF_PACKAGE_SET_ID"
    step="download $RF_PACKAGE_SET_ID"
    rf_step "$step"
    mkdir -p "$set_dir"
    staging="$work/download"
    mkdir -p "$staging"
    if [ "${#packages[@]}" -gt 0 ]; then
      # resolve against the repos being mirrored, or every repo of the file
      dl_repos=("${repo_ids[@]}")
      if [ "${#dl_repos[@]}" -eq 0 ]; then
        mapfile -t dl_repos < <(sed -nE 's/^[[:space:]]*\[([^]]+)\][[:space:]]*$/\1/p' "$RF_UPSTREAM_REPOFILE" \
          | grep -v '^main$' || true)
      fi
      [ "${#dl_repos[@]}" -gt 0 ] || rf_fail "$step" "no repos defined in $RF_UPSTREAM_REPOFILE"
      dl_opts=(--resolve --destdir="$staging" --setopt=strict=True)
      [ "$RF_PACKAGE_ALLDEPS" != true ] || dl_opts+=(--alldeps)
      for r in "${dl_repos[@]}"; do dl_opts+=(--repo="$r"); done
      if ! rf_run_logged "$work/download.log" "$secrets" \
        dnf "${dnf_opts[@]}" download "${dl_opts[@]}" -- "${packages[@]}"; then
        why="$(why_from_log "$work/download.log")"
        if grep -Eqi "$unreachable_re" "$work/download.log"; then
          rf_fail "$step" "upstream repos unreachable or refused the request: $why"
        fi
        mapfile -t notfound < <(sed -nE 's/^(Error: )?No (package|match for argument:?) ([^ ]+)( available\.?)?$/\3/p' \
          "$work/download.log" | sort -u)
        if [ "${#notfound[@]}" -gt 0 ]; then
          rf_fail "$step" "package(s) not found in the upstream repos: ${notfound[*]}"
        fi
        rf_fail "$step" "dnf download failed: $why"
      fi
    fi
    # bring the set dir in line with the staging dir without touching
    # unchanged files
    shopt -s nullglob
    for f in "$set_dir"/*.rpm; do
      [ -e "$staging/$(basename "$f")" ] || rm -f "$f"
    done
    for f in "$staging"/*.rpm; do
      dest="$set_dir/$(basename "$f")"
      if [ -f "$dest" ] && cmp -s "$f" "$dest"; then continue; fi
      mv -f "$f" "$dest"
    done
    shopt -u nullglob
    rf_step "createrepo $RF_PACKAGE_SET_ID"
    createrepo_for "createrepo $RF_PACKAGE_SET_ID" "$set_dir" --update
  fi

  printf '%s\n' "$inputs_hash" > "$stamp_file"
  after="$(fingerprint)"
  [ "$before" = "$after" ] || changed=true
fi

# ---------------------------------------------------------------- serve
rf_step "serve"
# The server runs from its own copy, so a re-shipped scripts dir never changes a running one.
server="$RF_ROOT/mirror-server.py"
if [ "$RF_SERVE_MODE" != none ]; then
  rf_atomic_write "$server" 0644 < "$server_src" > /dev/null || rf_fail "serve" "could not install $server"
fi
serve_args=(--bind "$RF_MIRROR_BIND" --port "$RF_MIRROR_PORT" --directory "$RF_MIRROR_DIR")
[ -z "$RF_MIRROR_AUTH_FILE" ] || serve_args+=(--auth-file "$RF_MIRROR_AUTH_FILE")
serve_cmd=(python3 "$server" "${serve_args[@]}")

wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    if rf_port_open "$RF_MIRROR_BIND" "$RF_MIRROR_PORT"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Only a background server is restarted by a build (systemd restarts its own unit).
[ "$RF_SERVE_MODE" = background ] || rm -f "$RF_ROOT/mirror-server.cmd" "$RF_ROOT/mirror-server.addr"
case "$RF_SERVE_MODE" in
  none) ;;
  background)
    rf_need python3 setsid
    pidfile="$RF_ROOT/mirror-server.pid"
    conffile="$RF_ROOT/mirror-server.conf"
    want="$(printf '%s\n' "${serve_args[*]}" | cat - "$server" | rf_sha256_stdin)"
    pid=""
    [ ! -f "$pidfile" ] || pid="$(cat "$pidfile")"
    alive=false
    if rf_mirror_alive; then alive=true; fi
    # Where a later build finds it to restart it (rf_mirror_restart).
    printf '%s %s\n' "$RF_MIRROR_BIND" "$RF_MIRROR_PORT" > "$RF_ROOT/mirror-server.addr"
    printf '%s\0' "${serve_cmd[@]}" > "$RF_ROOT/mirror-server.cmd"
    if [ "$alive" = true ] && [ "$(cat "$conffile" 2>/dev/null || true)" = "$want" ] \
      && rf_port_open "$RF_MIRROR_BIND" "$RF_MIRROR_PORT"; then
      rf_log "mirror server already running (pid $pid) on $RF_MIRROR_BIND:$RF_MIRROR_PORT"
    else
      if [ "$alive" = true ]; then
        rf_log "restarting mirror server (pid $pid): settings changed"
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      if rf_port_open "$RF_MIRROR_BIND" "$RF_MIRROR_PORT"; then
        rf_fail "serve" "port $RF_MIRROR_PORT is already in use by another process"
      fi
      rf_mirror_start "${serve_cmd[@]}"
      printf '%s\n' "$want" > "$conffile"
      wait_port || rf_fail "serve" "mirror server did not start listening on $RF_MIRROR_BIND:$RF_MIRROR_PORT" \
        "(see $RF_ROOT/mirror-server.log; if that is not an address of this host, set rhcos-forge:mirror.bind)"
      rf_log "mirror server started (pid $(cat "$pidfile")) on $RF_MIRROR_BIND:$RF_MIRROR_PORT"
    fi
    ;;
  systemd)
    rf_need systemctl python3
    python_bin="$(command -v python3)"
    unit="[Unit]
Description=rhcos-forge RPM mirror (serves $RF_MIRROR_DIR)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=$python_bin $server ${serve_args[*]}
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target"
    unit_changed="$(printf '%s\n' "$unit" | rf_atomic_write "$RF_SYSTEMD_UNIT_DIR/$UNIT_NAME" 0644)" \
      || rf_fail "serve" "could not write $RF_SYSTEMD_UNIT_DIR/$UNIT_NAME"
    if [ "$unit_changed" = changed ]; then
      systemctl daemon-reload >&2 9>&- || rf_fail "serve" "systemctl daemon-reload failed"
      systemctl enable "$UNIT_NAME" >&2 9>&- || rf_fail "serve" "systemctl enable $UNIT_NAME failed"
      systemctl restart "$UNIT_NAME" >&2 9>&- || rf_fail "serve" "systemctl restart $UNIT_NAME failed"
    else
      systemctl enable --now "$UNIT_NAME" >&2 9>&- || rf_fail "serve" "systemctl enable --now $UNIT_NAME failed"
    fi
    wait_port || rf_fail "serve" "$UNIT_NAME is not listening on $RF_MIRROR_BIND:$RF_MIRROR_PORT" \
      "(see journalctl -u $UNIT_NAME; if that is not an address of this host, set rhcos-forge:mirror.bind)"
    ;;
esac

printf '{"repos":%s,"packageSet":%s,"changed":%s}\n' \
  "$(rf_json_arr "${repo_ids[@]}")" "$(rf_json_str "$RF_PACKAGE_SET_ID")" "$changed"
