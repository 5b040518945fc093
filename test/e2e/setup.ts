// Shared set-up of the e2e tests and the engine benchmark: loopback services on free ports, a
// file backend in a temp dir, and the local stack pointed at them.
import assert from "node:assert/strict";
import { it } from "node:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Env, RunResult, addSecret, freePort, killPidFile, run, secrets } from "../host/harness";
import { LocalServices, startLocalServices } from "../../dev/localServices";
import { LocalStackSettings, Stack, engineEnv, openStack, writeLocalStackConfig } from "../../dev/pulumiCli";
import { TestCluster, TestClusterOptions, startTestCluster } from "../cluster/testCluster";

export const PASSPHRASE = "rhcos-forge-e2e-only";

/**
 * The rollout timeout of every e2e stack against the test cluster. A pool's wait there takes one to
 * three minutes, but the real drain controller retries a failed cordon or drain only after a
 * minute (machine-config-operator pkg/controller/drain/drain_controller.go DefaultConfig
 * DrainRequeueDelay), so a few such retries on a loaded machine pass 5 minutes while still moving;
 * the timeout only bounds a rollout that truly hangs.
 */
export const ROLLOUT_TIMEOUT_MINUTES = 15;

export interface E2e {
    readonly env: Env;
    readonly services: LocalServices;
    readonly stack: Stack;
    readonly engine: NodeJS.ProcessEnv;
    readonly settings: LocalStackSettings;
    readonly workDir: string;
    readonly manifests: string;
    /** Rewrites the stack's config file with edits to the image / rollout sections. */
    configure(edits: { image?: Record<string, unknown>; rollout?: Record<string, unknown> }): void;
    /** `pulumi <cmd> --stack … --config-file …` */
    run(cmd: string[], opts?: { check?: boolean }): Promise<RunResult>;
    outputs(): Promise<StackOutputs>;
    buildCount(): number;
    /** Rendered MachineConfig manifests: file name → osImageURL. */
    renderedMachineConfigs(): Record<string, string>;
}

export interface StackOutputs {
    image: { ref: string; digest: string; base: string; packages: { added: string[]; removed: string[] } };
    mirror: { baseUrl: string; repos: Record<string, string> };
    buildHost: { address: string; provider: string };
    rollout: { method: string; pools: { name: string; machineConfig: string }[] };
}

export interface E2eOptions {
    /** The stack's build host section instead of the local host (workDir is set here). */
    readonly buildHost?: Record<string, unknown>;
    /** Mirror repos after the fixtures repo, given the services (their URLs are known only then). */
    readonly repos?: (env: Env, services: LocalServices) => Promise<readonly Record<string, unknown>[]>;
}

export async function setUpE2e(stackName: string, opts: E2eOptions = {}): Promise<E2e> {
    const env = new Env("rf-e2e-");
    const engine = await engineEnv();
    const services = await startLocalServices(env, { stateDir: env.path("services") });
    const workDir = env.mkdir("host");
    const manifests = env.path("manifests");
    const configFile = env.path(`Pulumi.${stackName}.yaml`);
    const stack = await openStack(env.path("state"), stackName, configFile, engine, PASSPHRASE);
    const mirrorPort = await freePort();
    const extraRepos = opts.repos === undefined ? undefined : await opts.repos(env, services);
    const base: LocalStackSettings = {
        services,
        mirrorPort,
        workDir,
        renderTo: manifests,
        buildHost: opts.buildHost,
        extraRepos,
    };
    let settings = base;
    const cf = ["--stack", stackName, "--config-file", configFile];
    const e2e: E2e = {
        env,
        services,
        stack,
        engine,
        workDir,
        manifests,
        get settings() {
            return settings;
        },
        configure(edits) {
            settings = { ...base, image: edits.image, rollout: edits.rollout };
            writeLocalStackConfig(configFile, settings);
        },
        run: (cmd, opts) => stack.pulumi([...cmd, ...cf], { check: opts?.check }),
        async outputs() {
            const res = await stack.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stackName]);
            return JSON.parse(res.stdout) as StackOutputs;
        },
        buildCount() {
            const f = join(workDir, "build-count");
            return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
        },
        renderedMachineConfigs() {
            const dir = join(manifests, "1-manifest");
            const out: Record<string, string> = {};
            for (const f of existsSync(dir) ? readdirSync(dir) : []) {
                const text = readFileSync(join(dir, f), "utf8");
                const m = /^kind: MachineConfig$[\s\S]*^\s+osImageURL: (\S+)$/m.exec(text);
                if (m) out[f] = m[1];
            }
            return out;
        },
    };
    e2e.configure({});
    await stack.setSecret("rhcos-forge:registryAuth", services.authJson);
    // The mirror's background HTTP server outlives each command; stop it with the test.
    env.onTeardown(() => killPidFile(join(workDir, "mirror-server.pid")));
    return e2e;
}

/** The pulumi CLI on one stack of a program directory; `output` keeps all it printed (for the secret checks). */
export class ProgramCli {
    output = "";
    /** The engine's environment (set once the test has made it). */
    engine: NodeJS.ProcessEnv = {};
    constructor(
        private readonly program: string,
        private readonly stack: string,
    ) {}

    /** `pulumi <args>` on the stack; its stdout. */
    async pulumi(args: string[], opts: { input?: string } = {}): Promise<string> {
        const cmd = [...args, "--non-interactive", "--stack", this.stack];
        const timeoutMs = 15 * 60 * 1000;
        const res = await run("pulumi", cmd, { cwd: this.program, env: this.engine, timeoutMs, input: opts.input });
        this.output += res.stdout + res.stderr;
        return res.stdout;
    }
}

/** The ops of a preview's steps (`pulumi preview --json`) other than the `unchanged` ones. */
export function previewOps(previewJson: string, unchanged: readonly string[] = ["same"]): string[] {
    const doc = JSON.parse(previewJson) as { steps?: { op: string }[] };
    return (doc.steps ?? []).filter(s => !unchanged.includes(s.op)).map(s => s.op);
}

/** The test that a second up with nothing changed changes nothing: its preview plans only `unchanged` ops. */
export function itPlansNothingAgain(cli: ProgramCli, unchanged: readonly string[] = ["same"]): void {
    it("a second up with nothing changed changes nothing", async () => {
        assert.deepEqual(previewOps(await cli.pulumi(["preview", "--json"]), unchanged), []);
    });
}

/** Each of `types` is the type of a resource of the exported stack (`pulumi stack export`). */
export function assertResourceTypes(exportJson: string, types: readonly string[]): void {
    const doc = JSON.parse(exportJson) as { deployment: { resources?: { type: string }[] } };
    const have = new Set((doc.deployment.resources ?? []).map(r => r.type));
    for (const t of types) assert.ok(have.has(t), `${t} in ${[...have].join(", ")}`);
}

/** Resource changes a `pulumi preview --json` plans, as `op urn-type::name`, excluding `same`. */
export function plannedChanges(previewJson: string): string[] {
    const doc = JSON.parse(previewJson) as { steps?: { op: string; urn: string }[] };
    return (doc.steps ?? [])
        .filter(s => s.op !== "same")
        .map(s => {
            const parts = s.urn.split("::");
            return `${s.op} ${parts[2].split("$").pop()}::${parts[3]}`;
        })
        .sort();
}

/** The marker of a secret in `pulumi stack export` (the state's ciphertext wrapper). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

interface ExportedResource {
    type: string;
    urn: string;
    outputs?: Record<string, unknown>;
}

/**
 * The mirror's basic auth password the stack generated (mirror.auth basic, no
 * rhcos-forge:mirrorPassword), read from the credentials file put-files.sh wrote on the build host;
 * undefined when the stack has no closed mirror there. Registered as a secret for the output scans.
 */
export function mirrorPassword(e2e: Pick<E2e, "workDir">): string | undefined {
    const file = join(e2e.workDir, "upstream", "mirror.auth");
    if (!existsSync(file)) return undefined;
    const line = readFileSync(file, "utf8").split("\n")[0];
    const password = line.slice(line.indexOf(":") + 1);
    addSecret(password);
    return password;
}

/**
 * `pulumi stack export` (no --show-secrets: what anyone with the state file reads) of a stack that
 * holds resources, checked for every secret value this run handed out (dev/proc addSecret: the SSH
 * key's lines, the registry password, the upstream repo password, the mirror's password, signing
 * keys and passphrases) and for `extra`; and every command resource's stdout and stderr are stored as secrets (the
 * engine applies additionalSecretOutputs to what the command provider returned). Returns how
 * many command resources it saw.
 */
export async function assertStateHoldsNoSecrets(e2e: E2e, stackName: string, extra: string[] = []): Promise<number> {
    const text = (await e2e.stack.pulumi(["stack", "export", "--stack", stackName])).stdout;
    const registry = e2e.services.registry;
    const mirror = mirrorPassword(e2e);
    const mirrorAuth = mirror === undefined ? [] : [mirror, Buffer.from(`rhcos-forge:${mirror}`).toString("base64")];
    const values = [
        ...secrets,
        registry.password,
        Buffer.from(`${registry.user}:${registry.password}`).toString("base64"),
        ...mirrorAuth,
        ...extra,
    ];
    for (const s of values) {
        if (text.includes(s))
            throw new Error(`the stack's exported state holds a secret value in plain text (${s.slice(0, 4)}…)`);
    }
    const resources =
        (JSON.parse(text) as { deployment: { resources?: ExportedResource[] } }).deployment.resources ?? [];
    const commands = resources.filter(r => r.type === "command:local:Command" || r.type === "command:remote:Command");
    for (const c of commands) {
        for (const out of ["stdout", "stderr"]) {
            const v = c.outputs?.[out];
            if (v !== undefined && !(v !== null && typeof v === "object" && SECRET_SIG_KEY in v)) {
                throw new Error(`${c.urn}: ${out} is stored in plain text, not as a secret`);
            }
        }
    }
    return commands.length;
}

/**
 * The e2e cluster of release 4.21 with the MCO's own controllers (test/cluster/), on the stack's
 * fixture base, and the stack's `rhcos-forge:kubeconfig` (a secret) pointing at it.
 */
export async function startUpstreamCluster(e2e: E2e, extra: Partial<TestClusterOptions> = {}): Promise<TestCluster> {
    const cluster = await startTestCluster(e2e.env, {
        release: "release-4.21",
        baseImage: e2e.services.baseRef,
        machineOSApi: "v1",
        controllers: "upstream",
        ...extra,
    });
    await e2e.stack.setSecret("rhcos-forge:kubeconfig", cluster.api.kubeconfig);
    return cluster;
}
