package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestCreateRunsCreate(t *testing.T) {
	p, _ := newTestProvider(t)
	dir := t.TempDir()
	state := mustCreate(t, p, localURN, map[string]any{
		"create": `printf 'out\n'; printf 'err\n' >&2; pwd`,
		"dir":    dir,
	})
	if got, want := state["stdout"].StringValue(), "out\n"+dir; got != want {
		t.Errorf("stdout %q, want %q (one trailing newline trimmed)", got, want)
	}
	if got := state["stderr"].StringValue(); got != "err" {
		t.Errorf("stderr %q", got)
	}
	if got := state["dir"].StringValue(); got != dir {
		t.Errorf("the state should keep the inputs: dir %q", got)
	}
}

func TestStdin(t *testing.T) {
	p, _ := newTestProvider(t)
	state := mustCreate(t, p, localURN, map[string]any{"create": "tr a-z A-Z", "stdin": "secret input\n"})
	if got := state["stdout"].StringValue(); got != "SECRET INPUT" {
		t.Fatalf("stdout %q", got)
	}
}

func TestEnvironmentAndInterpreter(t *testing.T) {
	p, _ := newTestProvider(t)
	state := mustCreate(t, p, localURN, map[string]any{
		"create":      `echo "$GREETING $NUM $0"`,
		"environment": map[string]any{"GREETING": "hello world", "NUM": 3},
		"interpreter": []any{"/bin/bash", "-c"},
	})
	if got := state["stdout"].StringValue(); got != "hello world 3 /bin/bash" {
		t.Fatalf("stdout %q", got)
	}
}

func TestFailingCommandError(t *testing.T) {
	p, _ := newTestProvider(t)
	_, err := create(t, p, localURN, map[string]any{"create": "echo partial; echo broken >&2; exit 3"})
	if err == nil {
		t.Fatal("Create succeeded")
	}
	for _, want := range []string{`command "echo partial; echo broken >&2; exit 3" failed`, "exit status 3", "stderr: broken", "stdout: partial"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestFailingCommandErrorKeepsTheEnd(t *testing.T) {
	p, _ := newTestProvider(t)
	_, err := create(t, p, localURN, map[string]any{"create": "yes line | head -n 2000 >&2; echo LAST >&2; false"})
	if err == nil || !strings.Contains(err.Error(), "LAST") || !strings.Contains(err.Error(), "stderr: ...") {
		t.Fatalf("error should end with the stderr's tail: %.200v", err)
	}
	if len(err.Error()) > 5000 {
		t.Errorf("error is %d bytes", len(err.Error()))
	}
}

func TestUpdateRunsUpdateElseCreate(t *testing.T) {
	p, _ := newTestProvider(t)
	state := mustCreate(t, p, localURN, map[string]any{"create": "echo first"})

	// No update command: create runs again, with the previous output in the environment.
	next, err := update(t, p, localURN, state, map[string]any{"create": `echo "again after $PULUMI_COMMAND_STDOUT"`})
	if err != nil {
		t.Fatal(err)
	}
	if got := next["stdout"].StringValue(); got != "again after first" {
		t.Errorf("update without update command: %q", got)
	}

	next, err = update(t, p, localURN, next, map[string]any{
		"create": "echo create", "update": `echo "update after $PULUMI_COMMAND_STDOUT"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := next["stdout"].StringValue(); got != "update after again after first" {
		t.Errorf("update command: %q", got)
	}

	next, err = update(t, p, localURN, next, map[string]any{
		"create": `echo "[$PULUMI_COMMAND_STDOUT]"`, "addPreviousOutputInEnv": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := next["stdout"].StringValue(); got != "[]" {
		t.Errorf("addPreviousOutputInEnv false: %q", got)
	}
}

func TestUpdateFailureIsAnError(t *testing.T) {
	p, _ := newTestProvider(t)
	state := mustCreate(t, p, localURN, map[string]any{"create": "true"})
	if _, err := update(t, p, localURN, state, map[string]any{"create": "true", "update": "exit 7"}); err == nil ||
		!strings.Contains(err.Error(), "exit status 7") {
		t.Fatalf("got %v", err)
	}
}

func TestPreviewRunsNothing(t *testing.T) {
	p, _ := newTestProvider(t)
	marker := filepath.Join(t.TempDir(), "ran")
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: localURN, Preview: true, Properties: rpcProps(t, map[string]any{"create": "touch " + marker}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("preview ran the command")
	}
	if out := fromRPCT(t, resp.GetProperties()); !out["stdout"].IsComputed() {
		t.Errorf("preview stdout should be unknown: %v", out["stdout"])
	}
}

func TestDeleteRunsDelete(t *testing.T) {
	p, _ := newTestProvider(t)
	marker := filepath.Join(t.TempDir(), "deleted")
	state := mustCreate(t, p, localURN, map[string]any{"create": "echo made", "delete": `echo "$PULUMI_COMMAND_STDOUT" > ` + marker})
	st, err := toRPC("state", state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: localURN, Properties: st}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(marker)
	if err != nil || string(b) != "made\n" {
		t.Fatalf("delete command: %q %v", b, err)
	}
}

func TestTimeoutStopsTheCommand(t *testing.T) {
	p, _ := newTestProvider(t)
	start := time.Now()
	// The shell is killed; its child sleep keeps stdout open, which must not hold Create up.
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: localURN, Properties: rpcProps(t, map[string]any{"create": "sleep 20; echo late"}), Timeout: 0.5,
	})
	if err == nil {
		t.Fatalf("a 20 s command with a 0.5 s timeout succeeded: %v", resp)
	}
	if d := time.Since(start); d > 500*time.Millisecond+killWaitDelay+3*time.Second {
		t.Errorf("Create returned after %v", d)
	}
}

func TestCancelStopsTheCommand(t *testing.T) {
	p, _ := newTestProvider(t)
	done := make(chan error, 1)
	go func() {
		_, err := create(t, p, localURN, map[string]any{"create": "exec sleep 20"})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := p.Cancel(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a cancelled command succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Cancel did not stop the command")
	}
}

func TestInvokeRun(t *testing.T) {
	p, _ := newTestProvider(t)
	resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{
		Tok: runToken, Args: rpcProps(t, map[string]any{"command": "echo $X", "environment": map[string]any{"X": "ran"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fromRPCT(t, resp.GetReturn())["stdout"]; got != resource.NewStringProperty("ran") {
		t.Fatalf("stdout %v", got)
	}
	resp, err = p.Invoke(context.Background(), &pulumirpc.InvokeRequest{
		Tok: runToken, Args: rpcProps(t, map[string]any{"command": "true", "assetPaths": []any{"*"}}),
	})
	if err != nil || len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "assetPaths" {
		t.Fatalf("assetPaths: %v %v", resp.GetFailures(), err)
	}
}
