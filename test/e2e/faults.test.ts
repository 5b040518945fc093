// Faults through the real engine (issue 22): each row injects one fault into a `pulumi up` of the
// local stack (loopback registry, upstream repo and mirror; test/e2e/setup.ts), checks the run
// fails naming the step and the cause, then runs `pulumi up` again and checks that it converges
// with nothing lost: the state agrees with the world (`pulumi refresh --expect-no-changes`, a
// preview that plans nothing), no build or mirror scratch directory or held lock is left on the
// host, no process of the interrupted run still runs, every rendered MachineConfig names an image
// the registry serves in full, and no secret is in the engine's output or `pulumi stack export`.
//
// Faults are real: signals to the real `pulumi` process, the real registry and mirror server
// killed, a real full file system. The suite prints its table (fault | first run | re-run |
// checked) at the end; docs/reliability.md has the measured one.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { addSecret, freePort, leakedSecrets, randomToken, run, tcpOpen, waitFor } from "../host/harness";
import { killPidFile } from "../../dev/proc";
import { openStack, writeLocalStackConfig } from "../../dev/pulumiCli";
import { E2e, PASSPHRASE, StackOutputs, assertStateHoldsNoSecrets, plannedChanges, setUpE2e } from "./setup";
import {
    Row,
    Running,
    assertImageServedInFull,
    processesMentioning,
    during,
    fault,
    firstRunSaid,
    printTable,
    recoverKilledRun,
    resourceSummary,
    startUp,
} from "./faultKit";

const STACK = "e2e-faults";

let e2e: E2e;
const table: Row[] = [];

before(async () => {
    e2e = await setUpE2e(STACK);
});
after(async () => {
    printTable(table);
    await e2e?.env.teardown();
});

/** Runs one fault of this file and records its row. */
const localFault = (name: string, body: () => Promise<{ first: string; rerun: string }>): Promise<void> =>
    fault(table, name, body, () => assertConverged());

/** The step marker a script prints on stderr (lib.sh rf_step), as the engine streams it. */
const stepStarted = (up: Running, script: string, step: string): boolean =>
    up.output().includes(`rhcos-forge ${script}: step "${step}"`);

/**
 * Differs in every run of this file. podman keeps the layers of a Containerfile it built before on
 * this host (same mirror address and revision): an earlier run's `greeting=mirror-killed` would
 * come from that cache and never reach the mirror the fault kills.
 */
const RUN_TOKEN = randomToken();

/** Sets a file's content in the image section so the next up builds a new image (a new build id). */
function newBuildInput(tag: string, mirror?: (m: Record<string, unknown>) => void): void {
    const content = `greeting=${tag}-${RUN_TOKEN}\n`;
    e2e.configure({ image: { files: [{ path: "/etc/rf/hello.conf", mode: "0644", content }] } });
    if (mirror !== undefined) editConfig(e2e.stack.configFile, c => mirror(c["rhcos-forge:mirror"]));
}

function editConfig(file: string, edit: (c: Record<string, Record<string, unknown>>) => void): void {
    const doc = yaml.load(readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
    edit(doc.config);
    writeFileSync(file, yaml.dump(doc, { lineWidth: 120 }));
}

/**
 * What "converged with nothing lost" means, checked after a re-run: returns the list of checks made.
 */
async function assertConverged(workDir = e2e.workDir): Promise<string> {
    const checks: string[] = [];
    // The state agrees with the world and with the program.
    // The kubernetes provider in render mode (renderYamlToDirectory) cannot read an object back
    // ("failed to read resource state due to unreachable cluster"): a render-mode stack's refresh
    // leaves the rendered objects out, and the rendered files are checked below instead.
    await e2e.run(["refresh", "--yes", "--expect-no-changes", "--exclude", "**machineconfiguration.openshift.io**"]);
    assert.deepEqual(
        plannedChanges((await e2e.run(["preview", "--json"])).stdout),
        [],
        "a preview after the re-run plans nothing",
    );
    checks.push("refresh clean, preview empty");
    // No scratch directory and no held lock on the host.
    const tmp = join(workDir, "tmp");
    const scratch = [
        ...(existsSync(tmp) ? readdirSync(tmp).map(f => `tmp/${f}`) : []),
        ...readdirSync(workDir).filter(f => f.startsWith(".repo-mirror.")),
    ];
    assert.deepEqual(scratch, [], "no scratch directory of an interrupted run is left");
    const locks = (await run("find", [workDir, "-name", "*.lock", "-type", "f"])).stdout.split("\n").filter(Boolean);
    for (const lock of locks) {
        const free = await run("flock", ["-n", lock, "true"], { check: false });
        assert.equal(free.code, 0, `${lock} is still held`);
    }
    assert.deepEqual(
        processesMentioning(`${workDir}/builds`).map(p => p.cmd),
        [],
        "no build of the interrupted run still runs",
    );
    checks.push(`no scratch dir, ${locks.length} locks free, no orphan`);
    // Every MachineConfig names the stack's image, and the registry serves all of it.
    const out = await e2e.outputs();
    const mcs = Object.values(e2e.renderedMachineConfigs());
    assert.equal(mcs.length, 2);
    for (const url of mcs) assert.equal(url, out.image.ref);
    await assertImageServedInFull(e2e, out.image.ref, out.image.digest);
    checks.push("MCs → image fully pulled");
    await assertStateHoldsNoSecrets(e2e, STACK);
    assert.deepEqual(leakedSecrets(), [], "no secret in any output so far");
    checks.push("no secret in output/export");
    return checks.join("; ");
}

/** Re-runs `pulumi up` and says what it did (the engine's resource summary). */
async function rerun(builds: { before: number; expected: number }): Promise<string> {
    const res = await e2e.run(["up", "--yes"]);
    const summary = resourceSummary(res.stdout);
    const made = e2e.buildCount() - builds.before;
    if (builds.expected >= 0) assert.equal(made, builds.expected, "builds the re-run made");
    return `up ok (${summary}), ${made} build(s)`;
}

describe("faults through the real engine: inject, fail naming the step, re-run converges", () => {
    it("0. baseline: the stack is up", async () => {
        await e2e.run(["up", "--yes"]);
        assert.equal(e2e.buildCount(), 1);
    });

    it("SIGINT of pulumi up during the mirror sync", async () => {
        await localFault("SIGINT during mirror sync", async () => {
            // A changed package set re-syncs the mirror (and, through its revision, rebuilds).
            newBuildInput("sigint-sync", m => {
                m.packageSet = { id: "rhcos-forge-extras", packages: ["rf-hello", "rf-extra"] };
            });
            const before = e2e.buildCount();
            const up = startUp(e2e, STACK);
            await during(
                up,
                "the mirror sync",
                () =>
                    stepStarted(up, "repo-mirror", "sync") ||
                    readdirSync(e2e.workDir).some(f => f.startsWith(".repo-mirror.")),
            );
            up.kill("SIGINT");
            const res = await up.done;
            assert.notEqual(res.code, 0, "the interrupted up fails");
            return { first: firstRunSaid(res.out), rerun: await rerun({ before, expected: -1 }) };
        });
    });

    it("SIGINT of pulumi up during the build", async () => {
        await localFault("SIGINT during build", async () => {
            const res = await signalDuringBuild("sigint-build", "SIGINT");
            assert.notEqual(res.code, 0, "the interrupted up fails");
            return { first: firstRunSaid(res.out), rerun: await rerun({ before: e2e.buildCount(), expected: -1 }) };
        });
    });

    it("SIGKILL of pulumi up during the build (pending create, stack lock)", async () => {
        await localFault("SIGKILL during build", async () => {
            const res = await signalDuringBuild("sigkill-build", "SIGKILL");
            assert.equal(res.signal, "SIGKILL");
            const recovery = await recoverKilledRun(e2e, STACK, ["--exclude", "**machineconfiguration.openshift.io**"]);
            return {
                first: `killed (no output after SIGKILL); ${recovery}`,
                rerun: await rerun({ before: e2e.buildCount(), expected: -1 }),
            };
        });
    });

    it("SIGKILL of pulumi up during the push", async () => {
        await localFault("SIGKILL during push", async () => {
            newBuildInput("sigkill-push");
            const before = e2e.buildCount();
            const up = startUp(e2e, STACK);
            await during(
                up,
                "the push",
                () =>
                    stepStarted(up, "build-image", "push") ||
                    processesMentioning("podman push").some(p => p.cmd.includes(e2e.services.registry.host)),
            );
            up.kill("SIGKILL");
            await up.done;
            const recovery = await recoverKilledRun(e2e, STACK, ["--exclude", "**machineconfiguration.openshift.io**"]);
            return { first: `killed; ${recovery}`, rerun: await rerun({ before, expected: -1 }) };
        });
    });

    it("the registry down during the push, then back", async () => {
        await localFault("registry down during push", async () => {
            // Stopped once the build starts: the base was pulled, the push finds no registry.
            const up = await upInBuild("registry-down");
            await stopRegistry();
            const res = await up.done;
            assert.notEqual(res.code, 0, "up fails");
            assert.match(res.out, /step \\?"push\\?" failed: could not push/, res.out.slice(-3000));
            startRegistry();
            await waitFor("the registry back", () => tcpOpen(e2e.services.registry.port), 20_000);
            return { first: firstRunSaid(res.out), rerun: await rerun({ before: e2e.buildCount(), expected: 1 }) };
        });
    });

    it("the mirror server killed during a build", async () => {
        await localFault("mirror killed during build", async () => {
            // Frozen before the up, killed once the build step started: the build's mirror check finds
            // the process alive, and its dnf waits on the frozen server until the kill, however fast
            // the build runs (killed only once the build started, a fast dnf had its packages already).
            const pidFile = join(e2e.workDir, "mirror-server.pid");
            killPidFile(pidFile, "SIGSTOP");
            const up = await upInBuild("mirror-killed").finally(() => killPidFile(pidFile, "SIGKILL"));
            const res = await up.done;
            assert.notEqual(res.code, 0, "up fails");
            assert.match(res.out, /step \\?"build\\?" failed: .*mirror/, res.out.slice(-3000));
            return { first: firstRunSaid(res.out), rerun: await rerun({ before: e2e.buildCount(), expected: 1 }) };
        });
    });

    it("build host rebooted (mirror gone): nothing rebuilds until inputs change; that build restarts it", async () => {
        await localFault("host rebooted (mirror gone)", async () => {
            killPidFile(join(e2e.workDir, "mirror-server.pid"));
            await waitFor("the mirror stopped", async () => !(await tcpOpen(e2e.settings.mirrorPort)), 10_000);
            const before = e2e.buildCount();
            const same = await rerun({ before, expected: 0 });
            newBuildInput("after-reboot");
            const changed = await rerun({ before, expected: 1 });
            assert.ok(await tcpOpen(e2e.settings.mirrorPort), "the build restarted the mirror");
            return {
                first: "(no run: the mirror server was killed between runs)",
                rerun: `unchanged: ${same}; changed inputs: ${changed}, mirror serving again`,
            };
        });
    });

    it("the build host's disk full during the build", async () => {
        await localFault("disk full during build", async () => {
            newBuildInput("disk-full");
            // A tiny tmpfs over the builds directory, filled up: the build's context cannot be written.
            const builds = join(e2e.workDir, "builds");
            const saved = e2e.env.path("builds-saved");
            await run("cp", ["-a", builds, saved]);
            await run("mount", ["-t", "tmpfs", "-o", "size=1m", "rf-faults-full", builds]);
            e2e.env.onTeardown(async () => {
                await run("umount", [builds], { check: false });
            });
            await run("cp", ["-a", `${saved}/.`, builds]);
            await run("dd", ["if=/dev/zero", `of=${join(builds, "filler")}`, "bs=4k"], { check: false });
            const before = e2e.buildCount();
            const res = await e2e
                .run(["up", "--yes"], { check: false })
                .finally(() => run("rm", ["-f", join(builds, "filler")]));
            assert.notEqual(res.code, 0, "up fails");
            const out = res.stdout + res.stderr;
            assert.match(
                out,
                /step \\?"unpack\\?" failed: could not write \S+: write error: No space left on device/,
                out.slice(-3000),
            );
            return { first: firstRunSaid(out), rerun: await rerun({ before, expected: -1 }) };
        });
    });

    it("pulumi up --target of one resource on the existing stack", async () => {
        await localFault("--target, existing stack", async () => {
            newBuildInput("target-existing");
            const urn = await urnOf("image-build");
            const before = e2e.buildCount();
            const res = await e2e.run(["up", "--yes", "--target", urn], { check: false });
            const out = res.stdout + res.stderr;
            assert.equal(res.code, 0, out.slice(-3000));
            return {
                first: `targeted up ok, ${e2e.buildCount() - before} build(s)`,
                rerun: await rerun({ before: e2e.buildCount(), expected: 0 }),
            };
        });
    });

    it("two stacks' ups started together on one build host: the lock holds, each stack gets its digest", async () => {
        await localFault("two stacks, one build host, at once", async () => {
            // A second stack of the project on the same host and work dir, so one mirror: the same
            // mirror section and the same rhcos-forge:mirrorPassword (a generated one is each
            // stack's own, and the mirror checks the last one written: docs/reliability.md), and
            // the same image inputs.
            const name = "e2e-faults-twin";
            const configFile = e2e.env.path(`Pulumi.${name}.yaml`);
            const twin = await openStack(e2e.env.path("state"), name, configFile, e2e.engine, PASSPHRASE);
            const writeTwinConfig = (): void =>
                writeLocalStackConfig(configFile, { ...e2e.settings, renderTo: e2e.env.path("manifests-twin") });
            writeTwinConfig();
            const shared = randomToken() + randomToken();
            addSecret(shared);
            for (const stack of [e2e.stack, twin]) await stack.setSecret("rhcos-forge:mirrorPassword", shared);
            await twin.setSecret("rhcos-forge:registryAuth", e2e.services.authJson);
            // The first stack takes the shared password alone first, as a team sets up a shared
            // host: the change replaces its mirror step, whose delete (mirror-stop.sh) stops the
            // server, and that must not race the other stack's first mirror step (found here:
            // docs/reliability.md, "Not done yet").
            await e2e.run(["up", "--yes"]);
            newBuildInput("two-stacks-at-once");
            writeTwinConfig();
            const before = e2e.buildCount();
            const ups = [startUp(e2e, STACK), startUp(e2e, name, configFile)];
            const [a, b] = await Promise.all(ups.map(u => u.done));
            assert.equal(a.code, 0, `the first stack's up:\n${a.out.slice(-3000)}`);
            assert.equal(b.code, 0, `the second stack's up:\n${b.out.slice(-3000)}`);
            const builds = e2e.buildCount() - before;
            const twinOut = JSON.parse(
                (await twin.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", name])).stdout,
            ) as StackOutputs;
            const out = await e2e.outputs();
            // The same inputs are the same build id (builds/<id>/.lock): one build, the other run
            // waits for the lock and takes the pushed result.
            assert.equal(builds, 1, "one build for the two stacks' identical inputs");
            assert.equal(twinOut.image.ref, out.image.ref);
            await assertImageServedInFull(e2e, twinOut.image.ref, twinOut.image.digest);
            await assertStateHoldsNoSecrets(e2e, name, [shared]);
            return {
                first: `both ups ok at once (${resourceSummary(a.out)} / ${resourceSummary(b.out)})`,
                rerun: `no re-run needed; ${builds} build, both stacks on ${out.image.digest.slice(0, 19)}…`,
            };
        });
    });
});

describe("pulumi up --target on a new stack", () => {
    it("targets a component: only it is created; the empty outputs of the rest do not throw", async () => {
        const t0 = Date.now();
        const name = "e2e-faults-new";
        const configFile = e2e.env.path(`Pulumi.${name}.yaml`);
        const stack = await openStack(e2e.env.path("state"), name, configFile, e2e.engine, PASSPHRASE);
        writeLocalStackConfig(configFile, {
            ...e2e.settings,
            workDir: e2e.env.mkdir("host-new"),
            mirrorPort: await freePort(),
        });
        const cf = ["--stack", name, "--config-file", configFile];
        await stack.setSecret("rhcos-forge:registryAuth", e2e.services.authJson);
        const res = await stack.pulumi(["up", "--yes", "--target", "**rhcos-forge:mirror:RepoMirror::mirror", ...cf], {
            check: false,
        });
        const out = res.stdout + res.stderr;
        // Before the fix: "mirrorPasswordGen.ts printed no {password}", TypeErrors in urlHost and parseResultLine.
        assert.equal(res.code, 0, out.slice(-3000));
        assert.doesNotMatch(out, /TypeError|printed no \{password\}|unhandled exception/);
        const exported = JSON.parse((await stack.pulumi(["stack", "export", "--stack", name])).stdout) as {
            deployment: { resources?: { type: string }[] };
        };
        const types = (exported.deployment.resources ?? []).map(r => r.type);
        assert.ok(
            !types.includes("command:local:Command"),
            `no command left out of the target ran: ${types.join(", ")}`,
        );
        // An untargeted up of the same stack then creates everything.
        await stack.pulumi(["up", "--yes", ...cf]);
        await stack.pulumi(["destroy", "--yes", ...cf]);
        const seconds = Math.round((Date.now() - t0) / 1000);
        table.push({
            fault: "--target, new stack",
            first: "targeted up ok: the component only, nothing thrown",
            rerun: "full up ok, then destroyed",
            checked: "no command created by the targeted run",
            seconds,
        });
    });
});

/** An up of a new build input, returned once its build step started. */
async function upInBuild(tag: string): Promise<Running> {
    newBuildInput(tag);
    const before = e2e.buildCount();
    const up = startUp(e2e, STACK);
    await during(up, "the build step", () => e2e.buildCount() > before);
    return up;
}

/** An up of a new build input, sent `signal` once its build step started; what it ended with. */
async function signalDuringBuild(
    tag: string,
    signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: string | null; out: string }> {
    const up = await upInBuild(tag);
    up.kill(signal);
    return up.done;
}

/** The URN of the stack's resource named `name`. */
async function urnOf(name: string): Promise<string> {
    const doc = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout) as {
        deployment: { resources: { urn: string }[] };
    };
    const urn = doc.deployment.resources.map(r => r.urn).find(u => u.endsWith(`::${name}`));
    assert.ok(urn !== undefined, `no resource ${name}`);
    return urn;
}

/** The registry's pid, found by its config file (a process this test's services started). */
function registryConfig(): string {
    return e2e.env.path("services", "registry", "config.yml");
}

async function stopRegistry(): Promise<void> {
    for (const p of processesMentioning(registryConfig())) process.kill(p.pid, "SIGKILL");
    await waitFor("the registry stopped", async () => !(await tcpOpen(e2e.services.registry.port)), 10_000);
}

function startRegistry(): void {
    e2e.env.daemon("registry-restarted", "/usr/bin/docker-registry", ["serve", registryConfig()]);
}
