// Pulumi mocks for unit tests: records every resource registration with its parent, its
// dependencies and its raw (serialized) inputs, so tests can assert on the graph and on which
// values travel as secrets. Import this module, call `installMocks`, then import the program.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { createHash, createPublicKey } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { before } from "node:test";
import { parseStackConfig } from "../../components/config/parse";
import { CosaPlatform, PLATFORM_IMAGES } from "../../components/image/cosaInputs";
import { StackOutputs, buildPipeline } from "../../components/pipeline";
import { ClusterAccess } from "../../components/rollout/kubeApi";
import { realClock } from "../../components/rollout/poll";
import { pemBody, throwawayOpenSshKey } from "./throwawayKeys";

/** The mirror password the mocked state keeps (43 base64url characters, as generated ones). */
export const MOCK_MIRROR_PASSWORD = "s3cr3tMirrorPasswordGeneratedByTheMocks0000";

export interface Registration {
    type: string;
    name: string;
    urn: string;
    parent: string;
    custom: boolean;
    dependencies: string[];
    deleteBeforeReplace: boolean;
    /** Outputs the engine is asked to store secret (additionalSecretOutputs). */
    additionalSecretOutputs: string[];
    /** Input paths the engine plans with the state's values for (ignoreChanges). */
    ignoreChanges: string[];
    /** Inputs as the engine would see them; secrets are `{[SIG_KEY]: SECRET_SIG, value}`. */
    raw: Record<string, unknown>;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, unknown>;
}

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const registrations: Registration[] = [];
export const reads: { type: string; name: string; id: string }[] = [];

export function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SIG_KEY] === SECRET_SIG) return unwrapSecrets(obj.value);
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

export function isSecret(value: unknown): boolean {
    return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** `value` as JSON with each secret shown as "[secret]": what is left in plain text. */
export function plainJson(value: unknown): string {
    const strip = (v: unknown): unknown => {
        if (isSecret(v)) return "[secret]";
        if (Array.isArray(v)) return v.map(strip);
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, strip(x)]));
        }
        return v;
    };
    return JSON.stringify(strip(value));
}

const fakeDigest = (seed: string): string => `sha256:${createHash("sha256").update(seed).digest("hex")}`;

/** Counts of what the mocked build host was asked to do. */
export const hostCalls = { builds: 0, syncs: 0 };

/**
 * A stand-in for the remote scripts: each prints the JSON result line its real script prints
 * (cosa-build.sh and release-new.sh included, so any valid stack runs under the mocks).
 */
export function commandState(inputs: Record<string, unknown>): Record<string, unknown> {
    const create = String(inputs.create ?? "");
    const env = (name: string): string =>
        create.match(new RegExp(`${name}=('[^']*'|\\S+)`))?.[1]?.replace(/^'|'$/g, "") ?? "";
    let stdout = "";
    if (create.includes("build-image.sh")) {
        hostCalls.builds++;
        const repo = env("RF_IMAGE_REPO");
        const digest = fakeDigest(env("RF_BUILD_ID"));
        stdout = JSON.stringify({
            ref: `${repo}@${digest}`,
            digest,
            base: env("RF_BASE_IMAGE"),
            tag: `${repo}:${env("RF_BUILD_ID")}`,
            packages: { added: ["htop-3.3.0-1.el9.x86_64"], removed: [], changed: [] },
            sbom: {
                ref: `${repo}@${fakeDigest(`sbom-${digest}`)}`,
                digest: fakeDigest(`sbom-${digest}`),
                tag: `${repo}:${digest.replace(":", "-")}.sbom`,
                packages: 412,
            },
        });
    } else if (create.includes("repo-mirror.sh")) {
        hostCalls.syncs++;
        stdout = JSON.stringify({
            repos: env("RF_REPO_IDS").split(" ").filter(Boolean),
            packageSet: env("RF_PACKAGE_SET_ID"),
            changed: true,
        });
    } else if (create.includes("rhsm-register.sh")) {
        stdout = JSON.stringify({ registered: true, changed: true });
    } else if (create.includes("host-ready.sh")) {
        stdout = JSON.stringify({ ready: true, arch: "x86_64", podman: "5.2.2" });
    } else if (create.includes("cosa-build.sh")) {
        const repo = env("RF_IMAGE_REPO");
        const digest = fakeDigest(env("RF_COSA_CONFIG_URL"));
        const id = "419.96.202501010000-0";
        const artifacts = (env("RF_COSA_ARTIFACTS").split(" ").filter(Boolean) as CosaPlatform[]).flatMap(platform =>
            PLATFORM_IMAGES[platform].map(name => ({
                platform,
                name,
                path: `artifacts/${id}/rhcos-${id}-${name}.x86_64.raw`,
                sha256: "a".repeat(64),
                size: 1,
            })),
        );
        stdout = JSON.stringify({
            ref: `${repo}@${digest}`,
            digest,
            tag: `${repo}:${id}`,
            buildId: id,
            configCommit: "0".repeat(40),
            ran: [],
            artifacts,
        });
    } else if (create.includes("release-new.sh")) {
        const repo = env("RF_RELEASE_REPO");
        const digest = fakeDigest(env("RF_RELEASE_ID"));
        stdout = JSON.stringify({
            ref: `${repo}@${digest}`,
            digest,
            tag: `${repo}:${env("RF_RELEASE_ID")}`,
            version: "4.19.10",
            from: env("RF_FROM_RELEASE"),
        });
    } else if (create.includes("release-os-image.sh")) {
        const release = env("RF_RELEASE");
        stdout = JSON.stringify({
            release,
            component: env("RF_OS_COMPONENT"),
            image: releaseOsImage(release),
            version: "4.19.12",
        });
    } else if (create.includes("prune-images.sh")) {
        stdout = JSON.stringify({
            kept: env("RF_PROTECT").split(" ").filter(Boolean),
            deleted: [],
            refused: [],
            warnings: [],
        });
    } else if (create.includes("sbom-image.sh")) {
        const ref = env("RF_IMAGE_REF");
        const [repo, digest] = [ref.split("@")[0] ?? "", ref.split("@")[1] ?? ""];
        const d = fakeDigest(`sbom-${digest}`);
        stdout = JSON.stringify({
            ref: `${repo}@${d}`,
            digest: d,
            tag: `${repo}:${digest.replace(":", "-")}.sbom`,
            packages: 498,
        });
    } else if (create.includes("sign-image.sh")) {
        // The key's fingerprint comes from the public key the bundle carries, as sign-image.sh does.
        const ref = env("RF_IMAGE_REF");
        const digest = ref.split("@")[1] ?? "";
        const pub = /^publickey (\S+)$/m.exec(String(unwrapSecrets(inputs.stdin) ?? ""))?.[1] ?? "";
        const keySha256 = createHash("sha256")
            .update(createPublicKey(Buffer.from(pub, "base64").toString()).export({ format: "der", type: "spki" }))
            .digest("hex");
        stdout = JSON.stringify({
            ref,
            digest,
            signature: `${ref.split("@")[0]}:${digest.replace(":", "-")}.sig`,
            signatureDigest: fakeDigest(`sig-${ref}`),
            keySha256,
            signed: true,
        });
    }
    return { ...inputs, stdout: `progress would be on stderr\n${stdout}\n`, stderr: "" };
}

export const CLUSTER_BASE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${fakeDigest("cluster-base")}`;
/** The rhel-coreos the mocked release-os-image.sh reads from a release's payload. */
export const releaseOsImage = (release: string): string =>
    `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${fakeDigest(`rhel-coreos-of-${release}`)}`;

/**
 * `stackOutputs`: the outputs each stack a StackReference names has, by `org/project/stack`
 * (what the engine's read of the other stack's checkpoint returns).
 */
export function installMocks(
    opts: { preview?: boolean; stackOutputs?: Record<string, Record<string, unknown>> } = {},
): void {
    void pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                const inputs = args.inputs as Record<string, unknown>;
                if (args.id !== undefined && args.id !== "" && args.type === "kubernetes:core/v1:ConfigMap") {
                    reads.push({ type: args.type, name: args.name, id: args.id });
                    return {
                        id: args.id,
                        state: { ...inputs, data: { baseOSContainerImage: CLUSTER_BASE, osImageURL: "" } },
                    };
                }
                switch (args.type) {
                    case "pulumi:pulumi:StackReference": {
                        const name = String(inputs.name ?? args.id);
                        const outputs = opts.stackOutputs?.[name];
                        if (outputs === undefined) throw new Error(`unknown stack ${name}`);
                        reads.push({ type: args.type, name: args.name, id: name });
                        return { id: name, state: { name, outputs, secretOutputNames: [] } };
                    }
                    case "command:local:Command":
                        // A generated secret's keeper (components/host/generatedSecret.ts) prints its stdin
                        // back; the mirror's is a fixed value, so tests can look for it (the host key
                        // pair is the real generator's candidate).
                        if (inputs.create === "cat") {
                            const kept = args.name.endsWith("-password")
                                ? JSON.stringify({ password: MOCK_MIRROR_PASSWORD })
                                : String(unwrapSecrets(inputs.stdin)).replace(/\n$/, "");
                            return { id: `${args.name}-id`, state: { ...inputs, stdout: kept, stderr: "" } };
                        }
                        return { id: `${args.name}-id`, state: commandState(inputs) };
                    case "command:remote:Command":
                        return { id: `${args.name}-id`, state: commandState(inputs) };
                    case "digitalocean:index/droplet:Droplet":
                        return {
                            id: "424242",
                            state: { ...inputs, ipv4Address: "198.51.100.7", ipv4AddressPrivate: "10.114.0.2" },
                        };
                    case "digitalocean:index/sshKey:SshKey":
                        return {
                            id: "1001",
                            state: { ...inputs, fingerprint: "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa" },
                        };
                    default:
                        return { id: `${args.name}-id`, state: inputs };
                }
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                return args.inputs as Record<string, unknown>;
            },
        },
        "rhcos-forge",
        "dev",
        opts.preview ?? false,
    );

    // Wrap the mock monitor to see what setMocks' newResource does not: parents and dependencies.
    const monitor = settings.getMonitor() as unknown as {
        registerResource(req: RegisterRequest, cb: (err: unknown, resp: unknown) => void): Promise<void>;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = async (req, cb) => {
        const raw = req.getObject()?.toJavaScript() ?? {};
        const parent = req.getParent();
        const type = req.getType();
        const name = req.getName();
        const parentType = parent ? parent.split("::")[2].split("$").pop() : undefined;
        registrations.push({
            type,
            name,
            urn: `urn:pulumi:dev::rhcos-forge::${parentType ? `${parentType}$` : ""}${type}::${name}`,
            parent,
            custom: req.getCustom(),
            dependencies: req.getDependenciesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            ignoreChanges: req.getIgnorechangesList(),
            raw,
            inputs: unwrapSecrets(raw) as Record<string, unknown>,
        });
        return original(req, cb);
    };
}

interface RegisterRequest {
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getParent(): string;
    getType(): string;
    getName(): string;
    getIgnorechangesList(): string[];
    getCustom(): boolean;
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
    getAdditionalsecretoutputsList(): string[];
}

/** Resolves an Output in a test (unknowns never occur under mocks outside preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve =>
        output.apply(v => {
            resolve(v);
            return v;
        }),
    );
}

export type Program = StackOutputs;

/**
 * Runs the program as index.ts does (config parsed once, then the pipeline) under the mocks
 * installed and the config set by the caller, and waits until its image and rollout outputs have
 * resolved and registrations have settled. No cluster is behind the mocks: rollout waits are
 * skipped unless the test passes the access of a fake cluster.
 */
export async function runProgram(opts: { access?: ClusterAccess } = {}): Promise<Program> {
    const program = buildPipeline(parseStackConfig(pulumi.runtime.allConfig()), { clusterAccess: opts.access });
    await valueOf(program.image.ref);
    await valueOf(program.rollout.pools);
    await settle();
    return program;
}

/** A cluster whose API answers a GET of `path` with `answer()`, any other with nothing; `asked` records the paths. */
export function answeringAccess(path: string, answer: () => unknown, asked: string[]): ClusterAccess {
    const get = async (p: string): Promise<unknown> => {
        asked.push(p);
        return p === path ? answer() : undefined;
    };
    return { connect: () => ({ get }), pollMs: 1, clock: realClock };
}

/** Runs the program (runProgram) in node:test's `before`; the tests read it as `ran.program`. */
export function runBefore(opts: { access?: ClusterAccess } = {}): { readonly program: Program } {
    const ran: { program?: Program } = {};
    before(async () => {
        ran.program = await runProgram(opts);
    });
    return {
        get program(): Program {
            if (ran.program === undefined) throw new Error("the program has not run yet (read it inside a test)");
            return ran.program;
        },
    };
}

export async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise(r => setImmediate(r));
    await new Promise(r => setTimeout(r, 50));
}

export function find(type: string, name: string): Registration {
    const found = registrations.find(r => r.type === type && r.name === name);
    if (!found)
        throw new Error(`no ${type} named ${name}; have ${registrations.map(r => `${r.type}::${r.name}`).join(", ")}`);
    return found;
}

/** The registered remote commands (command:remote:Command) of these names, in order. */
export function commands(...names: string[]): Registration[] {
    return names.map(n => find("command:remote:Command", n));
}

/** The remote command `<component>-<role>`, checked to be a child of the component `type` `component`. */
export function commandUnder(type: string, component: string, role: string): Registration {
    const command = find("command:remote:Command", `${component}-${role}`);
    assert.equal(command.parent, find(type, component).urn);
    return command;
}

/** Every registration this one depends on, transitively (through dependencies and parents' children). */
export function dependsOnTransitively(from: Registration, target: Registration): boolean {
    const byUrn = new Map(registrations.map(r => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [...from.dependencies];
    while (stack.length > 0) {
        const urn = stack.pop() as string;
        if (urn === target.urn) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const r = byUrn.get(urn);
        if (r) stack.push(...r.dependencies);
        // A dependency on a component is a dependency on its children.
        for (const child of registrations) if (child.parent === urn) stack.push(child.urn);
    }
    return false;
}

/** The build host's ssh key of the test stacks: made for this run, never committed. */
const TEST_SSH_KEY = throwawayOpenSshKey();

/** A test stack: the committed dev stack plus its secrets (the ssh key made for the run). */
export const TEST_SECRETS = {
    sshPrivateKey: TEST_SSH_KEY,
    registryAuth: JSON.stringify({
        auths: { "quay.io": { auth: Buffer.from("robot:s3cr3t-registry-token").toString("base64") } },
    }),
    mirrorPasswords: JSON.stringify({ "rhel-9-appstream": "s3cr3t-repo-password" }),
    kubeconfig:
        "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: " +
        'u}}]\nclusters: [{name: k, cluster: {server: "https://api.example.com:6443"}}]\nusers: [{name: u, ' +
        "user: {token: s3cr3t-kube-token}}]\n",
};

/** Hands `config` to the program as the engine does, the keys of `secrets` (rhcos-forge:<key>) marked secret. */
export function setStackConfig(config: Record<string, string>, secrets: object = TEST_SECRETS): void {
    pulumi.runtime.setAllConfig(
        config,
        Object.keys(secrets).map(k => `rhcos-forge:${k}`),
    );
}
export const SECRET_VALUES = [
    "s3cr3t-registry-token",
    Buffer.from("robot:s3cr3t-registry-token").toString("base64"),
    "s3cr3t-repo-password",
    "s3cr3t-kube-token",
    // the key's random lines (the first line is the same for every ed25519 key, the last holds its comment)
    ...pemBody(TEST_SSH_KEY).split("\n").slice(1, -1),
    MOCK_MIRROR_PASSWORD,
];

/**
 * The stack config of the ssh build host tests: `buildHost` as given, one EPEL repo mirrored (plus
 * `mirror`'s keys), a debug image, MachineConfigs rendered for pool worker, the test secrets.
 */
export function setSshStackConfig(
    buildHost: Record<string, unknown>,
    mirror: Record<string, unknown>,
    baseDigest: string,
): void {
    pulumi.runtime.setAllConfig(
        {
            "rhcos-forge:buildHost": JSON.stringify(buildHost),
            "rhcos-forge:mirror": JSON.stringify({
                repos: [
                    {
                        id: "epel-9",
                        baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/",
                        gpgcheck: false,
                    },
                ],
                ...mirror,
            }),
            "rhcos-forge:image": JSON.stringify({
                base: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${baseDigest}`,
                repository: "registry.example.com/ocp/rhcos-debug",
                packages: ["htop"],
            }),
            "rhcos-forge:cluster": JSON.stringify({ renderTo: "out/manifests" }),
            "rhcos-forge:rollout": JSON.stringify({ pools: [{ name: "worker" }] }),
            "rhcos-forge:sshPrivateKey": TEST_SECRETS.sshPrivateKey,
            "rhcos-forge:registryAuth": TEST_SECRETS.registryAuth,
        },
        ["rhcos-forge:sshPrivateKey", "rhcos-forge:registryAuth"],
    );
}

/**
 * What a CopyToRemote of a step ships: the remote directory it fills (upstream copies a source
 * directory into `<remotePath>/<its name>`) and the files of the staged local directory.
 */
export async function shippedScripts(name: string): Promise<{ remoteDir: string; files: string[] }> {
    const copy = find("command:remote:CopyToRemote", name);
    const source = copy.inputs.source as { path?: unknown };
    const local = String(await source.path);
    return {
        remoteDir: path.posix.join(String(copy.inputs.remotePath), path.basename(local)),
        files: fs.readdirSync(local).sort(),
    };
}
