#!/usr/bin/env bash
# install-pulumi.sh: make a pinned Pulumi engine (CLI, Node.js language host,
# command and kubernetes resource plugins) available on this machine by
# building it from Go modules fetched through the Go module proxy.
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
# See scripts/ENGINE-NOTES.md for which module versions are used and why two
# pieces are small stand-ins written here rather than upstream builds.
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

# Bump when the build recipe changes, to invalidate existing caches.
RECIPE=3

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

MODE=install
FORCE=0
for arg in "$@"; do
	case "$arg" in
	--print-env) MODE=print ;;
	--force) FORCE=1 ;;
	-h | --help)
		sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "install-pulumi.sh: unknown argument: $arg" >&2
		exit 2
		;;
	esac
done

log() { printf 'install-pulumi: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# Each build step prints its name and how long it took.
step() {
	local name=$1
	shift
	local start=$SECONDS
	log "-> $name"
	"$@"
	log "   done: $name ($((SECONDS - start))s)"
}

print_env() { # $1 = directory to prepend to PATH, or empty
	if [[ -n "$1" ]]; then
		# shellcheck disable=SC2016 # $PATH is expanded by the caller's shell
		printf 'export PATH=%q:"$PATH"\n' "$1"
		printf 'export PULUMI_HOME=%q\n' "$RF_PULUMI_HOME"
	fi
	echo 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true'
	echo 'export PULUMI_SKIP_UPDATE_CHECK=true'
}

stamp_key() {
	printf 'recipe=%s pulumi=%s command=%s kubernetes=%s pkg=%s sdk=%s k8s=%s k8ssdk=%s\n' \
		"$RECIPE" "$PULUMI_VERSION" "$COMMAND_VERSION" "$KUBERNETES_VERSION" \
		"$PULUMI_PKG_MOD" "$PULUMI_SDK_MOD" "$K8S_PROVIDER_MOD" "$K8S_SDK_MOD"
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
	local key="$RECIPE $PULUMI_PKG_MOD $PULUMI_SDK_MOD"
	built "$BIN_DIR/pulumi" "$key" && {
		log "   pulumi already built"
		return 0
	}
	(cd "$PULUMI_SRC/pkg" && "$GO" build -o "$BIN_DIR/pulumi" \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
		./cmd/pulumi)
	mark_built "$BIN_DIR/pulumi" "$key"
}

write_shims() {
	local d=$PULUMI_SRC/rf-shims
	mkdir -p "$d/cmd/pulumi-language-nodejs" "$d/cmd/pulumi-resource-command"
	cat >"$d/go.mod" <<EOF
module rhcos-forge.local/pulumi-shims

go 1.25.11

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION

replace github.com/pulumi/pulumi/sdk/v3 => ../sdk
EOF
	# Seed the checksums from the sdk so that `-mod=mod` only resolves, not trusts.
	[[ -f "$d/go.sum" ]] || cp "$PULUMI_SRC/sdk/go.sum" "$d/go.sum"
	cat >"$d/cmd/pulumi-language-nodejs/main.go" <<'GOEOF'
// Stand-in Node.js language host for the Pulumi engine, written for
// rhcos-forge because the upstream pulumi-language-nodejs module is not
// obtainable from the module proxy this project can reach.
//
// Scope: run a Node.js/TypeScript program through the @pulumi/pulumi SDK's own
// "cmd/run" entry point (found in the program's node_modules), report the
// resource plugins the program's node_modules declare, and answer About and
// GetProgramDependencies. Code generation, packing, linking and plugin
// programs are not supported.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set with -ldflags "-X main.version=...".
var version = "3.0.0"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
}

func main() {
	// The engine passes its own address as the last positional argument;
	// flags in front of it (e.g. -tracing, -root) are accepted and ignored.
	var engine string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			engine = a
		}
	}
	h := &host{engine: engine}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host stopped: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// programDir picks the directory holding the program from whatever the engine sent.
func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if info != nil && info.GetRootDirectory() != "" {
		return info.GetRootDirectory()
	}
	if pwd != "" {
		return pwd
	}
	wd, _ := os.Getwd()
	return wd
}

// findUp looks for rel in dir and each of its parents.
func findUp(dir, rel string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

type pluginMeta struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// nodeModulesDir returns the nearest node_modules directory above dir.
func nodeModulesDir(dir string) (string, bool) {
	return findUp(dir, "node_modules")
}

// packageDirs lists the top-level (and scoped) package directories of a node_modules tree.
func packageDirs(nm string) []string {
	var out []string
	entries, err := os.ReadDir(nm)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(nm, name)
		if strings.HasPrefix(name, "@") {
			sub, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range sub {
				out = append(out, filepath.Join(p, s.Name()))
			}
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func readMeta(dir string) (*pluginMeta, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, false
	}
	var m pluginMeta
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	return &m, true
}

func (h *host) requiredPlugins(dir string) []*pulumirpc.PluginDependency {
	nm, ok := nodeModulesDir(dir)
	if !ok {
		return nil
	}
	var deps []*pulumirpc.PluginDependency
	for _, p := range packageDirs(nm) {
		m, ok := readMeta(p)
		if !ok || m.Pulumi == nil || !m.Pulumi.Resource {
			continue
		}
		name := m.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(filepath.Base(p), "pulumi-")
		}
		v := m.Pulumi.Version
		if v == "" {
			v = m.Version
		}
		if v != "" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		deps = append(deps, &pulumirpc.PluginDependency{
			Name: name, Kind: "resource", Version: v, Server: m.Pulumi.Server,
		})
	}
	return deps
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{
		Plugins: h.requiredPlugins(programDir(req.GetInfo(), req.GetPwd())),
	}, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var pkgs []*pulumirpc.PackageDependency
	for _, p := range h.requiredPlugins(programDir(req.GetInfo(), "")) {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// option reads one runtime option from Pulumi.yaml's runtime.options.
func option(info *pulumirpc.ProgramInfo, key string) (any, bool) {
	if info == nil || info.GetOptions() == nil {
		return nil, false
	}
	v, ok := info.GetOptions().AsMap()[key]
	return v, ok
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	entry := "."
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	} else if req.GetProgram() != "" { //nolint:staticcheck // older engines
		entry = req.GetProgram() //nolint:staticcheck
	}

	runScript, ok := findUp(dir, filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run"))
	if !ok {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"could not find node_modules/@pulumi/pulumi above %s; run 'npm ci' first", dir)}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find 'node' on PATH"}, nil
	}

	var args []string
	if v, ok := option(info, "nodeargs"); ok {
		if s, ok := v.(string); ok {
			args = append(args, strings.Fields(s)...)
		}
	}
	root := dir
	if info != nil && info.GetRootDirectory() != "" {
		root = info.GetRootDirectory()
	}
	args = append(args, runScript,
		"--monitor="+req.GetMonitorAddress(),
		"--engine="+h.engine,
		"--organization="+req.GetOrganization(),
		"--project="+req.GetProject(),
		"--stack="+req.GetStack(),
		"--root-directory="+root,
		"--pwd="+dir,
		"--parallel="+strconv.Itoa(int(req.GetParallel())),
	)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cfg, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	sk, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfg), "PULUMI_CONFIG_SECRET_KEYS="+string(sk))
	typescript := true
	if v, ok := option(info, "typescript"); ok {
		if b, ok := v.(bool); ok {
			typescript = b
		}
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if v, ok := option(info, "tsconfig"); ok {
		if s, ok := v.(string); ok && s != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+s)
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		// 32: the program already reported a user-actionable error.
		if exitErr.ExitCode() == 32 {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	msg := "pulumi-language-nodejs (rhcos-forge stand-in): dependencies are not installed by the " +
		"language host; run 'npm ci' in the project instead.\n"
	return srv.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, "could not find 'node' on PATH")
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "rhcos-forge stand-in " + version},
	}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	pj, ok := findUp(dir, "package.json")
	if !ok {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	b, err := os.ReadFile(pj)
	if err != nil {
		return nil, err
	}
	var manifest struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for n := range manifest.Dependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		for n := range manifest.DevDependencies {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	nm := filepath.Join(filepath.Dir(pj), "node_modules")
	var deps []*pulumirpc.DependencyInfo
	for _, n := range sorted {
		v := manifest.Dependencies[n]
		if v == "" {
			v = manifest.DevDependencies[n]
		}
		if m, ok := readMeta(filepath.Join(nm, n)); ok && m.Version != "" {
			v = m.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
GOEOF
	cat >"$d/cmd/pulumi-resource-command/main.go" <<'GOEOF'
// Stand-in resource provider for the "command" package, written for
// rhcos-forge because the upstream pulumi-command provider module is not
// obtainable from the module proxy this project can reach.
//
// Scope: command:local:Command (create/update/delete, dir, environment,
// interpreter, stdin, triggers, addPreviousOutputInEnv), the command:local:run
// invoke, command:remote:Command (the same over SSH, golang.org/x/crypto/ssh)
// and command:remote:CopyToRemote with a FileAsset source. Not supported:
// assetPaths/archivePaths, other CopyToRemote sources, proxy (bastion)
// connections, streaming command output to the engine log.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set with -ldflags "-X main.version=...".
var version = "1.2.1"

const (
	localCommandType  = "command:local:Command"
	remoteCommandType = "command:remote:Command"
	copyToRemoteType  = "command:remote:CopyToRemote"
	runToken          = "command:local:run"
)

// inputKeys are, per resource type, the properties that come from the program.
var inputKeys = map[string][]resource.PropertyKey{
	localCommandType: {
		"addPreviousOutputInEnv", "archivePaths", "assetPaths", "create", "delete", "dir",
		"environment", "interpreter", "logging", "stdin", "triggers", "update",
	},
	remoteCommandType: {
		"addPreviousOutputInEnv", "connection", "create", "delete", "environment",
		"logging", "stdin", "triggers", "update",
	},
	copyToRemoteType: {"connection", "remotePath", "source", "triggers"},
}

// notSupported ends every "this stand-in cannot do that" message.
const notSupported = "not supported by the rhcos-forge command provider stand-in"

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	ctx    context.Context
	cancel context.CancelFunc
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	p := &provider{ctx: ctx, cancel: cancel}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, p)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start provider: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: provider stopped: %v\n", err)
		os.Exit(1)
	}
}

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func fromRPC(label string, in *structpb.Struct) (resource.PropertyMap, error) {
	if in == nil {
		return resource.PropertyMap{}, nil
	}
	opts := marshalOpts
	opts.Label = label
	return plugin.UnmarshalProperties(in, opts)
}

func toRPC(label string, pm resource.PropertyMap) (*structpb.Struct, error) {
	opts := marshalOpts
	opts.Label = label
	return plugin.MarshalProperties(pm, opts)
}

func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest,
) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, version)}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{SupportsPreview: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

// checkType returns the resource type (from the request, else the URN) if this provider knows it.
func checkType(t, urn string) (string, error) {
	if t == "" {
		if i := strings.LastIndex(urn, "::"); i > 0 {
			rest := urn[:i]
			if j := strings.LastIndex(rest, "::"); j >= 0 {
				t = rest[j+2:]
			}
			if k := strings.LastIndex(t, "$"); k >= 0 {
				t = t[k+1:]
			}
		}
	}
	if _, ok := inputKeys[t]; !ok {
		return t, status.Errorf(codes.Unimplemented, "resource type %q is %s (only %s, %s, %s)",
			t, notSupported, localCommandType, remoteCommandType, copyToRemoteType)
	}
	return t, nil
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := fromRPC("check.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	fail := func(k, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: k, Reason: reason})
	}
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := news[k]; ok && !v.IsNull() {
			fail(string(k), notSupported)
		}
	}
	if typ != localCommandType {
		if c, ok := news["connection"]; !ok || c.IsNull() {
			fail("connection", "missing required property 'connection'")
		} else if c.IsObject() {
			if v, ok := c.ObjectValue()["proxy"]; ok && !v.IsNull() {
				fail("connection.proxy", notSupported)
			}
		}
	}
	if typ == copyToRemoteType {
		if v, ok := news["remotePath"]; !ok || v.IsNull() {
			fail("remotePath", "missing required property 'remotePath'")
		}
		if v, ok := news["source"]; !ok || v.IsNull() {
			fail("source", "missing required property 'source'")
		} else if !v.ContainsUnknowns() && !(v.IsAsset() && v.AssetValue().IsPath()) {
			fail("source", "a source other than a FileAsset (asset with a path) is "+notSupported)
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// Diff is shared by all three resource types: a change to triggers replaces, any other input
// change is an in-place update.
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := fromRPC("diff.olds", req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := fromRPC("diff.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	var diffs, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range inputKeys[typ] {
		if ignored[string(k)] {
			continue
		}
		o, ook := olds[k]
		n, nok := news[k]
		if !ook {
			o = resource.NewNullProperty()
		}
		if !nok {
			n = resource.NewNullProperty()
		}
		if !n.ContainsUnknowns() && o.DeepEquals(n) {
			continue
		}
		diffs = append(diffs, string(k))
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case o.IsNull():
			kind = pulumirpc.PropertyDiff_ADD
		case n.IsNull():
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if k == "triggers" {
			replaces = append(replaces, string(k))
			kind += 1 // the *_REPLACE variant follows each plain kind
		}
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{
		Changes: changes, Diffs: diffs, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func str(pm resource.PropertyMap, k resource.PropertyKey) string {
	if v, ok := pm[k]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

type runSpec struct {
	command     string
	dir         string
	interpreter []string
	environment map[string]string
	stdin       string
	// conn is set for command:remote:Command: the command runs in an SSH session there.
	conn *sshConn
}

func specFrom(typ string, pm resource.PropertyMap, command string) (runSpec, error) {
	s := runSpec{command: command, dir: str(pm, "dir"), stdin: str(pm, "stdin"), environment: map[string]string{}}
	if typ == remoteCommandType {
		c, err := connFrom(pm)
		if err != nil {
			return s, err
		}
		s.conn = c
	}
	if v, ok := pm["interpreter"]; ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			if !e.IsString() {
				return s, fmt.Errorf("interpreter must be a list of strings")
			}
			s.interpreter = append(s.interpreter, e.StringValue())
		}
	}
	if len(s.interpreter) == 0 {
		s.interpreter = []string{"/bin/sh", "-c"}
	}
	if v, ok := pm["environment"]; ok && v.IsObject() {
		for k, e := range v.ObjectValue() {
			switch {
			case e.IsString():
				s.environment[string(k)] = e.StringValue()
			case e.IsNull():
			default:
				s.environment[string(k)] = fmt.Sprint(e.V)
			}
		}
	}
	return s, nil
}

// opContext bounds an operation by its custom timeout and by a Cancel from the engine.
func (p *provider) opContext(ctx context.Context, timeout float64) (context.Context, context.CancelFunc) {
	var cancelTimeout context.CancelFunc = func() {}
	if timeout > 0 {
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(timeout*float64(time.Second)))
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		cancelTimeout()
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (p *provider) run(ctx context.Context, s runSpec, timeout float64) (string, string, error) {
	ctx, cancel := p.opContext(ctx, timeout)
	defer cancel()

	if s.conn != nil {
		stdout, stderr, err := runRemote(ctx, s)
		return finish(s, stdout, stderr, err)
	}
	args := append(append([]string{}, s.interpreter[1:]...), s.command)
	cmd := exec.CommandContext(ctx, s.interpreter[0], args...)
	cmd.Dir = s.dir
	env := os.Environ()
	for _, k := range sortedKeys(s.environment) {
		env = append(env, k+"="+s.environment[k])
	}
	cmd.Env = env
	if s.stdin != "" {
		cmd.Stdin = strings.NewReader(s.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	return finish(s, &stdout, &stderr, cmd.Run())
}

// finish trims one trailing newline off each stream and builds the error of a failed command.
func finish(s runSpec, stdout, stderr *bytes.Buffer, err error) (string, string, error) {
	out := strings.TrimSuffix(strings.TrimSuffix(stdout.String(), "\n"), "\r")
	errOut := strings.TrimSuffix(strings.TrimSuffix(stderr.String(), "\n"), "\r")
	if err != nil {
		return out, errOut, fmt.Errorf("command %q failed: %w; stderr: %s; stdout: %s",
			s.command, err, tail(errOut), tail(out))
	}
	return out, errOut, nil
}

func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withOutputs is the resource state: its inputs plus, for the command types, stdout and stderr.
func withOutputs(typ string, in resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, k := range inputKeys[typ] {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	if typ != copyToRemoteType {
		out["stdout"] = stdout
		out["stderr"] = stderr
	}
	return out
}

func unknown() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

// apply runs what an operation does on the host: the create (or, for an update, update-else-create)
// command of a command type, or the copy of a CopyToRemote. olds is nil on create.
func (p *provider) apply(ctx context.Context, typ, op string, olds, news resource.PropertyMap,
	timeout float64,
) (string, string, error) {
	if typ == copyToRemoteType {
		// Like upstream's Update: copy again only when the source or the destination changed.
		if olds != nil && olds["source"].DeepEquals(news["source"]) && str(olds, "remotePath") == str(news, "remotePath") {
			return "", "", nil
		}
		return "", "", p.copyToRemote(ctx, news, timeout)
	}
	c := str(news, resource.PropertyKey(op))
	if op == "update" && c == "" {
		c = str(news, "create")
	}
	if c == "" {
		return "", "", nil
	}
	s, err := specFrom(typ, news, c)
	if err != nil {
		return "", "", err
	}
	if olds != nil {
		previousOutputEnv(&s, olds, news)
	}
	return p.run(ctx, s, timeout)
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := fromRPC("create.news", req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out, err := toRPC("create.preview", withOutputs(typ, news, unknown(), unknown()))
		return &pulumirpc.CreateResponse{Properties: out}, err
	}
	stdout, stderr, err := p.apply(ctx, typ, "create", nil, news, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	out, err := toRPC("create.out", withOutputs(typ, news,
		resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)))
	if err != nil {
		return nil, err
	}
	id := req.GetName()
	if id == "" {
		id = "command"
	}
	return &pulumirpc.CreateResponse{Id: id + "-" + newID(), Properties: out}, nil
}

func previousOutputEnv(s *runSpec, state, news resource.PropertyMap) {
	if v, ok := news["addPreviousOutputInEnv"]; ok && v.IsBool() && !v.BoolValue() {
		return
	}
	s.environment["PULUMI_COMMAND_STDOUT"] = str(state, "stdout")
	s.environment["PULUMI_COMMAND_STDERR"] = str(state, "stderr")
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := fromRPC("update.olds", req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := fromRPC("update.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out, err := toRPC("update.preview", withOutputs(typ, news, unknown(), unknown()))
		return &pulumirpc.UpdateResponse{Properties: out}, err
	}
	stdout, stderr, err := p.apply(ctx, typ, "update", olds, news, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	out, err := toRPC("update.out", withOutputs(typ, news,
		resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)))
	return &pulumirpc.UpdateResponse{Properties: out}, err
}

// Delete runs the delete command if there is one; a CopyToRemote leaves its file, as upstream does.
func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := fromRPC("delete.state", req.GetProperties())
	if err != nil {
		return nil, err
	}
	if c := str(state, "delete"); c != "" && typ != copyToRemoteType {
		s, err := specFrom(typ, state, c)
		if err != nil {
			return nil, err
		}
		previousOutputEnv(&s, state, state)
		if _, _, err := p.run(ctx, s, req.GetTimeout()); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := fromRPC("read.state", req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs := resource.PropertyMap{}
	for _, k := range inputKeys[typ] {
		if v, ok := state[k]; ok {
			inputs[k] = v
		}
	}
	in, err := toRPC("read.inputs", inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: in}, nil
}

func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, status.Errorf(codes.Unimplemented,
			"function %q is not supported by the rhcos-forge command provider stand-in (only %s)", req.GetTok(), runToken)
	}
	args, err := fromRPC("invoke.args", req.GetArgs())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := args[k]; ok && !v.IsNull() {
			return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{
				Property: string(k), Reason: "not supported by the rhcos-forge command provider stand-in",
			}}}, nil
		}
	}
	s, err := specFrom(localCommandType, args, str(args, "command"))
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := p.run(ctx, s, 0)
	if err != nil {
		return nil, err
	}
	ret := resource.PropertyMap{}
	for k, v := range args {
		ret[k] = v
	}
	ret["stdout"] = resource.NewStringProperty(stdout)
	ret["stderr"] = resource.NewStringProperty(stderr)
	out, err := toRPC("invoke.out", ret)
	return &pulumirpc.InvokeResponse{Return: out}, err
}

// ---------------------------------------------------------------- remote (SSH) ------------

// sshConn is the connection input of command:remote:*, with upstream's defaults.
type sshConn struct {
	host, user, password, privateKey, privateKeyPassword, agentSocketPath, hostKey string
	port, dialErrorLimit, perDialTimeout                                           int
}

func connFrom(pm resource.PropertyMap) (*sshConn, error) {
	v, ok := pm["connection"]
	if !ok || !v.IsObject() {
		return nil, fmt.Errorf("connection is required")
	}
	o := v.ObjectValue()
	num := func(k resource.PropertyKey, def int) int {
		if x, ok := o[k]; ok && x.IsNumber() {
			return int(x.NumberValue())
		}
		return def
	}
	c := &sshConn{
		host: str(o, "host"), user: str(o, "user"), password: str(o, "password"),
		privateKey: str(o, "privateKey"), privateKeyPassword: str(o, "privateKeyPassword"),
		agentSocketPath: str(o, "agentSocketPath"), hostKey: str(o, "hostKey"),
		port: num("port", 22), dialErrorLimit: num("dialErrorLimit", 10), perDialTimeout: num("perDialTimeout", 15),
	}
	if c.user == "" {
		c.user = "root"
	}
	if c.host == "" {
		return nil, fmt.Errorf("connection.host is required")
	}
	if x, ok := o["proxy"]; ok && !x.IsNull() {
		return nil, fmt.Errorf("connection.proxy is %s", notSupported)
	}
	return c, nil
}

func (c *sshConn) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

func (c *sshConn) clientConfig() (*ssh.ClientConfig, io.Closer, error) {
	cfg := &ssh.ClientConfig{
		User:    c.user,
		Timeout: time.Duration(c.perDialTimeout) * time.Second,
		// As upstream: without connection.hostKey, any host key is accepted.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	}
	if c.hostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.hostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("connection.hostKey: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
	}
	if c.privateKey != "" {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.privateKey), []byte(c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.privateKey))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("connection.privateKey: %w", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		pw := c.password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := c.agentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	var closer io.Closer
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("ssh agent %s: %w", sock, err)
		}
		closer = conn
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, closer, nil
}

// dial connects, retrying failed dials (with the sdk's backoff) up to connection.dialErrorLimit
// times (-1: no limit); perDialTimeout bounds each attempt's connect and handshake.
func (c *sshConn) dial(ctx context.Context) (*ssh.Client, error) {
	cfg, closer, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	if closer != nil {
		defer closer.Close()
	}
	var client *ssh.Client
	var lastErr error
	dials := 0
	_, _, err = retry.Until(ctx, retry.Acceptor{
		Accept: func(int, time.Duration) (bool, any, error) {
			dials++
			client, lastErr = dialOnce(ctx, c.addr(), cfg)
			if lastErr == nil {
				return true, nil, nil
			}
			if c.dialErrorLimit > -1 && dials > c.dialErrorLimit {
				return false, nil, lastErr
			}
			return false, nil, nil
		},
	})
	if client != nil {
		return client, nil
	}
	if err != nil { // the dial error limit was reached
		return nil, fmt.Errorf("ssh %s@%s: gave up after %d failed dial(s): %w", c.user, c.addr(), dials, err)
	}
	return nil, fmt.Errorf("ssh %s@%s: %w after %d failed dial(s), the last: %v", c.user, c.addr(), ctx.Err(), dials, lastErr)
}

func dialOnce(ctx context.Context, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout > 0 {
		_ = nc.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// session dials, runs fn in one new session and closes both; an ended ctx closes the connection,
// which ends a command still running.
func (c *sshConn) session(ctx context.Context, fn func(*ssh.Session) error) error {
	client, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stop()
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh %s@%s: open session: %w", c.user, c.addr(), err)
	}
	defer sess.Close()
	err = fn(sess)
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// runRemote runs s.command in an SSH session, stdin piped. environment is sent with Setenv;
// sshd refuses names it does not AcceptEnv and, as upstream does, that is ignored.
func runRemote(ctx context.Context, s runSpec) (*bytes.Buffer, *bytes.Buffer, error) {
	var stdout, stderr bytes.Buffer
	err := s.conn.session(ctx, func(sess *ssh.Session) error {
		for _, k := range sortedKeys(s.environment) {
			_ = sess.Setenv(k, s.environment[k])
		}
		if s.stdin != "" {
			sess.Stdin = strings.NewReader(s.stdin)
		}
		sess.Stdout = &stdout
		sess.Stderr = &stderr
		return sess.Run(s.command)
	})
	return &stdout, &stderr, err
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyToRemote copies a FileAsset to remotePath: into it when it is an existing directory, else
// to it, creating its parent directories. Upstream uses SFTP; this streams the file to `cat` in
// an SSH session, so the remote account needs a POSIX shell.
func (p *provider) copyToRemote(ctx context.Context, pm resource.PropertyMap, timeout float64) error {
	ctx, cancel := p.opContext(ctx, timeout)
	defer cancel()
	src, ok := pm["source"]
	if !ok || !src.IsAsset() || !src.AssetValue().IsPath() {
		return fmt.Errorf("CopyToRemote: a source other than a FileAsset (asset with a path) is %s", notSupported)
	}
	local := src.AssetValue().Path
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("CopyToRemote: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return fmt.Errorf("CopyToRemote: %w", err)
	} else if st.IsDir() {
		return fmt.Errorf("CopyToRemote: source %s is a directory; directory sources (FileArchive) are %s", local, notSupported)
	}
	conn, err := connFrom(pm)
	if err != nil {
		return err
	}
	dest := str(pm, "remotePath")
	script := fmt.Sprintf(`set -e; d=%s; if [ -d "$d" ]; then d="${d%%/}/"%s; else mkdir -p -- "$(dirname -- "$d")"; fi; cat > "$d"`,
		shellQuote(dest), shellQuote(path.Base(local)))
	var stderr bytes.Buffer
	err = conn.session(ctx, func(sess *ssh.Session) error {
		sess.Stdin = f
		sess.Stderr = &stderr
		return sess.Run(script)
	})
	if err != nil {
		return fmt.Errorf("CopyToRemote %s to %s@%s:%s failed: %w; stderr: %s",
			local, conn.user, conn.addr(), dest, err, tail(strings.TrimSpace(stderr.String())))
	}
	return nil
}
GOEOF
}

build_shim() { # binary version outdir
	local key out=$3/$1
	write_shims
	key="$RECIPE $PULUMI_SDK_MOD $2 $(cat "$PULUMI_SRC/rf-shims/go.mod" "$PULUMI_SRC/rf-shims/cmd/$1/main.go" | cksum | cut -d' ' -f1)"
	built "$out" "$key" && {
		log "   $1 already built"
		return 0
	}
	(cd "$PULUMI_SRC/rf-shims" && "$GO" build -mod=mod -o "$out" \
		-ldflags "-s -w -X main.version=$2" "./cmd/$1")
	mark_built "$out" "$key"
}

fetch_kubernetes_sources() {
	fetch_module "$K8S_PROVIDER_MOD" "$K8S_SRC/provider"
	fetch_module "$K8S_SDK_MOD" "$K8S_SRC/sdk"
}

build_kubernetes_provider() {
	local key="$RECIPE $K8S_PROVIDER_MOD $K8S_SDK_MOD $KUBERNETES_VERSION"
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
}

total_start=$SECONDS
rm -f "$STAMP"
step "fetch $PULUMI_PKG_MOD + $PULUMI_SDK_MOD" fetch_pulumi_sources
step "build pulumi CLI v$PULUMI_VERSION" build_pulumi_cli
step "build pulumi-language-nodejs (stand-in, on sdk v$PULUMI_VERSION)" \
	build_shim pulumi-language-nodejs "$PULUMI_VERSION" "$BIN_DIR"
step "build pulumi-resource-command $COMMAND_VERSION (stand-in: local.Command, local.run, remote.Command, remote.CopyToRemote)" \
	build_shim pulumi-resource-command "$COMMAND_VERSION" "$PROVIDER_DIR"
step "fetch $K8S_PROVIDER_MOD + $K8S_SDK_MOD" fetch_kubernetes_sources
step "build pulumi-resource-kubernetes (stamped $KUBERNETES_VERSION)" build_kubernetes_provider
step "install plugins into $RF_PULUMI_HOME" install_plugins
step "check pulumi version" smoke_check
stamp_key >"$STAMP"
log "engine ready in $((SECONDS - total_start))s; export this env (or: source scripts/pulumi-env.sh):"
print_env "$BIN_DIR" | sed 's/^/    /' >&2
print_env "$BIN_DIR"
