#!/usr/bin/env bash
# rhcos-forge stdin bundle reader: the host side of components/bundle.ts. Sourced (it sources
# lib.sh) by every script that reads a bundle:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-bundle.sh"
#
# A bundle is how a step's files and secrets reach the host without a command line:
#   rhcos-forge-<format> v1        first line, checked here
#   <kind> <field> <field> …       one entry a line; fields are base64 (a file's mode is plain)
# shellcheck shell=bash

set -Eeuo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# rf_read_bundle <format> <handler> [optional]: reads the bundle on stdin, fails step "unpack"
# unless its first line is "rhcos-forge-<format> v1", and calls
#   <handler> <lineno> <kind> [<field>...]
# in this shell (so it may set the caller's variables) for each entry line, blank lines skipped.
# With "optional", an empty stdin is no bundle and not a failure. Nothing is written to disk here:
# the handler decodes each field straight into its own 0600 file.
rf_read_bundle() {
  local format="$1" handler="$2" optional="${3:-}" header="rhcos-forge-$1 v1" what="$1 bundle" first="" lineno=1
  local -a fields
  [ "$format" != bundle ] || what="bundle v1"
  if ! IFS= read -r first && [ -z "$first" ]; then
    [ "$optional" = optional ] && return 0
    rf_fail "unpack" "stdin is empty (expected a rhcos-forge $what)"
  fi
  [ "$first" = "$header" ] || rf_fail "unpack" "stdin is not a rhcos-forge $what (first line must be '$header')"
  while IFS=' ' read -r -a fields || [ "${#fields[@]}" -gt 0 ]; do
    lineno=$((lineno + 1))
    [ "${#fields[@]}" -gt 0 ] || continue
    "$handler" "$lineno" "${fields[@]}" < /dev/null
  done
}

# rf_b64_field <lineno> <what> <field>: prints the decoded field; fails step "unpack" naming the
# bundle line when it is not base64. For names and other non-secret fields.
rf_b64_field() {
  printf '%s' "$3" | base64 -d 2>/dev/null || rf_fail "unpack" "bundle line $1: $2 is not valid base64"
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

