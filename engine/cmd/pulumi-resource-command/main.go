// Stand-in resource provider for the "command" package, written for
// rhcos-forge because the upstream pulumi-command provider module is not
// obtainable from the module proxy this project can reach.
//
// Scope: command:local:Command (create/update/delete, dir, environment,
// interpreter, stdin, triggers, logging, addPreviousOutputInEnv), the
// command:local:run invoke, command:remote:Command (the same over SSH,
// golang.org/x/crypto/ssh) and command:remote:CopyToRemote with a FileAsset
// source. Command output is streamed to the engine as status messages while
// the command runs, per the logging input, as upstream does. Not supported:
// assetPaths/archivePaths, other CopyToRemote sources, proxy (bastion)
// connections.
//
// Files: provider.go (gRPC surface, Create/Update/Delete/Read/Invoke),
// props.go (types and property helpers), check.go, diff.go, run.go (running
// a command, locally or over SSH), logging.go (output to the engine),
// ssh.go (the connection input, dialling, host key check), copy.go
// (CopyToRemote).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/grpclog"
)

// version is set with -ldflags "-X main.version=...".
var version = "1.2.1"

func main() {
	// gRPC's info logging would go to stdout, which the engine reads; drop it (upstream does too).
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr))

	ctx, cancel := context.WithCancel(context.Background())
	p := newProvider(ctx, cancel)
	// The engine passes its own address as the first positional argument (newer engines also
	// send it in Handshake); it is where command output is logged.
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			p.setEngine(a)
			break
		}
	}
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
	err = <-handle.Done
	p.closeEngine()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: provider stopped: %v\n", err)
		os.Exit(1)
	}
}
