package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// killWaitDelay is how long a killed local command's output is still read.
const killWaitDelay = 2 * time.Second

// runSpec is one command to run, on this machine or (conn set) over SSH.
type runSpec struct {
	command     string
	dir         string
	interpreter []string
	environment map[string]string
	stdin       string
	logging     logging
	// conn is set for command:remote:Command: the command runs in an SSH session there.
	conn *sshConn
}

func specFrom(typ string, pm resource.PropertyMap, command string) (runSpec, error) {
	s := runSpec{command: command, dir: str(pm, "dir"), stdin: str(pm, "stdin"), environment: map[string]string{}}
	var err error
	if s.logging, err = loggingFrom(pm); err != nil {
		return s, err
	}
	if typ == remoteCommandType {
		c, err := connFrom(pm)
		if err != nil {
			return s, err
		}
		s.conn = c
	}
	if v, ok := pm["interpreter"]; ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			if !e.IsString() {
				return s, fmt.Errorf("interpreter must be a list of strings")
			}
			s.interpreter = append(s.interpreter, e.StringValue())
		}
	}
	if len(s.interpreter) == 0 {
		s.interpreter = []string{"/bin/sh", "-c"}
	}
	if v, ok := pm["environment"]; ok && v.IsObject() {
		for k, e := range v.ObjectValue() {
			switch {
			case e.IsString():
				s.environment[string(k)] = e.StringValue()
			case e.IsNull():
			default:
				s.environment[string(k)] = fmt.Sprint(e.V)
			}
		}
	}
	return s, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// output collects a command's stdout and stderr and, per its logging input, streams each line to
// the engine as it arrives, as status messages of the resource urn.
type output struct {
	stdout, stderr bytes.Buffer
	outLog, errLog *lineLogger // nil when that stream is not logged
}

func (p *provider) newOutput(ctx context.Context, urn string, l logging) *output {
	o := &output{}
	if eng := p.engineLogger(); eng != nil {
		send := engineStatus(ctx, eng, urn)
		if l.stdout {
			o.outLog = newLineLogger(send)
		}
		if l.stderr {
			o.errLog = newLineLogger(send)
		}
	}
	return o
}

func (o *output) writers() (stdout, stderr io.Writer) {
	stdout, stderr = &o.stdout, &o.stderr
	if o.outLog != nil {
		stdout = io.MultiWriter(&o.stdout, o.outLog)
	}
	if o.errLog != nil {
		stderr = io.MultiWriter(&o.stderr, o.errLog)
	}
	return stdout, stderr
}

// flush sends the last line of each stream if it had no newline.
func (o *output) flush() {
	if o.outLog != nil {
		o.outLog.Flush()
	}
	if o.errLog != nil {
		o.errLog.Flush()
	}
}

// run runs s to completion and returns its stdout and stderr, one trailing newline trimmed.
func (p *provider) run(ctx context.Context, s runSpec, urn string, timeout float64) (string, string, error) {
	ctx, cancel := p.opContext(ctx, timeout)
	defer cancel()

	o := p.newOutput(ctx, urn, s.logging)
	stdout, stderr := o.writers()
	var err error
	if s.conn != nil {
		err = runRemote(ctx, s, stdout, stderr)
	} else {
		err = runLocal(ctx, s, stdout, stderr)
	}
	o.flush()
	return finish(s, &o.stdout, &o.stderr, err)
}

func runLocal(ctx context.Context, s runSpec, stdout, stderr io.Writer) error {
	args := append(append([]string{}, s.interpreter[1:]...), s.command)
	cmd := exec.CommandContext(ctx, s.interpreter[0], args...)
	cmd.Dir = s.dir
	env := os.Environ()
	for _, k := range sortedKeys(s.environment) {
		env = append(env, k+"="+s.environment[k])
	}
	cmd.Env = env
	if s.stdin != "" {
		cmd.Stdin = strings.NewReader(s.stdin)
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// When a timeout or Cancel kills the command, its own children may still hold stdout and
	// stderr open; stop waiting for them after a while.
	cmd.WaitDelay = killWaitDelay
	return cmd.Run()
}

// runRemote runs s.command in an SSH session, stdin piped. environment is sent with Setenv;
// sshd refuses names it does not AcceptEnv, and that refusal is ignored.
func runRemote(ctx context.Context, s runSpec, stdout, stderr io.Writer) error {
	return s.conn.session(ctx, func(sess *ssh.Session) error {
		for _, k := range sortedKeys(s.environment) {
			_ = sess.Setenv(k, s.environment[k])
		}
		if s.stdin != "" {
			sess.Stdin = strings.NewReader(s.stdin)
		}
		sess.Stdout = stdout
		sess.Stderr = stderr
		return sess.Run(s.command)
	})
}

// finish trims one trailing newline off each stream and builds the error of a failed command.
func finish(s runSpec, stdout, stderr *bytes.Buffer, err error) (string, string, error) {
	out := strings.TrimSuffix(strings.TrimSuffix(stdout.String(), "\n"), "\r")
	errOut := strings.TrimSuffix(strings.TrimSuffix(stderr.String(), "\n"), "\r")
	if err != nil {
		return out, errOut, fmt.Errorf("command %q failed: %w; stderr: %s; stdout: %s",
			s.command, err, tail(errOut), tail(out))
	}
	return out, errOut, nil
}

// tail keeps the end of a long output for an error message.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}
