package main

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Diff is shared by all three resource types: a change to triggers replaces the resource, any
// other input change is an in-place update. An unknown new value counts as a change.
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
			kind++ // the *_REPLACE variant follows each plain kind
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
