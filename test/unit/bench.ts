// Program-evaluation bench (not a test): what the program itself costs before the engine sees a
// resource — loading its modules, parsing the stack config, and registering every resource —
// measured in a fresh node process per run, under pulumi.runtime.setMocks (an in-process monitor,
// so no engine and no gRPC). Prints figures only; never fails on a timing.
//
//   node --import tsx test/unit/bench.ts [runs]                    the cost curves (default 3 runs each)
//   node --import tsx test/unit/bench.ts --one pools=10,packages=1,files=1
//                                                                  one cold run, as a JSON line
//
// The stack is the embedded local stack (Pulumi.local.yaml) in GitOps render mode, with N pools
// (N-1 custom pools of one node each, then worker) and N packages / N files in the image spec.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";

const REPO = join(__dirname, "..", "..");
const DIGEST = `sha256:${"c".repeat(64)}`;

interface Shape {
    pools: number;
    packages: number;
    files: number;
}
interface Figures {
    importMs: number;
    parseMs: number;
    registerMs: number;
    resources: number;
}

/** The local stack's config as the engine hands it over, resized to `shape`. */
export function benchConfig(shape: Shape): Record<string, string> {
    const doc = yaml.load(readFileSync(join(REPO, "Pulumi.local.yaml"), "utf8")) as {
        config: Record<string, Record<string, unknown>>;
    };
    const c = doc.config;
    const packages = Array.from({ length: shape.packages }, (_, i) => (i === 0 ? "rf-hello" : `rf-bench-${i}`));
    c["rhcos-forge:mirror"] = { ...c["rhcos-forge:mirror"], packageSet: { id: "rhcos-forge-extras", packages } };
    c["rhcos-forge:image"] = {
        ...c["rhcos-forge:image"],
        base: `127.0.0.1:5000/fixtures/fake-rhcos@${DIGEST}`,
        packages,
        files: Array.from({ length: shape.files }, (_, i) => ({
            path: `/etc/rf/bench-${i}.conf`,
            mode: "0644",
            content: `value=${i}\n`,
        })),
    };
    c["rhcos-forge:rollout"] = {
        pools: [
            ...Array.from({ length: shape.pools - 1 }, (_, i) => ({
                name: `canary-${i}`,
                nodes: [`node-${i}`],
                maxUnavailable: 1,
            })),
            { name: "worker", maxUnavailable: "10%" },
        ],
    };
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

async function one(shape: Shape): Promise<Figures> {
    const t0 = process.hrtime.bigint();
    const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
    const pulumi = await import("@pulumi/pulumi");
    const { parseStackConfig } = await import("../../components/config/parse");
    const { buildPipeline } = await import("../../components/pipeline");
    const importMs = ms(t0);
    const { commandState } = await import("./harness");

    let resources = 0;
    let lastRegistration = process.hrtime.bigint();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources++;
                lastRegistration = process.hrtime.bigint();
                // Each remote script's result line as the unit tests' mocks print it (one stand-in for both).
                return { id: `${args.name}-id`, state: commandState(args.inputs as Record<string, unknown>) };
            },
            call: args => args.inputs,
        },
        "rhcos-forge",
        "bench",
        false,
    );
    const allConfig = benchConfig(shape);
    pulumi.runtime.setAllConfig(allConfig, []);

    const t1 = process.hrtime.bigint();
    const cfg = parseStackConfig(pulumi.runtime.allConfig());
    const parseMs = ms(t1);
    const t2 = process.hrtime.bigint();
    const program = buildPipeline(cfg, {});
    await new Promise<void>(resolve => pulumi.output(program.rollout.pools).apply(() => resolve()));
    // Registration has settled when a whole macrotask turn passes without a new resource.
    for (let quiet = 0; quiet < 3;) {
        const seen = resources;
        await new Promise(r => setTimeout(r, 5));
        quiet = resources === seen ? quiet + 1 : 0;
    }
    const registerMs = Number(lastRegistration - t2) / 1e6;
    return { importMs, parseMs, registerMs, resources };
}

function parseShape(text: string): Shape {
    const kv = Object.fromEntries(
        text
            .split(",")
            .map(p => p.split("="))
            .map(([k, v]) => [k, Number(v)]),
    );
    return { pools: kv.pools ?? 1, packages: kv.packages ?? 1, files: kv.files ?? 1 };
}

function coldRun(shape: Shape): Figures {
    const out = execFileSync(
        process.execPath,
        [
            "--import",
            "tsx",
            __filename,
            "--one",
            `pools=${shape.pools},packages=${shape.packages},files=${shape.files}`,
        ],
        { cwd: REPO, encoding: "utf8" },
    );
    return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Figures;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median figures of `runs` cold processes for each shape. */
export function evaluationCurves(runs: number): { label: string; shape: Shape; figures: Figures }[] {
    const shapes: [string, Shape][] = [
        ["1 pool, 1 package, 1 file (the local stack)", { pools: 1, packages: 1, files: 1 }],
        ["10 pools", { pools: 10, packages: 1, files: 1 }],
        ["50 pools", { pools: 50, packages: 1, files: 1 }],
        ["50 packages", { pools: 1, packages: 50, files: 1 }],
        ["500 packages", { pools: 1, packages: 500, files: 1 }],
        ["50 files", { pools: 1, packages: 1, files: 50 }],
        ["500 files", { pools: 1, packages: 1, files: 500 }],
    ];
    return shapes.map(([label, shape]) => {
        const all = Array.from({ length: runs }, () => coldRun(shape));
        return {
            label,
            shape,
            figures: {
                importMs: median(all.map(f => f.importMs)),
                parseMs: median(all.map(f => f.parseMs)),
                registerMs: median(all.map(f => f.registerMs)),
                resources: all[0].resources,
            },
        };
    });
}

export function formatCurves(rows: ReturnType<typeof evaluationCurves>): string {
    const lines = [
        "program evaluation (fresh node process, mocks, no engine; median of cold runs)",
        "  shape                                          modules  parse  register  parse+register  resources",
    ];
    for (const r of rows) {
        const f = r.figures;
        lines.push(
            `  ${r.label.padEnd(46)} ${`${f.importMs.toFixed(0)}ms`.padStart(7)} ` +
                `${`${f.parseMs.toFixed(1)}ms`.padStart(7)} ${`${f.registerMs.toFixed(0)}ms`.padStart(8)} ` +
                `${`${(f.parseMs + f.registerMs).toFixed(0)}ms`.padStart(14)} ${String(f.resources).padStart(10)}`,
        );
    }
    return `${lines.join("\n")}\n`;
}

if (require.main === module) {
    const args = process.argv.slice(2);
    if (args[0] === "--one") {
        one(parseShape(args[1] ?? "")).then(
            f => {
                process.stdout.write(`${JSON.stringify(f)}\n`);
                process.exit(0);
            },
            e => {
                process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
                process.exit(1);
            },
        );
    } else {
        process.stdout.write(formatCurves(evaluationCurves(Math.max(1, Number(args[0] ?? 3)))));
    }
}
