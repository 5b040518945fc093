// The build-host scripts' conventions and the cheap paths, over SSH where it
// matters: shellcheck, the error-line contract, JSON escaping, put-file.sh,
// host-ready.sh, build-image.sh's bundle checks, repo-mirror.sh's systemd mode
// (with a stand-in systemctl, as there is no systemd here).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as harness from "./harness";

let env: harness.Env;
let host: harness.BuildHost;
const SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const scripts = readdirSync(harness.SCRIPTS_DIR).filter(f => f.endsWith(".sh"));

before(async () => {
    env = new harness.Env("rf-scripts-test-");
    host = await harness.startBuildHost(env);
    await host.shipScripts();
});

after(async () => {
    await env?.teardown();
});

test("every script is shellcheck-clean (shellcheck -x)", async () => {
    const res = await harness.run("shellcheck", ["-x", ...scripts.map(s => join(harness.SCRIPTS_DIR, s))], {
        check: false,
        cwd: harness.SCRIPTS_DIR,
    });
    assert.equal(res.code, 0, res.stdout + res.stderr);
});

test("every script has the bash shebang, set -euo pipefail and never set -x", () => {
    assert.ok(scripts.includes("lib.sh"));
    for (const s of ["host-ready.sh", "put-file.sh", "repo-mirror.sh", "build-image.sh"])
        assert.ok(scripts.includes(s), s);
    for (const s of scripts) {
        const text = readFileSync(join(harness.SCRIPTS_DIR, s), "utf8");
        assert.ok(text.startsWith("#!/usr/bin/env bash\n"), `${s}: shebang`);
        assert.match(text, /^set -E?euo pipefail$/m, `${s}: set -euo pipefail`);
        assert.doesNotMatch(text, /^\s*set\s+-[a-wyz]*x/m, `${s}: set -x`);
        assert.doesNotMatch(text, /set -o xtrace/, `${s}: xtrace`);
    }
});

test("rf_json_str produces JSON strings for awkward input", async () => {
    const samples = [
        "plain",
        'quote " and \\ backslash',
        "new\nline\ttab\rcr",
        "ctl \u0001\u001f end",
        "unicode é ✓",
        "",
    ];
    for (const s of samples) {
        const res = await harness.run("bash", [
            "-c",
            `source ${harness.shq(join(harness.SCRIPTS_DIR, "lib.sh"))}; rf_json_str "$1"`,
            "x",
            s,
        ]);
        assert.equal(JSON.parse(res.stdout), s);
    }
    const arr = await harness.run("bash", [
        "-c",
        `source ${harness.shq(join(harness.SCRIPTS_DIR, "lib.sh"))}; rf_json_arr a 'b"c' ''`,
    ]);
    assert.deepEqual(JSON.parse(arr.stdout), ["a", 'b"c', ""]);
});

test("a failure prints exactly one error line, also when it happens in a subshell or unchecked command", async () => {
    const lib = harness.shq(join(harness.SCRIPTS_DIR, "lib.sh"));
    const viaSubshell = await harness.run(
        "bash",
        ["-c", `RF_SCRIPT=t; source ${lib}; rf_step one; x="$(rf_fail one 'inner why')"; echo "$x"`],
        { check: false },
    );
    assert.notEqual(viaSubshell.code, 0);
    assert.deepEqual(harness.failureLines(viaSubshell.stderr), ['rhcos-forge t: step "one" failed: inner why']);
    assert.equal(viaSubshell.stdout, "");

    const unchecked = await harness.run(
        "bash",
        ["-c", `RF_SCRIPT=t; source ${lib}; rf_step two; false; echo not-reached`],
        { check: false },
    );
    assert.notEqual(unchecked.code, 0);
    assert.equal(harness.failureLines(unchecked.stderr).length, 1, unchecked.stderr);
    assert.match(unchecked.stderr, /step "two" failed: command exited 1: false/);
    assert.equal(unchecked.stdout, "");

    const multiline = await harness.run("bash", ["-c", `RF_SCRIPT=t; source ${lib}; rf_fail s $'a\\nb'`], {
        check: false,
    });
    assert.deepEqual(harness.failureLines(multiline.stderr), ['rhcos-forge t: step "s" failed: a b']);
});

test("put-file.sh over SSH: atomic write, mode, parent dirs, idempotent, content never printed", async () => {
    const secret = `put-file-secret-${Date.now()}`;
    harness.addSecret(secret);
    const target = env.path("remote", "put", "deep", "dir", "auth.json");
    const res = await host.script("put-file.sh", {}, { input: `{"auths":{"x":{"auth":"${secret}"}}}`, args: [target] });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.json, { path: target, changed: true });
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.equal(statSync(join(target, "..")).mode & 0o777, 0o700, "parents created under umask 077");
    assert.deepEqual(readdirSync(join(target, "..")), ["auth.json"], "no temp file left");
    const mtime = statSync(target).mtimeMs;

    const again = await host.script(
        "put-file.sh",
        {},
        { input: `{"auths":{"x":{"auth":"${secret}"}}}`, args: [target] },
    );
    assert.deepEqual(again.json, { path: target, changed: false });
    assert.equal(statSync(target).mtimeMs, mtime);

    const mode = await host.script("put-file.sh", {}, { input: "public\n", args: [target, "0644"] });
    assert.deepEqual(mode.json, { path: target, changed: true });
    assert.equal(statSync(target).mode & 0o777, 0o644);
    assert.equal(readFileSync(target, "utf8"), "public\n");

    const bad = await host.script("put-file.sh", {}, { input: "x", args: [target, "u+rw"] });
    assert.notEqual(bad.code, 0);
    assert.equal(bad.failure?.step, "arguments");
    assert.equal(readFileSync(target, "utf8"), "public\n");
});

test("host-ready.sh over SSH: reports arch and podman, creates RF_ROOT; names missing tools", async () => {
    const root = env.path("remote", "ready-root");
    const res = await host.script("host-ready.sh", { RF_ROOT: root });
    assert.equal(res.code, 0, res.stderr);
    const arch = (await harness.run("uname", ["-m"])).stdout.trim();
    const podman = (await harness.run("podman", ["--version"])).stdout.trim().split(" ").pop();
    assert.deepEqual(res.json, { ready: true, arch, podman });
    assert.ok(statSync(root).isDirectory());

    const missing = await host.script("host-ready.sh", {
        RF_ROOT: root,
        RF_REQUIRED_TOOLS: "podman rf-no-such-tool dnf",
    });
    assert.notEqual(missing.code, 0);
    assert.equal(harness.failureLines(missing.stderr).length, 1);
    assert.equal(missing.failure?.step, "check tools");
    assert.match(missing.failure!.why, /rf-no-such-tool/);
});

test("host-ready.sh waits for cloud-init, bounded by RF_CLOUD_INIT_TIMEOUT", async () => {
    const stub = env.mkdir("stub-cloud-init");
    const marker = env.path("cloud-init-called");
    writeFileSync(
        join(stub, "cloud-init"),
        `#!/bin/sh\necho "$@" >> ${marker}\n[ "$*" = status ] && { echo "status: ` +
            `\${RF_TEST_CLOUD_INIT_STATUS:-running}"; exit 0; }\nsleep "\${RF_TEST_CLOUD_INIT_SLEEP:-0}"\necho ` +
            `"status: done"\n`,
    );
    chmodSync(join(stub, "cloud-init"), 0o755);
    // Installed but not run this boot (no generator file): not waited for, as on a CI machine.
    const notRun = await host.script("host-ready.sh", {
        RF_ROOT: env.path("remote", "ready-ci"),
        PATH: `${stub}:${SYS_PATH}`,
        RF_CLOUD_INIT_ENABLED: env.path("no-such-enabled"),
    });
    assert.equal(notRun.code, 0, notRun.stderr);
    assert.equal(existsSync(marker), false, "waited on a cloud-init that does not run this boot");
    const enabled = env.path("cloud-init-enabled");
    writeFileSync(enabled, "");
    const vars = {
        RF_ROOT: env.path("remote", "ready-ci"),
        PATH: `${stub}:${SYS_PATH}`,
        RF_CLOUD_INIT_ENABLED: enabled,
    };
    const ok = await host.script("host-ready.sh", { ...vars, RF_TEST_CLOUD_INIT_SLEEP: "1" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(marker, "utf8").trim(), "status\nstatus --wait");

    const slow = await host.script("host-ready.sh", {
        ...vars,
        RF_TEST_CLOUD_INIT_SLEEP: "30",
        RF_CLOUD_INIT_TIMEOUT: "1",
    });
    assert.notEqual(slow.code, 0);
    assert.equal(slow.failure?.step, "cloud-init");
    assert.match(slow.failure!.why, /did not finish within 1s/);

    // Installed but not running on this host: nothing to wait for.
    for (const status of ["not run", "disabled"]) {
        rmSync(marker, { force: true });
        const idle = await host.script("host-ready.sh", {
            ...vars,
            RF_TEST_CLOUD_INIT_STATUS: status,
            RF_TEST_CLOUD_INIT_SLEEP: "30",
            RF_CLOUD_INIT_TIMEOUT: "1",
        });
        assert.equal(idle.code, 0, `${status}: ${idle.stderr}`);
        assert.equal(readFileSync(marker, "utf8").trim(), "status", `${status}: no --wait`);
    }
});

test("host-ready.sh with RF_NEED_KVM (image.builder cosa) checks the KVM device before cloud-init", async () => {
    const stub = env.mkdir("stub-cloud-init-kvm");
    const marker = env.path("cloud-init-kvm-called");
    writeFileSync(join(stub, "cloud-init"), `#!/bin/sh\necho "$@" >> ${marker}\necho "status: done"\n`);
    chmodSync(join(stub, "cloud-init"), 0o755);
    const enabled = env.path("cloud-init-enabled-kvm");
    writeFileSync(enabled, "");
    const vars = {
        RF_ROOT: env.path("remote", "ready-kvm"),
        PATH: `${stub}:${SYS_PATH}`,
        RF_NEED_KVM: "1",
        RF_CLOUD_INIT_ENABLED: enabled,
    };
    // A regular file where the device should be: what a VM without nested virtualization lacks.
    const notDevice = env.path("not-a-kvm-device");
    writeFileSync(notDevice, "");
    const refused = await host.script("host-ready.sh", { ...vars, RF_KVM_DEVICE: notDevice });
    assert.notEqual(refused.code, 0);
    assert.equal(harness.failureLines(refused.stderr).length, 1);
    assert.equal(refused.failure?.step, "kvm");
    assert.match(refused.failure!.why, /rhcos-forge:image\.builder is cosa, which needs KVM/);
    assert.equal(existsSync(marker), false, "cloud-init was waited on before the KVM check");

    const missing = await host.script("host-ready.sh", { ...vars, RF_KVM_DEVICE: env.path("no-such-kvm") });
    assert.equal(missing.failure?.step, "kvm");

    // Without RF_NEED_KVM the device is not looked at.
    const podmanOnly = await host.script("host-ready.sh", { ...vars, RF_NEED_KVM: "0", RF_KVM_DEVICE: notDevice });
    assert.equal(podmanOnly.code, 0, podmanOnly.stderr);
    if (existsSync("/dev/kvm")) {
        const ok = await host.script("host-ready.sh", { ...vars, RF_KVM_DEVICE: "/dev/kvm" });
        assert.equal(ok.code, 0, ok.stderr);
    }
});

test('build-image.sh rejects bad bundles in step "unpack" without writing outside the context', async () => {
    const root = env.path("remote", "bundle-root");
    const vars = {
        RF_ROOT: root,
        RF_BUILD_ID: "bundletest",
        RF_IMAGE_REPO: "127.0.0.1:1/rhcos-forge/node",
        RF_BASE_IMAGE: `127.0.0.1:1/x@sha256:${"0".repeat(64)}`,
        RF_TLS_VERIFY: "false",
    };
    const escape = env.path("remote", "escaped");
    const cases: Array<[string, string, RegExp]> = [
        [
            "absolute path",
            harness.makeBundle([
                { path: "Containerfile", content: "FROM x" },
                { path: escape, content: "x" },
            ]),
            /absolute path/,
        ],
        [
            "dot-dot",
            harness.makeBundle([
                { path: "Containerfile", content: "FROM x" },
                { path: "files/../../../escaped", content: "x" },
            ]),
            /'\.\.'/,
        ],
        ["header", "not a bundle\n", /not a rhcos-forge bundle/],
        ["no Containerfile", harness.makeBundle([{ path: "files/a", content: "x" }]), /no Containerfile/],
        ["bad mode", harness.makeBundle([{ path: "Containerfile", mode: "rwx", content: "FROM x" }]), /bad mode/],
        ["bad base64", "rhcos-forge-bundle v1\nfile 0644 !!!! AAAA\n", /not valid base64/],
        ["unknown entry", "rhcos-forge-bundle v1\nsymlink a b\n", /unknown entry/],
    ];
    for (const [name, bundle, why] of cases) {
        const res = await host.script("build-image.sh", vars, { input: bundle });
        assert.notEqual(res.code, 0, name);
        assert.equal(harness.failureLines(res.stderr).length, 1, `${name}: ${res.stderr}`);
        assert.equal(res.failure?.step, "unpack", name);
        assert.match(res.failure!.why, why, name);
        assert.equal(res.stdout, "", name);
    }
    assert.equal(existsSync(escape), false);
    assert.equal(existsSync(join(root, "builds", "escaped")), false);
    assert.deepEqual(readdirSync(join(root, "tmp")), [], "temp dir (and any authfile) removed");
});

test('build-image.sh validates its environment in step "arguments"', async () => {
    const good = {
        RF_ROOT: env.path("remote", "args-root"),
        RF_BUILD_ID: "abc",
        RF_IMAGE_REPO: "127.0.0.1:1/rhcos-forge/node",
        RF_BASE_IMAGE: `127.0.0.1:1/x@sha256:${"0".repeat(64)}`,
    };
    for (const bad of [{ RF_BUILD_ID: "../x" }, { RF_IMAGE_REPO: "reg/node:tag" }, { RF_BASE_IMAGE: "reg/x:latest" }]) {
        const res = await host.script("build-image.sh", { ...good, ...bad }, { input: "" });
        assert.notEqual(res.code, 0);
        assert.equal(res.failure?.step, "arguments", JSON.stringify(bad));
    }
});

test("repo-mirror.sh systemd mode: writes the unit, restarts only when it changed", async () => {
    const stub = env.mkdir("stub-systemctl");
    const calls = env.path("systemctl-calls");
    const unitDir = env.mkdir("remote", "units");
    const pidFile = env.path("systemctl-server.pid");
    // a stand-in systemctl: logs its arguments; (re)starts ExecStart of the unit in the background
    writeFileSync(
        join(stub, "systemctl"),
        [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            `echo "$*" >> ${harness.shq(calls)}`,
            `unit=${harness.shq(join(unitDir, "rhcos-forge-mirror.service"))}`,
            `pidf=${harness.shq(pidFile)}`,
            'start() { [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null && sleep 0.3; cmd=$(sed -n ' +
                '"s/^ExecStart=//p" "$unit"); setsid $cmd >/dev/null 2>&1 < /dev/null & echo $! > "$pidf"; }',
            'case "$*" in',
            '  restart*|"enable --now"*) if [ "$1" = restart ] || ! { [ -f "$pidf" ] && kill -0 "$(cat ' +
                '"$pidf")" 2>/dev/null; }; then start; fi ;;',
            "esac",
            "",
        ].join("\n"),
    );
    chmodSync(join(stub, "systemctl"), 0o755);
    env.onTeardown(() => harness.killPidFile(pidFile));

    const port = await harness.freePort();
    const vars = {
        RF_ROOT: env.path("remote", "systemd-root"),
        RF_SERVE_MODE: "systemd",
        RF_SYSTEMD_UNIT_DIR: unitDir,
        RF_MIRROR_BIND: "127.0.0.1",
        RF_MIRROR_PORT: String(port),
        PATH: `${stub}:${SYS_PATH}`,
    };
    const first = await host.script("repo-mirror.sh", vars);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.json, { repos: [], packageSet: "", changed: false });
    const unit = readFileSync(join(unitDir, "rhcos-forge-mirror.service"), "utf8");
    assert.match(
        unit,
        new RegExp(
            `^ExecStart=\\S*python3 ${vars.RF_ROOT}/mirror-server.py --bind 127.0.0.1 --port ${port} ` +
                `--directory ${vars.RF_ROOT}/mirror$`,
            "m",
        ),
    );
    assert.match(unit, /^WantedBy=multi-user.target$/m);
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), [
        "daemon-reload",
        "enable rhcos-forge-mirror.service",
        "restart rhcos-forge-mirror.service",
    ]);
    assert.equal(await harness.tcpOpen(port), true);
    const unitMtime = statSync(join(unitDir, "rhcos-forge-mirror.service")).mtimeMs;

    writeFileSync(calls, "");
    const second = await host.script("repo-mirror.sh", vars);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), ["enable --now rhcos-forge-mirror.service"]);
    assert.equal(statSync(join(unitDir, "rhcos-forge-mirror.service")).mtimeMs, unitMtime);

    writeFileSync(calls, "");
    const port2 = await harness.freePort();
    const third = await host.script("repo-mirror.sh", { ...vars, RF_MIRROR_PORT: String(port2) });
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), [
        "daemon-reload",
        "enable rhcos-forge-mirror.service",
        "restart rhcos-forge-mirror.service",
    ]);
    assert.equal(await harness.tcpOpen(port2), true);
});

test("no secret (SSH private key, file contents) appears in any output", async () => {
    await harness.sh("true");
    assert.deepEqual(harness.leakedSecrets(), []);
});
