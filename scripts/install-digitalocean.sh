#!/usr/bin/env bash
# install-digitalocean.sh: build the real DigitalOcean resource plugin,
# pulumi-resource-digitalocean, from the two upstream tarballs the module proxy
# does not serve, and install it into the engine's PULUMI_HOME (the one
# scripts/install-pulumi.sh prints), so a stack with a DigitalOcean build host
# runs its Check and Diff. The recipe is the one ${RF_UPSTREAM_DIR}/README.md
# gives (section "pulumi-resource-digitalocean"), which is upstream's Makefile
# (`.make/upstream`, `.make/schema`, the provider's `go build -ldflags`) by hand:
#
#   1. verify both tarballs' sha256;
#   2. extract github.com/pulumi/pulumi-digitalocean (provider/, patches/) and
#      the terraform provider it wraps as `upstream/` beside provider/
#      (provider/go.mod replaces github.com/digitalocean/terraform-provider-digitalocean
#      with ../upstream and github.com/digitalocean/godo with its vendored copy);
#   3. apply patches/*.patch to upstream/ with `git apply --3way` in a
#      `git init`ed copy (the one patch adds a go.mod to the vendored godo, so
#      that replace can point at it);
#   4. `VERSION=<v> go run ./generate.go` in cmd/pulumi-resource-digitalocean
#      (schema.json with the version stamped in -> schema-embed.json);
#   5. go build ./cmd/pulumi-resource-digitalocean with
#      -X .../provider/v4/pkg/version.Version=<v>;
#   6. `pulumi plugin install resource digitalocean <plugin version> --file`.
#
# Which version: see PLUGIN_VERSION below.
#
# Usage:
#   scripts/install-digitalocean.sh          build if needed, install the plugin; print its path
#   scripts/install-digitalocean.sh --force  rebuild even when the cache key matches
#
# The binary is cached in ${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}/digitalocean/<key>/,
# the key a hash of both tarballs' sha256, the versions and this recipe; a warm
# run only compares the installed plugin with it. Go runs with
# GOTOOLCHAIN=local, CGO_ENABLED=0, GONOSUMDB=github.com/pulumi and the module
# and build caches under <cache>/go, shared with install-pulumi.sh. Progress
# goes to stderr with the elapsed time; stdout carries only the installed
# plugin's path.
set -euo pipefail

# ---------------------------------------------------------------- pins --------
# Bump when the build recipe changes, to invalidate the cached binary.
RECIPE=1
PROVIDER_TARBALL=pulumi-digitalocean-v4.76.0-1-gc52e0a38.tar.gz
PROVIDER_SHA256=e07c6011251b8868d55d88320d4a2349272362aa4c49190ae98d7423df9c9f95
TF_TARBALL=terraform-provider-digitalocean-v2.96.0.tar.gz
TF_SHA256=078eebe2a47e4fd5ac345e938fd87e47be992d688aeb282cf6c14728024ad96d
# `git describe` of the source: one commit after upstream tag v4.76.0
# (c52e0a381c523576bfd0c2fc587b7d644bd390f6), the newest the tarball holds.
SOURCE=v4.76.0-1-gc52e0a38
# The version the plugin is installed as: @pulumi/digitalocean's, 4.80.1 (package.json; the script
# refuses to run when they differ). The SDK asks the engine for exactly that version on every
# resource (node_modules/@pulumi/digitalocean/utilities.js resourceOptsDefaults: `{ version:
# getVersion() }`, its package.json version), and the engine takes an installed plugin only when
# its version equals the one asked for (pulumi/pulumi v3.248.0
# sdk/go/common/workspace/plugins.go SelectCompatiblePlugin: `spec.Version.EQ(*plugin.Version)`);
# anything else it would try to download, which PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION turns
# into an error. Installed as 4.76.0 it would never load, short of pinning `version: "4.76.0"` on
# every DigitalOcean resource of the program, which would then also pin real users to it.
PLUGIN_VERSION=4.80.1
# The version the binary reports (GetPluginInfo, the embedded schema): the same, with the source
# as semver build metadata. The engine warns when a provider reports less than what was asked
# for (pkg/host/host.go: "resource plugin ... is expected to have version >=4.80.1"); build
# metadata takes no part in that comparison, so this says what the code is without the warning.
STAMPED_VERSION=$PLUGIN_VERSION+src.$SOURCE

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$SCRIPT_DIR")
RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}
RF_UPSTREAM_DIR=${RF_UPSTREAM_DIR:-$REPO_DIR/../shared/upstream}

# shellcheck source=scripts/install-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
install_args 36 "" 0 "$@"

# The SDK version in package.json is the version the program asks for.
if command -v node >/dev/null 2>&1 && [[ -f "$REPO_DIR/package.json" ]]; then
	sdk=$(node -e 'console.log((require(process.argv[1]).dependencies||{})["@pulumi/digitalocean"]||"")' \
		"$REPO_DIR/package.json")
	[[ "$sdk" == "$PLUGIN_VERSION" ]] ||
		die "package.json pins @pulumi/digitalocean '$sdk', but this script installs the plugin as $PLUGIN_VERSION;" \
			"update PLUGIN_VERSION"
fi

KEY=$(printf 'recipe=%s provider=%s tf=%s plugin=%s stamped=%s\n' \
	"$RECIPE" "$PROVIDER_SHA256" "$TF_SHA256" "$PLUGIN_VERSION" "$STAMPED_VERSION" | sha256sum | cut -c1-16)
OUT_DIR=$RF_CACHE_DIR/digitalocean/$KEY
BIN=$OUT_DIR/pulumi-resource-digitalocean
SRC=$RF_CACHE_DIR/src/digitalocean-$KEY

mkdir -p "$RF_CACHE_DIR"
if command -v flock >/dev/null 2>&1; then
	exec 8>"$RF_CACHE_DIR/.digitalocean.lock"
	flock 8 # another build into the same cache waits here, then finds it built
fi

build() {
	local f sum want go gover
	for f in "$PROVIDER_TARBALL:$PROVIDER_SHA256" "$TF_TARBALL:$TF_SHA256"; do
		want=${f#*:}
		f=$RF_UPSTREAM_DIR/${f%%:*}
		[[ -r "$f" ]] || die "missing $f (RF_UPSTREAM_DIR=$RF_UPSTREAM_DIR)"
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		[[ "$sum" == "$want" ]] || die "$f has sha256 $sum, expected $want"
	done
	log "tarballs verified (sha256)"

	go=$(command -v go 2>/dev/null || true)
	[[ -n "$go" ]] || go=/usr/local/go/bin/go
	[[ -x "$go" ]] || die "no Go toolchain (need go >= 1.25.11 on PATH or at /usr/local/go/bin/go)"
	export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false
	export GOMODCACHE=$RF_CACHE_DIR/go/mod GOCACHE=$RF_CACHE_DIR/go/build
	# The pulumi modules are not all in the checksum database the proxy fronts; go.sum still pins them.
	export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi
	gover=$("$go" env GOVERSION)
	case "$gover" in
	go1.2[6-9]* | go1.[3-9][0-9]* | go1.25.1[1-9]* | go1.25.[2-9][0-9]*) ;;
	*) die "$gover is too old: provider/go.mod says go 1.25.11" ;;
	esac

	rm -rf "$SRC"
	mkdir -p "$SRC/upstream"
	tar -xzf "$RF_UPSTREAM_DIR/$PROVIDER_TARBALL" -C "$SRC" --strip-components=1
	tar -xzf "$RF_UPSTREAM_DIR/$TF_TARBALL" -C "$SRC/upstream" --strip-components=1
	log "extracted into $SRC (terraform-provider-digitalocean as upstream/)"

	# The git history is only there for --3way, which needs the preimages in an index.
	(
		cd "$SRC/upstream"
		git init -q
		git add -A
		git -c user.name=rhcos-forge -c user.email=rhcos-forge@localhost commit -qm upstream --no-gpg-sign
		shopt -s nullglob
		local patches=("$SRC"/patches/*.patch)
		[[ ${#patches[@]} -gt 0 ]] || die "no patches/*.patch in $PROVIDER_TARBALL"
		for p in "${patches[@]}"; do
			git apply --3way "$p" || die "patch $(basename "$p") does not apply"
			log "applied $(basename "$p")"
		done
	)

	(cd "$SRC/provider/cmd/pulumi-resource-digitalocean" && VERSION=$STAMPED_VERSION "$go" run ./generate.go)
	log "schema-embed.json generated (version $STAMPED_VERSION)"

	mkdir -p "$OUT_DIR"
	(cd "$SRC/provider" && "$go" build -o "$BIN.tmp" \
		-ldflags "-s -w -X github.com/pulumi/pulumi-digitalocean/provider/v4/pkg/version.Version=$STAMPED_VERSION" \
		./cmd/pulumi-resource-digitalocean)
	mv -f "$BIN.tmp" "$BIN"
	# The sources are only needed for the build (about 100 MB with the vendored tree).
	rm -rf "$SRC"
	log "built $BIN with $gover"
}

if [[ "$FORCE" == 1 || ! -x "$BIN" ]]; then
	log "building pulumi-resource-digitalocean $SOURCE as $STAMPED_VERSION (cache key $KEY)"
	build
else
	log "pulumi-resource-digitalocean cached ($BIN)"
fi

# The engine this plugin goes into: install-pulumi.sh's PATH and PULUMI_HOME (instant when its
# cache is complete; it leaves both alone for a system pulumi, whose PULUMI_HOME is then used).
engine_env=$(bash "$SCRIPT_DIR/install-pulumi.sh") || die "scripts/install-pulumi.sh failed"
eval "$engine_env"
home=${PULUMI_HOME:-$HOME/.pulumi}
installed=$home/plugins/resource-digitalocean-v$PLUGIN_VERSION/pulumi-resource-digitalocean
if [[ "$FORCE" == 0 && -x "$installed" ]] && cmp -s "$installed" "$BIN"; then
	log "plugin digitalocean $PLUGIN_VERSION already installed in $home"
else
	PULUMI_HOME=$home pulumi plugin install resource digitalocean "$PLUGIN_VERSION" --file "$BIN" --reinstall >&2
	cmp -s "$installed" "$BIN" || die "pulumi plugin install did not put the binary at $installed"
	log "plugin digitalocean $PLUGIN_VERSION installed in $home"
fi
log "ready in $((SECONDS - INSTALL_START))s"
printf '%s\n' "$installed"
