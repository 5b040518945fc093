// Engine benchmark (not a test): wall time of a no-op `pulumi preview` and of `pulumi up` with
// one package changed, on the local stack with the real engine. Prints figures only.
//
//   node --import tsx test/e2e/bench.ts [iterations]     (default 3)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, run } from "../../dev/proc";
import { setUpE2e } from "./setup";

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

const stats = (xs: number[]): string => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return (
        `mean ${mean.toFixed(2)}s  min ${Math.min(...xs).toFixed(2)}s  max ${Math.max(...xs).toFixed(2)}s  ` +
        `(n=${xs.length})`
    );
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The shapes of the cost curves: N pools (N-1 custom pools of one node, then worker), N packages, N files. */
function curveShapes(): [string, { image?: Record<string, unknown>; rollout?: Record<string, unknown> }][] {
    const pools = (n: number): Record<string, unknown> => ({
        pools: [
            ...Array.from({ length: n - 1 }, (_, i) => ({
                name: `canary-${i}`,
                nodes: [`node-${i}`],
                maxUnavailable: 1,
            })),
            { name: "worker", maxUnavailable: "10%" },
        ],
    });
    const packages = (n: number): Record<string, unknown> => ({
        packages: Array.from({ length: n }, (_, i) => (i === 0 ? "rf-hello" : `rf-bench-${i}`)),
    });
    const files = (n: number): Record<string, unknown> => ({
        files: Array.from({ length: n }, (_, i) => ({
            path: `/etc/rf/bench-${i}.conf`,
            mode: "0644",
            content: `value=${i}\n`,
        })),
    });
    return [
        ...[1, 10, 50].map((n): [string, { rollout: Record<string, unknown> }] => [
            `${n} pool${n > 1 ? "s" : ""}`,
            { rollout: pools(n) },
        ]),
        ...[1, 50, 500].map((n): [string, { image: Record<string, unknown> }] => [
            `${n} package${n > 1 ? "s" : ""}`,
            { image: packages(n) },
        ]),
        ...[1, 50, 500].map((n): [string, { image: Record<string, unknown> }] => [
            `${n} file${n > 1 ? "s" : ""}`,
            { image: files(n) },
        ]),
    ];
}

/** Milliseconds from spawning a plugin until it prints its port (its gRPC server is up). */
function pluginStart(path: string, env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        // The engine address is never dialled before the first call; a closed port will do.
        // Its own process group: the dynamic provider's plugin is a shell script that starts node.
        const child = spawn(path, ["127.0.0.1:1"], { env, stdio: ["ignore", "pipe", "ignore"], detached: true });
        child.stdout.once("data", () => {
            resolve(Number(process.hrtime.bigint() - t0) / 1e6);
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        });
        child.on("error", reject);
    });
}

async function medianMs(n: number, fn: () => Promise<unknown>): Promise<number> {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push((await timed(fn)) * 1000);
    return median(xs);
}

/**
 * Where a preview's time goes, part by part, each measured alone (median of 3): the CLI's start,
 * the language host's start, node itself, loading the program's modules as program.js does (the
 * packages first, then tsx registered for the program's own modules), through tsx registered at
 * node's start (`--import tsx`, the stack's loader before), and precompiled by tsc, and each
 * resource plugin's start until it serves.
 */
async function startCosts(engine: NodeJS.ProcessEnv, dir: string): Promise<[string, number][]> {
    const home = engine.PULUMI_HOME ?? "";
    const deps = (
        JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }
    ).dependencies;
    const pkg = (name: string): string => deps[`@pulumi/${name}`];
    const plugin = (name: string): string =>
        join(home, "plugins", `resource-${name}-v${pkg(name)}`, `pulumi-resource-${name}`);
    const dynamicPlugin =
        (engine.PATH ?? "")
            .split(":")
            .map(d => join(d, "pulumi-resource-pulumi-nodejs"))
            .find(existsSync) ?? "";
    const modules = [
        "@pulumi/pulumi",
        "./components/config/parse",
        "./components/pipeline",
        "./components/rollout/kubeApi",
    ];
    const load = (root: string): string =>
        modules.map(m => `require(${JSON.stringify(m.startsWith(".") ? join(root, m) : m)});`).join("");
    const packages = ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/command", "@pulumi/digitalocean", "zod"];
    const asProgramJs =
        packages.map(m => `require(${JSON.stringify(m)});`).join("") +
        `require("tsx/cjs/api").register();` +
        load(REPO_ROOT);
    // The same modules compiled once by tsc (as `npm run build` does, tsconfig.build.json), in a temp dir.
    const out = join(dir, "dist");
    await run(join(REPO_ROOT, "node_modules", ".bin", "tsc"), [
        "-p",
        join(REPO_ROOT, "tsconfig.build.json"),
        "--outDir",
        out,
        "--declaration",
        "false",
    ]);
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
    return [
        ["pulumi version (CLI start)", await medianMs(3, () => run("pulumi", ["version"], { env: engine }))],
        [
            "pulumi-language-nodejs -version",
            await medianMs(3, () => run("pulumi-language-nodejs", ["-version"], { env: engine })),
        ],
        ["node, nothing loaded", await medianMs(3, () => run("node", ["-e", ""]))],
        [
            "node: program modules as program.js loads them",
            await medianMs(3, () => run("node", ["-e", asProgramJs], { cwd: REPO_ROOT })),
        ],
        [
            "node: program modules, tsx at node's start",
            await medianMs(3, () => run("node", ["--import", "tsx", "-e", load(REPO_ROOT)], { cwd: REPO_ROOT })),
        ],
        [
            "node: program modules precompiled (tsc)",
            await medianMs(3, () => run("node", ["-e", load(out)], { cwd: dir })),
        ],
        ["pulumi-resource-command start", await medianMs(3, () => pluginStart(plugin("command"), engine))],
        ["pulumi-resource-kubernetes start", await medianMs(3, () => pluginStart(plugin("kubernetes"), engine))],
        // The engine's dynamic provider plugin: what a pulumi.dynamic resource would add to every
        // run (the generated secrets were one until they moved to a command; docs/upgrading.md).
        ["pulumi-resource-pulumi-nodejs start (unused)", await medianMs(3, () => pluginStart(dynamicPlugin, engine))],
    ];
}

/**
 * The engine's floor on this machine: a program that only loads @pulumi/pulumi and registers
 * nothing, on a file backend with a passphrase like the local stack's; medians of its no-op
 * `pulumi preview` and `pulumi up` (the up runs it twice). No program of ours can be faster.
 */
async function engineFloor(engine: NodeJS.ProcessEnv, dir: string, n: number): Promise<[string, number][]> {
    writeFileSync(join(dir, "Pulumi.yaml"), "name: rf-bench-floor\nruntime: nodejs\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "rf-bench-floor", main: "index.js" }));
    writeFileSync(join(dir, "index.js"), 'require("@pulumi/pulumi");\n');
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
    mkdirSync(join(dir, "state"));
    const env = {
        ...engine,
        PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "rf-bench-floor",
    };
    const pulumi = (...args: string[]): Promise<unknown> =>
        run("pulumi", [...args, "--non-interactive"], { cwd: dir, env });
    await pulumi("stack", "init", "floor");
    await pulumi("up", "--yes");
    return [
        ["no-op pulumi preview, empty program", await medianMs(n, () => pulumi("preview"))],
        ["no-op pulumi up, empty program", await medianMs(n, () => pulumi("up", "--yes"))],
    ];
}

async function main(): Promise<void> {
    const iterations = Math.max(1, Number(process.argv[2] ?? 3));
    const e2e = await setUpE2e("bench");
    try {
        const costs = await startCosts(e2e.engine, e2e.env.mkdir("start-costs"));
        const floor = await engineFloor(e2e.engine, e2e.env.mkdir("floor"), iterations);
        const first = await timed(() => e2e.run(["up", "--yes"]));
        const previews: number[] = [];
        for (let i = 0; i < iterations; i++) previews.push(await timed(() => e2e.run(["preview"])));
        const changes: number[] = [];
        for (let i = 0; i < iterations; i++) {
            // Alternate between two package lists so every up has exactly one package changed; the
            // label makes each build id new, so every up really builds instead of reusing a push.
            e2e.configure({
                image: {
                    packages: i % 2 === 0 ? ["rf-hello", "rf-extra"] : ["rf-hello"],
                    labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.bench-iteration": String(i) },
                },
            });
            changes.push(await timed(() => e2e.run(["up", "--yes"])));
        }
        // The same, as a pipeline runs it: `up --skip-preview` evaluates the program once, not twice.
        const skipped: number[] = [];
        for (let i = 0; i < iterations; i++) {
            e2e.configure({
                image: {
                    packages: i % 2 === 0 ? ["rf-hello", "rf-extra"] : ["rf-hello"],
                    labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.bench-iteration": `skip-${i}` },
                },
            });
            skipped.push(await timed(() => e2e.run(["up", "--yes", "--skip-preview"])));
        }
        // Cost curves: preview planning a change from the deployed local stack to a bigger spec.
        const curve: [string, number][] = [];
        for (const [label, edits] of curveShapes()) {
            e2e.configure(edits);
            const xs: number[] = [];
            for (let i = 0; i < iterations; i++) xs.push(await timed(() => e2e.run(["preview"])));
            curve.push([label, median(xs)]);
        }
        e2e.configure({});
        process.stdout.write(
            [
                "engine benchmark (local stack, real pulumi engine, loopback services)",
                `  first pulumi up (mirror sync + build + push + render): ${first.toFixed(2)}s`,
                `  no-op pulumi preview:                                  ${stats(previews)}  (goal <= 1.60s)`,
                `  pulumi up, one package changed (rebuild + re-render):  ${stats(changes)}  (goal <= 4.00s)`,
                `  the same with --skip-preview (one program run):        ${stats(skipped)}`,
                "  where a run's time goes (each part alone, median of 3; a preview runs the program once, an " +
                    "up twice without --skip-preview):",
                ...costs.map(([label, ms]) => `    ${label.padEnd(42)} ${(ms / 1000).toFixed(2)}s`),
                "  the engine's floor (a program that loads @pulumi/pulumi and registers nothing; median):",
                ...floor.map(([label, ms]) => `    ${label.padEnd(42)} ${(ms / 1000).toFixed(2)}s`),
                `  builds run: ${e2e.buildCount()} (1 + ${2 * iterations} changes; previews build nothing)`,
                "  pulumi preview planning a change from the local stack to (median):",
                ...curve.map(([label, t]) => `    ${label.padEnd(40)} ${t.toFixed(2)}s`),
                "",
            ].join("\n"),
        );
        await e2e.run(["destroy", "--yes"]);
    } finally {
        await e2e.env.teardown();
    }
}

main().catch(e => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
