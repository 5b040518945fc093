// components/host/hostKeyCheck.ts against a real sshd (the stock one of startBuildHost): the pinned
// key passes, another key of the same type or a type the host does not have is refused naming the
// host and the fingerprints as `ssh-keygen -lf` prints them, and a port nobody listens on is
// reported as unreachable once the wait is over.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { BuildHost, Env, REPO_ROOT, freePort, run, startBuildHost } from "./harness";
import { generateHostKeyPair } from "../../components/ssh/hostKey";

const CHECK = join(REPO_ROOT, "components", "host", "hostKeyCheck.ts");
let env: Env;
let host: BuildHost;

before(async () => {
    env = new Env("rf-hostkeycheck-");
    host = await startBuildHost(env);
});
after(async () => {
    await env?.teardown();
});

/** hostKeyCheck.ts as BuildHost's command runs it. */
function check(port: number, pinned: string, wait = 30) {
    return run(
        "node",
        ["--import", "tsx", CHECK, "127.0.0.1", String(port), pinned, String(wait), "rhcos-forge:buildHost.hostKey"],
        { check: false, cwd: REPO_ROOT },
    );
}

function keygenFingerprint(pub: string): string {
    return execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: `${pub}\n`, encoding: "utf8" }).split(" ")[1]!;
}

const served = (): string => host.hostKeyLine.split(" ").slice(1).join(" ");

test("the key the sshd serves passes, reported by fingerprint", async () => {
    const res = await check(host.port, served());
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), {
        endpoint: `127.0.0.1:${host.port}`,
        hostKey: `ssh-ed25519 ${keygenFingerprint(served())}`,
    });
});

test("another ed25519 key is refused, naming the host, the offered and the pinned fingerprint", async () => {
    const wrong = generateHostKeyPair().publicKey.split(" ").slice(0, 2).join(" ");
    const res = await check(host.port, wrong);
    assert.equal(res.code, 1);
    assert.equal(
        res.stderr.trim(),
        `host key mismatch for 127.0.0.1:${host.port}: the server offered ssh-ed25519 ` +
            `${keygenFingerprint(served())}, but rhcos-forge:buildHost.hostKey pins ssh-ed25519 ` +
            `${keygenFingerprint(wrong)}`,
    );
});

test("a pinned type the sshd does not serve is refused, naming what it does serve", async () => {
    const dir = env.mkdir("rsa");
    await run("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", join(dir, "k")]);
    const rsa = execFileSync("cat", [join(dir, "k.pub")], { encoding: "utf8" })
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
    const res = await check(host.port, rsa);
    assert.equal(res.code, 1);
    assert.equal(
        res.stderr.trim(),
        `host key mismatch for 127.0.0.1:${host.port}: the server offered no ssh-rsa key (only ssh-ed25519 ` +
            `${keygenFingerprint(served())}), but rhcos-forge:buildHost.hostKey pins ssh-rsa ` +
            `${keygenFingerprint(rsa)}`,
    );
});

test("a port nobody listens on is reported unreachable once the wait is over", async () => {
    const res = await check(await freePort(), served(), 0);
    assert.equal(res.code, 1);
    assert.match(
        res.stderr,
        new RegExp(
            [
                String.raw`^host key check for 127\.0\.0\.1:\d+: no SSH host key read within 0 s \(connecting: `,
                String.raw`ECONNREFUSED\); rhcos-forge:buildHost\.hostKey pins ssh-ed25519 SHA256:`,
            ].join(""),
        ),
    );
});
