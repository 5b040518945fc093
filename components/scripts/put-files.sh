#!/usr/bin/env bash
# rhcos-forge put-files.sh <dir>
#
# Makes <dir> hold exactly the files of a bundle read on stdin: each written
# atomically with umask 077 and its mode (0600 unless the bundle says
# otherwise), files of <dir> the bundle does not name removed. Meant for
# secrets (the upstream .repo file with passwords, TLS client certificates and
# keys): contents are never printed, not even as a hash. A file that already
# has its content and mode is left alone.
# env: RF_ROOT (optional) - <dir> must then be inside it.
#
# stdin (bundle), one entry per line:
#   rhcos-forge-bundle v1
#   file <octal mode> <base64 of relative path> <base64 of content>
#
# stdout: {"dir":"<dir>","files":<n>,"changed":true|false}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-bundle.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-bundle.sh"
rf_init 077

rf_step "arguments"
[ "$#" -eq 1 ] || rf_fail "arguments" "usage: put-files.sh <dir>"
dir="${1%/}"
rf_require_path "path" "$dir" "${RF_ROOT:-}"
[ "$dir" != "${RF_ROOT:-}" ] || rf_fail "arguments" "dir must be a directory below RF_ROOT, not RF_ROOT itself"
[ ! -e "$dir" ] || [ -d "$dir" ] || rf_fail "arguments" "$dir exists and is not a directory"

rf_step "unpack"
mkdir -p "$dir"
chmod 0700 "$dir"
rf_scratch_dir "$dir" .put-files
stage="$work"
names=()
on_entry() {
  local lineno="$1" kind="$2" mode="${3:-}" b64path="${4:-}" b64content="${5:-}" rel
  [ "$kind" = file ] || rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'"
  [ -z "${6:-}" ] || rf_fail "unpack" "bundle line $lineno: too many fields"
  [[ "$mode" =~ ^0?[0-7]{3}$ ]] || rf_fail "unpack" "bundle line $lineno: bad mode"
  rel="$(rf_b64_field "$lineno" path "$b64path")"
  # Relative, plain, no '..': the same rules as every path an RF_* input names.
  { [[ "$rel" =~ ^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$ ]] && [[ "/$rel/" != */../* ]] && [[ "/$rel/" != */./* ]]; } \
    || rf_fail "unpack" "bundle line $lineno: path must be relative and plain" \
      "(letters, digits, . _ - + @ /, no '..'), got: $(rf__shown "$rel")"
  [[ "$rel" != .put-files.* ]] || rf_fail "unpack" "bundle line $lineno: reserved name"
  mkdir -p "$(dirname "$stage/$rel")"
  rf_b64_field "$lineno" "content of $rel" "$b64content" > "$stage/$rel"
  chmod "$mode" "$stage/$rel"
  names+=("$rel")
}
rf_read_bundle bundle on_entry

rf_step "write"
changed=false
for rel in "${names[@]}"; do
  mode="$(stat -c '%a' "$stage/$rel")"
  result="$(rf_atomic_write "$dir/$rel" "$mode" < "$stage/$rel")" \
    || rf_fail "write" "could not write $dir/$rel"
  [ "$result" = unchanged ] || changed=true
done
# What the bundle no longer names goes: a repo dropped from the config leaves no key behind.
while IFS= read -r -d '' f; do
  rel="${f#"$dir"/}"
  keep=false
  for n in "${names[@]}"; do [ "$n" != "$rel" ] || keep=true; done
  if [ "$keep" = false ]; then
    rm -f "$f"
    changed=true
  fi
done < <(find "$dir" -path "$stage" -prune -o -type f -print0)
find "$dir" -mindepth 1 -type d -empty ! -path "$stage" -delete

printf '{"dir":%s,"files":%s,"changed":%s}\n' "$(rf_json_str "$dir")" "${#names[@]}" "$changed"
