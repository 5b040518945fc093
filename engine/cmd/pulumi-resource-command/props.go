package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

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

func str(pm resource.PropertyMap, k resource.PropertyKey) string {
	if v, ok := pm[k]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
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

// logging is which of a command's output streams go to the engine while it runs.
type logging struct{ stdout, stderr bool }

// The values of the logging input, as upstream's Logging enum; absent means stdoutAndStderr.
var loggingValues = map[string]logging{
	"stdout":          {stdout: true},
	"stderr":          {stderr: true},
	"stdoutAndStderr": {stdout: true, stderr: true},
	"none":            {},
}

func loggingFrom(pm resource.PropertyMap) (logging, error) {
	v, ok := pm["logging"]
	if !ok || v.IsNull() {
		return loggingValues["stdoutAndStderr"], nil
	}
	if v.IsString() {
		if l, ok := loggingValues[v.StringValue()]; ok {
			return l, nil
		}
	}
	return logging{}, fmt.Errorf("logging must be one of stdout, stderr, stdoutAndStderr, none; got %v", v.V)
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
