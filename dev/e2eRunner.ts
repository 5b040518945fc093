// npm run test:e2e: every test/e2e/*.test.ts with node's test runner, RF_E2E_CONCURRENCY files at a
// time (default 3), the longest first. Each e2e file has its own temp dir, ports, registry, state
// backend and (where it needs one) API server and MCO controllers, so files run side by side; most
// of a file's time is spent waiting on a rollout, not on the CPU.
//
// Why not `node --test --test-concurrency=3 test/e2e/*.test.ts`: the CLI sorts the files by name,
// so the longest file (the machineconfig rollout) could start last and run alone at the end. The
// API's run() keeps the order it is given (node 20 lib/internal/test_runner/runner.js).
//
//   node --import tsx dev/e2eRunner.ts [file …]      (no file: all of test/e2e/*.test.ts)
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { run } from "node:test";
import { spec, tap } from "node:test/reporters";
import { REPO_ROOT } from "./proc";

/**
 * Seconds each file's suites took, three files at a time on the 2-core development machine
 * (7 December 2026, 100 tests in 1628 s). Only the order is taken from them, never a verdict; a
 * file missing here starts after these.
 */
const MEASURED_SECONDS: Readonly<Record<string, number>> = {
    "clusterRollout.test.ts": 980,
    "cluster.test.ts": 775,
    "upgrade.test.ts": 552,
    "faultsCluster.test.ts": 420,
    "faults.test.ts": 254,
    "fleet.test.ts": 243,
    "mcoFacts.test.ts": 209,
    "sshHost.test.ts": 80,
    "pipeline.test.ts": 67,
    "signing.test.ts": 50,
    "previewDiff.test.ts": 48,
    "yaml.test.ts": 43,
    "digitalocean.test.ts": 31,
    "rhelContent.test.ts": 31,
    "library.test.ts": 29,
};

/** The measured seconds of an e2e file (a path or a name); undefined when it was never measured. */
export function measuredSeconds(file: string): number | undefined {
    return MEASURED_SECONDS[file.split("/").pop() ?? file];
}

/** The files to run, longest (as measured) first; ties and unmeasured files by name. */
export function e2eOrder(files: readonly string[]): string[] {
    const weight = (f: string): number => measuredSeconds(f) ?? 0;
    return [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
}

function concurrency(): number {
    const raw = process.env.RF_E2E_CONCURRENCY ?? "3";
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 16) {
        throw new Error(`RF_E2E_CONCURRENCY must be a whole number from 1 to 16, got ${JSON.stringify(raw)}`);
    }
    return n;
}

function main(): void {
    const dir = join(REPO_ROOT, "test", "e2e");
    const given = process.argv.slice(2).map(f => resolve(f));
    const all = readdirSync(dir)
        .filter(f => f.endsWith(".test.ts"))
        .map(f => join(dir, f));
    const files = e2eOrder(given.length > 0 ? given : all);
    const n = concurrency();
    process.stderr.write(
        `e2e: ${files.length} files, ${n} at a time, in this order: ` +
            `${files.map(f => relative(dir, f)).join(" ")}\n`,
    );
    // The children inherit this process's execArgv (--import tsx), as the CLI's do.
    const stream = run({ files, concurrency: n });
    stream.on("test:fail", () => {
        process.exitCode = 1;
    });
    stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
}

if (require.main === module) main();
