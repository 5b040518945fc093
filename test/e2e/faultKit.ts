// What the fault suites share (faults.test.ts on the local host, faultsCluster.test.ts against the
// test cluster): `pulumi up` as a child a test can signal, waiting for a moment inside that run,
// the line a failed run said, the recovery a user runs after a killed engine, and the printed table.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { recordOutput, run, waitFor } from "../host/harness";
import { E2e, PASSPHRASE } from "./setup";

/** Each fault, injection to converged re-run, must finish within this (issue 22: ≤ 2 minutes). */
export const FAULT_BUDGET_MS = 2 * 60 * 1000;

export interface Row {
    fault: string;
    first: string;
    rerun: string;
    checked: string;
    seconds: number;
}

export function printTable(table: readonly Row[]): void {
    if (table.length === 0) return;
    const lines = [
        "",
        "| fault | what the first run said | what the re-run did | what was checked | s |",
        "|---|---|---|---|---|",
    ];
    for (const r of table) lines.push(`| ${r.fault} | ${r.first} | ${r.rerun} | ${r.checked} | ${r.seconds} |`);
    process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * Runs one fault and records its row. The budget covers the fault: injection, the failed run, the
 * user's recovery and the re-run; the convergence checks after it are the test's own cost.
 */
export async function fault(
    table: Row[],
    name: string,
    body: () => Promise<{ first: string; rerun: string }>,
    converged: () => Promise<string>,
): Promise<void> {
    const t0 = Date.now();
    const r = await body();
    const seconds = Math.round((Date.now() - t0) / 1000);
    const checked = await converged();
    table.push({ fault: name, first: r.first, rerun: r.rerun, checked, seconds });
    // Tests never assert on timings (a loaded CI machine is not a failure): the budget is printed
    // beside the figure, and the table marks a fault that went over it.
    const over = seconds * 1000 > FAULT_BUDGET_MS ? ` (over its ${FAULT_BUDGET_MS / 1000} s budget)` : "";
    process.stdout.write(`fault "${name}": ${seconds}s${over} | ${r.first} | ${r.rerun}\n`);
}

/** The engine's environment for a `pulumi` child a test signals itself (dev/pulumiCli.openStack's). */
function engineProcessEnv(e2e: E2e): NodeJS.ProcessEnv {
    return {
        ...e2e.engine,
        PULUMI_BACKEND_URL: `file://${e2e.env.path("state", "backend")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

export interface Running {
    child: ChildProcess;
    /**
     * Signals the engine. After SIGKILL (`kill -9`, the OOM killer) the engine cannot stop its
     * plugins: they keep running, re-parented to init (three pulumi-resource-kubernetes were found
     * half an hour after one e2e run). The run stops those it left once it has ended.
     */
    kill(signal: NodeJS.Signals): void;
    done: Promise<{ code: number | null; signal: string | null; out: string }>;
    /** What the engine printed so far (the steps' stderr is streamed: logging "stderr"). */
    output(): string;
    exited(): boolean;
}

/** `pulumi up` as a child the test can signal. */
export function startUp(e2e: E2e, stack: string, configFile = e2e.stack.configFile, extra: string[] = []): Running {
    const child = spawn(
        "pulumi",
        ["up", "--yes", "--non-interactive", "--stack", stack, "--config-file", configFile, ...extra],
        { cwd: join(__dirname, "..", ".."), env: engineProcessEnv(e2e), stdio: ["ignore", "pipe", "pipe"] },
    );
    const chunks: string[] = [];
    child.stdout!.on("data", (d: Buffer) => chunks.push(d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => chunks.push(d.toString("utf8")));
    let ended = false;
    let orphans: number[] = [];
    const kill = (signal: NodeJS.Signals): void => {
        if (signal === "SIGKILL" && child.pid !== undefined) orphans = childrenOf(child.pid);
        child.kill(signal);
    };
    const done = new Promise<{ code: number | null; signal: string | null; out: string }>(resolve => {
        child.on("close", (code, signal) => {
            ended = true;
            for (const pid of orphans) {
                try {
                    process.kill(pid, "SIGTERM");
                } catch {
                    // it ended with the engine after all
                }
            }
            // Kept with every other command's output for the secret scan (leakedSecrets).
            recordOutput(chunks.join(""));
            resolve({ code, signal, out: chunks.join("") });
        });
    });
    return { child, kill, done, output: () => chunks.join(""), exited: () => ended };
}

/** Waits for `cond` while the run is still going; fails at once, with its output, when it ended first. */
export async function during(up: Running, what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
    await waitFor(
        what,
        async () => {
            if (await cond()) return true;
            if (up.exited()) throw new Error(`the up ended before ${what}:\n${up.output().slice(-3000)}`);
            return false;
        },
        100_000,
    ).catch(async e => {
        if (up.exited()) throw new Error(`the up ended before ${what}:\n${up.output().slice(-3000)}`);
        throw e;
    });
}

/** The line of the engine's output that names the failing step (the scripts' rf_fail line), or the last error line. */
export function firstRunSaid(out: string): string {
    const step = /rhcos-forge [\w-]+: step \\?"[^"\\]+\\?" failed: [^\n]*/.exec(out)?.[0];
    const lines = out.split("\n").map(l => l.trim());
    const line =
        step ??
        lines.filter(l => /signal: killed|cancel|interrupt/i.test(l)).pop() ??
        lines.filter(l => /error|fail/i.test(l)).pop() ??
        lines.pop() ??
        "";
    return line.replace(/\\"/g, '"').replace(/\|/g, "/").slice(0, 220);
}

type Deployment = { deployment: { pending_operations?: unknown[] } };

/** The stack's pending operations (what a killed engine leaves), from `pulumi stack export`. */
export async function pendingOperations(e2e: E2e, stack: string): Promise<number> {
    const doc = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", stack])).stdout) as Deployment;
    return doc.deployment.pending_operations?.length ?? 0;
}

/**
 * What a user runs after `pulumi up` was killed (docs/reliability.md): `pulumi cancel` when the
 * file backend's lock is left, then `pulumi refresh --clear-pending-creates` (the engine keeps
 * an interrupted create as a pending operation; pulumi/pulumi#9293 and
 * https://www.pulumi.com/docs/iac/operations/troubleshooting/interrupted-updates/).
 * `refreshExtra`: more refresh flags (a render-mode stack excludes its rendered objects).
 */
export async function recoverKilledRun(e2e: E2e, stack: string, refreshExtra: string[] = []): Promise<string> {
    const said: string[] = [];
    const refresh = (): Promise<{ code: number; stdout: string; stderr: string }> =>
        e2e.run(["refresh", "--yes", "--clear-pending-creates", ...refreshExtra], { check: false });
    const ops = await pendingOperations(e2e, stack);
    let res = await refresh();
    if (res.code !== 0 && /currently locked/.test(res.stderr + res.stdout)) {
        // The file backend's lock of the killed run (.pulumi/locks/…): `pulumi cancel` removes it.
        await e2e.stack.pulumi(["cancel", "--yes", "--stack", stack]);
        said.push("stack locked → pulumi cancel");
        res = await refresh();
    }
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr.slice(-2000));
    said.push(`${ops} pending op(s) → pulumi refresh --clear-pending-creates`);
    assert.equal(await pendingOperations(e2e, stack), 0, "no pending operation is left");
    return said.join("; ");
}

/** The engine's resource summary of an `up` ("3 updated, 17 unchanged"). */
export function resourceSummary(stdout: string): string {
    return /Resources:\s*\n([\s\S]*?)\n\s*\n/.exec(stdout)?.[1].replace(/\s+/g, " ").trim() ?? "";
}

/** The registry serves `ref` as `digest`, every blob of it (a full `skopeo copy`): nothing half pushed. */
export async function assertImageServedInFull(e2e: E2e, ref: string, digest: string): Promise<void> {
    const registry = e2e.services.registry;
    assert.equal(await registry.skopeoDigest(ref), digest);
    await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        `${registry.user}:${registry.password}`,
        `docker://${ref}`,
        `dir:${e2e.env.mkdir("pulled", digest.slice(7, 19))}`,
    ]);
}

/** The processes whose parent is `pid` (field 4 of /proc/<n>/stat, after the command's parentheses). */
export function childrenOf(pid: number): number[] {
    const found: number[] = [];
    for (const d of readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = readFileSync(`/proc/${d}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            if (ppid === pid) found.push(Number(d));
        } catch {
            // gone
        }
    }
    return found;
}

/** The command lines of this machine's processes that mention `needle` (read from /proc). */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
    const found: { pid: number; cmd: string }[] = [];
    for (const d of readdirSync("/proc")) {
        if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
        try {
            const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
            if (cmd.includes(needle)) found.push({ pid: Number(d), cmd });
        } catch {
            // gone
        }
    }
    return found;
}
