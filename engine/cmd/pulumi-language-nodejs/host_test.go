package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// project is a program directory with a node_modules tree like the repo's.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	nm := filepath.Join(dir, "node_modules")
	writeJSON(t, filepath.Join(dir, "package.json"), map[string]any{
		"dependencies":    map[string]string{"@pulumi/command": "1.2.1", "@pulumi/pulumi": "3.248.0", "zod": "^3"},
		"devDependencies": map[string]string{"typescript": "^5"},
	})
	writeJSON(t, filepath.Join(nm, "@pulumi", "command", "package.json"), map[string]any{
		"name": "@pulumi/command", "version": "1.2.1", "pulumi": map[string]any{"resource": true, "name": "command"},
	})
	writeJSON(t, filepath.Join(nm, "@pulumi", "kubernetes", "package.json"), map[string]any{
		"name": "@pulumi/kubernetes", "version": "4.34.2",
		"pulumi": map[string]any{"resource": true, "name": "kubernetes", "version": "4.34.2-alpha", "server": "https://example.invalid"},
	})
	// Not a resource plugin: the SDK itself, and a plain package.
	writeJSON(t, filepath.Join(nm, "@pulumi", "pulumi", "package.json"), map[string]any{"name": "@pulumi/pulumi", "version": "3.248.0"})
	writeJSON(t, filepath.Join(nm, "zod", "package.json"), map[string]any{"name": "zod", "version": "3.23.8"})
	// A resource plugin without a name takes its directory's, minus "pulumi-".
	writeJSON(t, filepath.Join(nm, "pulumi-random", "package.json"), map[string]any{
		"version": "v4.1.0", "pulumi": map[string]any{"resource": true},
	})
	writeJSON(t, filepath.Join(nm, "typescript", "package.json"), map[string]any{"name": "typescript", "version": "5.4.5"})
	if err := os.WriteFile(filepath.Join(nm, "broken.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGetRequiredPackages(t *testing.T) {
	dir := project(t)
	sub := filepath.Join(dir, "components", "host")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	h := &host{}
	// The node_modules above the program directory is found.
	resp, err := h.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: sub},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range resp.GetPackages() {
		got = append(got, strings.Join([]string{p.GetKind(), p.GetName(), p.GetVersion(), p.GetServer()}, " "))
	}
	want := []string{
		"resource command v1.2.1 ",
		"resource kubernetes v4.34.2-alpha https://example.invalid",
		"resource random v4.1.0 ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("packages\n%q\nwant\n%q", got, want)
	}
	plugins, err := h.GetRequiredPlugins(context.Background(), &pulumirpc.GetRequiredPluginsRequest{Pwd: dir})
	if err != nil || len(plugins.GetPlugins()) != 3 {
		t.Fatalf("plugins %v %v", plugins.GetPlugins(), err)
	}
}

func TestGetRequiredPackagesWithoutNodeModules(t *testing.T) {
	h := &host{}
	resp, err := h.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: t.TempDir()},
	})
	if err != nil || len(resp.GetPackages()) != 0 {
		t.Fatalf("%v %v", resp.GetPackages(), err)
	}
}

func TestGetProgramDependencies(t *testing.T) {
	dir := project(t)
	h := &host{}
	deps := func(transitive bool) []string {
		resp, err := h.GetProgramDependencies(context.Background(), &pulumirpc.GetProgramDependenciesRequest{
			Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir}, TransitiveDependencies: transitive,
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range resp.GetDependencies() {
			out = append(out, d.GetName()+"@"+d.GetVersion())
		}
		return out
	}
	// Installed versions win over the ranges in package.json.
	if got, want := deps(false), []string{"@pulumi/command@1.2.1", "@pulumi/pulumi@3.248.0", "zod@3.23.8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("direct %q, want %q", got, want)
	}
	if got, want := deps(true), []string{"@pulumi/command@1.2.1", "@pulumi/pulumi@3.248.0", "typescript@5.4.5", "zod@3.23.8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("transitive %q", got)
	}
}

func options(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func TestProgramEnv(t *testing.T) {
	env, err := programEnv(&pulumirpc.RunRequest{
		Config:           map[string]string{"rhcos-forge:image": `{"packages":["htop"]}`, "aws:region": "x"},
		ConfigSecretKeys: []string{"rhcos-forge:sshPrivateKey"},
		Info:             &pulumirpc.ProgramInfo{Options: options(t, map[string]any{"typescript": false, "tsconfig": "tsconfig.build.json"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := envMap(env)
	var cfg map[string]string
	if err := json.Unmarshal([]byte(m["PULUMI_CONFIG"]), &cfg); err != nil || cfg["rhcos-forge:image"] != `{"packages":["htop"]}` {
		t.Errorf("PULUMI_CONFIG %q: %v", m["PULUMI_CONFIG"], err)
	}
	if m["PULUMI_CONFIG_SECRET_KEYS"] != `["rhcos-forge:sshPrivateKey"]` {
		t.Errorf("PULUMI_CONFIG_SECRET_KEYS %q", m["PULUMI_CONFIG_SECRET_KEYS"])
	}
	if m["PULUMI_NODEJS_TYPESCRIPT"] != "false" || m["PULUMI_NODEJS_TSCONFIG_PATH"] != "tsconfig.build.json" {
		t.Errorf("typescript options %v", m)
	}
}

func TestProgramEnvDefaults(t *testing.T) {
	env, err := programEnv(&pulumirpc.RunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m := envMap(env)
	// Empty config is an empty object (the SDK parses it), no secret keys an empty list.
	if m["PULUMI_CONFIG"] != "{}" || m["PULUMI_CONFIG_SECRET_KEYS"] != "[]" || m["PULUMI_NODEJS_TYPESCRIPT"] != "true" {
		t.Errorf("defaults %v", m)
	}
	if _, ok := m["PULUMI_NODEJS_TSCONFIG_PATH"]; ok {
		t.Error("no tsconfig option, no PULUMI_NODEJS_TSCONFIG_PATH")
	}
}

func TestNodeRunFor(t *testing.T) {
	dir := project(t)
	runScript := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	if err := os.MkdirAll(runScript, 0o755); err != nil {
		t.Fatal(err)
	}
	h := &host{engine: "127.0.0.1:1234"}
	r, userErr, err := h.nodeRunFor(&pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:999", Project: "rhcos-forge", Stack: "local", Organization: "org",
		Parallel: 8, DryRun: true, Args: []string{"extra"},
		Info: &pulumirpc.ProgramInfo{
			ProgramDirectory: dir, RootDirectory: dir, EntryPoint: "index.ts",
			Options: options(t, map[string]any{"nodeargs": "--max-old-space-size=4096 --trace-warnings"}),
		},
	})
	if err != nil || userErr != "" {
		t.Fatal(err, userErr)
	}
	want := []string{
		"--max-old-space-size=4096", "--trace-warnings", runScript,
		"--monitor=127.0.0.1:999", "--engine=127.0.0.1:1234", "--organization=org", "--project=rhcos-forge",
		"--stack=local", "--root-directory=" + dir, "--pwd=" + dir, "--parallel=8", "--dry-run", "index.ts", "extra",
	}
	if !reflect.DeepEqual(r.args, want) {
		t.Errorf("args\n%q\nwant\n%q", r.args, want)
	}
	if r.dir != dir {
		t.Errorf("dir %q", r.dir)
	}
	if _, userErr, _ := h.nodeRunFor(&pulumirpc.RunRequest{Pwd: t.TempDir()}); !strings.Contains(userErr, "run 'npm ci' first") {
		t.Errorf("without node_modules: %q", userErr)
	}
}

// fakeNode puts a `node` on PATH that records its arguments and PULUMI_CONFIG, then exits with code.
func fakeNode(t *testing.T, code string) string {
	t.Helper()
	bin := t.TempDir()
	record := filepath.Join(bin, "record")
	script := "#!/bin/sh\nprintf '%s\\n' \"$PWD\" \"$PULUMI_CONFIG\" \"$@\" > " + record + "\nexit " + code + "\n"
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte(script), 0o755); err != nil { //nolint:gosec // a test executable
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return record
}

func TestRun(t *testing.T) {
	dir := project(t)
	if err := os.MkdirAll(filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	req := &pulumirpc.RunRequest{
		Config: map[string]string{"p:k": "v"},
		Info:   &pulumirpc.ProgramInfo{ProgramDirectory: dir, EntryPoint: "."},
	}
	h := &host{}
	for code, check := range map[string]func(*pulumirpc.RunResponse) bool{
		"0":  func(r *pulumirpc.RunResponse) bool { return r.GetError() == "" && !r.GetBail() },
		"32": func(r *pulumirpc.RunResponse) bool { return r.GetBail() && r.GetError() == "" },
		"3": func(r *pulumirpc.RunResponse) bool {
			return r.GetError() == "Program exited with non-zero exit code: 3"
		},
	} {
		record := fakeNode(t, code)
		resp, err := h.Run(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !check(resp) {
			t.Errorf("exit %s: response %v", code, resp)
		}
		b, err := os.ReadFile(record)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if lines[0] != dir || lines[1] != `{"p:k":"v"}` || lines[len(lines)-1] != "." {
			t.Errorf("exit %s: node ran with %q", code, lines)
		}
	}
}
