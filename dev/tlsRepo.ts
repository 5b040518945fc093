// An RPM repo served over HTTPS that requires a TLS client certificate, the way the Red Hat CDN
// authenticates entitlements: a CA, a server certificate for 127.0.0.1 and a client certificate
// made per run with openssl, and Python's ssl module verifying the client (CERT_REQUIRED) on a
// free loopback port. A second, self-signed client certificate is the wrong one.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Env, addSecret, freePort, run, waitFor } from "./proc";

export interface ClientCertRepo {
    readonly port: number;
    readonly baseurl: string;
    /** PEM of the CA that signed the server and the client certificate. */
    readonly ca: string;
    readonly client: { readonly sslclientcert: string; readonly sslclientkey: string };
    /** A client certificate the server does not trust (self-signed, another CA). */
    readonly wrong: { readonly sslclientcert: string; readonly sslclientkey: string };
    /** The body lines of both keys and certificates: what must never appear in output or layers. */
    readonly secretLines: readonly string[];
}

const SERVER = `
import functools, http.server, ssl, sys
port, directory, cert, key, ca = sys.argv[1:6]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
`;

async function openssl(args: string[]): Promise<void> {
    await run("openssl", args);
}

/** Serves `dir` (a createrepo_c'd repo) over HTTPS on 127.0.0.1, requiring a client certificate. */
export async function startClientCertRepo(env: Env, dir: string): Promise<ClientCertRepo> {
    const d = env.mkdir("tls-repo");
    const p = (f: string) => join(d, f);
    const days = ["-days", "2"];
    /** openssl req's arguments for a new unencrypted RSA key `name`.key. */
    const newKey = (name: string) => ["-newkey", "rsa:2048", "-nodes", "-keyout", p(`${name}.key`)];
    /** A self-signed certificate `name`.pem with its key `name`.key. */
    const selfSigned = (name: string, cn: string) =>
        openssl(["req", "-x509", ...newKey(name), "-out", p(`${name}.pem`), ...days, "-subj", `/CN=${cn}`]);
    await selfSigned("ca", "rhcos-forge test CA");
    writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const [name, cn] of [
        ["server", "127.0.0.1"],
        ["client", "rhcos-forge test entitlement"],
    ] as const) {
        await openssl(["req", ...newKey(name), "-out", p(`${name}.csr`), "-subj", `/CN=${cn}`]);
        await openssl([
            "x509",
            "-req",
            "-in",
            p(`${name}.csr`),
            "-CA",
            p("ca.pem"),
            "-CAkey",
            p("ca.key"),
            "-CAcreateserial",
            "-out",
            p(`${name}.pem`),
            ...days,
            "-extfile",
            p(`${name}.ext`),
        ]);
    }
    await selfSigned("wrong", "rhcos-forge wrong client");
    writeFileSync(p("server.py"), SERVER);
    const port = await freePort();
    env.daemon("tls-repo", "python3", [
        p("server.py"),
        String(port),
        dir,
        p("server.pem"),
        p("server.key"),
        p("ca.pem"),
    ]);
    const read = (f: string) => readFileSync(p(f), "utf8");
    const repo: ClientCertRepo = {
        port,
        baseurl: `https://127.0.0.1:${port}/`,
        ca: read("ca.pem"),
        client: { sslclientcert: read("client.pem"), sslclientkey: read("client.key") },
        wrong: { sslclientcert: read("wrong.pem"), sslclientkey: read("wrong.key") },
        secretLines: [read("client.key"), read("wrong.key"), read("client.pem")]
            .flatMap(t => t.split("\n"))
            .filter(l => l.length >= 40 && !l.startsWith("-----")),
    };
    for (const line of [read("client.key"), read("wrong.key")].flatMap(t => t.split("\n"))) {
        if (!line.startsWith("-----")) addSecret(line);
    }
    // Up once a client with the right certificate gets the metadata (curl verifies the server too).
    await waitFor(
        "tls repo",
        async () =>
            (
                await run(
                    "curl",
                    [
                        "-sf",
                        "--cacert",
                        p("ca.pem"),
                        "--cert",
                        p("client.pem"),
                        "--key",
                        p("client.key"),
                        `${repo.baseurl}repodata/repomd.xml`,
                        "-o",
                        "/dev/null",
                    ],
                    { check: false },
                )
            ).code === 0,
    );
    return repo;
}
