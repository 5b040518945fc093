// End to end with the real Pulumi engine and an `ssh` build host: a loopback sshd with a per-run key
// pair (test/host/harness.ts startBuildHost: Debian's default sshd_config, so AcceptEnv LANG LC_*
// only) stands in for the remote host, so the scripts are shipped with
// command:remote:CopyToRemote and every step runs as a command:remote:Command, both served by the
// upstream command provider (v1.2.1) that scripts/install-pulumi.sh builds.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as harness from "../host/harness";
import { Row, printTable, processesMentioning, resourceSummary } from "./faultKit";
import { generateHostKeyPair } from "../../components/ssh/hostKey";
import { writeLocalStackConfig } from "../../dev/pulumiCli";
import { E2e, assertStateHoldsNoSecrets, mirrorPassword, plannedChanges, setUpE2e } from "./setup";

const STACK = "e2e-ssh";
/** Where BuildHost ships the readiness script: outside workDir, so on this machine a fixed path. */
const READY_DIR = "/tmp/rhcos-forge-ready";
let hostEnv: harness.Env | undefined;
/** The fault rows this file adds to the fault suite's table (docs/reliability.md). */
const table: Row[] = [];

/** The stack's build host: the loopback sshd, its host key pinned (never the insecure flag). */
function sshBuildHost(hostKey: string): Record<string, unknown> {
    return { provider: "ssh", host: "127.0.0.1", port: host.port, user: "root", hostKey };
}

/** `ssh-keygen -lf` of a public key: the type-less fingerprint OpenSSH itself prints. */
function sshKeygenFingerprint(pub: string): string {
    return execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: `${pub}\n`, encoding: "utf8" }).split(" ")[1]!;
}
let host: harness.BuildHost;
let e2e: E2e;
/** Everything the engine printed for the stack's commands, searched for secrets at the end. */
const engineOutput: string[] = [];

async function pulumi(cmd: string[]): Promise<string> {
    const res = await e2e.run(cmd);
    engineOutput.push(res.stdout, res.stderr);
    return res.stdout;
}

before(async () => {
    hostEnv = new harness.Env("rf-e2e-sshd-");
    host = await harness.startBuildHost(hostEnv);
    e2e = await setUpE2e(STACK, { buildHost: sshBuildHost(host.hostKeyLine) });
    await e2e.stack.setSecret("rhcos-forge:sshPrivateKey", readFileSync(host.keyFile, "utf8"));
});
after(async () => {
    printTable(table);
    await e2e?.env.teardown();
    await hostEnv?.teardown();
    rmSync(READY_DIR, { recursive: true, force: true });
});

describe("the stack with an ssh build host (loopback sshd) and the real engine", () => {
    let firstRef = "";

    it("0. a pinned key not the sshd's is refused before connecting, naming host and both fingerprints", async () => {
        const wrong = generateHostKeyPair("not-the-build-host").publicKey.split(" ").slice(0, 2).join(" ");
        writeLocalStackConfig(e2e.stack.configFile, {
            ...e2e.settings,
            buildHost: sshBuildHost(`[127.0.0.1]:${host.port} ${wrong}`),
        });
        const res = await e2e.run(["up", "--yes"], { check: false }).finally(() => e2e.configure({}));
        engineOutput.push(res.stdout, res.stderr);
        assert.notEqual(res.code, 0, "up fails");
        const out = res.stdout + res.stderr;
        // Fingerprints as OpenSSH prints them, not as the project computes them.
        const offered = sshKeygenFingerprint(host.hostKeyLine.split(" ").slice(1).join(" "));
        const pinned = sshKeygenFingerprint(wrong);
        assert.ok(
            out.includes(
                `host key mismatch for 127.0.0.1:${host.port}: the server offered ssh-ed25519 ${offered}, but ` +
                    `rhcos-forge:buildHost.hostKey pins ssh-ed25519 ${pinned}`,
            ),
            out
                .split("\n")
                .filter(l => /host key|mismatch/i.test(l))
                .join("\n") || out.slice(-2000),
        );
        // The command provider never dialled: its own refusal, `ssh: handshake failed: ssh: host key
        // mismatch` after 10 dials (provider/pkg/provider/remote/connection.go), is not there.
        assert.doesNotMatch(out, /handshake failed/);
        assert.equal(
            existsSync(join(READY_DIR, "host-ready.sh")),
            false,
            "not even the readiness script reached the host",
        );
        assert.equal(e2e.buildCount(), 0);
    });

    it("1. up ships scripts over ssh, builds, pushes a digest skopeo confirms, MachineConfigs use it", async () => {
        await pulumi(["up", "--yes"]);
        const out = await e2e.outputs();
        assert.equal(out.buildHost.provider, "ssh");
        firstRef = out.image.ref;
        assert.match(firstRef, /^127\.0\.0\.1:\d+\/rhcos-forge\/node@sha256:[a-f0-9]{64}$/);
        assert.equal(await e2e.services.registry.skopeoDigest(firstRef), out.image.digest);
        const shipped = readdirSync(join(e2e.workDir, "scripts")).sort();
        for (const script of ["build-image.sh", "lib.sh", "repo-mirror.sh"])
            assert.ok(shipped.includes(script), shipped.join(" "));
        for (const script of shipped) {
            assert.equal(
                readFileSync(join(e2e.workDir, "scripts", script), "utf8"),
                readFileSync(join(harness.SCRIPTS_DIR, script), "utf8"),
                script,
            );
        }
        assert.ok(existsSync(join(READY_DIR, "host-ready.sh")), "the readiness script was shipped outside workDir");
        const mcs = e2e.renderedMachineConfigs();
        assert.equal(Object.keys(mcs).length, 2, JSON.stringify(mcs));
        for (const url of Object.values(mcs)) assert.equal(url, firstRef);
        assert.equal(e2e.buildCount(), 1);
    });

    it("1b. on a stock sshd: parameters on the command line, description on a record, no SSH env request", async () => {
        // The sshd accepts only Debian's AcceptEnv names, and really drops any other variable.
        assert.deepEqual((await harness.effectiveSshdConfig(host.sshdConfig)).get("acceptenv"), ["LANG", "LC_*"]);
        const probe = await harness.run("ssh", [
            ...host.sshArgs(),
            "-o",
            "SetEnv=RF_PROBE=sent",
            "root@127.0.0.1",
            'echo "${RF_PROBE-unset}"',
        ]);
        assert.equal(probe.stdout.trim(), "unset", "the test sshd drops a variable it does not AcceptEnv");
        const exported = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout) as {
            deployment: {
                resources: { type: string; urn: string; inputs?: Record<string, unknown>; dependencies?: string[] }[];
            };
        };
        const resources = exported.deployment.resources;
        const remote = resources.filter(r => r.type === "command:remote:Command");
        assert.ok(remote.length >= 3, `${remote.length} remote commands`);
        for (const r of remote) assert.equal(r.inputs?.environment, undefined, `${r.urn} sends an environment`);
        const build = remote.find(r => r.urn.endsWith("::image-build"));
        assert.ok(build !== undefined);
        assert.match(
            String(build.inputs?.create),
            /^env RF_BASE_IMAGE=\S+ RF_BUILD_ID=rf-[a-f0-9]+ .* bash \S+\/scripts\/build-image\.sh$/,
        );
        const record = resources.find(r => r.urn.endsWith("::image-build-description"));
        assert.equal(record?.type, "command:local:Command");
        const env = record?.inputs?.environment as Record<string, string>;
        assert.deepEqual(JSON.parse(env.RF_IMAGE_PACKAGES!).install, ["rf-hello"]);
        assert.match(env.RF_IMAGE_CONTAINERFILE!, /^FROM 127\.0\.0\.1:\d+\/fixtures\/fake-rhcos@sha256:/m);
        assert.ok(record?.dependencies?.includes(build.urn), "the record is written after the build");
        assert.equal(e2e.buildCount(), 1, "the build ran once");
    });

    it("2. a no-op preview plans nothing and a second up builds nothing", async () => {
        assert.deepEqual(plannedChanges(await pulumi(["preview", "--json"])), []);
        await pulumi(["up", "--yes"]);
        assert.equal(e2e.buildCount(), 1, "no remote build ran");
        assert.equal((await e2e.outputs()).image.ref, firstRef);
    });

    it("2b. the exported state holds no plain secret; every command's stdout and stderr are secrets", async () => {
        const commands = await assertStateHoldsNoSecrets(e2e, STACK, [readFileSync(host.keyFile, "utf8").trim()]);
        assert.ok(commands >= 3, `saw ${commands} command resources`);
    });

    // The command line carries parameters only.
    it("2c. a failing host step fails the up with upstream's report: command line, failure line", async () => {
        e2e.configure({ image: { packages: ["rf-hello", "rf-no-such-package"] } });
        const res = await e2e.run(["up", "--yes"], { check: false }).finally(() => e2e.configure({}));
        engineOutput.push(res.stdout, res.stderr);
        assert.notEqual(res.code, 0, "up fails");
        const out = res.stdout + res.stderr;
        // pulumi-command 1.2.1 reports `<ssh exit error>: running "<command>":\n<stdout and stderr>`
        // (provider/pkg/provider/remote/commandOutputs.go): the parameters are in the command line,
        // the secrets on stdin are not.
        assert.match(out, /Process exited with status [1-9]\d*: running \\?"env RF_/, out.slice(-3000));
        assert.match(out, /rhcos-forge build-image: step \\?"build\\?" failed: /, out.slice(-3000));
        assert.match(out, /rf-no-such-package/);
        assert.equal((await e2e.outputs()).image.ref, firstRef, "the stack still points at the last image built");
    });

    // The reboot: sshd restarted, the mirror process gone, /tmp emptied.
    it("2d. after a reboot an unchanged up builds nothing; a changed input builds once, restarts mirror", async () => {
        const t0 = Date.now();
        // What a reboot does to the host: sshd goes away and comes back on the same keys and port,
        // the background mirror server is gone (its pid file left behind), /tmp is empty.
        // The listener (sshd retitles itself "sshd: /usr/sbin/sshd -D -e -f <config> [listener] …").
        const sshd = processesMentioning(host.sshdConfig).filter(p => p.cmd.includes("-D"));
        assert.equal(sshd.length, 1, JSON.stringify(processesMentioning(host.sshdConfig)));
        process.kill(sshd[0].pid, "SIGTERM");
        await harness.waitFor("sshd stopped", async () => !(await harness.tcpOpen(host.port)), 10_000);
        harness.killPidFile(join(e2e.workDir, "mirror-server.pid"));
        await harness.waitFor(
            "the mirror stopped",
            async () => !(await harness.tcpOpen(e2e.settings.mirrorPort)),
            10_000,
        );
        rmSync(READY_DIR, { recursive: true, force: true });
        hostEnv!.daemon("sshd-after-reboot", "/usr/sbin/sshd", ["-D", "-e", "-f", host.sshdConfig]);
        await harness.waitFor("sshd back", async () => (await host.ssh("true", { check: false })).code === 0, 20_000);

        const before = e2e.buildCount();
        const same = await pulumi(["up", "--yes"]);
        assert.equal(e2e.buildCount(), before, "unchanged inputs: nothing rebuilt");
        assert.equal((await e2e.outputs()).image.ref, firstRef);
        e2e.configure({
            image: { files: [{ path: "/etc/rf/hello.conf", mode: "0644", content: "greeting=after-reboot\n" }] },
        });
        const changed = await pulumi(["up", "--yes"]);
        assert.equal(e2e.buildCount(), before + 1, "changed inputs: one build");
        assert.ok(await harness.tcpOpen(e2e.settings.mirrorPort), "the build started the mirror again");
        const out = await e2e.outputs();
        assert.notEqual(out.image.ref, firstRef);
        assert.equal(await e2e.services.registry.skopeoDigest(out.image.ref), out.image.digest);
        for (const url of Object.values(e2e.renderedMachineConfigs())) assert.equal(url, out.image.ref);
        await e2e.run([
            "refresh",
            "--yes",
            "--expect-no-changes",
            "--exclude",
            "**machineconfiguration.openshift.io**",
        ]);
        assert.deepEqual(plannedChanges(await pulumi(["preview", "--json"])), []);
        await assertStateHoldsNoSecrets(e2e, STACK, [readFileSync(host.keyFile, "utf8").trim()]);
        table.push({
            fault: "ssh build host rebooted (sshd restarted, mirror gone, /tmp emptied)",
            first: "(no run: the host rebooted between runs)",
            rerun:
                `unchanged: up ok (${resourceSummary(same)}), 0 builds; changed inputs: up ok ` +
                `(${resourceSummary(changed)}), 1 build, mirror serving again`,
            checked: "new digest served, MCs on it, refresh clean, preview empty, no secret in export",
            seconds: Math.round((Date.now() - t0) / 1000),
        });
        e2e.configure({});
    });

    it("3. destroy stops the mirror and empties the stack", async () => {
        assert.ok(await harness.tcpOpen(e2e.settings.mirrorPort), "the mirror serves before destroy");
        await pulumi(["destroy", "--yes"]);
        assert.equal(await harness.tcpOpen(e2e.settings.mirrorPort), false, "destroy stopped the mirror's server");
        assert.deepEqual(e2e.renderedMachineConfigs(), {});
        const exported = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout) as {
            deployment: { resources?: unknown[] };
        };
        assert.equal((exported.deployment.resources ?? []).length, 0);
    });

    it("4. the SSH private key, registry password and mirror password never appear in the engine's output", () => {
        const output = engineOutput.join("\n");
        assert.ok(output.length > 0);
        const key = readFileSync(host.keyFile, "utf8");
        const keyLines = key.split("\n").filter(l => l.length >= 6 && !l.startsWith("-----"));
        assert.ok(keyLines.length > 0);
        const registry = e2e.services.registry;
        const mirror = mirrorPassword(e2e);
        assert.ok(mirror !== undefined, "the stack's mirror has a password");
        const secrets = [
            key.trim(),
            ...keyLines,
            registry.password,
            Buffer.from(`${registry.user}:${registry.password}`).toString("base64"),
            mirror,
        ];
        for (const s of secrets)
            assert.ok(!output.includes(s), `a secret (${s.slice(0, 4)}…) appeared in the engine's output`);
    });
});
