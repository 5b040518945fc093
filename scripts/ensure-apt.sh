#!/usr/bin/env bash
# ensure-apt.sh: make sure the Debian packages of dev/apt-packages.txt (the one list of what the
# demo and the tests need: podman, a registry, sshd, dnf, shellcheck, etcd, ...) are installed.
#
# As root on a machine with apt-get it installs what is missing; anywhere else the first line it
# prints is the exact command to run, and it exits 1 before anything slow happens. Silent and fast
# when everything is there (dpkg-query only), so `npm test` and `npm run demo` call it every time.
set -euo pipefail
# RF_APT_LIST names another list (the tests use it); the default is the project's one list.
list="${RF_APT_LIST:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dev/apt-packages.txt}"
[[ -r "$list" ]] || { printf 'ensure-apt: cannot read the package list %s\n' "$list" >&2; exit 1; }
mapfile -t wanted < <(grep -v '^[[:space:]]*\(#\|$\)' "$list")
missing=()
for p in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

install="apt-get update && apt-get install -y ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
	printf "sudo sh -c '%s'\n" "$install" >&2
	printf '%s %s\n' 'rhcos-forge: the Debian packages above are missing (listed in dev/apt-packages.txt);' \
		'run that command, then this one again.' >&2
	exit 1
fi
printf 'rhcos-forge: installing %d missing Debian packages (dev/apt-packages.txt): %s\n' \
	"${#missing[@]}" "${missing[*]}" >&2
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
# apt's own lines (fetching, unpacking, setting up each package) as they come, with the elapsed time.
progress() { while IFS= read -r line; do printf 'ensure-apt: [%ds] %s\n' "$((SECONDS - start))" "$line" >&2; done; }
apt-get update -qq 2>&1 | progress
# With their recommends (apt's default), as the tests were run.
apt-get install -y "${missing[@]}" 2>&1 \
	| { grep --line-buffered -E '^(Get:|Unpacking|Setting up|E:|W:)' || true; } | progress
printf 'rhcos-forge: Debian packages installed (%ds)\n' "$((SECONDS - start))" >&2
