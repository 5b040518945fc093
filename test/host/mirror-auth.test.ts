// The closed mirror on a real build host over SSH: repo-mirror.sh serving through
// mirror-server.py with HTTP basic auth, as RepoMirror sets it up (put-files.sh writes the
// credentials file from stdin, 0600):
//   * an anonymous request and a wrong password are refused (401, with a Basic challenge);
//   * a build whose Containerfile RepoMirror's repos render installs from the mirror with the
//     password as a podman build secret, and the password is in no layer, not in the image's
//     config or history, not in its filesystem and not in the Containerfile;
//   * a rotated password is asked for at once (the server re-reads its file), the old refused;
//   * no captured output of any command holds the password.
// The files the components send are rendered by the components' own functions.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import * as harness from "./harness";
import { MIRROR_USER, generateMirrorPassword, renderMirrorAuthFile } from "../../components/mirror/mirrorAuth";
import { MIRROR_PASSWORD_SECRET, MirrorRepo, renderSecretFilesBundle } from "../../components/mirror/repoFiles";
import { renderContainerfile } from "../../components/image/containerfile";

let env: harness.Env;
/** The loopback host, registry, upstream, stand-in bases and mirror (harness.ts startBuildFixture). */
let fx: harness.BuildFixture;
let password: string;

const upstreamDir = (): string => join(fx.root, "upstream");

/** put-files.sh + repo-mirror.sh as RepoMirror runs them, with basic auth for `pw`. */
async function sync(pw: string): Promise<{ put: harness.RemoteResult; mirror: harness.RemoteResult }> {
    const bundle = renderSecretFilesBundle([
        { path: "upstream.repo", content: fx.up.repoFile() },
        { path: "mirror.auth", content: renderMirrorAuthFile(MIRROR_USER, pw) },
    ]);
    const put = await fx.host.script("put-files.sh", { RF_ROOT: fx.root }, { input: bundle, args: [upstreamDir()] });
    assert.equal(put.code, 0, put.stderr);
    const mirror = await fx.host.script(
        "repo-mirror.sh",
        harness.mirrorEnv(fx.root, join(upstreamDir(), "upstream.repo"), fx.mirrorPort, {
            RF_MIRROR_AUTH_FILE: join(upstreamDir(), "mirror.auth"),
        }),
    );
    return { put, mirror };
}

/** GET of the mirror's repomd.xml: the status and the challenge, with or without credentials. */
async function get(creds?: { user: string; pass: string }): Promise<{ status: number; challenge: string | null }> {
    const headers: Record<string, string> = {};
    if (creds !== undefined)
        headers.Authorization = `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString("base64")}`;
    const res = await fetch(`http://127.0.0.1:${fx.mirrorPort}/fixtures/repodata/repomd.xml`, { headers });
    await res.arrayBuffer();
    return { status: res.status, challenge: res.headers.get("www-authenticate") };
}

/** The repos as RepoMirror's buildRepos gives them with mirror.auth basic. */
function authRepos(): MirrorRepo[] {
    return [
        {
            id: "fixtures",
            url: `http://127.0.0.1:${fx.mirrorPort}/fixtures/`,
            gpgcheck: false,
            auth: { username: MIRROR_USER, secret: MIRROR_PASSWORD_SECRET },
        },
    ];
}

before(async () => {
    env = new harness.Env("rf-mirror-auth-test-");
    fx = await harness.startBuildFixture(env);
    password = generateMirrorPassword();
    harness.addSecret(password);
});

after(async () => {
    await env?.teardown();
});

test("with basic auth the mirror refuses anonymous requests and a wrong password, serves the right one", async () => {
    const { put, mirror } = await sync(password);
    assert.equal(mirror.code, 0, mirror.stderr.slice(-3000));
    assert.equal((await harness.run("stat", ["-c", "%a", join(upstreamDir(), "mirror.auth")])).stdout.trim(), "600");

    const anonymous = await get();
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.challenge, 'Basic realm="rhcos-forge mirror"');
    assert.equal((await get({ user: MIRROR_USER, pass: `${password}x` })).status, 401, "a wrong password");
    assert.equal((await get({ user: "someone", pass: password })).status, 401, "a wrong user");
    assert.equal((await get({ user: MIRROR_USER, pass: password })).status, 200);

    // The server is ours, started from its own copy, and holds the password only in its file.
    const pid = readFileSync(join(fx.root, "mirror-server.pid"), "utf8").trim();
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    assert.ok(cmdline.includes(`${fx.root}/mirror-server.py`), cmdline);
    assert.ok(cmdline.includes(`--auth-file ${join(upstreamDir(), "mirror.auth")}`), cmdline);
    assert.ok(!cmdline.includes(password), "the password is on no command line");
    const log = readFileSync(join(fx.root, "mirror-server.log"), "utf8");
    assert.ok(
        !log.includes(password) && !log.includes(Buffer.from(`${MIRROR_USER}:${password}`).toString("base64")),
        "nor in the server's log",
    );
    for (const r of [put, mirror]) assert.ok(!(r.stdout + r.stderr).includes(password));
});

// No part: no layer, config, history or file of the image.
test("a build installs from the closed mirror, the password a build secret in no part of the image", async () => {
    const spec = { ...harness.emptyOnCluster, base: fx.bases.plain, packages: ["rf-hello"] };
    const rendered = renderContainerfile(spec, { repos: authRepos() });
    assert.ok(
        rendered.containerfile.includes(
            `--mount=type=secret,id=${MIRROR_PASSWORD_SECRET.id},target=${MIRROR_PASSWORD_SECRET.target}`,
        ),
        rendered.containerfile,
    );
    assert.ok(!rendered.containerfile.includes(password), "the Containerfile names the secret's path only");
    const repository = `${fx.reg.host}/rhcos-forge/closed-mirror`;
    const res = await harness.buildRendered(
        fx,
        rendered,
        { base: fx.bases.plain, repository },
        { [MIRROR_PASSWORD_SECRET.id]: password },
    );
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.ok(!(res.stdout + res.stderr).includes(password), "not in the build's output");
    const ref = harness.resultJson(res).ref;
    assert.ok(harness.resultJson(res).packages.added.includes("rf-hello-1.0-1.noarch"));

    // The filesystem: the package is there; no repo file, no secret file, no byte of the password.
    const mnt = await harness.mountPushed(env, fx.reg, ref);
    assert.ok((await harness.rpmQa(mnt)).includes("rf-hello-1.0-1.noarch"));
    assert.equal(existsSync(join(mnt, "etc/yum.repos.d/rhcos-forge-mirror.repo")), false);
    const found = await harness.sh(`find ${harness.shq(join(mnt, "run/secrets"))} -type f 2>/dev/null | wc -l`);
    assert.equal(found.stdout.trim(), "0", "no file under /run/secrets");
    const grep = await harness.run("grep", ["-rlF", "--", password, mnt], { check: false });
    assert.equal(grep.stdout, "", `the password is in ${grep.stdout}`);

    // Every layer blob, and the config with its history (the RUN lines as built).
    const dir = env.mkdir("closed-mirror-image");
    const manifest = await fx.reg.copyToDir(ref, dir);
    assert.ok(manifest.layers.length > 0);
    for (const layer of manifest.layers) {
        assert.equal(
            harness.readBlob(dir, layer.digest).includes(password),
            false,
            `layer ${layer.digest} holds the password`,
        );
    }
    const config = harness.readBlob(dir, manifest.config.digest).toString("utf8");
    const history = (JSON.parse(config) as { history?: { created_by?: string }[] }).history ?? [];
    assert.ok(
        history.some(h => h.created_by?.includes("password=$(cat") === true),
        "the history shows the RUN, reading the password from its mount",
    );
    assert.ok(!config.includes(password), "the image config and history hold no password");
});

test("without the password the same build is refused by the mirror", async () => {
    const spec = { ...harness.emptyOnCluster, base: fx.bases.plain, packages: ["rf-hello"] };
    // The repos of a stack with mirror.auth none, against the closed mirror.
    const rendered = renderContainerfile(spec, {
        repos: [{ id: "fixtures", url: `http://127.0.0.1:${fx.mirrorPort}/fixtures/`, gpgcheck: false }],
    });
    const repository = `${fx.reg.host}/rhcos-forge/closed-mirror`;
    const res = await harness.buildRendered(fx, rendered, { base: fx.bases.plain, repository });
    assert.notEqual(res.code, 0, "the build fails");
    assert.equal(res.failure?.step, "build");
});

test("a rotated password is asked for at once; the old one is refused", async () => {
    const rotated = generateMirrorPassword();
    harness.addSecret(rotated);
    const { mirror } = await sync(rotated);
    assert.equal(mirror.code, 0, mirror.stderr.slice(-3000));
    assert.equal((await get({ user: MIRROR_USER, pass: password })).status, 401);
    assert.equal((await get({ user: MIRROR_USER, pass: rotated })).status, 200);
});

test("a credentials file that is not 0600 or holds no user:password line is refused before serving", async () => {
    const authFile = join(upstreamDir(), "mirror.auth");
    await harness.run("chmod", ["0644", authFile]);
    const open = await fx.host.script(
        "repo-mirror.sh",
        harness.mirrorEnv(fx.root, join(upstreamDir(), "upstream.repo"), fx.mirrorPort, {
            RF_MIRROR_AUTH_FILE: authFile,
        }),
    );
    await harness.run("chmod", ["0600", authFile]);
    assert.notEqual(open.code, 0);
    assert.equal(open.failure?.step, "arguments");
    assert.match(open.failure?.why ?? "", /must be mode 0600/);
});

test("no captured output holds a password", () => {
    assert.deepEqual(harness.leakedSecrets(), []);
});
