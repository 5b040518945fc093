package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
)

func TestRemoteCommand(t *testing.T) {
	srv := startSSHServer(t, newKey(t), "GREETING")
	p, eng := newTestProvider(t)
	state := mustCreate(t, p, remoteURN, map[string]any{
		"connection":  srv.connection(t),
		"create":      `read line; echo "$GREETING, $line"; echo "[$REFUSED]"; echo progress >&2`,
		"stdin":       "from stdin\n",
		"environment": map[string]any{"GREETING": "hello", "REFUSED": "not accepted"},
		"logging":     "stderr",
	})
	// A variable the server does not accept is left out, and that is not an error.
	if got := state["stdout"].StringValue(); got != "hello, from stdin\n[]" {
		t.Errorf("stdout %q", got)
	}
	if got := state["stderr"].StringValue(); got != "progress" {
		t.Errorf("stderr %q", got)
	}
	if got := eng.messages(); !reflect.DeepEqual(got, []string{"progress"}) {
		t.Errorf("logged %q, want only stderr", got)
	}
	if _, ok := state["connection"]; !ok {
		t.Error("the state should keep the connection")
	}
}

func TestRemoteCommandPassword(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	conn := srv.connection(t)
	delete(conn, "privateKey")
	conn["password"] = srv.password
	state := mustCreate(t, p, remoteURN, map[string]any{"connection": conn, "create": "echo in"})
	if state["stdout"].StringValue() != "in" {
		t.Fatal(state)
	}
	conn["password"] = "wrong"
	if _, err := create(t, p, remoteURN, map[string]any{"connection": conn, "create": "echo in"}); err == nil ||
		!strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestRemoteCommandFailure(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	_, err := create(t, p, remoteURN, map[string]any{
		"connection": srv.connection(t), "create": "echo half; echo bad >&2; exit 4",
	})
	if err == nil {
		t.Fatal("Create succeeded")
	}
	for _, want := range []string{"exited with status 4", "stderr: bad", "stdout: half"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestRemoteOutputIsStreamed(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, eng := newTestProvider(t)
	eng.ch = make(chan *pulumirpc.LogRequest, 100)
	gate := filepath.Join(t.TempDir(), "seen")
	done := make(chan error, 1)
	go func() {
		_, err := create(t, p, remoteURN, map[string]any{
			"connection": srv.connection(t),
			"create":     fmt.Sprintf(`echo pulling; while [ ! -e %s ]; do sleep 0.02; done; echo pushed`, gate),
		})
		done <- err
	}()
	select {
	case m := <-eng.ch:
		if m.GetMessage() != "pulling" || m.GetUrn() != remoteURN {
			t.Fatalf("first message %v", m)
		}
	case err := <-done:
		t.Fatalf("finished before its first line was logged: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("no line was logged while the remote command ran")
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := eng.messages(); !reflect.DeepEqual(got, []string{"pulling", "pushed"}) {
		t.Fatalf("messages %q", got)
	}
}

func TestHostKeyPinned(t *testing.T) {
	hostKey := newKey(t)
	srv := startSSHServer(t, hostKey)
	p, _ := newTestProvider(t)
	conn := srv.connection(t)
	conn["hostKey"] = authorizedKey(hostKey.PublicKey())
	state := mustCreate(t, p, remoteURN, map[string]any{"connection": conn, "create": "echo trusted"})
	if state["stdout"].StringValue() != "trusted" {
		t.Fatal(state)
	}
}

func TestHostKeyMismatch(t *testing.T) {
	served, pinned := newKey(t), newKey(t)
	srv := startSSHServer(t, served)
	p, _ := newTestProvider(t)
	conn := srv.connection(t)
	conn["hostKey"] = authorizedKey(pinned.PublicKey())
	conn["dialErrorLimit"] = float64(5)
	marker := filepath.Join(t.TempDir(), "ran")
	start := time.Now()
	_, err := create(t, p, remoteURN, map[string]any{"connection": conn, "create": "touch " + marker})
	if err == nil {
		t.Fatal("connected to a server whose host key is not the pinned one")
	}
	msg := err.Error()
	for _, want := range []string{
		"host key mismatch for " + srv.addr(),
		ssh.FingerprintSHA256(served.PublicKey()),
		ssh.FingerprintSHA256(pinned.PublicKey()),
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !strings.Contains(msg, "presented ssh-ed25519 "+ssh.FingerprintSHA256(served.PublicKey())) {
		t.Errorf("error %q should say which key the server presented", msg)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran on the wrong host")
	}
	// A mismatch is not retried like a network error.
	if n := srv.handshakes(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry on a host key mismatch)", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestHostKeyMismatchOnCopy(t *testing.T) {
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	pinned := newKey(t)
	conn := srv.connection(t)
	conn["hostKey"] = authorizedKey(pinned.PublicKey())
	src := writeFile(t, t.TempDir(), "a.sh", "x")
	dest := filepath.Join(t.TempDir(), "a.sh")
	_, err := create(t, p, copyURN, copyInputs(t, conn, src, dest))
	if err == nil || !strings.Contains(err.Error(), ssh.FingerprintSHA256(pinned.PublicKey())) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("the file was copied to the wrong host")
	}
}

func TestHostKeyAbsentAcceptsAny(t *testing.T) {
	// As upstream: without connection.hostKey the server's key is not checked.
	srv := startSSHServer(t, newKey(t))
	p, _ := newTestProvider(t)
	if _, err := create(t, p, remoteURN, map[string]any{"connection": srv.connection(t), "create": "true"}); err != nil {
		t.Fatal(err)
	}
}

func TestHostKeyInvalid(t *testing.T) {
	c := &sshConn{host: "h", port: 22, hostKey: "not a key"}
	if _, _, err := c.clientConfig(); err == nil || !strings.Contains(err.Error(), "connection.hostKey") {
		t.Fatalf("got %v", err)
	}
}

func TestHostKeyAlgorithms(t *testing.T) {
	k := newKey(t)
	c := &sshConn{host: "h", port: 22, hostKey: authorizedKey(k.PublicKey())}
	cfg, _, err := c.clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.HostKeyAlgorithms, []string{ssh.KeyAlgoED25519}) {
		t.Errorf("algorithms %v", cfg.HostKeyAlgorithms)
	}
	if err := cfg.HostKeyCallback("h:22", nil, k.PublicKey()); err != nil {
		t.Errorf("the pinned key is refused: %v", err)
	}
}

func TestDialErrorLimit(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_ = l.Close() // nothing listens there now
	n, _ := strconv.Atoi(port)
	c := &sshConn{host: "127.0.0.1", port: n, user: "u", dialErrorLimit: 2, perDialTimeout: 1}
	_, err = c.dial(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 failed dial(s)") {
		t.Fatalf("got %v", err)
	}
}

func TestConnectionDefaults(t *testing.T) {
	c, err := connFrom(resource.NewPropertyMapFromMap(map[string]any{"connection": map[string]any{"host": "example"}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "root" || c.port != 22 || c.dialErrorLimit != 10 || c.perDialTimeout != 15 || c.addr() != "example:22" {
		t.Fatalf("defaults %+v", c)
	}
	if _, err := connFrom(resource.NewPropertyMapFromMap(map[string]any{"connection": map[string]any{"user": "u"}})); err == nil {
		t.Fatal("no host accepted")
	}
}
