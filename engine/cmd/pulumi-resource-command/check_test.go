package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func checkFailed(t *testing.T, urn string, news map[string]any) map[string]string {
	t.Helper()
	p, _ := newTestProvider(t)
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: rpcProps(t, news)})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	got := map[string]string{}
	for _, f := range resp.GetFailures() {
		got[f.GetProperty()] = f.GetReason()
	}
	return got
}

func keys(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fileAsset, err := resource.NewPathAsset(file)
	if err != nil {
		t.Fatal(err)
	}
	textAsset, err := resource.NewTextAsset("x")
	if err != nil {
		t.Fatal(err)
	}
	conn := map[string]any{"host": "h"}
	cases := []struct {
		name, urn string
		news      map[string]any
		failures  string // the failing properties, sorted
	}{
		{"local command", localURN, map[string]any{"create": "true", "logging": "stderr"}, ""},
		{"asset and archive paths", localURN, map[string]any{"create": "true", "assetPaths": []any{"*"}, "archivePaths": []any{"*"}}, "archivePaths,assetPaths"},
		{"bad logging value", localURN, map[string]any{"create": "true", "logging": "everything"}, "logging"},
		{"unknown logging is not judged", localURN, map[string]any{"create": "true", "logging": resource.MakeComputed(resource.NewStringProperty(""))}, ""},
		{"every logging value", remoteURN, map[string]any{"connection": conn, "logging": "none"}, ""},
		{"remote without connection", remoteURN, map[string]any{"create": "true"}, "connection"},
		{"proxy", remoteURN, map[string]any{"connection": map[string]any{"host": "h", "proxy": map[string]any{"host": "b"}}}, "connection.proxy"},
		{"copy of a file", copyURN, map[string]any{"connection": conn, "remotePath": "/tmp/x", "source": fileAsset}, ""},
		{"copy of a text asset", copyURN, map[string]any{"connection": conn, "remotePath": "/tmp/x", "source": textAsset}, "source"},
		{"copy without source or path", copyURN, map[string]any{"connection": conn}, "remotePath,source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkFailed(t, c.urn, c.news)
			if keys(got) != c.failures {
				t.Fatalf("failures %v, want properties %q", got, c.failures)
			}
		})
	}
	for _, v := range []string{"stdout", "stderr", "stdoutAndStderr", "none"} {
		if got := checkFailed(t, localURN, map[string]any{"logging": v}); len(got) != 0 {
			t.Errorf("logging %q: %v", v, got)
		}
	}
	if got := checkFailed(t, localURN, map[string]any{"logging": "everything"})["logging"]; !strings.Contains(got, "stdoutAndStderr") {
		t.Errorf("the logging failure should list the values: %q", got)
	}
}

func TestCheckUnknownType(t *testing.T) {
	p, _ := newTestProvider(t)
	_, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: "urn:pulumi:s::p::command:local:Other::x"})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "command:local:Other") {
		t.Fatalf("got %v, want Unimplemented naming the type", err)
	}
}

func TestCheckTypeFromURN(t *testing.T) {
	for urn, want := range map[string]string{
		localURN: localCommandType,
		"urn:pulumi:s::p::rhcos-forge:host:Step$command:remote:Command::x": remoteCommandType,
		copyURN: copyToRemoteType,
	} {
		got, err := checkType("", urn)
		if err != nil || got != want {
			t.Errorf("checkType(%q) = %q, %v; want %q", urn, got, err, want)
		}
	}
}
