#!/usr/bin/env bash
# install-kube-apiserver.sh: build the kube-apiserver the e2e suite runs against
# (test/cluster/apiServer.ts), and the kube-controller-manager whose garbage
# collector it runs beside it (owner references, foreground deletion), from Go
# modules fetched through the Go module proxy, and cache both under
# ${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}.
#
# The module is engine/kube-apiserver (go.mod + go.sum in the repository):
# k8s.io/kubernetes v1.34.2, Kubernetes 1.34 being the minor OpenShift 4.21
# ships. The binaries are stamped with their version (ldflags) and live in
# kube-apiserver/<version>/, next to a stamp keyed on the version, this recipe
# and the module's go.mod/go.sum; a second run only checks the stamp.
#
# Usage:
#   scripts/install-kube-apiserver.sh              build if needed; print kube-apiserver's path
#   scripts/install-kube-apiserver.sh --print-env  the same, as `export RF_KUBE_APISERVER=...`
#                                                  and `export RF_KUBE_CONTROLLER_MANAGER=...`
#   scripts/install-kube-apiserver.sh --force      rebuild even when the stamp matches
#
# Progress goes to stderr with the elapsed time; stdout carries only the path
# (or the export line). Go runs with GOTOOLCHAIN=local (no toolchain download)
# and the module and build caches under <cache>/go, shared with
# install-pulumi.sh. Cold: about 5 minutes on 2 cores, ~2.5 GB of build cache.
set -euo pipefail

# Bump when the build recipe (flags, ldflags, layout) changes.
RECIPE=2
COMMANDS=(kube-apiserver kube-controller-manager)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE_DIR=$(dirname "$SCRIPT_DIR")/engine/kube-apiserver
RF_CACHE_DIR=${RF_CACHE_DIR:-$HOME/.cache/rhcos-forge}

# shellcheck source=scripts/install-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
MODE=path
install_args 24 exports 0 "$@"

[[ -f "$MODULE_DIR/go.mod" && -f "$MODULE_DIR/go.sum" ]] || die "no go.mod/go.sum in $MODULE_DIR"
# The one version, as go.mod requires it (e.g. v1.34.2).
VERSION=$(sed -nE 's#^require k8s\.io/kubernetes (v[0-9]+\.[0-9]+\.[0-9]+)$#\1#p' "$MODULE_DIR/go.mod")
[[ -n "$VERSION" ]] || die "$MODULE_DIR/go.mod has no 'require k8s.io/kubernetes vX.Y.Z' line"
OUT_DIR=$RF_CACHE_DIR/kube-apiserver/$VERSION
BIN=$OUT_DIR/kube-apiserver
STAMP=$OUT_DIR/stamp

emit() {
	if [[ $MODE == exports ]]; then
		printf 'export RF_KUBE_APISERVER=%q\n' "$BIN"
		printf 'export RF_KUBE_CONTROLLER_MANAGER=%q\n' "$OUT_DIR/kube-controller-manager"
	else
		printf '%s\n' "$BIN"
	fi
}

stamp_key() {
	local sums
	sums=$(cat "$MODULE_DIR/go.mod" "$MODULE_DIR/go.sum" | sha256sum)
	printf 'recipe=%s version=%s commands=%s module=%s\n' "$RECIPE" "$VERSION" "${COMMANDS[*]}" "${sums%% *}"
}

cached() {
	local c
	for c in "${COMMANDS[@]}"; do [[ -x "$OUT_DIR/$c" ]] || return 1; done
	[[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_key)" ]]
}

if [[ $FORCE == 0 ]] && cached; then
	log "kube-apiserver and kube-controller-manager $VERSION are cached ($OUT_DIR)"
	emit
	exit 0
fi

mkdir -p "$RF_CACHE_DIR"
install_after_other_build kube-apiserver "kube-apiserver and kube-controller-manager $VERSION"

command -v go >/dev/null || die "go is not installed (Go 1.24 or newer is needed to build k8s.io/kubernetes $VERSION)"
export GOTOOLCHAIN=local
export GOMODCACHE=$RF_CACHE_DIR/go/mod
export GOCACHE=$RF_CACHE_DIR/go/build
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0
mkdir -p "$OUT_DIR" "$GOMODCACHE" "$GOCACHE"

minor=${VERSION#v}
major=${minor%%.*}
minor=${minor#*.}
minor=${minor%%.*}
# What `make` stamps via hack/lib/version.sh; without it the server reports
# v0.0.0-master and its compatibility (emulation) version cannot be derived.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "downloading modules for k8s.io/kubernetes $VERSION (go mod download)"
(cd "$MODULE_DIR" && go mod download) || die "go mod download failed (is the Go module proxy reachable?)"
tmp=""
trap 'rm -f "$tmp"' EXIT
rm -f "$STAMP"
for c in "${COMMANDS[@]}"; do
	log "building k8s.io/kubernetes/cmd/$c $VERSION (a cold build takes minutes)"
	tmp=$OUT_DIR/$c.tmp.$$
	(cd "$MODULE_DIR" && go build -trimpath -ldflags "$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$c") ||
		die "go build of $c failed"
	reported=$("$tmp" --version 2>&1) || die "the built $c does not run: $reported"
	[[ $reported == "Kubernetes $VERSION" ]] || die "the built $c reports '$reported', expected 'Kubernetes $VERSION'"
	mv -f "$tmp" "$OUT_DIR/$c"
	log "built $OUT_DIR/$c ($reported)"
done
stamp_key >"$STAMP"
emit
