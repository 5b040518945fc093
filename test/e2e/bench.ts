// Engine benchmark (not a test): wall time of a no-op `pulumi preview` and of `pulumi up` with
// one package changed, on the local stack with the real engine. Prints figures only.
//
//   node --import tsx test/e2e/bench.ts [iterations]     (default 3)
import { setUpE2e } from "./setup";

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

const stats = (xs: number[]): string => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `mean ${mean.toFixed(2)}s  min ${Math.min(...xs).toFixed(2)}s  max ${Math.max(...xs).toFixed(2)}s  (n=${xs.length})`;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The shapes of the cost curves: N pools (N-1 custom pools of one node, then worker), N packages, N files. */
function curveShapes(): [string, { image?: Record<string, unknown>; rollout?: Record<string, unknown> }][] {
    const pools = (n: number): Record<string, unknown> => ({ pools: [
        ...Array.from({ length: n - 1 }, (_, i) => ({ name: `canary-${i}`, nodes: [`node-${i}`], maxUnavailable: 1 })),
        { name: "worker", maxUnavailable: "10%" },
    ] });
    const packages = (n: number): Record<string, unknown> => ({ packages: Array.from({ length: n }, (_, i) => (i === 0 ? "rf-hello" : `rf-bench-${i}`)) });
    const files = (n: number): Record<string, unknown> => ({ files: Array.from({ length: n }, (_, i) => ({ path: `/etc/rf/bench-${i}.conf`, mode: "0644", content: `value=${i}\n` })) });
    return [
        ...[1, 10, 50].map((n): [string, { rollout: Record<string, unknown> }] => [`${n} pool${n > 1 ? "s" : ""}`, { rollout: pools(n) }]),
        ...[1, 50, 500].map((n): [string, { image: Record<string, unknown> }] => [`${n} package${n > 1 ? "s" : ""}`, { image: packages(n) }]),
        ...[1, 50, 500].map((n): [string, { image: Record<string, unknown> }] => [`${n} file${n > 1 ? "s" : ""}`, { image: files(n) }]),
    ];
}

async function main(): Promise<void> {
    const iterations = Math.max(1, Number(process.argv[2] ?? 3));
    const e2e = await setUpE2e("bench");
    try {
        const first = await timed(() => e2e.run(["up", "--yes"]));
        const previews: number[] = [];
        for (let i = 0; i < iterations; i++) previews.push(await timed(() => e2e.run(["preview"])));
        const changes: number[] = [];
        for (let i = 0; i < iterations; i++) {
            // Alternate between two package lists so every up has exactly one package changed; the
            // label makes each build id new, so every up really builds instead of reusing a push.
            e2e.configure({ image: {
                packages: i % 2 === 0 ? ["rf-hello", "rf-extra"] : ["rf-hello"],
                labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.bench-iteration": String(i) },
            } });
            changes.push(await timed(() => e2e.run(["up", "--yes"])));
        }
        // The same, as a pipeline runs it: `up --skip-preview` evaluates the program once, not twice.
        const skipped: number[] = [];
        for (let i = 0; i < iterations; i++) {
            e2e.configure({ image: {
                packages: i % 2 === 0 ? ["rf-hello", "rf-extra"] : ["rf-hello"],
                labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.bench-iteration": `skip-${i}` },
            } });
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
        process.stdout.write([
            "engine benchmark (local stack, real pulumi engine, loopback services)",
            `  first pulumi up (mirror sync + build + push + render): ${first.toFixed(2)}s`,
            `  no-op pulumi preview:                                  ${stats(previews)}`,
            `  pulumi up, one package changed (rebuild + re-render):  ${stats(changes)}`,
            `  the same with --skip-preview (one program run):        ${stats(skipped)}`,
            `  builds run: ${e2e.buildCount()} (1 + ${2 * iterations} changes; previews build nothing)`,
            "  pulumi preview planning a change from the local stack to (median):",
            ...curve.map(([label, t]) => `    ${label.padEnd(40)} ${t.toFixed(2)}s`),
            "",
        ].join("\n"));
        await e2e.run(["destroy", "--yes"]);
    } finally {
        await e2e.env.teardown();
    }
}

main().catch(e => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
