// Checks, before the first SSH connection of a stack, that a build host offers the pinned host key;
// when it does not, fails at once naming the host, the key it offered and the pinned one.
//
// Usage: node --import tsx hostKeyCheck.ts <host> <port> <pinned key,
// "<type> <base64>"> <seconds to wait for the host> <where the pin comes from>
//
// Run by BuildHost's `<name>-host-key-check` command:local:Command. Why not leave it to the command
// provider: upstream pulumi-command 1.2.1 pins with ssh.FixedHostKey and reports only
// `ssh: handshake failed: ssh: host key mismatch`, no host and no fingerprint, and only after
// retrying the dial like a network error, 10 times by default
// (provider/pkg/provider/remote/connection.go: SSHConfig, dialWithRetry). The provider still
// enforces the pin on every connection; this check only makes the refusal clear and early.
//
// The keys come from `ssh-keyscan -t <the pinned key's type>` (OpenSSH's client, what the README
// tells users to pin from), the type the provider asks for too (connection.go:
// HostKeyAlgorithms = the pinned key's type). A host that accepts no TCP connection or completes no
// key exchange yet (a droplet still booting) is asked again until the wait is over; a host that
// offers another key is refused on the first answer.
import { execFile } from "child_process";
import * as net from "net";
import { PublicHostKey, fingerprint, hostKeyVerdict, keyscanType, parseHostKeyLine } from "../ssh/hostKey";

/** host:port as the provider dials it (Go's net.JoinHostPort: IPv6 in brackets). */
function endpointOf(host: string, port: number): string {
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Undefined when a TCP connection to host:port opens within timeoutMs, else why not. */
function tcpError(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
    return new Promise(resolve => {
        const sock = net.connect({ host, port });
        const done = (why: string | undefined): void => {
            sock.destroy();
            resolve(why);
        };
        sock.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
        sock.once("connect", () => done(undefined));
        sock.once("error", e => done((e as NodeJS.ErrnoException).code ?? e.message));
    });
}

/** The host keys ssh-keyscan reads from host:port (of one type when given). */
function keyscan(host: string, port: number, type?: string): Promise<PublicHostKey[]> {
    const args = ["-T", "10", "-p", String(port), ...(type === undefined ? [] : ["-t", type]), host];
    return new Promise((resolve, reject) => {
        // ssh-keyscan exits 1 when it got no key; what it printed is still the answer.
        execFile("ssh-keyscan", args, { timeout: 60_000 }, (err, stdout) => {
            if (err !== null && (err as NodeJS.ErrnoException).code === "ENOENT") {
                reject(
                    new Error(
                        "ssh-keyscan is not installed on the machine running Pulumi (Debian/Ubuntu: " +
                            "openssh-client; RHEL/Fedora: openssh-clients)",
                    ),
                );
                return;
            }
            const keys = stdout
                .split("\n")
                .filter(l => l.trim() !== "" && !l.startsWith("#"))
                .map(parseHostKeyLine);
            resolve(keys.filter((k): k is PublicHostKey => typeof k !== "string"));
        });
    });
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

async function main(argv: readonly string[]): Promise<number> {
    const [host, portText, pinnedLine, waitText, pinnedBy] = argv;
    const port = Number(portText);
    const wait = Number(waitText);
    const pinned = parseHostKeyLine(pinnedLine ?? "");
    if (
        host === undefined ||
        !Number.isInteger(port) ||
        port < 1 ||
        port > 65535 ||
        !Number.isFinite(wait) ||
        pinnedBy === undefined ||
        typeof pinned === "string"
    ) {
        process.stderr.write(
            `usage: hostKeyCheck.ts <host> <port> <"type base64"> <wait seconds> <pinned ` +
                `by>${typeof pinned === "string" ? ` (the pinned key ${pinned})` : ""}\n`,
        );
        return 2;
    }
    const endpoint = endpointOf(host, port);
    const deadline = Date.now() + wait * 1000;
    let offered: PublicHostKey[] = [];
    let last = "";
    for (;;) {
        const unreachable = await tcpError(host, port, 10_000);
        if (unreachable === undefined) {
            offered = await keyscan(host, port, keyscanType(pinned.type));
            // No key of the pinned type: which keys the host has, for the message.
            if (offered.length === 0) offered = await keyscan(host, port);
            if (offered.length > 0) break;
            last = "it accepted the connection but ssh-keyscan completed no key exchange";
        } else {
            last = `connecting: ${unreachable}`;
        }
        if (Date.now() >= deadline) {
            process.stderr.write(
                `host key check for ${endpoint}: no SSH host key read within ${wait} s (${last}); ${pinnedBy} ` +
                    `pins ${pinned.type} ${fingerprint(pinned)}\n`,
            );
            return 1;
        }
        await sleep(2000);
    }
    const verdict = hostKeyVerdict(endpoint, pinned, offered, pinnedBy);
    if (!verdict.ok) {
        process.stderr.write(`${verdict.message}\n`);
        return 1;
    }
    process.stdout.write(`${JSON.stringify({ endpoint, hostKey: `${pinned.type} ${fingerprint(pinned)}` })}\n`);
    return 0;
}

main(process.argv.slice(2)).then(
    code => {
        process.exitCode = code;
    },
    (e: unknown) => {
        process.stderr.write(`host key check: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
    },
);
