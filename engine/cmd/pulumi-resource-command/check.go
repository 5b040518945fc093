package main

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Check accepts the inputs unchanged and reports what this stand-in cannot do, and missing
// required properties, as failures.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ, err := checkType(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := fromRPC("check.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: checkFailures(typ, news)}, nil
}

func checkFailures(typ string, news resource.PropertyMap) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	fail := func(k, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: k, Reason: reason})
	}
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := news[k]; ok && !v.IsNull() {
			fail(string(k), notSupported)
		}
	}
	if v, ok := news["logging"]; ok && !v.ContainsUnknowns() {
		if _, err := loggingFrom(news); err != nil {
			fail("logging", err.Error())
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
		} else if !v.ContainsUnknowns() && (!v.IsAsset() || !v.AssetValue().IsPath()) {
			fail("source", "a source other than a FileAsset (asset with a path) is "+notSupported)
		}
	}
	return failures
}
