#!/usr/bin/env bash
# install-lib.sh: what every scripts/install-*.sh shares: its command-line flags, and log lines
# that carry the script's name and the seconds since it started. Sourced, never run:
#   source "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
#   install_args <help lines> <--print-env mode, or ""> <1 if --check is taken, else 0> "$@"
# Nothing here takes part in a cache key: the keys and recipes stay in each script.
# shellcheck shell=bash

INSTALL_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
INSTALL_START=$SECONDS

log() { printf '%s: [%ss] %s\n' "$INSTALL_NAME" "$((SECONDS - INSTALL_START))" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# install_args <last line of the header --help prints> <MODE for --print-env ("": not taken)>
#   <1: --check is taken> <arguments...>: sets FORCE and CHECK (0/1) and, with --print-env, MODE.
# shellcheck disable=SC2034 # FORCE, CHECK and MODE are read by the sourcing script
install_args() {
	local help_end=$1 print_mode=$2 check_ok=$3 arg
	shift 3
	FORCE=0
	CHECK=0
	for arg in "$@"; do
		case "$arg" in
		--force) FORCE=1 ;;
		--print-env)
			[[ -n "$print_mode" ]] || install__unknown "$arg"
			MODE=$print_mode
			;;
		--check)
			[[ "$check_ok" == 1 ]] || install__unknown "$arg"
			CHECK=1
			;;
		-h | --help)
			sed -n "2,${help_end}p" "${BASH_SOURCE[1]}" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		*) install__unknown "$arg" ;;
		esac
	done
}

# install_after_other_build <lock name> <what>: waits (flock) while another run builds into the
# same cache; when that run left it cached (the caller's `cached`), prints where (the caller's
# `emit`) and exits 0. Without flock it returns at once.
install_after_other_build() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>"$RF_CACHE_DIR/.$1.lock"
	flock 9
	if [[ $FORCE == 0 ]] && cached; then
		log "$2 were built by another run ($OUT_DIR)"
		emit
		exit 0
	fi
}

install__unknown() {
	echo "$INSTALL_NAME.sh: unknown argument: $1" >&2
	exit 2
}
