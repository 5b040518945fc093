#!/usr/bin/env bash
# install-pulumi-yaml.sh: build the Pulumi YAML language host (pulumi-language-yaml), which a
# Pulumi YAML program needs beside the engine (test/e2e/yaml.test.ts runs one), from its Go module
# as the module proxy serves it, into ${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}/pulumi-yaml/<key>/.
# The key is the module version and this recipe; a second run only checks the binary is there.
#
# Usage:
#   scripts/install-pulumi-yaml.sh             build if needed; print the env to export
#   scripts/install-pulumi-yaml.sh --print-env print the env only (no build)
#   scripts/install-pulumi-yaml.sh --force     rebuild
#
# Progress goes to stderr; stdout carries only `export ...` lines (PATH gains the host's directory;
# the engine finds a language host on PATH as pulumi-language-<runtime>).
set -euo pipefail

# The newest version the module proxy serves (`go list -m -versions github.com/pulumi/pulumi-yaml`
# lists v1.11.1 and v1.25.0).
YAML_MODULE=github.com/pulumi/pulumi-yaml
YAML_VERSION=v1.25.0
# Its go.mod names pulumi pkg/sdk v3.206.0, whose plugin loader starts a component package's
# language host with `-root=<dir>` (sdk/go/common/resource/plugin/langruntime_plugin.go); the
# v3.248.0 pulumi-language-nodejs the engine runs has no such flag and exits 2 ("flag provided but
# not defined: -root"), so a YAML program cannot load a TypeScript component package. v3.215.0 no
# longer passes it and keeps the API v1.25.0 is written against (schema.NewPluginLoader(plugin.Host),
# plugin.NewContextWithRoot with a DebugContext); v3.248.0 changed both and does not compile with it.
PULUMI_SDK_VERSION=v3.215.0
RECIPE=1

RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}
BIN_DIR=$RF_CACHE_DIR/pulumi-yaml/$YAML_VERSION-sdk$PULUMI_SDK_VERSION-r$RECIPE
BIN=$BIN_DIR/pulumi-language-yaml

MODE=install
for arg in "$@"; do
    case "$arg" in
        --print-env) MODE=print ;;
        --force) MODE=force ;;
        -h | --help)
            sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-pulumi-yaml.sh: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

log() { printf 'install-pulumi-yaml: %s\n' "$*" >&2; }

# shellcheck disable=SC2016 # $PATH is expanded by whoever evaluates the line
print_env() { printf 'export PATH=%q:$PATH\n' "$BIN_DIR"; }

if [[ "$MODE" == print ]] || { [[ "$MODE" == install ]] && [[ -x "$BIN" ]]; }; then
    print_env
    exit 0
fi

go=$(command -v go || echo /usr/local/go/bin/go)
[[ -x "$go" ]] || { log "ERROR: no Go toolchain (go on PATH or /usr/local/go/bin/go) to build $YAML_MODULE"; exit 1; }

# The same module and build caches as scripts/install-pulumi.sh, so shared dependencies are
# fetched and compiled once.
export GOMODCACHE=$RF_CACHE_DIR/go/mod
export GOCACHE=$RF_CACHE_DIR/go/build
export GOFLAGS="-buildvcs=false -mod=mod"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
mkdir -p "$RF_CACHE_DIR"
WORK=$(mktemp -d "$RF_CACHE_DIR/pulumi-yaml.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# A module of our own that requires the language host's module and the pulumi version above;
# `-mod=mod` writes its go.sum from the module proxy.
cat >"$WORK/go.mod" <<GOMOD
module rhcos-forge/pulumi-language-yaml

go 1.25

require (
	$YAML_MODULE $YAML_VERSION
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_SDK_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_SDK_VERSION
)
GOMOD

start=$SECONDS
log "building $YAML_MODULE/cmd/pulumi-language-yaml@$YAML_VERSION on pulumi $PULUMI_SDK_VERSION" \
	"(about 4 minutes cold on 2 cores)"
(cd "$WORK" && "$go" build -ldflags "-X $YAML_MODULE/pkg/version.Version=$YAML_VERSION" \
    -o "$WORK/pulumi-language-yaml" "$YAML_MODULE/cmd/pulumi-language-yaml") >&2
mkdir -p "$BIN_DIR"
mv -f "$WORK/pulumi-language-yaml" "$BIN"
log "built $BIN in $((SECONDS - start))s"
print_env
