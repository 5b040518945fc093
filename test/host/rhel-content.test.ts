// RHEL content on a real build host over SSH, against a loopback HTTPS repo that requires a TLS
// client certificate (dev/tlsRepo.ts: CA, server and client certificates made per run with
// openssl, Python's ssl module verifying the client), serving the fixture RPMs:
//   * put-files.sh + repo-mirror.sh with the right certificate mirror it; without one, or with a
//     certificate the server does not trust, the sync fails naming the repo;
//   * an entitled build (fetch: build) installs from it with the certificate as a podman build
//     secret, and no byte of the certificate or key is in any layer, the config or the image;
//   * rhsm-register.sh registers through a recording stand-in of subscription-manager without the
//     activation key on any command line, and unregisters;
//   * no key line ever appears in captured output.
// The files the component would send are rendered by the component's own functions.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as harness from "./harness";
import { startClientCertRepo, type ClientCertRepo } from "../../dev/tlsRepo";
import { type BaseImages } from "../../dev/baseImage";
import {
    ClientCertificate,
    directBuildRepo,
    directBuildSecrets,
    renderSecretFilesBundle,
    renderUpstreamRepoFile,
    tlsFiles,
    tlsOptions,
} from "../../components/mirror/repoFiles";
import { renderContainerfile } from "../../components/image/containerfile";
import { renderSubscriptionBundle } from "../../components/host/subscription";

const ID = "rhel-fixture";
let env: harness.Env;
let host: harness.BuildHost;
let reg: harness.Registry;
let bases: BaseImages;
let root: string;
let mirrorPort: number;
let tls: ClientCertRepo;

/** What RepoMirror sends put-files.sh for the repo with this certificate (or none). */
function upstreamBundle(client: ClientCertificate | undefined): string {
    const inputs = { id: ID, sslcacert: tls.ca, client };
    const tlsDir = join(root, "upstream", "tls");
    const repoFile = renderUpstreamRepoFile([
        { id: ID, baseurl: tls.baseurl, gpgcheck: false, tls: tlsOptions(inputs, tlsDir) },
    ]);
    return renderSecretFilesBundle([
        { path: "upstream.repo", content: repoFile },
        ...tlsFiles(inputs).map(f => ({ path: `tls/${f.path}`, content: f.content })),
    ]);
}

async function sync(
    client: ClientCertificate | undefined,
): Promise<{ put: harness.RemoteResult; mirror: harness.RemoteResult }> {
    const put = await host.script(
        "put-files.sh",
        { RF_ROOT: root },
        { input: upstreamBundle(client), args: [join(root, "upstream")] },
    );
    assert.equal(put.code, 0, put.stderr);
    const mirror = await host.script(
        "repo-mirror.sh",
        harness.mirrorEnv(root, join(root, "upstream", "upstream.repo"), mirrorPort, {
            RF_REPO_IDS: ID,
            RF_MIRROR_DIR: join(root, "mirror-tls"),
            RF_FORCE_SYNC: "1",
        }),
    );
    return { put, mirror };
}

function assertNoSecretIn(text: string, where: string): void {
    for (const line of tls.secretLines)
        assert.ok(!text.includes(line), `${where} holds a line of a certificate or key`);
}

before(async () => {
    env = new harness.Env("rf-rhel-test-");
    let up;
    ({ host, reg, up, bases, root, mirrorPort } = await harness.startBuildFixture(env));
    tls = await startClientCertRepo(env, up.dir);
});

after(async () => {
    await env?.teardown();
});

test("reposync with the right client certificate mirrors the repo; TLS files are 0600 and never echoed", async () => {
    const { put, mirror } = await sync(tls.client);
    assert.equal(mirror.code, 0, mirror.stderr.slice(-3000));
    assert.deepEqual(harness.resultJson(mirror).repos, [ID]);
    const rpms = readdirSync(join(root, "mirror-tls", ID))
        .filter(f => f.endsWith(".rpm"))
        .sort();
    assert.deepEqual(rpms, ["rf-extra-1.0-1.noarch.rpm", "rf-hello-1.0-1.noarch.rpm", "rf-lib-1.1-1.noarch.rpm"]);
    for (const f of ["upstream.repo", `tls/${ID}/ca.pem`, `tls/${ID}/client.pem`, `tls/${ID}/client-key.pem`]) {
        assert.equal((await harness.run("stat", ["-c", "%a", join(root, "upstream", f)])).stdout.trim(), "600", f);
    }
    assert.equal(readFileSync(join(root, "upstream", "tls", ID, "client-key.pem"), "utf8"), tls.client.sslclientkey);
    // The repo file names the key by path only.
    assert.match(
        readFileSync(join(root, "upstream", "upstream.repo"), "utf8"),
        new RegExp(`^sslclientkey=${join(root, "upstream", "tls", ID, "client-key.pem")}$`, "m"),
    );
    for (const r of [put, mirror]) assertNoSecretIn(r.stdout + r.stderr, "script output");
});

test("without a client certificate the sync fails naming the repo; the last run's key file is removed", async () => {
    const { put, mirror } = await sync(undefined);
    assert.equal(harness.resultJson(put).changed, true);
    assert.equal(
        existsSync(join(root, "upstream", "tls", ID, "client-key.pem")),
        false,
        "put-files.sh removes files the bundle no longer names",
    );
    assert.notEqual(mirror.code, 0);
    assert.equal(mirror.failure?.step, `reposync ${ID}`);
    assert.match(
        mirror.failure?.why ?? "",
        new RegExp(`^upstream repo ${ID} is unreachable or refused the request: .*mirrorClientCerts\\.${ID}`),
    );
});

test("with a certificate the server does not trust the sync fails naming the repo and its certificate", async () => {
    const { mirror } = await sync(tls.wrong);
    assert.notEqual(mirror.code, 0);
    assert.equal(mirror.failure?.step, `reposync ${ID}`);
    assert.match(
        mirror.failure?.why ?? "",
        new RegExp(`^upstream repo ${ID} is unreachable or refused the request: .*check its client certificate`),
    );
    assertNoSecretIn(mirror.stdout + mirror.stderr, "script output");
});

test("an entitled build installs via a build secret; no certificate or key in a layer, no redhat.repo", async () => {
    const repo = directBuildRepo({
        id: ID,
        baseurl: tls.baseurl,
        gpgcheck: false,
        sslcacert: tls.ca,
        client: tls.client,
        entitled: true,
    });
    const spec = {
        ...harness.emptyOnCluster,
        base: bases.plain,
        packages: ["rf-hello"],
        // a redhat.repo as an entitled RUN leaves it behind (the MCO's docs/UsingLayering.md)
        files: [
            {
                path: "/etc/yum.repos.d/redhat.repo",
                content: "[rhel-stale]\nname=stale\nbaseurl=https://127.0.0.1:1/\nenabled=0\n",
            },
        ],
    };
    const rendered = renderContainerfile(spec, { repos: [repo] });
    assert.match(
        rendered.containerfile,
        new RegExp(`^RUN --mount=type=secret,id=rf-${ID}-ca,target=/run/secrets/rhcos-forge/${ID}/ca\\.pem`, "m"),
    );
    assertNoSecretIn(rendered.containerfile, "the Containerfile");
    const secrets = directBuildSecrets([{ id: ID, sslcacert: tls.ca, client: tls.client }]);
    const repository = `${reg.host}/rhcos-forge/entitled`;
    const res = await harness.buildRendered({ host, reg, root }, rendered, { base: bases.plain, repository }, secrets);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNoSecretIn(res.stdout + res.stderr, "build output");
    const ref = harness.resultJson(res).ref;
    assert.ok(harness.resultJson(res).packages.added.includes("rf-hello-1.0-1.noarch"));

    // The image's filesystem: the package is there, no certificate, key, mirror or redhat.repo file.
    const mnt = await harness.mountPushed(env, reg, ref);
    assert.ok((await harness.rpmQa(mnt)).includes("rf-hello-1.0-1.noarch"));
    assert.equal(existsSync(join(mnt, "etc/yum.repos.d/redhat.repo")), false);
    assert.equal(existsSync(join(mnt, "etc/yum.repos.d/rhcos-forge-mirror.repo")), false);
    const found = await harness.sh(`find ${harness.shq(join(mnt, "run/secrets"))} -type f 2>/dev/null | wc -l`);
    assert.equal(found.stdout.trim(), "0", "no file under /run/secrets");
    for (const line of tls.secretLines.slice(0, 3)) {
        const grep = await harness.run("grep", ["-rlF", "--", line, mnt], { check: false });
        assert.equal(grep.stdout, "", `a certificate or key line is in ${grep.stdout}`);
    }

    // Every layer blob and the config (with its history) of the pushed image.
    const dir = env.mkdir("entitled-image");
    const manifest = await reg.copyToDir(ref, dir);
    assert.ok(manifest.layers.length > 0);
    for (const layer of manifest.layers) {
        const tar = harness.readBlob(dir, layer.digest);
        for (const line of tls.secretLines)
            assert.equal(tar.includes(line), false, `layer ${layer.digest} holds a line of a certificate or key`);
    }
    assertNoSecretIn(harness.readBlob(dir, manifest.config.digest).toString("utf8"), "the image config");
});

// Through subscription-manager's own script in-process: the key is in its argv only.
test("rhsm-register.sh registers in-process, the key never on a command line; unregisters on destroy", async () => {
    const org = `org-${Date.now()}-rhsm`;
    const key = `ak-${Math.random().toString(36).slice(2)}-secret`;
    harness.addSecret(org);
    harness.addSecret(key);
    // A recording stand-in of /usr/sbin/subscription-manager (a Python script, as on RHEL).
    const dir = env.mkdir("rhsm");
    const cli = join(dir, "subscription-manager");
    writeFileSync(
        cli,
        [
            "#!/usr/bin/env python3",
            "import json, os, sys",
            `state = ${JSON.stringify(join(dir, "state.json"))}`,
            "def load():",
            "    return json.load(open(state)) if os.path.exists(state) else {'registered': False, 'calls': []}",
            "s = load()",
            "s['calls'].append({'argv': sys.argv[1:], 'cmdline': open('/proc/self/cmdline').read().split('\\0')})",
            "cmd = sys.argv[1]",
            "if cmd == 'identity':",
            "    json.dump(s, open(state, 'w')); sys.exit(0 if s['registered'] else 1)",
            "if cmd == 'register':",
            "    s['registered'] = True; print('Registering to org ' + sys.argv[sys.argv.index('--org') + 1])",
            "if cmd == 'unregister':",
            "    s['registered'] = False",
            "json.dump(s, open(state, 'w'))",
            "",
        ].join("\n"),
    );
    chmodSync(cli, 0o755);
    const reg1 = await host.script(
        "rhsm-register.sh",
        { RF_ROOT: root, RF_RHSM_CLI: cli },
        { input: renderSubscriptionBundle(org, key) },
    );
    assert.equal(reg1.code, 0, reg1.stderr);
    assert.deepEqual(reg1.json, { registered: true, changed: true });
    assert.ok(!reg1.stdout.includes(org) && !reg1.stderr.includes(org), "the org is masked in the tool's output");
    const calls = (
        JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { calls: { argv: string[]; cmdline: string[] }[] }
    ).calls;
    const register = calls.find(c => c.argv[0] === "register");
    assert.deepEqual(register?.argv, ["register", "--org", org, "--activationkey", key]);
    for (const c of calls)
        assert.ok(
            !c.cmdline.some(a => a.includes(key) || a.includes(org)),
            `a command line holds the key: ${c.cmdline.join(" ")}`,
        );

    const again = await host.script(
        "rhsm-register.sh",
        { RF_ROOT: root, RF_RHSM_CLI: cli },
        { input: renderSubscriptionBundle(org, key) },
    );
    assert.deepEqual(again.json, { registered: true, changed: false });
    const unreg = await host.script("rhsm-register.sh", {
        RF_ROOT: root,
        RF_RHSM_CLI: cli,
        RF_RHSM_ACTION: "unregister",
    });
    assert.deepEqual(unreg.json, { registered: false, changed: true });
    const missing = await host.script(
        "rhsm-register.sh",
        { RF_ROOT: root, RF_RHSM_CLI: join(dir, "nope") },
        { input: renderSubscriptionBundle(org, key) },
    );
    assert.equal(missing.failure?.step, "arguments");
});

test("no certificate key, org or activation key in any captured output", () => {
    assert.deepEqual(harness.leakedSecrets(), []);
});
