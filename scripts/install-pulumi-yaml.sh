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
# lists v1.11.1 and v1.25.0). Its go.mod builds it on pulumi pkg/sdk v3.206.0; the language host
# talks to the v3.248.0 engine over the versioned gRPC language protocol.
YAML_MODULE=github.com/pulumi/pulumi-yaml
YAML_VERSION=v1.25.0
RECIPE=1

RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}
BIN_DIR=$RF_CACHE_DIR/pulumi-yaml/$YAML_VERSION-r$RECIPE
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

print_env() { printf 'export PATH=%q:"$PATH"\n' "$BIN_DIR"; }

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
export GOBIN
GOBIN=$(mktemp -d "$RF_CACHE_DIR/pulumi-yaml.XXXXXX")
trap 'rm -rf "$GOBIN"' EXIT

start=$SECONDS
log "building $YAML_MODULE/cmd/pulumi-language-yaml@$YAML_VERSION (a few minutes cold)"
"$go" install -ldflags "-X $YAML_MODULE/pkg/version.Version=$YAML_VERSION" \
    "$YAML_MODULE/cmd/pulumi-language-yaml@$YAML_VERSION" >&2
mkdir -p "$BIN_DIR"
mv -f "$GOBIN/pulumi-language-yaml" "$BIN"
log "built $BIN in $((SECONDS - start))s"
print_env
