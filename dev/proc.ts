// Processes, ports and temporary state for the loopback services the demo and the tests share.
// Everything started through an Env is torn down by Env.teardown(); every byte a command run
// through here printed is kept, so tests can scan it for secrets.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "..");
/** The stand-in base image's files and the rootfs builder. */
export const DEV_DIR = __dirname;

// ------------------------------------------------------------------ output log
// Every byte any command run through the harness printed, for the secret scan.
const outputLog: string[] = [];
export function allOutput(): string {
    return outputLog.join("\n");
}
export function recordOutput(s: string): void {
    if (s) outputLog.push(s);
}

/** Secrets the tests hand out; assertNoSecrets() searches all output for them. */
export const secrets = new Set<string>();
export function addSecret(s: string): void {
    if (s.length >= 6) secrets.add(s);
}
/** Returns the secrets found in the collected output (should be empty). */
export function leakedSecrets(): string[] {
    const out = allOutput();
    return [...secrets].filter(s => out.includes(s));
}

// ------------------------------------------------------------------ processes
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOpts {
    input?: string | Buffer;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** throw when the exit code is not 0 (default true) */
    check?: boolean;
    timeoutMs?: number;
    /**
     * A slow set-up step's name (e.g. "engine", "kube-apiserver"): its stderr lines (and stdout's
     * too with `progressStdout`) go to this process's stderr as they come, each as
     * `[<name> +<elapsed>s] <line>`, with a "still running" line after 30 s of silence and the
     * time it took at the end, so a cold build never looks like a hang. Output is still collected.
     */
    progress?: string;
    /** Stream stdout's lines too, those matching this (e.g. podman build's `STEP n/m:` lines). */
    progressStdout?: RegExp;
}

/** Streams a set-up step's lines live with its name and elapsed time (RunOpts.progress). */
class StepProgress {
    private readonly t0 = Date.now();
    private lastLine = Date.now();
    private printed = false;
    private readonly partial = new Map<string, string>();
    private readonly ticker: NodeJS.Timeout;

    constructor(
        private readonly name: string,
        private readonly quietMs = 30_000,
    ) {
        this.ticker = setInterval(
            () => {
                if (Date.now() - this.lastLine >= this.quietMs) this.say("still running");
            },
            Math.min(this.quietMs, 5_000),
        );
        this.ticker.unref();
    }

    private say(line: string): void {
        const secs = Math.round((Date.now() - this.t0) / 1000);
        process.stderr.write(`[${this.name} +${secs}s] ${line}\n`);
        this.lastLine = Date.now();
        this.printed = true;
    }

    /** A chunk of one stream; whole lines are printed, a partial one waits for its end. */
    feed(stream: string, chunk: string, only?: RegExp): void {
        const text = (this.partial.get(stream) ?? "") + chunk;
        const lines = text.split(/\r?\n|\r/);
        this.partial.set(stream, lines.pop() ?? "");
        for (const l of lines) if (l.trim() !== "" && (only === undefined || only.test(l))) this.say(l);
    }

    end(code: number): void {
        clearInterval(this.ticker);
        for (const rest of this.partial.values()) if (rest.trim() !== "") this.say(rest);
        // A cached step is silent and instant; say nothing more for it.
        if (this.printed || Date.now() - this.t0 >= 2_000 || code !== 0) {
            this.say(code === 0 ? "done" : `failed (exit ${code})`);
        }
    }
}

export function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<RunResult> {
    const check = opts.check ?? true;
    return new Promise((resolvePromise, reject) => {
        const child = spawn(cmd, args, {
            cwd: opts.cwd,
            env: opts.env ?? process.env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const progress = opts.progress === undefined ? undefined : new StepProgress(opts.progress);
        child.stdout.on("data", (d: Buffer) => {
            out.push(d);
            if (opts.progressStdout) progress?.feed("stdout", d.toString("utf8"), opts.progressStdout);
        });
        child.stderr.on("data", (d: Buffer) => {
            err.push(d);
            progress?.feed("stderr", d.toString("utf8"));
        });
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs) {
            timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
        }
        child.on("error", e => {
            if (timer) clearTimeout(timer);
            progress?.end(1);
            reject(e);
        });
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            progress?.end(code ?? 1);
            const res: RunResult = {
                code: code ?? (signal ? 128 : 1),
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            };
            recordOutput(res.stdout);
            recordOutput(res.stderr);
            if (check && res.code !== 0) {
                reject(
                    new Error(
                        `${cmd} ${args.join(" ")} exited ${res.code}\n--- ` +
                            `stdout\n${res.stdout.slice(-4000)}\n--- stderr\n${res.stderr.slice(-4000)}`,
                    ),
                );
            } else {
                resolvePromise(res);
            }
        });
        child.stdin.on("error", () => undefined);
        if (opts.input !== undefined) child.stdin.end(opts.input);
        else child.stdin.end();
    });
}

/** bash -c helper for small local commands */
export function sh(script: string, opts: RunOpts = {}): Promise<RunResult> {
    return run("bash", ["-euo", "pipefail", "-c", script], opts);
}

export function shq(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ------------------------------------------------------------------ ports
// Test files run side by side (dev/e2eRunner.ts), each its own process. A port the kernel picked
// for bind(0) and released again can be picked by the next process too, and anything in the
// ephemeral range (net.ipv4.ip_local_port_range) can become the source port of some connection
// before the server it was meant for binds it: a mirror port picked at set-up and bound by `pulumi
// up` later was found taken. So each process claims a block of ports below the ephemeral range by
// listening on the block's first port for as long as it lives (the kernel keeps that exclusive and
// frees it when the process dies, however it dies), and hands the block's other ports out in turn,
// each checked free by binding it.
const PORT_BLOCK = 500;
const PORT_FLOOR = 10000;
let portBlock: { next: number; end: number } | undefined;

/** The first port of the ephemeral range, or undefined when it cannot be read. */
function ephemeralFloor(): number | undefined {
    try {
        const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
        return Number.isInteger(low) ? low : undefined;
    } catch {
        return undefined;
    }
}

/** Listens on 127.0.0.1:`port` (0: the kernel's pick); the server, or undefined when it is taken. */
function listenOn(port: number): Promise<Server | undefined> {
    return new Promise(resolvePromise => {
        const srv = createServer();
        srv.unref();
        srv.on("error", () => resolvePromise(undefined));
        srv.listen(port, "127.0.0.1", () => resolvePromise(srv));
    });
}

/** Claims the next block of ports from `from` up for this process (undefined when none is left). */
async function claimPortBlock(from: number): Promise<{ next: number; end: number } | undefined> {
    const ceiling = ephemeralFloor() ?? 0;
    for (let start = from; start + PORT_BLOCK <= ceiling; start += PORT_BLOCK) {
        // Held until the process exits: the block's claim. unref'd, it keeps nothing alive.
        if ((await listenOn(start)) !== undefined) return { next: start + 1, end: start + PORT_BLOCK };
    }
    return undefined;
}

/** A port `srv` listened on, once it is closed again. */
function closedPort(srv: Server): Promise<number> {
    const addr = srv.address();
    const port = addr && typeof addr === "object" ? addr.port : 0;
    return new Promise(resolvePromise => srv.close(() => resolvePromise(port)));
}

/** A loopback port free now and handed to no one else by this function, in this or another test process. */
export async function freePort(): Promise<number> {
    for (;;) {
        if (portBlock === undefined || portBlock.next >= portBlock.end) {
            portBlock = await claimPortBlock(portBlock?.end ?? PORT_FLOOR);
            if (portBlock === undefined) {
                // No block left below the ephemeral range: the kernel's pick, as before.
                const srv = await listenOn(0);
                if (srv === undefined) throw new Error("no free loopback port");
                return closedPort(srv);
            }
        }
        const srv = await listenOn(portBlock.next++);
        if (srv !== undefined) return closedPort(srv);
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise(r => setTimeout(r, ms));
}

export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await fn()) return;
        } catch {
            // not yet
        }
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
    }
}

export function tcpOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise(resolvePromise => {
        const net = require("node:net") as typeof import("node:net");
        const s = net.connect({ port, host });
        s.once("connect", () => {
            s.destroy();
            resolvePromise(true);
        });
        s.once("error", () => resolvePromise(false));
    });
}

// ------------------------------------------------------------------ environment
export class Env {
    readonly dir: string;
    private cleanups: Array<() => Promise<void> | void> = [];
    private daemons: ChildProcess[] = [];

    constructor(prefix = "rf-host-") {
        this.dir = mkdtempSync(join(tmpdir(), prefix));
    }

    path(...p: string[]): string {
        return join(this.dir, ...p);
    }

    mkdir(...p: string[]): string {
        const d = this.path(...p);
        mkdirSync(d, { recursive: true });
        return d;
    }

    onTeardown(fn: () => Promise<void> | void): void {
        this.cleanups.push(fn);
    }

    /** start a long-running process; its output goes to <dir>/<name>.log */
    daemon(name: string, cmd: string, args: string[]): ChildProcess {
        const log = this.path(`${name}.log`);
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        const chunks: string[] = [];
        const collect = (d: Buffer) => chunks.push(d.toString("utf8"));
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        child.on("close", () => {
            try {
                writeFileSync(log, chunks.join(""));
            } catch {
                // dir may be gone
            }
        });
        this.daemons.push(child);
        return child;
    }

    async teardown(): Promise<void> {
        for (const fn of this.cleanups.reverse()) {
            try {
                await fn();
            } catch (e) {
                process.stderr.write(`teardown step failed: ${String(e)}\n`);
            }
        }
        for (const d of this.daemons) {
            if (d.exitCode === null && d.signalCode === null) {
                d.kill("SIGTERM");
                const exited = await Promise.race([
                    new Promise<boolean>(r => d.once("close", () => r(true))),
                    sleep(3000).then(() => false),
                ]);
                if (!exited) d.kill("SIGKILL");
            }
        }
        if (!process.env.RF_KEEP_TMP) rmSync(this.dir, { recursive: true, force: true });
    }
}

/**
 * Signal a process we started indirectly (e.g. the background mirror server) by its pid file:
 * SIGTERM by default; SIGSTOP freezes it (a frozen process still holds its port), SIGKILL ends even a frozen one.
 */
export function killPidFile(pidFile: string, signal: NodeJS.Signals = "SIGTERM"): void {
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    try {
        process.kill(pid, signal);
    } catch {
        // already gone
    }
}

export function randomToken(): string {
    return randomBytes(12).toString("hex");
}

/** SIGTERM, then SIGKILL after `graceMs` if `child` has not exited; resolves once it has. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await new Promise<void>(resolve => {
        const t = setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
        }, graceMs);
        child.once("close", () => {
            clearTimeout(t);
            resolve();
        });
    });
}
