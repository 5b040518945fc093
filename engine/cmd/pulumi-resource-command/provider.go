package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	// ctx ends when the engine sends Cancel; every operation's context ends with it.
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	engineAddr string
	engineConn *grpc.ClientConn
	engine     engineLog // where command output goes; nil: nowhere
}

func newProvider(ctx context.Context, cancel context.CancelFunc) *provider {
	return &provider{ctx: ctx, cancel: cancel}
}

// setEngine points the provider's logging at the engine's gRPC address (no connection is made
// until the first message).
func (p *provider) setEngine(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr == "" || addr == p.engineAddr {
		return
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return // output is then not streamed; the operations still work
	}
	if p.engineConn != nil {
		_ = p.engineConn.Close()
	}
	p.engineAddr, p.engineConn, p.engine = addr, conn, pulumirpc.NewEngineClient(conn)
}

func (p *provider) engineLogger() engineLog {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engine
}

func (p *provider) closeEngine() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.engineConn != nil {
		_ = p.engineConn.Close()
	}
	p.engineAddr, p.engineConn, p.engine = "", nil, nil
}

func (p *provider) Handshake(_ context.Context, req *pulumirpc.ProviderHandshakeRequest,
) (*pulumirpc.ProviderHandshakeResponse, error) {
	p.setEngine(req.GetEngineAddress())
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

// write is Create and Update (olds is nil on create): a preview only reports unknown outputs;
// otherwise apply does the work and the new state is the inputs plus stdout and stderr.
func (p *provider) write(ctx context.Context, op, typ, urn string, olds, news resource.PropertyMap,
	preview bool, timeout float64,
) (*structpb.Struct, error) {
	if preview {
		return toRPC(op+".preview", withOutputs(typ, news, unknown(), unknown()))
	}
	stdout, stderr, err := p.apply(ctx, op, typ, urn, olds, news, timeout)
	if err != nil {
		return nil, err
	}
	return toRPC(op+".out", withOutputs(typ, news,
		resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)))
}

// apply runs what an operation does on the host: the create (or, for an update, update-else-create)
// command of a command type, or the copy of a CopyToRemote.
func (p *provider) apply(ctx context.Context, op, typ, urn string, olds, news resource.PropertyMap,
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
	return p.run(ctx, s, urn, timeout)
}

// previousOutputEnv passes the last stdout and stderr to the command, unless addPreviousOutputInEnv
// is false.
func previousOutputEnv(s *runSpec, state, news resource.PropertyMap) {
	if v, ok := news["addPreviousOutputInEnv"]; ok && v.IsBool() && !v.BoolValue() {
		return
	}
	s.environment["PULUMI_COMMAND_STDOUT"] = str(state, "stdout")
	s.environment["PULUMI_COMMAND_STDERR"] = str(state, "stderr")
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
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
	out, err := p.write(ctx, "create", typ, req.GetUrn(), nil, news, req.GetPreview(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	id := ""
	if !req.GetPreview() {
		name := req.GetName()
		if name == "" {
			name = "command"
		}
		id = name + "-" + newID()
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
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
	out, err := p.write(ctx, "update", typ, req.GetUrn(), olds, news, req.GetPreview(), req.GetTimeout())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
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
		if _, _, err := p.run(ctx, s, req.GetUrn(), req.GetTimeout()); err != nil {
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

// Invoke implements command:local:run, which runs a command on this machine at once.
func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, status.Errorf(codes.Unimplemented,
			"function %q is %s (only %s)", req.GetTok(), notSupported, runToken)
	}
	args, err := fromRPC("invoke.args", req.GetArgs())
	if err != nil {
		return nil, err
	}
	if failures := checkFailures(localCommandType, args); len(failures) > 0 {
		return &pulumirpc.InvokeResponse{Failures: failures}, nil
	}
	s, err := specFrom(localCommandType, args, str(args, "command"))
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := p.run(ctx, s, "", 0)
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
