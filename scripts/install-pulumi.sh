#!/usr/bin/env bash
# install-pulumi.sh: make a pinned Pulumi engine (CLI, Node.js language host,
# command and kubernetes resource plugins) available on this machine by
# building it from upstream sources: Go modules fetched through the Go module
# proxy, and upstream release tarballs the proxy does not serve (the language
# host and the command provider, from ${RF_UPSTREAM_DIR:-<repo>/../shared/upstream},
# each checked against its pinned sha256 before use).
#
# Everything goes under ${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}; nothing is
# written into the repository. A second run only checks a stamp and exits.
#
# Usage:
#   scripts/install-pulumi.sh             build if needed; print the env to export
#   scripts/install-pulumi.sh --print-env print the env only (no build)
#   scripts/install-pulumi.sh --force     rebuild every step
#   eval "$(scripts/install-pulumi.sh)"   build and apply the env to this shell
# Or simply: source scripts/pulumi-env.sh
#
# Progress goes to stderr; stdout carries only `export ...` lines.
#
# Skips everything when RF_USE_SYSTEM_PULUMI=1 (a `pulumi` on PATH must exist),
# or when a `pulumi` already on PATH has the language host and the pinned
# command/kubernetes plugins installed.
#
# See scripts/ENGINE-NOTES.md for which versions are used and why. Each binary
# has its own cache key (its sources' versions or sha256 and its recipe), so a
# change to one pin rebuilds only that binary.
set -euo pipefail

# ---------------------------------------------------------------- pins --------
# npm versions from package.json; the script refuses to run if they drift.
PULUMI_VERSION=3.248.0
COMMAND_VERSION=1.2.1
KUBERNETES_VERSION=4.34.2

# Go modules (module@version as served by the module proxy).
PULUMI_PKG_MOD=github.com/pulumi/pulumi/pkg/v3@v3.248.0
# sdk/v3.248.0 is tagged one commit before pkg/v3.248.0; that commit only
# changes go.mod/go.sum and version files, so the Go sources are identical.
PULUMI_SDK_MOD=github.com/pulumi/pulumi/sdk/v3@v3.248.0
# The provider module has no version tags; this pseudo-version is the commit
# of upstream tag v4.25.0, the newest one the proxy serves (v4.34.2's commit
# is not served). It is built with its version stamped as 4.34.2.
K8S_PROVIDER_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199
K8S_SDK_MOD=github.com/pulumi/pulumi-kubernetes/sdk/v4@v4.25.0

# Upstream sources the module proxy does not serve: `git archive` tarballs of
# upstream release tags (see the README.md beside them), verified by sha256.
UPSTREAM_DIR=${RF_UPSTREAM_DIR:-}
NODEJS_TARBALL=pulumi-language-nodejs-v$PULUMI_VERSION.tar.gz # pulumi/pulumi tag v3.248.0
NODEJS_TARBALL_SHA256=95491f226952736fcc4344b278b7611308f7ba5210d528fab9ccb3be847f78ee
COMMAND_TARBALL=pulumi-command-v$COMMAND_VERSION.tar.gz # pulumi/pulumi-command tag v1.2.1
COMMAND_TARBALL_SHA256=8be7fd611469d5dd4603df990bf8f9f873927ed708540bf0e3ee413aa4f2f792
# The command provider is built with pulumi-go-provider v1.4.1 (its go.mod names
# v1.3.0, which does not compile against pkg v3.248.0; see ENGINE-NOTES.md) on
# the pkg/sdk version v1.4.1 requires, served by the proxy.
GO_PROVIDER_VERSION=1.4.1
GO_PROVIDER_TARBALL=pulumi-go-provider-v$GO_PROVIDER_VERSION.tar.gz # pulumi/pulumi-go-provider tag v1.4.1
GO_PROVIDER_TARBALL_SHA256=451263c56ea5b999346679d4df3685049bac517d3fe8ae6d8480758885820998
COMMAND_PULUMI_VERSION=3.253.0

# Bump when a build recipe changes, to invalidate that binary's cache. RECIPE
# covers the CLI and the kubernetes provider; the others have their own.
RECIPE=3
NODEJS_RECIPE=1
COMMAND_RECIPE=1

RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}
BIN_DIR=$RF_CACHE_DIR/bin # goes on PATH: pulumi and its language host only
# Provider binaries stay off PATH (the engine warns when it finds them there);
# they are installed into PULUMI_HOME as plugins.
PROVIDER_DIR=$RF_CACHE_DIR/providers
SRC_DIR=$RF_CACHE_DIR/src
RF_PULUMI_HOME=$RF_CACHE_DIR/pulumi-home
STAMP=$RF_CACHE_DIR/engine.stamp
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$SCRIPT_DIR")
UPSTREAM_DIR=${UPSTREAM_DIR:-$(dirname "$REPO_DIR")/shared/upstream}

# shellcheck source=scripts/install-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
MODE=install
install_args 27 print 0 "$@"

duration() { # seconds -> 2m30s
	if (($1 >= 60)); then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi
}

# A long step says it is still going every RF_PROGRESS_SECONDS (30) seconds, from a background
# ticker that stop_ticker (also run on exit) ends. It waits with `read -t` on a pipe nobody writes
# to, so it has no child (a sleep) that could outlive it and hold stderr open.
PROGRESS_SECONDS=${RF_PROGRESS_SECONDS:-30}
TICKER_PID=
start_ticker() { # what
	local what=$1
	(
		# Only the log lines go out (fd 3): bash 5.2 can print "wait_for: No record of process"
		# from a subshell killed as it starts.
		exec 3>&2 2>/dev/null
		exec {never}<> <(:)
		t=0
		while ! read -r -t "$PROGRESS_SECONDS" -u "$never" _; do
			t=$((t + PROGRESS_SECONDS))
			log "   still $what ($(duration "$t"))" 2>&3
		done
	) >&2 &
	TICKER_PID=$!
}
stop_ticker() {
	if [[ -n "$TICKER_PID" ]]; then
		kill "$TICKER_PID" 2>/dev/null || true
		wait "$TICKER_PID" 2>/dev/null || true
		TICKER_PID=
	fi
}
# The side-by-side build chains (below) and everything they started, ended when this script exits
# early (a failed step in another chain) so no `go build` outlives it.
CHAIN_PIDS=()
kill_tree() { # pid: the process and its descendants, children first
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
	kill "$1" 2>/dev/null || true
}
on_exit() {
	stop_ticker
	local pid
	for pid in "${CHAIN_PIDS[@]}"; do kill_tree "$pid"; done
}
trap on_exit EXIT

# Each build step prints its name, progress while it runs, and how long it took.
step() {
	local name=$1
	shift
	local start=$SECONDS
	log "-> $name"
	local what=${name%%:*}
	what=${what%% (*}
	case "$what" in
	build\ *) what="building ${what#build }" ;;
	fetch\ *) what="fetching ${what#fetch }" ;;
	install\ *) what="installing ${what#install }" ;;
	check\ *) what="checking ${what#check }" ;;
	esac
	start_ticker "$what"
	"$@"
	stop_ticker
	log "   done: $name ($(duration $((SECONDS - start))))"
}

# The dynamic provider plugin (pulumi-resource-pulumi-nodejs: any program's pulumi.dynamic resources) ships
# in @pulumi/pulumi beside the SDK it runs (it resolves the SDK from the program's directory); a
# released CLI bundles it next to pulumi, this built one does not. The engine takes a bundled
# plugin from beside its own executable and warns "using … from $PATH" for any other copy
# (sdk/go/common/workspace/plugins.go, GetPluginPath), so it is placed beside pulumi, as released.
# Not part of any cache key.
bundle_dynamic_provider() {
	local src="$REPO_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
	[[ -f "$src" ]] || return 0 # before npm ci: PATH below still finds it once installed
	if ! cmp -s "$src" "$BIN_DIR/pulumi-resource-pulumi-nodejs"; then
		install -m 0755 "$src" "$BIN_DIR/pulumi-resource-pulumi-nodejs"
	fi
}

print_env() { # $1 = directory to prepend to PATH, or empty
	if [[ -n "$1" ]]; then
		# @pulumi/pulumi's copy of the dynamic provider plugin only where none is bundled.
		# shellcheck disable=SC2016 # $PATH is expanded by the caller's shell
		printf 'export PATH=%q:%q:"$PATH"\n' "$1" "$REPO_DIR/node_modules/@pulumi/pulumi"
		printf 'export PULUMI_HOME=%q\n' "$RF_PULUMI_HOME"
	fi
	echo 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true'
	echo 'export PULUMI_SKIP_UPDATE_CHECK=true'
}

# Each binary's cache key: what it is built from and how.
cli_key() { echo "$RECIPE $PULUMI_PKG_MOD $PULUMI_SDK_MOD"; }
kubernetes_key() { echo "$RECIPE $K8S_PROVIDER_MOD $K8S_SDK_MOD $KUBERNETES_VERSION"; }
nodejs_key() {
	echo "nodejs-recipe=$NODEJS_RECIPE $NODEJS_TARBALL sha256=$NODEJS_TARBALL_SHA256 on $PULUMI_PKG_MOD $PULUMI_SDK_MOD"
}
command_key() {
	echo "command-recipe=$COMMAND_RECIPE $COMMAND_TARBALL sha256=$COMMAND_TARBALL_SHA256" \
		"$GO_PROVIDER_TARBALL sha256=$GO_PROVIDER_TARBALL_SHA256 pulumi=v$COMMAND_PULUMI_VERSION"
}

stamp_key() {
	printf 'pulumi=%s command=%s kubernetes=%s | cli: %s | nodejs: %s | command: %s | kubernetes: %s\n' \
		"$PULUMI_VERSION" "$COMMAND_VERSION" "$KUBERNETES_VERSION" \
		"$(cli_key)" "$(nodejs_key)" "$(command_key)" "$(kubernetes_key)"
}

plugin_path() { # kind name version -> path of the installed plugin binary
	printf '%s/plugins/%s-%s-v%s/pulumi-%s-%s' "$1" "$2" "$3" "$4" "$2" "$3"
}

cache_complete() {
	local f
	for f in "$BIN_DIR/pulumi" "$BIN_DIR/pulumi-language-nodejs" \
		"$PROVIDER_DIR/pulumi-resource-command" "$PROVIDER_DIR/pulumi-resource-kubernetes"; do
		[[ -x "$f" ]] || return 1
	done
	[[ -x "$(plugin_path "$RF_PULUMI_HOME" resource command "$COMMAND_VERSION")" ]] || return 1
	[[ -x "$(plugin_path "$RF_PULUMI_HOME" resource kubernetes "$KUBERNETES_VERSION")" ]] || return 1
	[[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_key)" ]]
}

# A pulumi on PATH that is not ours, with everything the stacks need.
system_pulumi_usable() {
	local p home
	p=$(command -v pulumi 2>/dev/null) || return 1
	[[ "$p" != "$BIN_DIR/pulumi" ]] || return 1
	command -v pulumi-language-nodejs >/dev/null 2>&1 ||
		[[ -x "$(dirname "$p")/pulumi-language-nodejs" ]] || return 1
	home=${PULUMI_HOME:-$HOME/.pulumi}
	[[ -x "$(plugin_path "$home" resource command "$COMMAND_VERSION")" ]] || return 1
	[[ -x "$(plugin_path "$home" resource kubernetes "$KUBERNETES_VERSION")" ]] || return 1
}

check_pins() {
	local pj=$REPO_DIR/package.json
	if [[ ! -f "$pj" ]] || ! command -v node >/dev/null 2>&1; then
		return 0
	fi
	local got
	got=$(node -e 'const d=require(process.argv[1]).dependencies||{};
		console.log([d["@pulumi/pulumi"],d["@pulumi/command"],d["@pulumi/kubernetes"]].join(" "))' "$pj")
	if [[ "$got" != "$PULUMI_VERSION $COMMAND_VERSION $KUBERNETES_VERSION" ]]; then
		die "package.json pins '@pulumi/pulumi @pulumi/command @pulumi/kubernetes' = '$got'," \
			"but this script builds '$PULUMI_VERSION $COMMAND_VERSION $KUBERNETES_VERSION'; update the pins here."
	fi
}

# ---------------------------------------------------------------- fast paths --
if [[ "${RF_USE_SYSTEM_PULUMI:-}" == 1 ]]; then
	command -v pulumi >/dev/null 2>&1 || die "RF_USE_SYSTEM_PULUMI=1 but there is no pulumi on PATH"
	log "RF_USE_SYSTEM_PULUMI=1: using $(command -v pulumi); nothing to build"
	print_env ""
	exit 0
fi

if [[ "$MODE" == print ]]; then
	cache_complete || log "warning: the engine cache in $RF_CACHE_DIR is missing or stale; run $0"
	print_env "$BIN_DIR"
	exit 0
fi

if [[ "$FORCE" == 0 ]] && system_pulumi_usable; then
	log "using the pulumi already on PATH ($(command -v pulumi)) with its plugins; nothing to build"
	print_env ""
	exit 0
fi

mkdir -p "$RF_CACHE_DIR"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$RF_CACHE_DIR/.install.lock"
	flock 9 # another install into the same cache waits here
fi

if [[ "$FORCE" == 0 ]] && cache_complete; then
	log "engine cache up to date in $RF_CACHE_DIR"
	bundle_dynamic_provider
	print_env "$BIN_DIR"
	exit 0
fi

# ---------------------------------------------------------------- go setup ----
check_pins

GO=$(command -v go 2>/dev/null || true)
[[ -n "$GO" ]] || GO=/usr/local/go/bin/go
[[ -x "$GO" ]] || die "no Go toolchain found (need go >= 1.25.11 on PATH or at /usr/local/go/bin/go)"

export GOTOOLCHAIN=local
export GOMODCACHE=$RF_CACHE_DIR/go/mod
export GOCACHE=$RF_CACHE_DIR/go/build
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0
# The pulumi modules are not all in the checksum database that the proxy
# fronts; their hashes are still checked against the go.sum files they ship.
export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi
export GOWORK=off

gover=$("$GO" env GOVERSION)
log "building with $gover; cache $RF_CACHE_DIR"
case "$gover" in
go1.2[5-9]* | go1.[3-9][0-9]*) ;;
*) die "$gover is too old: the pulumi modules need go >= 1.25.11" ;;
esac

mkdir -p "$BIN_DIR" "$PROVIDER_DIR" "$SRC_DIR" "$RF_PULUMI_HOME"
NEUTRAL=$RF_CACHE_DIR/go # `go mod download` runs outside any module
mkdir -p "$NEUTRAL"

# fetch_module MOD@VER DEST: copy a module's source out of the module cache,
# writable, unless DEST already holds that exact version.
fetch_module() {
	local mod=$1 dest=$2 json dir
	if [[ -f "$dest/.rf-module" && "$(cat "$dest/.rf-module")" == "$mod" && "$FORCE" == 0 ]]; then
		return 0
	fi
	json=$(cd "$NEUTRAL" && "$GO" mod download -json "$mod") || {
		printf '%s\n' "$json" >&2
		die "could not download $mod from the module proxy"
	}
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n "$dir" && -d "$dir" ]] || {
		printf '%s\n' "$json" >&2
		die "no source directory for $mod"
	}
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$(dirname "$dest")"
	cp -R "$dir" "$dest.tmp"
	chmod -R u+w "$dest.tmp"
	printf '%s\n' "$mod" >"$dest.tmp/.rf-module"
	mv "$dest.tmp" "$dest"
}

PULUMI_SRC=$SRC_DIR/pulumi-$PULUMI_VERSION
K8S_SRC=$SRC_DIR/kubernetes-$KUBERNETES_VERSION

# built BIN STEPKEY: true when BIN exists and was built by this recipe.
built() {
	[[ "$FORCE" == 0 && -x "$1" && -f "$1.rf-stamp" && "$(cat "$1.rf-stamp")" == "$2" ]]
}
mark_built() { printf '%s\n' "$2" >"$1.rf-stamp"; }

# ---------------------------------------------------------------- steps -------
fetch_pulumi_sources() {
	fetch_module "$PULUMI_PKG_MOD" "$PULUMI_SRC/pkg"
	fetch_module "$PULUMI_SDK_MOD" "$PULUMI_SRC/sdk"
}

build_pulumi_cli() {
	local key
	key=$(cli_key)
	built "$BIN_DIR/pulumi" "$key" && {
		log "   pulumi already built"
		return 0
	}
	(cd "$PULUMI_SRC/pkg" && "$GO" build -o "$BIN_DIR/pulumi" \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
		./cmd/pulumi)
	mark_built "$BIN_DIR/pulumi" "$key"
}

# unpack TARBALL SHA256 DEST: extract an upstream tarball (its top directory stripped) into DEST,
# afresh, after checking its sha256. DEST's path stays the same from one build to the next, so the
# Go build cache still holds what an earlier build compiled from it.
unpack() {
	local tarball=$UPSTREAM_DIR/$1 want=$2 dest=$3 got
	[[ -f "$tarball" ]] || die "missing $tarball (the upstream sources; set RF_UPSTREAM_DIR to the directory holding $1)"
	got=$(sha256sum "$tarball" | cut -d' ' -f1)
	[[ "$got" == "$want" ]] || die "$tarball has sha256 $got, expected $want"
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	tar -xzf "$tarball" -C "$dest.tmp" --strip-components=1 --no-same-owner
	mv "$dest.tmp" "$dest"
	log "   $1: sha256 ok, unpacked into $dest"
}

NODEJS_SRC=$SRC_DIR/pulumi-language-nodejs-$PULUMI_VERSION
COMMAND_SRC=$SRC_DIR/pulumi-command-$COMMAND_VERSION
GO_PROVIDER_SRC=$SRC_DIR/pulumi-go-provider-$GO_PROVIDER_VERSION

# The language host as upstream builds it, from its own go.mod, with the two monorepo `replace`
# lines (../../../../pkg, ../../..) pointed at the CLI's copies of pkg/v3 and sdk/v3 v3.248.0 from
# the proxy instead: the same sources in the same directories, so every package the CLI build
# compiled is reused.
build_language_nodejs() {
	local out=$BIN_DIR/pulumi-language-nodejs key dir
	key=$(nodejs_key)
	built "$out" "$key" && {
		log "   pulumi-language-nodejs already built"
		return 0
	}
	unpack "$NODEJS_TARBALL" "$NODEJS_TARBALL_SHA256" "$NODEJS_SRC"
	dir=$NODEJS_SRC/sdk/nodejs/cmd/pulumi-language-nodejs
	(cd "$dir" &&
		"$GO" mod edit \
			-replace "github.com/pulumi/pulumi/pkg/v3=$PULUMI_SRC/pkg" \
			-replace "github.com/pulumi/pulumi/sdk/v3=$PULUMI_SRC/sdk" \
			-require "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" \
			-require "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" &&
		"$GO" mod tidy &&
		"$GO" build -o "$out" \
			-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" .)
	mark_built "$out" "$key"
}

# The command provider of release v1.2.1 (provider/ of its tag), with pulumi-go-provider v1.4.1
# from its tarball in place of the v1.3.0 its go.mod names, on pkg/v3 and sdk/v3 v3.253.0 (what
# go-provider v1.4.1 requires). No source is patched.
build_command_provider() {
	local out=$PROVIDER_DIR/pulumi-resource-command key
	key=$(command_key)
	built "$out" "$key" && {
		log "   pulumi-resource-command already built"
		return 0
	}
	unpack "$GO_PROVIDER_TARBALL" "$GO_PROVIDER_TARBALL_SHA256" "$GO_PROVIDER_SRC"
	unpack "$COMMAND_TARBALL" "$COMMAND_TARBALL_SHA256" "$COMMAND_SRC"
	(cd "$COMMAND_SRC/provider" &&
		"$GO" mod edit \
			-replace "github.com/pulumi/pulumi-go-provider=$GO_PROVIDER_SRC" \
			-require "github.com/pulumi/pulumi-go-provider@v$GO_PROVIDER_VERSION" \
			-require "github.com/pulumi/pulumi/pkg/v3@v$COMMAND_PULUMI_VERSION" \
			-require "github.com/pulumi/pulumi/sdk/v3@v$COMMAND_PULUMI_VERSION" &&
		"$GO" mod tidy &&
		"$GO" build -o "$out" \
			-ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=v$COMMAND_VERSION" \
			./cmd/pulumi-resource-command)
	mark_built "$out" "$key"
}

fetch_kubernetes_sources() {
	fetch_module "$K8S_PROVIDER_MOD" "$K8S_SRC/provider"
	fetch_module "$K8S_SDK_MOD" "$K8S_SRC/sdk"
}

build_kubernetes_provider() {
	local key
	key=$(kubernetes_key)
	built "$PROVIDER_DIR/pulumi-resource-kubernetes" "$key" && {
		log "   pulumi-resource-kubernetes already built"
		return 0
	}
	# The provider embeds its schema with the version stamped in; upstream
	# produces schema-embed.json with this `go generate` step.
	(cd "$K8S_SRC/provider/cmd/pulumi-resource-kubernetes" &&
		VERSION=$KUBERNETES_VERSION "$GO" run ./generate.go)
	(cd "$K8S_SRC/provider" && "$GO" build -o "$PROVIDER_DIR/pulumi-resource-kubernetes" \
		-ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_VERSION" \
		./cmd/pulumi-resource-kubernetes)
	mark_built "$PROVIDER_DIR/pulumi-resource-kubernetes" "$key"
}

install_plugin() { # name version binary
	local installed
	installed=$(plugin_path "$RF_PULUMI_HOME" resource "$1" "$2")
	if [[ "$FORCE" == 0 && -x "$installed" ]] && cmp -s "$installed" "$3"; then
		log "   plugin $1 $2 already installed"
		return 0
	fi
	PULUMI_HOME=$RF_PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK=true \
		PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
		"$BIN_DIR/pulumi" plugin install resource "$1" "$2" --file "$3" --reinstall >&2
}

install_plugins() {
	install_plugin command "$COMMAND_VERSION" "$PROVIDER_DIR/pulumi-resource-command"
	install_plugin kubernetes "$KUBERNETES_VERSION" "$PROVIDER_DIR/pulumi-resource-kubernetes"
}

smoke_check() {
	local v
	v=$(PULUMI_HOME=$RF_PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" version)
	[[ "$v" == "v$PULUMI_VERSION" ]] || die "built pulumi reports '$v', expected v$PULUMI_VERSION"
	log "   pulumi version: $v"
	v=$("$BIN_DIR/pulumi-language-nodejs" -version)
	[[ "$v" == "v$PULUMI_VERSION" ]] || die "built pulumi-language-nodejs reports '$v', expected v$PULUMI_VERSION"
	log "   pulumi-language-nodejs -version: $v"
}

total_start=$SECONDS
rm -f "$STAMP"
# Three independent chains, run side by side: on 2 cores one `go build` leaves a core idle in its
# serial parts (module downloads, `go mod tidy`, the kubernetes schema generator, each link), which
# the others fill. Each binary's recipe and cache key are the same as when they ran one after the
# other; only the order changed. Every step still logs its name, progress and duration.
chain() { # name step...: one chain in the background; its own ticker is stopped when it exits
	local name=$1
	shift
	(
		trap stop_ticker EXIT
		"$@"
	) &
	CHAIN_PIDS+=("$!")
	CHAIN_NAMES+=("$name")
}
kubernetes_chain() {
	step "fetch $K8S_PROVIDER_MOD + $K8S_SDK_MOD" fetch_kubernetes_sources
	step "build pulumi-resource-kubernetes (stamped $KUBERNETES_VERSION)" build_kubernetes_provider
}
command_chain() {
	local what="build pulumi-resource-command v$COMMAND_VERSION ($COMMAND_TARBALL,"
	what+=" go-provider v$GO_PROVIDER_VERSION, pkg/sdk v$COMMAND_PULUMI_VERSION)"
	step "$what" build_command_provider
}
CHAIN_NAMES=()
chain "pulumi-resource-kubernetes" kubernetes_chain
chain "pulumi-resource-command" command_chain
# The CLI, then the language host (which reuses every package the CLI build compiled).
step "fetch $PULUMI_PKG_MOD + $PULUMI_SDK_MOD" fetch_pulumi_sources
step "build pulumi CLI v$PULUMI_VERSION" build_pulumi_cli
step "build pulumi-language-nodejs v$PULUMI_VERSION ($NODEJS_TARBALL)" build_language_nodejs
failed=()
for i in "${!CHAIN_PIDS[@]}"; do
	wait "${CHAIN_PIDS[$i]}" || failed+=("${CHAIN_NAMES[$i]}")
done
CHAIN_PIDS=() # all ended
[[ ${#failed[@]} -eq 0 ]] || die "building ${failed[*]} failed (its messages are above)"
step "install plugins into $RF_PULUMI_HOME" install_plugins
step "check pulumi version" smoke_check
stamp_key >"$STAMP"
log "engine ready in $((SECONDS - total_start))s; export this env (or: source scripts/pulumi-env.sh):"
bundle_dynamic_provider
print_env "$BIN_DIR" | sed 's/^/    /' >&2
print_env "$BIN_DIR"
