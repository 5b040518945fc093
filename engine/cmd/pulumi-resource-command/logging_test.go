package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestLineLoggerSplitsLines(t *testing.T) {
	var got []string
	l := newLineLogger(func(s string) { got = append(got, s) })
	for _, w := range []string{"one\ntw", "o\r\n", "\n  \n", "thr", "ee"} {
		if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if want := []string{"one", "two"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("before Flush: %q, want %q (blank lines skipped, the unterminated one held)", got, want)
	}
	l.Flush()
	if want := []string{"one", "two", "three"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Flush: %q, want %q", got, want)
	}
	l.Flush()
	if len(got) != 3 {
		t.Fatalf("a second Flush sent %q", got[3:])
	}
}

func TestLineLoggerCutsLongLines(t *testing.T) {
	var got []string
	l := newLineLogger(func(s string) { got = append(got, s) })
	long := strings.Repeat("x", maxLine*2+10)
	_, _ = l.Write([]byte(long))
	l.Flush()
	if len(got) != 3 || strings.Join(got, "") != long {
		t.Fatalf("got %d pieces", len(got))
	}
}

// TestOutputIsStreamedWhileTheCommandRuns: the command prints a line and then waits until the test
// has seen that line arrive at the engine, so it only finishes if lines are delivered as they are
// written, not when the command exits.
func TestOutputIsStreamedWhileTheCommandRuns(t *testing.T) {
	p, eng := newTestProvider(t)
	eng.ch = make(chan *pulumirpc.LogRequest, 100)
	gate := filepath.Join(t.TempDir(), "seen")
	type result struct {
		stdout string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
			Urn: localURN, Timeout: 20, Properties: rpcProps(t, map[string]any{
				"create": fmt.Sprintf(`echo "STEP 1/2: FROM base"; while [ ! -e %s ]; do sleep 0.02; done; echo "STEP 2/2: done"`, gate),
			}),
		})
		if err != nil {
			done <- result{err: err}
			return
		}
		pm, _ := fromRPC("t", resp.GetProperties())
		done <- result{stdout: str(pm, "stdout")}
	}()
	select {
	case m := <-eng.ch:
		if m.GetMessage() != "STEP 1/2: FROM base" || !m.GetEphemeral() ||
			m.GetSeverity() != pulumirpc.LogSeverity_INFO || m.GetUrn() != localURN {
			t.Fatalf("first message %v", m)
		}
	case r := <-done:
		t.Fatalf("the command finished before its first line reached the engine: %+v", r)
	case <-time.After(15 * time.Second):
		t.Fatal("no line reached the engine while the command ran")
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.stdout != "STEP 1/2: FROM base\nSTEP 2/2: done" {
		t.Fatalf("result %+v", r)
	}
	if got := eng.messages(); !reflect.DeepEqual(got, []string{"STEP 1/2: FROM base", "STEP 2/2: done"}) {
		t.Fatalf("messages %q", got)
	}
}

func TestLoggingSelectsStreams(t *testing.T) {
	cases := map[string][]string{
		"":                {"out", "err"}, // absent: upstream's default, both
		"stdoutAndStderr": {"out", "err"},
		"stdout":          {"out"},
		"stderr":          {"err"},
		"none":            nil,
	}
	for logging, want := range cases {
		t.Run("logging="+logging, func(t *testing.T) {
			p, eng := newTestProvider(t)
			in := map[string]any{"create": "echo out; sleep 0.1; echo err >&2"}
			if logging != "" {
				in["logging"] = logging
			}
			state := mustCreate(t, p, localURN, in)
			if got := eng.messages(); !reflect.DeepEqual(got, want) {
				t.Errorf("messages %q, want %q", got, want)
			}
			if state["stdout"].StringValue() != "out" || state["stderr"].StringValue() != "err" {
				t.Errorf("outputs are kept whatever is logged: %v", state)
			}
		})
	}
}

func TestDeleteAndInvokeAreStreamedToo(t *testing.T) {
	p, eng := newTestProvider(t)
	state := mustCreate(t, p, localURN, map[string]any{"create": "true", "delete": "echo removing"})
	st, err := toRPC("state", state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: localURN, Properties: st}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{
		Tok: runToken, Args: rpcProps(t, map[string]any{"command": "echo invoked"}),
	}); err != nil {
		t.Fatal(err)
	}
	if got := eng.messages(); !reflect.DeepEqual(got, []string{"removing", "invoked"}) {
		t.Fatalf("messages %q", got)
	}
}

// recordingEngine is an in-process engine gRPC server that records Log calls.
type recordingEngine struct {
	pulumirpc.UnimplementedEngineServer
	mu   sync.Mutex
	logs []*pulumirpc.LogRequest
}

func (e *recordingEngine) Log(_ context.Context, in *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, in)
	return &emptypb.Empty{}, nil
}

// TestLogsReachTheEngineOverGRPC: the address from Handshake is dialled and lines arrive as
// ephemeral info messages of the resource.
func TestLogsReachTheEngineOverGRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rec := &recordingEngine{}
	pulumirpc.RegisterEngineServer(srv, rec)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := newProvider(ctx, cancel)
	t.Cleanup(p.closeEngine)
	if _, err := p.Handshake(ctx, &pulumirpc.ProviderHandshakeRequest{EngineAddress: l.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, p, localURN, map[string]any{"create": "echo building; echo ünïcode", "logging": "stdout"})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for _, m := range rec.logs {
		if !m.GetEphemeral() || m.GetUrn() != localURN || m.GetSeverity() != pulumirpc.LogSeverity_INFO {
			t.Errorf("message %v", m)
		}
		got = append(got, m.GetMessage())
	}
	if !reflect.DeepEqual(got, []string{"building", "ünïcode"}) {
		t.Fatalf("engine received %q", got)
	}
}

func TestNoEngineStillRuns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := newProvider(ctx, cancel)
	state := mustCreate(t, p, localURN, map[string]any{"create": "echo fine"})
	if state["stdout"].StringValue() != "fine" {
		t.Fatal(state)
	}
}
