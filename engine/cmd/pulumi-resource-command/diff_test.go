package main

import (
	"context"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func diff(t *testing.T, urn string, olds, news map[string]any, ignore ...string) *pulumirpc.DiffResponse {
	t.Helper()
	p, _ := newTestProvider(t)
	// The old state carries outputs too; they must not count as input changes.
	o := resource.NewPropertyMapFromMap(olds)
	o["stdout"] = resource.NewStringProperty("previous output")
	oldsRPC, err := toRPC("olds", o)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn, Olds: oldsRPC, News: rpcProps(t, news), IgnoreChanges: ignore,
	})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	return resp
}

func TestDiffNoChange(t *testing.T) {
	in := map[string]any{"create": "echo hi", "triggers": []any{"a"}, "environment": map[string]any{"A": "1"}}
	resp := diff(t, localURN, in, in)
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE || len(resp.GetDiffs()) != 0 {
		t.Fatalf("got %v %v, want no change", resp.GetChanges(), resp.GetDiffs())
	}
}

func TestDiffInputChangeIsAnUpdate(t *testing.T) {
	resp := diff(t, localURN,
		map[string]any{"create": "echo hi", "triggers": []any{"a"}},
		map[string]any{"create": "echo bye", "triggers": []any{"a"}, "stdin": "x"})
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME {
		t.Fatalf("changes = %v", resp.GetChanges())
	}
	if !reflect.DeepEqual(resp.GetDiffs(), []string{"create", "stdin"}) || len(resp.GetReplaces()) != 0 {
		t.Fatalf("diffs %v replaces %v, want create and stdin updated in place", resp.GetDiffs(), resp.GetReplaces())
	}
	if k := resp.GetDetailedDiff()["create"].GetKind(); k != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("create: %v", k)
	}
	if k := resp.GetDetailedDiff()["stdin"].GetKind(); k != pulumirpc.PropertyDiff_ADD {
		t.Errorf("stdin: %v", k)
	}
}

func TestDiffTriggersReplace(t *testing.T) {
	cases := []struct {
		name       string
		olds, news map[string]any
		kind       pulumirpc.PropertyDiff_Kind
	}{
		{"changed", map[string]any{"triggers": []any{"a"}}, map[string]any{"triggers": []any{"b"}}, pulumirpc.PropertyDiff_UPDATE_REPLACE},
		{"added", map[string]any{}, map[string]any{"triggers": []any{"b"}}, pulumirpc.PropertyDiff_ADD_REPLACE},
		{"removed", map[string]any{"triggers": []any{"a"}}, map[string]any{}, pulumirpc.PropertyDiff_DELETE_REPLACE},
		{"unknown", map[string]any{"triggers": []any{"a"}},
			map[string]any{"triggers": []any{resource.MakeComputed(resource.NewStringProperty(""))}}, pulumirpc.PropertyDiff_UPDATE_REPLACE},
	}
	for _, c := range cases {
		for _, urn := range []string{localURN, remoteURN, copyURN} {
			resp := diff(t, urn, c.olds, c.news)
			if !reflect.DeepEqual(resp.GetReplaces(), []string{"triggers"}) {
				t.Errorf("%s %s: replaces %v, want [triggers]", c.name, urn, resp.GetReplaces())
			}
			if k := resp.GetDetailedDiff()["triggers"].GetKind(); k != c.kind {
				t.Errorf("%s %s: kind %v, want %v", c.name, urn, k, c.kind)
			}
		}
	}
}

func TestDiffIgnoreChanges(t *testing.T) {
	resp := diff(t, localURN,
		map[string]any{"create": "a", "triggers": []any{"a"}},
		map[string]any{"create": "b", "triggers": []any{"b"}}, "triggers")
	if !reflect.DeepEqual(resp.GetDiffs(), []string{"create"}) || len(resp.GetReplaces()) != 0 {
		t.Fatalf("diffs %v replaces %v, want only create", resp.GetDiffs(), resp.GetReplaces())
	}
}

func TestDiffOnlyInputsOfTheType(t *testing.T) {
	// dir is not an input of remote.Command; CopyToRemote has no create.
	resp := diff(t, remoteURN, map[string]any{"dir": "/a"}, map[string]any{"dir": "/b"})
	if resp.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("remote dir change: %v", resp.GetDiffs())
	}
	resp = diff(t, copyURN, map[string]any{"remotePath": "/a"}, map[string]any{"remotePath": "/b"})
	if !reflect.DeepEqual(resp.GetDiffs(), []string{"remotePath"}) || len(resp.GetReplaces()) != 0 {
		t.Errorf("copy remotePath change: diffs %v replaces %v", resp.GetDiffs(), resp.GetReplaces())
	}
}
