// repo-mirror.sh on a real build host reached over SSH: dnf reposync of a
// loopback upstream repo, package-set mode (dnf download --resolve), valid
// createrepo_c metadata, the background HTTP server, idempotent re-runs and
// the failure paths (upstream unreachable, package that does not exist).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as harness from "./harness";
import { buildFixtureRpms } from "../../dev/rpms";
import { startUpstream, type Upstream } from "../../dev/upstream";

let env: harness.Env;
let host: harness.BuildHost;
let up: Upstream;
let root: string;
let mirrorPort: number;
let repoFile: string;

const SET = "rhcos-forge-extras";

function mirrorVars(extra: Record<string, string> = {}): Record<string, string> {
    return harness.mirrorEnv(root, repoFile, mirrorPort, { RF_PACKAGE_SET_ID: SET, RF_PACKAGES: "rf-hello", ...extra });
}

async function dnfList(repoUrl: string): Promise<string[]> {
    const cache = env.mkdir("dnf-client-cache", String(Date.now()));
    const res = await harness.run("dnf", [
        "-q",
        "--setopt=reposdir=/nonexistent",
        `--setopt=cachedir=${cache}`,
        "--disableplugin=*",
        `--repofrompath=m,${repoUrl}`,
        "--repo=m",
        "repoquery",
        "--qf",
        "%{name}-%{version}-%{release}.%{arch}",
    ]);
    return res.stdout
        .split("\n")
        .filter(l => l.trim())
        .sort();
}

before(async () => {
    env = new harness.Env("rf-mirror-test-");
    host = await harness.startBuildHost(env);
    await host.shipScripts();
    const rpms = await buildFixtureRpms(env.path("rpms"));
    up = await startUpstream(env, rpms.upstream);
    root = env.path("remote", "root");
    mirrorPort = await harness.freePort();
    repoFile = join(root, "secrets", "upstream.repo");
    env.onTeardown(() => harness.killPidFile(join(root, "mirror-server.pid")));
});

after(async () => {
    await env?.teardown();
});

test("put-file.sh writes the upstream .repo file (credentials in it) atomically, 0600, never echoing it", async () => {
    const res = await host.script("put-file.sh", {}, { input: up.repoFile(), args: [repoFile] });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.json, { path: repoFile, changed: true });
    assert.equal(readFileSync(repoFile, "utf8"), up.repoFile());
    const mode = (await harness.run("stat", ["-c", "%a", repoFile])).stdout.trim();
    assert.equal(mode, "600");
    assert.ok(!res.stdout.includes(up.password) && !res.stderr.includes(up.password));
});

test("repo-mirror.sh mirrors the upstream repo and the package set (rf-hello + its dependency rf-lib)", async () => {
    const res = await host.script("repo-mirror.sh", mirrorVars());
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim().split("\n").length, 1, "stdout carries only the result line");
    assert.deepEqual(res.json, { repos: ["fixtures"], packageSet: SET, changed: true });

    const mirror = join(root, "mirror");
    const rpmsIn = (d: string) =>
        readdirSync(join(mirror, d))
            .filter(f => f.endsWith(".rpm"))
            .sort();
    assert.deepEqual(rpmsIn("fixtures"), [
        "rf-extra-1.0-1.noarch.rpm",
        "rf-hello-1.0-1.noarch.rpm",
        "rf-lib-1.1-1.noarch.rpm",
    ]);
    assert.deepEqual(rpmsIn(SET), ["rf-hello-1.0-1.noarch.rpm", "rf-lib-1.1-1.noarch.rpm"]);

    // the metadata is valid: dnf can read both repos, from disk and over the mirror's HTTP server
    assert.deepEqual(await dnfList(`file://${mirror}/${SET}`), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
    assert.deepEqual(await dnfList(`http://127.0.0.1:${mirrorPort}/fixtures/`), [
        "rf-extra-1.0-1.noarch",
        "rf-hello-1.0-1.noarch",
        "rf-lib-1.1-1.noarch",
    ]);
    const repomd = await fetch(`http://127.0.0.1:${mirrorPort}/${SET}/repodata/repomd.xml`);
    assert.equal(repomd.status, 200);
    assert.match(await repomd.text(), /<repomd/);
});

test("a second run with the same inputs changes nothing on disk and leaves the server alone", async () => {
    const mirror = join(root, "mirror");
    const before = await harness.treeListing(mirror);
    const pidBefore = readFileSync(join(root, "mirror-server.pid"), "utf8");
    const res = await host.script("repo-mirror.sh", mirrorVars());
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.json, { repos: ["fixtures"], packageSet: SET, changed: false });
    assert.equal(await harness.treeListing(mirror), before);
    assert.equal(readFileSync(join(root, "mirror-server.pid"), "utf8"), pidBefore);
});

test("a re-run brings a dead mirror server back without re-syncing", async () => {
    harness.killPidFile(join(root, "mirror-server.pid"));
    for (let i = 0; i < 50 && (await harness.tcpOpen(mirrorPort)); i++) await new Promise(r => setTimeout(r, 100));
    assert.equal(await harness.tcpOpen(mirrorPort), false);
    const before = await harness.treeListing(join(root, "mirror"));
    const res = await host.script("repo-mirror.sh", mirrorVars());
    assert.equal(res.code, 0, res.stderr);
    assert.equal(harness.resultJson(res).changed, false);
    assert.equal(await harness.tcpOpen(mirrorPort), true);
    assert.equal(await harness.treeListing(join(root, "mirror")), before);
});

test("RF_FORCE_SYNC=1 syncs again even with unchanged inputs", async () => {
    const res = await host.script("repo-mirror.sh", mirrorVars({ RF_FORCE_SYNC: "1" }));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /step "reposync fixtures"/);
});

test('upstream unreachable: fails in step "reposync fixtures"; fixed, the re-run succeeds', async () => {
    const froot = env.path("remote", "fault-unreachable");
    const badFile = join(froot, "secrets", "upstream.repo");
    const closed = await harness.freePort(); // nothing listens there
    await host.script("put-file.sh", {}, { input: up.repoFile(closed), args: [badFile] });
    const vars = { ...mirrorVars(), RF_ROOT: froot, RF_UPSTREAM_REPOFILE: badFile, RF_SERVE_MODE: "none" };
    const res = await host.script("repo-mirror.sh", vars);
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr);
    assert.equal(res.failure?.script, "repo-mirror");
    assert.equal(res.failure?.step, "reposync fixtures");
    assert.match(res.failure!.why, /unreachable/);
    assert.equal(res.json, undefined, "no result line on failure");

    // fix the fault (the component would rewrite the repo file) and re-run
    await host.script("put-file.sh", {}, { input: up.repoFile(), args: [badFile] });
    const ok = await host.script("repo-mirror.sh", vars);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(harness.resultJson(ok).changed, true);
    assert.ok(existsSync(join(froot, "mirror", SET, "rf-hello-1.0-1.noarch.rpm")));
});

test('a package that does not exist: fails in step "download <set>" naming it; fixed, the re-run works', async () => {
    const froot = env.path("remote", "fault-missing");
    const vars = { ...mirrorVars(), RF_ROOT: froot, RF_SERVE_MODE: "none", RF_PACKAGES: "rf-hello rf-does-not-exist" };
    const res = await host.script("repo-mirror.sh", vars);
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr);
    assert.equal(res.failure?.step, `download ${SET}`);
    assert.match(res.failure!.why, /rf-does-not-exist/);
    assert.doesNotMatch(res.failure!.why, /rf-hello/);

    const ok = await host.script("repo-mirror.sh", { ...vars, RF_PACKAGES: "rf-hello rf-extra" });
    assert.equal(ok.code, 0, ok.stderr);
    const got = readdirSync(join(froot, "mirror", SET))
        .filter(f => f.endsWith(".rpm"))
        .sort();
    assert.deepEqual(got, ["rf-extra-1.0-1.noarch.rpm", "rf-hello-1.0-1.noarch.rpm", "rf-lib-1.1-1.noarch.rpm"]);
});

test("createrepo_c failure is reported in its own step", async () => {
    // a createrepo_c that fails, first on the build host's PATH
    const froot = env.path("remote", "fault-createrepo");
    const stub = env.mkdir("stub-createrepo");
    await harness.run("bash", [
        "-c",
        `printf '#!/bin/sh\\necho "createrepo_c: simulated failure" >&2\\nexit 3\\n' > ${stub}/createrepo_c ` +
            `&& chmod 0755 ${stub}/createrepo_c`,
    ]);
    const vars = {
        ...mirrorVars(),
        RF_ROOT: froot,
        RF_SERVE_MODE: "none",
        RF_REPO_IDS: "",
        PATH: `${stub}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    };
    const res = await host.script("repo-mirror.sh", vars);
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr);
    assert.equal(res.failure?.step, `createrepo ${SET}`);
    assert.match(res.failure!.why, /createrepo_c failed/);
});

test("no secret (repo credentials, SSH private key) appears in any output", () => {
    assert.deepEqual(harness.leakedSecrets(), []);
});

test("mirror-stop.sh (RepoMirror's destroy step) stops the background server and is idempotent", async () => {
    const ok = await host.script("repo-mirror.sh", mirrorVars());
    assert.equal(ok.code, 0, ok.stderr.slice(-3000));
    assert.ok(await harness.tcpOpen(mirrorPort), "serving before the stop");

    const stop = await host.script("mirror-stop.sh", { RF_ROOT: root, RF_SERVE_MODE: "background" });
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(harness.resultJson(stop), { stopped: true });
    assert.equal(await harness.tcpOpen(mirrorPort), false, "nothing listens after the stop");
    assert.equal(existsSync(join(root, "mirror-server.pid")), false);
    assert.ok(
        readdirSync(join(root, "mirror", SET)).some(f => f.endsWith(".rpm")),
        "the mirrored RPMs stay",
    );

    const again = await host.script("mirror-stop.sh", { RF_ROOT: root, RF_SERVE_MODE: "background" });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(harness.resultJson(again), { stopped: false });

    const bad = await host.script("mirror-stop.sh", { RF_ROOT: root, RF_SERVE_MODE: "nginx" });
    assert.notEqual(bad.code, 0);
    assert.deepEqual(harness.failureLines(bad.stderr), [
        `rhcos-forge mirror-stop: step "arguments" failed: RF_SERVE_MODE must be systemd, background or none, ` +
            `got: 'nginx'`,
    ]);
});
