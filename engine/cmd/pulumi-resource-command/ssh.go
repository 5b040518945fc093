package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// sshConn is the connection input of command:remote:*, with upstream's defaults.
type sshConn struct {
	host, user, password, privateKey, privateKeyPassword, agentSocketPath, hostKey string
	port, dialErrorLimit, perDialTimeout                                           int
}

func connFrom(pm resource.PropertyMap) (*sshConn, error) {
	v, ok := pm["connection"]
	if !ok || !v.IsObject() {
		return nil, fmt.Errorf("connection is required")
	}
	o := v.ObjectValue()
	num := func(k resource.PropertyKey, def int) int {
		if x, ok := o[k]; ok && x.IsNumber() {
			return int(x.NumberValue())
		}
		return def
	}
	c := &sshConn{
		host: str(o, "host"), user: str(o, "user"), password: str(o, "password"),
		privateKey: str(o, "privateKey"), privateKeyPassword: str(o, "privateKeyPassword"),
		agentSocketPath: str(o, "agentSocketPath"), hostKey: str(o, "hostKey"),
		port: num("port", 22), dialErrorLimit: num("dialErrorLimit", 10), perDialTimeout: num("perDialTimeout", 15),
	}
	if c.user == "" {
		c.user = "root"
	}
	if c.host == "" {
		return nil, fmt.Errorf("connection.host is required")
	}
	if x, ok := o["proxy"]; ok && !x.IsNull() {
		return nil, fmt.Errorf("connection.proxy is %s", notSupported)
	}
	return c, nil
}

func (c *sshConn) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// hostKeyMismatchError is a server whose host key is not the one connection.hostKey pins.
type hostKeyMismatchError struct {
	addr      string
	got, want ssh.PublicKey
}

func (e *hostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch for %s: the server presented %s %s, but connection.hostKey is %s %s",
		e.addr, e.got.Type(), ssh.FingerprintSHA256(e.got), e.want.Type(), ssh.FingerprintSHA256(e.want))
}

// hostKeyCheck is what upstream does with connection.hostKey (authorized_keys format): the server
// must present exactly that key, and only that key's algorithms are offered, so a server with
// several host keys presents the pinned one. Without hostKey, any host key is accepted, as upstream
// does.
func (c *sshConn) hostKeyCheck() (ssh.HostKeyCallback, []string, error) {
	if c.hostKey == "" {
		return ssh.InsecureIgnoreHostKey(), nil, nil //nolint:gosec // upstream's behaviour without hostKey
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.hostKey))
	if err != nil {
		return nil, nil, fmt.Errorf("connection.hostKey: %w", err)
	}
	addr := c.addr()
	check := func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return &hostKeyMismatchError{addr: addr, got: got, want: want}
	}
	algos := []string{want.Type()}
	if want.Type() == ssh.KeyAlgoRSA {
		// An RSA key signs with SHA-2 on current servers; ssh-rsa (SHA-1) alone is often refused.
		algos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return check, algos, nil
}

func (c *sshConn) clientConfig() (*ssh.ClientConfig, io.Closer, error) {
	hostKeyCallback, hostKeyAlgos, err := c.hostKeyCheck()
	if err != nil {
		return nil, nil, err
	}
	cfg := &ssh.ClientConfig{
		User:              c.user,
		Timeout:           time.Duration(c.perDialTimeout) * time.Second,
		HostKeyCallback:   hostKeyCallback,
		HostKeyAlgorithms: hostKeyAlgos,
	}
	if c.privateKey != "" {
		var signer ssh.Signer
		var err error
		if c.privateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.privateKey), []byte(c.privateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.privateKey))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("connection.privateKey: %w", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		pw := c.password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := c.agentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	var closer io.Closer
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("ssh agent %s: %w", sock, err)
		}
		closer = conn
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, closer, nil
}

// dial connects, retrying failed dials (with the sdk's backoff) up to connection.dialErrorLimit
// times (-1: no limit); perDialTimeout bounds each attempt's connect and handshake. A host key
// mismatch is not retried.
func (c *sshConn) dial(ctx context.Context) (*ssh.Client, error) {
	cfg, closer, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	if closer != nil {
		defer closer.Close()
	}
	var client *ssh.Client
	var lastErr error
	dials := 0
	_, _, err = retry.Until(ctx, retry.Acceptor{
		Accept: func(int, time.Duration) (bool, any, error) {
			dials++
			client, lastErr = dialOnce(ctx, c.addr(), cfg)
			if lastErr == nil {
				return true, nil, nil
			}
			var mismatch *hostKeyMismatchError
			if errors.As(lastErr, &mismatch) {
				return false, nil, mismatch
			}
			if c.dialErrorLimit > -1 && dials > c.dialErrorLimit {
				return false, nil, lastErr
			}
			return false, nil, nil
		},
	})
	if client != nil {
		return client, nil
	}
	var mismatch *hostKeyMismatchError
	if errors.As(err, &mismatch) {
		return nil, fmt.Errorf("ssh %s@%s: %w", c.user, c.addr(), err)
	}
	if err != nil { // the dial error limit was reached
		return nil, fmt.Errorf("ssh %s@%s: gave up after %d failed dial(s): %w", c.user, c.addr(), dials, err)
	}
	return nil, fmt.Errorf("ssh %s@%s: %w after %d failed dial(s), the last: %v", c.user, c.addr(), ctx.Err(), dials, lastErr)
}

func dialOnce(ctx context.Context, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout > 0 {
		_ = nc.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// session dials, runs fn in one new session and closes both; an ended ctx closes the connection,
// which ends a command still running.
func (c *sshConn) session(ctx context.Context, fn func(*ssh.Session) error) error {
	client, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stop()
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh %s@%s: open session: %w", c.user, c.addr(), err)
	}
	defer sess.Close()
	err = fn(sess)
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
