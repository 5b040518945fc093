# shellcheck shell=bash
# pulumi-env.sh: source this file (bash) to get the project's pinned Pulumi
# engine on PATH with the environment it needs:
#
#   source scripts/pulumi-env.sh
#
# It runs scripts/install-pulumi.sh, which returns at once when the engine
# cache (${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}) is complete and builds it
# otherwise (a cold build takes several minutes), then applies the exports that
# script prints: PATH, PULUMI_HOME, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION
# and PULUMI_SKIP_UPDATE_CHECK. With RF_USE_SYSTEM_PULUMI=1, or a pulumi on
# PATH that already has the plugins, PATH and PULUMI_HOME are left alone.
#
# Returns non-zero (without exiting the caller's shell) if the install fails.

_rf_pulumi_env() {
	local here exports
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1
	exports=$(bash "$here/install-pulumi.sh") || {
		echo "pulumi-env.sh: scripts/install-pulumi.sh failed" >&2
		return 1
	}
	eval "$exports"
}

_rf_pulumi_env
_rf_pulumi_env_rc=$?
unset -f _rf_pulumi_env
if [[ $_rf_pulumi_env_rc -ne 0 ]]; then
	unset _rf_pulumi_env_rc
	# shellcheck disable=SC2317 # exit is reached only when executed, not sourced
	return 1 2>/dev/null || exit 1
fi
unset _rf_pulumi_env_rc
