package main

import (
	"context"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	localURN  = "urn:pulumi:test::proj::command:local:Command::cmd"
	remoteURN = "urn:pulumi:test::proj::command:remote:Command::rcmd"
	copyURN   = "urn:pulumi:test::proj::command:remote:CopyToRemote::copy"
)

// fakeEngine records the log messages the provider sends; each one is also sent on ch when set.
type fakeEngine struct {
	mu   sync.Mutex
	msgs []*pulumirpc.LogRequest
	ch   chan *pulumirpc.LogRequest
}

func (f *fakeEngine) Log(_ context.Context, in *pulumirpc.LogRequest, _ ...grpc.CallOption) (*emptypb.Empty, error) {
	f.mu.Lock()
	f.msgs = append(f.msgs, in)
	ch := f.ch
	f.mu.Unlock()
	if ch != nil {
		ch <- in
	}
	return &emptypb.Empty{}, nil
}

func (f *fakeEngine) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		out = append(out, m.GetMessage())
	}
	return out
}

// newTestProvider is a provider whose log messages go to the returned fake engine.
func newTestProvider(t *testing.T) (*provider, *fakeEngine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := newProvider(ctx, cancel)
	eng := &fakeEngine{}
	p.engine = eng
	return p, eng
}

func rpcProps(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := toRPC("test", resource.NewPropertyMapFromMap(m))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fromRPCT(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	pm, err := fromRPC("test", s)
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// create runs Create for typ with the given inputs and returns the new state.
func create(t *testing.T, p *provider, urn string, inputs map[string]any) (resource.PropertyMap, error) {
	t.Helper()
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: urn, Name: "cmd", Properties: rpcProps(t, inputs), Timeout: 30,
	})
	if err != nil {
		return nil, err
	}
	if resp.GetId() == "" {
		t.Fatalf("Create returned no id")
	}
	return fromRPCT(t, resp.GetProperties()), nil
}

func update(t *testing.T, p *provider, urn string, olds resource.PropertyMap, news map[string]any,
) (resource.PropertyMap, error) {
	t.Helper()
	o, err := toRPC("test", olds)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urn, Olds: o, News: rpcProps(t, news), Timeout: 30,
	})
	if err != nil {
		return nil, err
	}
	return fromRPCT(t, resp.GetProperties()), nil
}

func mustCreate(t *testing.T, p *provider, urn string, inputs map[string]any) resource.PropertyMap {
	t.Helper()
	state, err := create(t, p, urn, inputs)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return state
}
