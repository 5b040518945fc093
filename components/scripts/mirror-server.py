#!/usr/bin/env python3
# rhcos-forge mirror-server.py
#
# Serves the RPM mirror's directory over HTTP (GET and HEAD only), started by
# repo-mirror.sh as a systemd unit or a background process. With --auth-file,
# every request must carry HTTP basic auth matching the file's one line,
# `<user>:<password>` (0600, written by put-files.sh from the sync step's stdin;
# re-read on each request, so a rotated password takes effect without a
# restart). Credentials are compared as SHA-256 digests with
# hmac.compare_digest: the time taken does not depend on how much of a guess is
# right. No credential ever reaches the command line or the log.
#
# usage: mirror-server.py --bind <ip> --port <port> --directory <dir> [--auth-file <file>]
import argparse
import base64
import functools
import hashlib
import hmac
import http.server
import socket
import sys

REALM = "rhcos-forge mirror"


def expected_digest(auth_file):
    """SHA-256 of the file's `user:password` line, or None when it is unreadable or malformed."""
    try:
        with open(auth_file, "rb") as f:
            line = f.read().split(b"\n", 1)[0].rstrip(b"\r")
    except OSError:
        return None
    if b":" not in line or line.startswith(b":"):
        return None
    return hashlib.sha256(line).digest()


def presented_digest(header):
    """SHA-256 of the `user:password` a Basic Authorization header carries, or None."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except ValueError:  # binascii.Error is one
        return None
    return hashlib.sha256(decoded).digest()


class Handler(http.server.SimpleHTTPRequestHandler):
    auth_file = None

    def _authorized(self):
        if self.auth_file is None:
            return True
        want = expected_digest(self.auth_file)
        got = presented_digest(self.headers.get("Authorization"))
        # Compare even when nothing was presented, so a missing header takes the same path.
        ok = hmac.compare_digest(got or b"\0" * 32, want or b"\1" * 32)
        return ok and got is not None and want is not None

    def _refuse(self):
        body = b"authentication required\n"
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'Basic realm="{REALM}"')
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if not self._authorized():
            self._refuse()
            return
        super().do_GET()

    def do_HEAD(self):
        if not self._authorized():
            self._refuse()
            return
        super().do_HEAD()

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        # The request line and status only (never headers): what the base class logs.
        sys.stderr.write("%s - [%s] %s\n" % (self.address_string(), self.log_date_time_string(), format % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description="rhcos-forge RPM mirror server")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--directory", required=True)
    p.add_argument("--auth-file")
    a = p.parse_args()
    if a.auth_file is not None and expected_digest(a.auth_file) is None:
        sys.exit(f"rhcos-forge mirror-server: {a.auth_file} holds no user:password line")
    # An IPv6 address needs an AF_INET6 socket; a host name binds its first address.
    family, _, _, _, address = socket.getaddrinfo(a.bind, a.port, type=socket.SOCK_STREAM)[0]
    Server.address_family = family
    Handler.auth_file = a.auth_file
    handler = functools.partial(Handler, directory=a.directory)
    with Server(address[:2], handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
