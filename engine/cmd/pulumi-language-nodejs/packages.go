package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// pluginMeta is the part of a package.json this host reads: a package's version and, for a
// Pulumi provider SDK, its "pulumi" block naming the resource plugin it needs.
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

// requiredPlugins lists the resource plugins declared by the packages in the program's node_modules
// (those whose package.json has "pulumi": {"resource": true, ...}).
func requiredPlugins(dir string) []*pulumirpc.PluginDependency {
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
		Plugins: requiredPlugins(programDir(req.GetInfo(), req.GetPwd())),
	}, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	var pkgs []*pulumirpc.PackageDependency
	for _, p := range requiredPlugins(programDir(req.GetInfo(), "")) {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// GetProgramDependencies lists the program's package.json dependencies (and, when transitive
// dependencies are asked for, its devDependencies) with the versions installed in node_modules.
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
