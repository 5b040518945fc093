// The DigitalOcean build host against the real DigitalOcean provider: pulumi-resource-digitalocean
// built from upstream source by scripts/install-digitalocean.sh and installed into the engine's
// PULUMI_HOME as 4.80.1 (the version @pulumi/digitalocean asks for; the script says why). The
// stack is Pulumi.dev.yaml with image.base pinned by digest and the cluster in render mode, and a
// fake `digitalocean:token`: the provider's Configure makes no API call, Check and Diff make none
// either, so `pulumi preview` runs the provider's own validation of the SSH key, volume, droplet,
// volume attachment and firewall without an account. Nothing is created (no `up`).
//
// Diff needs resources in the state; only an `up` against the API would put them there, so the
// test writes that state itself (`pulumi stack import`): each resource with the inputs the engine
// planned for it, an id, and the outputs the upstream resource keeps (for the droplet, user_data
// as its SHA-1: terraform-provider-digitalocean v2.96.0 droplet/resource_droplet.go `StateFunc:
// util.HashStringStateFunc()`, util/hash.go `HashString`; schema version 1 in `__meta`, as the
// bridge records it; the schema's `Default: false` fields as Read sets them). Against that state
// the provider's Diff must report no change, a bigger volume an in-place update of `size` alone,
// and another workDir (so other user data) a replacement of the droplet (user_data is ForceNew
// upstream).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { renderCloudInit } from "../../components/host/buildHost";
import { generateHostKeyPair, type HostKeyPair } from "../../components/ssh/hostKey";
import { Env, REPO_ROOT, addSecret, leakedSecrets, run } from "../host/harness";
import { Stack, engineEnv, openStack } from "../../dev/pulumiCli";
import { PASSPHRASE } from "./setup";

const STACK = "e2e-do";
const PLUGIN_VERSION = "4.80.1";
/** Unique per run and shaped like a DigitalOcean token, so finding it anywhere means it leaked. */
const TOKEN = `dop_v1_${randomBytes(32).toString("hex")}`;
const SSH_KEY =
    `-----BEGIN OPENSSH PRIVATE KEY-----\nrf-e2e-do-${randomBytes(16).toString("hex")}\n-----END OPENSSH PRIVATE ` +
    `KEY-----\n`;
const REGISTRY_PASSWORD = `rf-e2e-do-registry-${randomBytes(8).toString("hex")}`;
const REPO_PASSWORD = `rf-e2e-do-repo-${randomBytes(8).toString("hex")}`;
const BASE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"5e".repeat(32)}`;
/** The five resources the DigitalOcean build host is made of. */
const DO_TYPES = [
    "digitalocean:index/droplet:Droplet",
    "digitalocean:index/firewall:Firewall",
    "digitalocean:index/sshKey:SshKey",
    "digitalocean:index/volume:Volume",
    "digitalocean:index/volumeAttachment:VolumeAttachment",
];
/** The engine's marker of an unknown value in `preview --json`. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The state's secret wrapper (`pulumi stack export`); `plaintext` is re-encrypted on import. */
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

interface State {
    urn: string;
    type: string;
    custom?: boolean;
    id?: string;
    parent?: string;
    provider?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    dependencies?: string[];
}
interface Step {
    op: string;
    urn: string;
    diffReasons?: string[];
    replaceReasons?: string[];
    detailedDiff?: Record<string, { kind: string }>;
    newState?: State;
}
interface Preview {
    steps?: Step[];
    diagnostics?: { severity?: string; message?: string; urn?: string }[];
}

let env: Env;
let stack: Stack;
let configFile: string;
let installedPlugin = "";
/** Every byte the engine printed, searched for the token at the end (with everything else run() kept). */
const engineOutput: string[] = [];
/** The lines of the droplet host key's private half the imported state holds (as a secret). */
const hostKeyLines: string[] = [];

function writeStackConfig(edits: { volumeSizeGb?: number; workDir?: string } = {}): void {
    const doc = yaml.load(readFileSync(join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, Record<string, unknown>>;
    };
    const previous = yaml.load(readFileSync(configFile, "utf8")) as
        { encryptionsalt?: string; config?: Record<string, unknown> } | undefined;
    const c = doc.config;
    c["rhcos-forge:image"] = { ...c["rhcos-forge:image"], base: BASE };
    c["rhcos-forge:cluster"] = { ...c["rhcos-forge:cluster"], renderTo: env.path("manifests") };
    if (edits.volumeSizeGb !== undefined)
        c["rhcos-forge:buildHost"] = { ...c["rhcos-forge:buildHost"], volumeSizeGb: edits.volumeSizeGb };
    if (edits.workDir !== undefined)
        c["rhcos-forge:buildHost"] = { ...c["rhcos-forge:buildHost"], workDir: edits.workDir };
    // Keep the salt and the secrets `pulumi config set --secret` wrote (keys Pulumi.dev.yaml has not).
    const committed = new Set(Object.keys(c));
    for (const [k, v] of Object.entries(previous?.config ?? {})) {
        if (!committed.has(k)) c[k] = v as Record<string, unknown>;
    }
    const out: Record<string, unknown> =
        previous?.encryptionsalt === undefined ? { config: c } : { encryptionsalt: previous.encryptionsalt, config: c };
    writeFileSync(configFile, yaml.dump(out, { lineWidth: 120 }));
}

/**
 * `pulumi <args>` on the stack: `--stack` and `--config-file` for the commands that run the program
 * or set config, `--stack` alone for `stack export`/`import`, neither for `plugin`.
 */
async function pulumi(
    args: string[],
    opts: { check?: boolean; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
    const flags =
        args[0] === "plugin"
            ? []
            : args[0] === "stack"
              ? ["--stack", STACK]
              : ["--stack", STACK, "--config-file", configFile];
    const res = await stack.pulumi([...args, ...flags], opts);
    engineOutput.push(res.stdout, res.stderr);
    return res;
}

/** `pulumi preview --json --show-sames`: every step, unchanged ones included. */
async function previewJson(): Promise<Preview> {
    return JSON.parse((await pulumi(["preview", "--json", "--show-sames"])).stdout) as Preview;
}

function stepsOf(p: Preview, types: readonly string[]): Step[] {
    return (p.steps ?? []).filter(s => s.newState !== undefined && types.includes(s.newState.type));
}

/** `op type::name` of the planned steps of these types, sorted. */
function ops(p: Preview, types: readonly string[]): string[] {
    return stepsOf(p, types)
        .map(s => `${s.op} ${s.newState?.type}::${s.urn.split("::").pop()}`)
        .sort();
}

/** Every diagnostic the engine, the program or a provider reported. */
function problems(p: Preview): string[] {
    return (p.diagnostics ?? []).map(d => `${d.severity}: ${d.message}`);
}

before(async () => {
    env = new Env("rf-e2e-do-");
    const engine = await engineEnv();
    // The real provider from upstream source (cold: minutes; cached afterwards).
    const install = await run("bash", [join(REPO_ROOT, "scripts", "install-digitalocean.sh")], {
        env: engine,
        timeoutMs: 90 * 60 * 1000,
    });
    installedPlugin = install.stdout.trim();
    configFile = env.path(`Pulumi.${STACK}.yaml`);
    writeFileSync(configFile, "config: {}\n");
    stack = await openStack(env.path("state"), STACK, configFile, engine, PASSPHRASE);
    writeStackConfig();
    for (const s of [TOKEN, SSH_KEY.split("\n")[1]!, REGISTRY_PASSWORD, REPO_PASSWORD]) addSecret(s);
    const registryAuth = JSON.stringify({
        auths: { "quay.io": { auth: Buffer.from(`robot:${REGISTRY_PASSWORD}`).toString("base64") } },
    });
    // Every secret through stdin, never a command line.
    await pulumi(["config", "set", "--secret", "digitalocean:token"], { input: TOKEN });
    await pulumi(["config", "set", "--secret", "rhcos-forge:sshPrivateKey"], { input: SSH_KEY });
    await pulumi(["config", "set", "--secret", "rhcos-forge:registryAuth"], { input: registryAuth });
    await pulumi(["config", "set", "--secret", "--path", "rhcos-forge:mirrorPasswords.rhel-9-appstream"], {
        input: REPO_PASSWORD,
    });
});
after(async () => {
    await env?.teardown();
});

/** The MD5 fingerprint DigitalOcean reports for an SSH key (colon-separated hex of the key blob). */
function md5Fingerprint(publicKey: string): string {
    const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
    return (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":");
}

/** A copy with every unknown replaced through `known` (by the property name it sits under). */
function fillUnknowns(v: unknown, known: (key: string) => unknown, key = ""): unknown {
    if (v === UNKNOWN) return known(key);
    if (Array.isArray(v)) return v.map(x => fillUnknowns(x, known, key));
    if (v !== null && typeof v === "object")
        return Object.fromEntries(
            Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fillUnknowns(x, known, k)]),
        );
    return v;
}

const secret = (value: unknown): Record<string, string> => ({ ...SECRET_SIG, plaintext: JSON.stringify(value) });

/**
 * The state an `up` against the API would have left for the build host: the stack and BuildHost
 * components, the default providers, the host key (its keeper command: stdout the pair, a secret) and the
 * five DigitalOcean resources, each with the inputs the engine planned in `planned` and the
 * outputs the provider keeps.
 */
function buildHostState(planned: Preview, hostKey: HostKeyPair): State[] {
    const steps = planned.steps ?? [];
    const byType = (type: string): Step => {
        const s = steps.find(x => x.newState?.type === type);
        if (s?.newState === undefined) assert.fail(`the preview planned no ${type}`);
        return s;
    };
    const providerId = (urn: string): string => `${urn.split("::").pop()}-rf-e2e`;
    const ids: Record<string, string> = {
        "digitalocean:index/sshKey:SshKey": "41000001",
        "digitalocean:index/volume:Volume": "c0ffee00-0000-4000-8000-000000000001",
        "digitalocean:index/droplet:Droplet": "424242001",
        "digitalocean:index/volumeAttachment:VolumeAttachment": "424242001-c0ffee00-0000-4000-8000-000000000001",
        "digitalocean:index/firewall:Firewall": "f1000000-0000-4000-8000-000000000001",
        "command:local:Command": "host-key-rf-e2e",
    };
    const fingerprint = md5Fingerprint(String(byType("digitalocean:index/sshKey:SshKey").newState?.inputs?.publicKey));
    const known = (key: string): unknown => {
        switch (key) {
            case "sshKeys":
                return fingerprint;
            case "dropletId":
                return 424242001;
            case "dropletIds":
                return 424242001;
            case "volumeId":
                return ids["digitalocean:index/volume:Volume"];
            default:
                assert.fail(`no value for the unknown ${key}`);
        }
    };
    const hostKeyStep = steps.find(
        s => s.newState?.type === "command:local:Command" && s.urn.endsWith("::build-host-key"),
    );
    if (hostKeyStep?.newState === undefined) assert.fail("the preview planned no build-host-key command");
    const volumeName = String(byType("digitalocean:index/volume:Volume").newState?.inputs?.name);
    const userData = renderCloudInit("/var/lib/rhcos-forge", volumeName, hostKey);
    const extra: Record<string, Record<string, unknown>> = {
        "digitalocean:index/sshKey:SshKey": { fingerprint },
        "digitalocean:index/volume:Volume": {
            urn: `do:volume:${ids["digitalocean:index/volume:Volume"]}`,
            filesystemType: "ext4",
            dropletIds: [424242001],
        },
        "digitalocean:index/droplet:Droplet": {
            urn: "do:droplet:424242001",
            status: "active",
            ipv4Address: "203.0.113.10",
            ipv4AddressPrivate: "10.114.0.2",
            // Defaults of the upstream schema (Default: false) that Read sets.
            backups: false,
            gracefulShutdown: false,
            ipv6: false,
            locked: false,
            memory: 8192,
            vcpus: 4,
            disk: 160,
            priceHourly: 0.07143,
            priceMonthly: 48,
            createdAt: "2026-12-06T12:00:00Z",
            volumeIds: [ids["digitalocean:index/volume:Volume"]],
            vpcUuid: "d0000000-0000-4000-8000-000000000001",
            // What the provider keeps of user_data: its SHA-1 (HashStringStateFunc).
            userData: createHash("sha1").update(userData).digest("hex"),
            __meta: JSON.stringify({ schema_version: "1" }),
        },
        "digitalocean:index/firewall:Firewall": {
            status: "succeeded",
            createdAt: "2026-12-06T12:00:00Z",
            pendingChanges: [],
        },
        "digitalocean:index/volumeAttachment:VolumeAttachment": {},
    };
    const resources: State[] = [];
    const seen = new Set<string>();
    const add = (s: State): void => {
        if (!seen.has(s.urn)) {
            seen.add(s.urn);
            resources.push(s);
        }
    };
    const providerRef = (ref: string | undefined): string | undefined => {
        if (ref === undefined) return undefined;
        const urn = ref.slice(0, ref.lastIndexOf("::"));
        return `${urn}::${providerId(urn)}`;
    };
    const ancestors = (urn: string | undefined): void => {
        if (urn === undefined || seen.has(urn)) return;
        const s = steps.find(x => x.urn === urn)?.newState;
        if (s === undefined) assert.fail(`the preview planned no ${urn}`);
        ancestors(s.parent);
        add({ urn, type: s.type, custom: false, parent: s.parent, inputs: {}, outputs: {} });
    };
    // A default provider (`preview --json` lists none): its inputs are the stack's config of its
    // package, the token here, and the version in its name (default_4_80_1).
    const provider = (ref: string | undefined): void => {
        if (ref === undefined) return;
        const urn = ref.slice(0, ref.lastIndexOf("::"));
        if (seen.has(urn)) return;
        const m = /::pulumi:providers:([a-z0-9-]+)::default(?:_(\d+)_(\d+)_(\d+))?$/.exec(urn);
        if (m === null) assert.fail(`not a default provider: ${urn}`);
        const inputs: Record<string, unknown> = {
            ...(m[2] === undefined ? {} : { version: `${m[2]}.${m[3]}.${m[4]}` }),
            ...(m[1] === "digitalocean" ? { token: secret(TOKEN) } : {}),
        };
        add({ urn, type: `pulumi:providers:${m[1]}`, custom: true, id: providerId(urn), inputs, outputs: inputs });
    };
    const resource = (step: Step, outputs: Record<string, unknown>, inputs?: Record<string, unknown>): void => {
        const s = step.newState;
        if (s === undefined) return;
        ancestors(s.parent);
        provider(s.provider);
        const planned = (inputs ?? fillUnknowns(s.inputs ?? {}, known)) as Record<string, unknown>;
        const { __defaults: _defaults, ...kept } = planned;
        void _defaults;
        add({
            urn: step.urn,
            type: s.type,
            custom: true,
            id: ids[s.type],
            parent: s.parent,
            provider: providerRef(s.provider),
            inputs: planned,
            outputs: { ...kept, ...outputs, id: ids[s.type] },
            dependencies: (s.dependencies ?? []).filter(d => seen.has(d)),
        });
    };
    // The pair the state keeps, as the generator command of the same name left it before the
    // dynamic resource (docs/upgrading.md): no stdin, its own create, the pair its secret stdout.
    // The keeper (create and stdin ignoreChanges) must plan `same` on it and read the pair back.
    resource(
        hostKeyStep,
        { stdout: secret(JSON.stringify(hostKey)), stderr: secret("") },
        {
            create: "node --import tsx components/host/hostKeyGen.ts",
            interpreter: ["/bin/sh", "-c"],
            logging: "none",
            addPreviousOutputInEnv: false,
        },
    );
    for (const type of [
        "digitalocean:index/sshKey:SshKey",
        "digitalocean:index/volume:Volume",
        "digitalocean:index/droplet:Droplet",
        "digitalocean:index/volumeAttachment:VolumeAttachment",
        "digitalocean:index/firewall:Firewall",
    ]) {
        const step = byType(type);
        const inputs =
            type === "digitalocean:index/droplet:Droplet"
                ? {
                      ...(fillUnknowns({ ...step.newState?.inputs, userData: null }, known) as Record<string, unknown>),
                      userData: secret(userData),
                  }
                : undefined;
        resource(step, extra[type] ?? {}, inputs);
    }
    return resources;
}

describe("a DigitalOcean build host through the real provider (pulumi preview, fake token)", () => {
    let planned: Preview;

    it("0. the plugin is installed as the version the SDK asks for, in the engine's PULUMI_HOME", async () => {
        const ls = JSON.parse((await pulumi(["plugin", "ls", "--json"])).stdout) as {
            name: string;
            kind: string;
            version: string;
        }[];
        const mine = ls.filter(p => p.name === "digitalocean" && p.kind === "resource");
        assert.deepEqual(
            mine.map(p => p.version),
            [PLUGIN_VERSION],
            JSON.stringify(ls),
        );
        assert.match(
            installedPlugin,
            new RegExp(
                `/plugins/resource-digitalocean-v${PLUGIN_VERSION.replace(/\./g, "\\.")}/pulumi-resource-digitalocean$`,
            ),
        );
    });

    // Every resource: the SSH key, volume, droplet, attachment and firewall.
    it("1. a first preview: the provider's Check accepts every resource; no diagnostics", async () => {
        planned = await previewJson();
        assert.deepEqual(problems(planned), []);
        assert.deepEqual(ops(planned, DO_TYPES), [
            "create digitalocean:index/droplet:Droplet::build-droplet",
            "create digitalocean:index/firewall:Firewall::build-firewall",
            "create digitalocean:index/sshKey:SshKey::build-key",
            "create digitalocean:index/volume:Volume::build-volume",
            "create digitalocean:index/volumeAttachment:VolumeAttachment::build-attach",
        ]);
        // Served by the default provider of the version the SDK asked for.
        for (const step of stepsOf(planned, DO_TYPES)) {
            assert.match(
                step.newState?.provider ?? "",
                new RegExp(`^urn:pulumi:${STACK}::rhcos-forge::pulumi:providers:digitalocean::default_4_80_1::`),
            );
        }
        // Check normalised what it was given (the bridge's defaults), so these are the provider's values.
        const droplet = stepsOf(planned, ["digitalocean:index/droplet:Droplet"])[0]?.newState?.inputs ?? {};
        assert.equal(droplet.size, "s-4vcpu-8gb");
        assert.equal(droplet.image, "centos-stream-9-x64");
        const text = await pulumi(["preview", "--diff", "--color", "never"]);
        const out = text.stdout + text.stderr;
        for (const t of DO_TYPES)
            assert.match(out, new RegExp(`^\\s*\\+ ${t.replace(/[/.]/g, "\\$&")}: \\(create\\)$`, "m"), out);
        assert.doesNotMatch(out, /^\s*(warning|error):/m, out);
        // Loaded from PULUMI_HOME (automatic plugin acquisition is off in openStack's environment).
        assert.doesNotMatch(out, /download|installing plugin/i, out);
    });

    it("2. on an up's state the provider's Diff reports no change; a bigger volume updates in place", async () => {
        const hostKey = generateHostKeyPair();
        hostKeyLines.push(...hostKey.privateKey.split("\n").filter(l => l.length > 20 && !l.startsWith("-----")));
        const exported = JSON.parse((await pulumi(["stack", "export"])).stdout) as {
            version: number;
            deployment: Record<string, unknown>;
        };
        const deployment = { ...exported.deployment, resources: buildHostState(planned, hostKey) };
        const file = env.path("state.json");
        writeFileSync(file, JSON.stringify({ ...exported, deployment }), { mode: 0o600 });
        await pulumi(["stack", "import", "--file", file]);
        const again = await previewJson();
        assert.deepEqual(problems(again), []);
        assert.deepEqual(
            ops(again, DO_TYPES),
            [
                "same digitalocean:index/droplet:Droplet::build-droplet",
                "same digitalocean:index/firewall:Firewall::build-firewall",
                "same digitalocean:index/sshKey:SshKey::build-key",
                "same digitalocean:index/volume:Volume::build-volume",
                "same digitalocean:index/volumeAttachment:VolumeAttachment::build-attach",
            ],
            JSON.stringify(
                stepsOf(again, DO_TYPES).filter(s => s.op !== "same"),
                null,
                1,
            ).slice(0, 4000),
        );
        // The host key is the state's (the command did not run again), so the droplet's user data is
        // the one hashed there.
        assert.deepEqual(
            stepsOf(again, ["command:local:Command"])
                .filter(s => s.urn.endsWith("::build-host-key"))
                .map(s => s.op),
            ["same"],
        );

        writeStackConfig({ volumeSizeGb: 250 });
        const bigger = await previewJson();
        assert.deepEqual(problems(bigger), []);
        assert.deepEqual(
            ops(bigger, DO_TYPES).filter(o => !o.startsWith("same ")),
            ["update digitalocean:index/volume:Volume::build-volume"],
        );
        const volume = stepsOf(bigger, ["digitalocean:index/volume:Volume"])[0];
        assert.deepEqual(volume?.diffReasons, ["size"], JSON.stringify(volume));
        const text = await pulumi(["preview", "--diff", "--color", "never"]);
        assert.match(text.stdout, /^\s*~ size\s*:\s*200 => 250$/m, text.stdout);

        // Another workDir is other user data (RF_ROOT), and user_data is ForceNew upstream.
        writeStackConfig({ workDir: "/srv/rhcos-forge" });
        const moved = await previewJson();
        assert.deepEqual(problems(moved), []);
        const dropletSteps = stepsOf(moved, ["digitalocean:index/droplet:Droplet"]);
        const droplet = dropletSteps.find(s => s.op === "replace");
        assert.ok(droplet !== undefined, JSON.stringify(dropletSteps).slice(0, 2000));
        assert.deepEqual(droplet.replaceReasons, ["userData"]);
        assert.deepEqual(ops(moved, ["digitalocean:index/sshKey:SshKey", "digitalocean:index/volume:Volume"]), [
            "same digitalocean:index/sshKey:SshKey::build-key",
            "same digitalocean:index/volume:Volume::build-volume",
        ]);
        writeStackConfig();
    });

    it("3. the fake token is in no output and not in `pulumi stack export`", async () => {
        const exported = (await pulumi(["stack", "export"])).stdout;
        assert.ok(
            exported.includes("pulumi:providers:digitalocean"),
            "the state holds the provider (and its token, encrypted)",
        );
        assert.ok(!exported.includes(TOKEN), "the token is in the exported state in plain text");
        // Nor the other secrets of the stack, nor the droplet's private host key (the imported state holds it).
        for (const s of [SSH_KEY.split("\n")[1]!, REGISTRY_PASSWORD, REPO_PASSWORD, ...hostKeyLines]) {
            assert.ok(!exported.includes(s), `a secret is in the exported state in plain text (${s.slice(0, 6)}…)`);
        }
        assert.ok(!engineOutput.join("\n").includes(TOKEN), "the engine printed the token");
        assert.deepEqual(
            leakedSecrets().map(s => `${s.slice(0, 6)}…`),
            [],
        );
    });
});
