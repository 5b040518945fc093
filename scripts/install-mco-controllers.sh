#!/usr/bin/env bash
# install-mco-controllers.sh: build the real machine-config-controller's render, node and drain
# controllers for the e2e cluster (test/cluster/mcoControllers.ts) from the machine-config-operator
# source tarball in the shared upstream directory, and cache the binary under
# ${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}/mco-controllers/<key>.
#
# The tarball (machine-config-operator-release-4.21.tar.gz, `git archive` of
# openshift/machine-config-operator branch release-4.21, all dependencies vendored) is checked
# against the sha256 its README.md lists, extracted, and the project's own `main`
# (test/cluster/mco-controllers/main.go, the only code the repository keeps) is copied into the
# tree as cmd/rf-mco-controllers and built there with GOFLAGS=-mod=vendor, GOTOOLCHAIN=local,
# CGO_ENABLED=0, stamped with the tree's commit (pkg/version.Hash, .Raw). The key is the tarball's
# sha256, main.go's sha256 and this recipe's number; a second run finds the binary and only
# prints it. Cold: about 3.5 minutes on 2 cores.
#
# Beside the binary, crds/ holds the CustomResourceDefinitions the three controllers' informers
# list and watch that ../shared/crds/<release>/ does not carry (ControllerConfig,
# ContainerRuntimeConfig, KubeletConfig, operator.openshift.io MachineConfiguration and
# config.openshift.io Scheduler), copied from the tree's vendored openshift/api
# zz_generated.crd-manifests (their Default / SelfManagedHA-Default feature set).
#
# Usage:
#   scripts/install-mco-controllers.sh              build if needed; print the binary's path
#   scripts/install-mco-controllers.sh --print-env  the same, as `export RF_MCO_CONTROLLERS=...`
#                                                    and `export RF_MCO_CRDS=<dir>`
#   scripts/install-mco-controllers.sh --check      go vet and go test the main package in the tree
#   scripts/install-mco-controllers.sh --force      rebuild even when cached
#
# Progress goes to stderr with the elapsed time; stdout carries only the path (or export line).
# RF_UPSTREAM_DIR overrides where the tarball is (default: <repo>/../shared/upstream).
set -euo pipefail

# Bump when the build recipe (flags, ldflags, layout) changes.
RECIPE=2
TARBALL_NAME=machine-config-operator-release-4.21.tar.gz
# The README's row for it: the sha256 is read from there, the commit is checked against the
# tarball's own (git archive records it in the pax header).
MODULE=github.com/openshift/machine-config-operator

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
MAIN_GO=$REPO_ROOT/test/cluster/mco-controllers/main.go
MAIN_TEST_GO=$REPO_ROOT/test/cluster/mco-controllers/main_test.go
RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}
UPSTREAM_DIR=${RF_UPSTREAM_DIR:-$REPO_ROOT/../shared/upstream}
TARBALL=$UPSTREAM_DIR/$TARBALL_NAME

MODE=path
# shellcheck source=scripts/install-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
install_args 32 exports 1 "$@"

[[ -f "$MAIN_GO" ]] || die "no $MAIN_GO"
[[ -f "$TARBALL" ]] || die "no $TARBALL (set RF_UPSTREAM_DIR to the directory holding it)"
[[ -f "$UPSTREAM_DIR/README.md" ]] || die "no $UPSTREAM_DIR/README.md to verify $TARBALL_NAME against"

# The README row: | <name> ... | <upstream> | <commit> | <sha256> |
row=$(grep -F "| $TARBALL_NAME" "$UPSTREAM_DIR/README.md" | head -n 1) || true
[[ -n "$row" ]] || die "$UPSTREAM_DIR/README.md has no row for $TARBALL_NAME"
WANT_SHA=$(printf '%s\n' "$row" | grep -oE '\b[0-9a-f]{64}\b' | tail -n 1) || true
WANT_COMMIT=$(printf '%s\n' "$row" | grep -oE '\b[0-9a-f]{40}\b' | head -n 1) || true
[[ -n "$WANT_SHA" && -n "$WANT_COMMIT" ]] ||
	die "cannot read the sha256 and commit of $TARBALL_NAME from the README row: $row"

sha_of() {
	local s
	s=$(sha256sum "$1")
	printf '%s\n' "${s%% *}"
}
MAIN_SHA=$(sha_of "$MAIN_GO")
KEY=$(printf 'recipe=%s tarball=%s main=%s\n' "$RECIPE" "$WANT_SHA" "$MAIN_SHA" | sha256sum)
KEY=${KEY:0:16}
OUT_DIR=$RF_CACHE_DIR/mco-controllers/$KEY
BIN=$OUT_DIR/rf-mco-controllers
STAMP=$OUT_DIR/stamp

emit() {
	if [[ $MODE == exports ]]; then
		printf 'export RF_MCO_CONTROLLERS=%q\n' "$BIN"
		printf 'export RF_MCO_CRDS=%q\n' "$OUT_DIR/crds"
	else
		printf '%s\n' "$BIN"
	fi
}

# The vendored CRD manifests the controllers need besides ../shared/crds/<release>/.
CRDS=(
	machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_controllerconfigs-Default.crd.yaml
	machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_containerruntimeconfigs.crd.yaml
	machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_kubeletconfigs.crd.yaml
	operator/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigurations-Default.crd.yaml
	config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_schedulers-SelfManagedHA-Default.crd.yaml
)

cached() {
	local c
	[[ -x "$BIN" && -f "$STAMP" ]] || return 1
	for c in "${CRDS[@]}"; do [[ -f "$OUT_DIR/crds/$(basename "$c")" ]] || return 1; done
}

# --check is cached too: go vet of the tree takes minutes, and its verdict depends only on the
# key above (tarball, main.go, recipe) and main_test.go.
CHECKED=$OUT_DIR/checked
TEST_SHA=none
[[ -f "$MAIN_TEST_GO" ]] && TEST_SHA=$(sha_of "$MAIN_TEST_GO")
if [[ $FORCE == 0 && $CHECK == 1 && -f "$CHECKED" && "$(cat "$CHECKED")" == "$TEST_SHA" ]]; then
	log "go vet and go test of cmd/rf-mco-controllers passed before for this main.go and main_test.go" \
		"(cached; --force runs them again)"
	exit 0
fi

if [[ $FORCE == 0 && $CHECK == 0 ]] && cached; then
	log "machine-config-operator $(cat "$STAMP") controllers are cached ($OUT_DIR)"
	emit
	exit 0
fi

mkdir -p "$RF_CACHE_DIR/mco-controllers"
[[ $CHECK == 1 ]] || install_after_other_build mco-controllers "machine-config-operator controllers"

command -v go >/dev/null || die "go is not installed (the tree's go.mod asks for Go 1.24 or newer)"
log "verifying $TARBALL"
got=$(sha_of "$TARBALL")
[[ $got == "$WANT_SHA" ]] || die "$TARBALL has sha256 $got, the README lists $WANT_SHA"
commit=$(gzip -dc "$TARBALL" | git get-tar-commit-id) || true
[[ $commit == "$WANT_COMMIT" ]] ||
	die "$TARBALL was archived from commit '${commit:-none}', the README lists $WANT_COMMIT"

export GOTOOLCHAIN=local
export GOFLAGS="-mod=vendor -buildvcs=false"
export CGO_ENABLED=0
export GOCACHE=$RF_CACHE_DIR/go/build
mkdir -p "$GOCACHE"

work=$(mktemp -d "$RF_CACHE_DIR/mco-controllers/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "extracting $TARBALL_NAME (commit $commit)"
tar -xzf "$TARBALL" -C "$work"
tree=$(find "$work" -mindepth 2 -maxdepth 2 -name go.mod -printf '%h\n' | head -n 1)
[[ -n "$tree" ]] || die "no go.mod at the top of $TARBALL_NAME"
grep -qx "module $MODULE" "$tree/go.mod" || die "$TARBALL_NAME is not $MODULE"
mkdir -p "$tree/cmd/rf-mco-controllers"
cp "$MAIN_GO" "$tree/cmd/rf-mco-controllers/main.go"
[[ -f "$MAIN_TEST_GO" ]] && cp "$MAIN_TEST_GO" "$tree/cmd/rf-mco-controllers/main_test.go"

if [[ $CHECK == 1 ]]; then
	log "go vet and go test of cmd/rf-mco-controllers"
	(cd "$tree" && go vet ./cmd/rf-mco-controllers && go test ./cmd/rf-mco-controllers) || die "go vet / go test failed"
	log "go vet and go test passed"
	mkdir -p "$OUT_DIR"
	printf '%s\n' "$TEST_SHA" >"$CHECKED"
	exit 0
fi

# What the MCO's Makefile (hack/build-go.sh) stamps: the render controller compares
# version.Hash with the generated-by-controller-version annotation of MachineConfigs and
# version.Raw with the ControllerConfig's generated-by-version.
raw="v4.21.0-rhcos-forge-${commit:0:12}"
ldflags="-s -w -X $MODULE/pkg/version.Hash=$commit -X $MODULE/pkg/version.Raw=$raw"
ldflags+=" -X $MODULE/pkg/version.ReleaseVersion=4.21.0"
log "building cmd/rf-mco-controllers in the tree of $MODULE $commit (a cold build takes minutes)"
mkdir -p "$OUT_DIR"
tmp=$OUT_DIR/rf-mco-controllers.tmp.$$
(cd "$tree" && go build -trimpath -ldflags "$ldflags" -o "$tmp" ./cmd/rf-mco-controllers) || die "go build failed"
reported=$("$tmp" --print-version) || die "the built binary does not run: $reported"
[[ $reported == *"\"hash\":\"$commit\""* ]] || die "the built binary reports $reported, expected hash $commit"
mkdir -p "$OUT_DIR/crds"
for c in "${CRDS[@]}"; do
	[[ -f "$tree/vendor/github.com/openshift/api/$c" ]] || die "$TARBALL_NAME has no vendor/github.com/openshift/api/$c"
	cp "$tree/vendor/github.com/openshift/api/$c" "$OUT_DIR/crds/"
done
mv -f "$tmp" "$BIN"
printf '%s\n' "$commit" >"$STAMP"
log "built $BIN from $MODULE $commit ($reported)"
emit
