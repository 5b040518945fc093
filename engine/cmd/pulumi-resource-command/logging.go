package main

import (
	"bytes"
	"context"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// engineLog is the part of the engine's gRPC API (pulumirpc.EngineClient) the provider logs through.
type engineLog interface {
	Log(ctx context.Context, in *pulumirpc.LogRequest, opts ...grpc.CallOption) (*emptypb.Empty, error)
}

// engineStatus returns a function that sends one line to the engine as an ephemeral info message
// of the resource urn ("" for an invoke). That is what upstream's logger does with command output
// (InfoStatus): the progress display shows it beside the resource while it is created, and it is
// not repeated in the final diagnostics. A failed send is dropped; it never fails the command.
func engineStatus(ctx context.Context, eng engineLog, urn string) func(string) {
	return func(line string) {
		_, _ = eng.Log(ctx, &pulumirpc.LogRequest{
			Severity:  pulumirpc.LogSeverity_INFO,
			Message:   strings.ToValidUTF8(line, "\uFFFD"),
			Urn:       urn,
			Ephemeral: true,
		})
	}
}

// maxLine is the longest line sent as one message; a longer one is sent in pieces.
const maxLine = 16 << 10

// lineLogger is an io.Writer that passes each complete line written to it to send as soon as its
// newline arrives (a trailing "\r" is dropped, blank lines are skipped). Flush sends what is left.
type lineLogger struct {
	mu   sync.Mutex
	buf  []byte
	send func(string)
}

func newLineLogger(send func(string)) *lineLogger { return &lineLogger{send: send} }

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	for len(l.buf) >= maxLine {
		l.emit(l.buf[:maxLine])
		l.buf = l.buf[maxLine:]
	}
	if len(l.buf) == 0 {
		l.buf = nil // let the backing array go
	}
	return len(b), nil
}

func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit(l.buf)
	l.buf = nil
}

func (l *lineLogger) emit(line []byte) {
	s := strings.TrimSuffix(string(line), "\r")
	if strings.TrimSpace(s) == "" {
		return
	}
	l.send(s)
}
