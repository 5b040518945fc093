package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyScript is the remote shell command that writes its stdin to dest: into dest when that is an
// existing directory (under the source's base name), else to dest itself, creating its parents.
func copyScript(dest, base string) string {
	return fmt.Sprintf(`set -e; d=%s; if [ -d "$d" ]; then d="${d%%/}/"%s; else mkdir -p -- "$(dirname -- "$d")"; fi; cat > "$d"`,
		shellQuote(dest), shellQuote(base))
}

// copyToRemote copies a FileAsset to remotePath (see copyScript). Upstream uses SFTP; this streams
// the file to `cat` in an SSH session, so the remote account needs a POSIX shell.
func (p *provider) copyToRemote(ctx context.Context, pm resource.PropertyMap, timeout float64) error {
	ctx, cancel := p.opContext(ctx, timeout)
	defer cancel()
	src, ok := pm["source"]
	if !ok || !src.IsAsset() || !src.AssetValue().IsPath() {
		return fmt.Errorf("CopyToRemote: a source other than a FileAsset (asset with a path) is %s", notSupported)
	}
	local := src.AssetValue().Path
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("CopyToRemote: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return fmt.Errorf("CopyToRemote: %w", err)
	} else if st.IsDir() {
		return fmt.Errorf("CopyToRemote: source %s is a directory; directory sources (FileArchive) are %s", local, notSupported)
	}
	conn, err := connFrom(pm)
	if err != nil {
		return err
	}
	dest := str(pm, "remotePath")
	var stderr bytes.Buffer
	err = conn.session(ctx, func(sess *ssh.Session) error {
		sess.Stdin = f
		sess.Stderr = &stderr
		return sess.Run(copyScript(dest, path.Base(local)))
	})
	if err != nil {
		return fmt.Errorf("CopyToRemote %s to %s@%s:%s failed: %w; stderr: %s",
			local, conn.user, conn.addr(), dest, err, tail(strings.TrimSpace(stderr.String())))
	}
	return nil
}
