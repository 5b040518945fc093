package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testSSHServer is a loopback SSH server for the tests: it authenticates one client key (or a
// password), accepts "env" requests for the names in acceptEnv (as sshd's AcceptEnv) and runs
// each "exec" request with /bin/sh -c on this machine, stdin, stdout, stderr and the exit status
// wired as sshd does.
type testSSHServer struct {
	host, port string
	hostKey    ssh.Signer
	clientKey  testKey
	password   string
	acceptEnv  map[string]bool

	mu    sync.Mutex
	conns int // handshakes completed or attempted
}

// testKey is an ed25519 key pair, as a signer and in OpenSSH PEM form.
type testKey struct {
	ssh.Signer
	pemText string
}

func newKey(t *testing.T) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	return testKey{Signer: s, pemText: string(pem.EncodeToMemory(block))}
}

func startSSHServer(t *testing.T, hostKey ssh.Signer, acceptEnv ...string) *testSSHServer {
	t.Helper()
	s := &testSSHServer{
		hostKey: hostKey, clientKey: newKey(t), password: "test-password",
		acceptEnv: map[string]bool{},
	}
	for _, e := range acceptEnv {
		s.acceptEnv[e] = true
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(s.clientKey.PublicKey().Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
		PasswordCallback: func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) == s.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
	}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	s.host, s.port, _ = net.SplitHostPort(l.Addr().String())
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(nc, cfg)
		}
	}()
	return s
}

func (s *testSSHServer) handshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *testSSHServer) serve(nc net.Conn, cfg *ssh.ServerConfig) {
	defer nc.Close()
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go s.session(ch, chReqs)
	}
}

func (s *testSSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &kv) == nil && s.acceptEnv[kv.Name]
			if ok {
				env = append(env, kv.Name+"="+kv.Value)
			}
			_ = req.Reply(ok, nil)
		case "exec":
			var c struct{ Command string }
			if ssh.Unmarshal(req.Payload, &c) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			code := runExec(c.Command, env, ch)
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, uint32(code))
			_, _ = ch.SendRequest("exit-status", false, status)
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

func runExec(command string, env []string, ch ssh.Channel) int {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 255
	}
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	if err := cmd.Start(); err != nil {
		return 255
	}
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	if err != nil {
		return 255
	}
	return 0
}

// connection is the connection input for this server, authenticating with the client key.
func (s *testSSHServer) connection(t *testing.T) map[string]any {
	t.Helper()
	port, err := strconv.Atoi(s.port)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"host": s.host, "port": float64(port), "user": "tester",
		"privateKey": s.clientKey.pemText, "dialErrorLimit": float64(0), "perDialTimeout": float64(5),
	}
}

func (s *testSSHServer) addr() string { return net.JoinHostPort(s.host, s.port) }

// authorizedKey is k in authorized_keys format, as connection.hostKey takes it.
func authorizedKey(k ssh.PublicKey) string { return string(ssh.MarshalAuthorizedKey(k)) }
