package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// bailExitCode is the exit status with which @pulumi/pulumi's run script reports that it has
// already shown the user an error.
const bailExitCode = 32

// nodeRun is how Run starts the program: node's arguments (after the executable), the variables
// added to this process's environment, and the working directory.
type nodeRun struct {
	args []string
	env  []string
	dir  string
}

// nodeRunFor builds the node command line for req: the @pulumi/pulumi run script found in
// node_modules above the program, with the engine's monitor address, stack and flags, then the
// entry point. A problem the user must fix comes back as an error message for the RunResponse.
func (h *host) nodeRunFor(req *pulumirpc.RunRequest) (nodeRun, string, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	entry := "."
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	} else if req.GetProgram() != "" { //nolint:staticcheck // older engines
		entry = req.GetProgram() //nolint:staticcheck
	}

	runScript, ok := findUp(dir, filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run"))
	if !ok {
		return nodeRun{}, fmt.Sprintf("could not find node_modules/@pulumi/pulumi above %s; run 'npm ci' first", dir), nil
	}

	var args []string
	if v, ok := option(info, "nodeargs"); ok {
		if s, ok := v.(string); ok {
			args = append(args, strings.Fields(s)...)
		}
	}
	root := dir
	if info != nil && info.GetRootDirectory() != "" {
		root = info.GetRootDirectory()
	}
	args = append(args, runScript,
		"--monitor="+req.GetMonitorAddress(),
		"--engine="+h.engine,
		"--organization="+req.GetOrganization(),
		"--project="+req.GetProject(),
		"--stack="+req.GetStack(),
		"--root-directory="+root,
		"--pwd="+dir,
		"--parallel="+strconv.Itoa(int(req.GetParallel())),
	)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env, err := programEnv(req)
	if err != nil {
		return nodeRun{}, "", err
	}
	return nodeRun{args: args, env: env, dir: dir}, "", nil
}

// programEnv is what the @pulumi/pulumi SDK reads from its environment: the stack's config and
// which keys are secret (JSON), and the TypeScript options from Pulumi.yaml's runtime.options
// (typescript defaults to true).
func programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	cfg := req.GetConfig()
	if cfg == nil {
		cfg = map[string]string{}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	skJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := []string{"PULUMI_CONFIG=" + string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS=" + string(skJSON)}
	info := req.GetInfo()
	typescript := true
	if v, ok := option(info, "typescript"); ok {
		if b, ok := v.(bool); ok {
			typescript = b
		}
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if v, ok := option(info, "tsconfig"); ok {
		if s, ok := v.(string); ok && s != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+s)
		}
	}
	return env, nil
}

// Run runs the program under node, its output going to this process's stdout and stderr (which
// the engine shows). Exit status 32 means the program has reported its error already (bail).
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	r, userErr, err := h.nodeRunFor(req)
	if err != nil {
		return nil, err
	}
	if userErr != "" {
		return &pulumirpc.RunResponse{Error: userErr}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find 'node' on PATH"}, nil
	}
	cmd := exec.CommandContext(ctx, node, r.args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == bailExitCode {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}
