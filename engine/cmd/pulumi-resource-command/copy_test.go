package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyInputs(t *testing.T, conn map[string]any, src, dest string) map[string]any {
	t.Helper()
	a, err := resource.NewPathAsset(src)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"connection": conn, "source": a, "remotePath": dest}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCopyToAPath(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	src := writeFile(t, t.TempDir(), "build.sh", "#!/bin/sh\necho build\n")
	// Missing parents are created.
	dest := filepath.Join(t.TempDir(), "work dir", "scripts", "renamed.sh")
	state := mustCreate(t, p, copyURN, copyInputs(t, srv.connection(t), src, dest))
	if got := readFile(t, dest); got != "#!/bin/sh\necho build\n" {
		t.Fatalf("copied %q", got)
	}
	if _, ok := state["stdout"]; ok {
		t.Error("CopyToRemote has no stdout output")
	}
	// An existing file is overwritten.
	writeFile(t, filepath.Dir(src), "build.sh", "v2")
	if _, err := create(t, p, copyURN, copyInputs(t, srv.connection(t), src, dest)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dest); got != "v2" {
		t.Fatalf("overwritten with %q", got)
	}
}

func TestCopyIntoADirectory(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	src := writeFile(t, t.TempDir(), "lib's.sh", "lib")
	dir := t.TempDir()
	for _, dest := range []string{dir, dir + "/"} {
		mustCreate(t, p, copyURN, copyInputs(t, srv.connection(t), src, dest))
		if got := readFile(t, filepath.Join(dir, "lib's.sh")); got != "lib" {
			t.Fatalf("remotePath %q: copied %q", dest, got)
		}
		_ = os.Remove(filepath.Join(dir, "lib's.sh"))
	}
}

func TestCopyUpdateCopiesOnlyWhenSourceOrPathChanged(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	srcDir := t.TempDir()
	src := writeFile(t, srcDir, "a.sh", "one")
	dest := filepath.Join(t.TempDir(), "a.sh")
	in := copyInputs(t, srv.connection(t), src, dest)
	state := mustCreate(t, p, copyURN, in)
	if err := os.Remove(dest); err != nil {
		t.Fatal(err)
	}
	// Same source (hash) and path: nothing is copied.
	state, err := update(t, p, copyURN, state, copyInputs(t, srv.connection(t), src, dest))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("an update with the same source and path copied again")
	}
	// The source changed: copied again.
	writeFile(t, srcDir, "a.sh", "two")
	if _, err := update(t, p, copyURN, state, copyInputs(t, srv.connection(t), src, dest)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dest); got != "two" {
		t.Fatalf("copied %q", got)
	}
}

func TestCopyFailures(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	srcDir := t.TempDir()
	src := writeFile(t, srcDir, "a.sh", "x")

	// The parent is a file, so it cannot be created: the remote error is in the message.
	blocker := writeFile(t, t.TempDir(), "file", "")
	_, err := create(t, p, copyURN, copyInputs(t, srv.connection(t), src, filepath.Join(blocker, "a.sh")))
	if err == nil || !strings.Contains(err.Error(), "CopyToRemote "+src) || !strings.Contains(err.Error(), "stderr: mkdir") {
		t.Errorf("got %v", err)
	}
	// A directory source is a FileArchive upstream, which the stand-in does not copy.
	// (The SDK will not hash a directory, so the asset is built by hand.)
	a := &resource.Asset{Sig: resource.AssetSig, Path: srcDir}
	in := map[string]any{"connection": srv.connection(t), "source": a, "remotePath": t.TempDir()}
	if _, err := create(t, p, copyURN, in); err == nil || !strings.Contains(err.Error(), notSupported) {
		t.Errorf("directory source: %v", err)
	}
}

func TestCopyScriptQuoting(t *testing.T) {
	got := copyScript("/a b/it's", "x'y")
	for _, want := range []string{`d='/a b/it'\''s'`, `"${d%/}/"'x'\''y'`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
}
