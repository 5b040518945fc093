// Parsing the raw stack config once, and the error a bad stack fails with: one message naming
// every bad key (its full `rhcos-forge:` name), the value given (never a secret's) and what is
// expected. index.ts calls parseStackConfig before any resource is registered.
import { z } from "zod";
import { ParsedStack } from "./checked";
import { NAMESPACE, stackConfigSchema } from "./schema";
import { ClusterStackConfig, clusterStackSchema } from "./clusterStack";
import { BUILD_KEYS, checkImageFromRaw } from "./fleet";

/** Keys whose values are secrets: never echoed in errors, always wrapped in pulumi.secret. */
export const SECRET_KEYS = [
    "sshPrivateKey",
    "registryAuth",
    "mirrorPasswords",
    "kubeconfig",
    "signingKey",
    "signingPassphrase",
    "mirrorClientCerts",
    "rhsmOrg",
    "rhsmActivationKey",
    "mirrorPassword",
] as const;
/** Keys whose values are structured (JSON in the stack file). */
/** Optional sections, declared in Pulumi.yaml with `default: {}`. */
const OPTIONAL_SECTIONS = new Set(["release", "buildHost"]);
const OBJECT_KEYS = new Set([
    "buildHost",
    "mirror",
    "image",
    "cluster",
    "rollout",
    "mirrorPasswords",
    "mirrorClientCerts",
    "release",
]);

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid rhcos-forge stack configuration:\n${problems.map(p => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
    let cur: unknown = root;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur;
}

/**
 * `rhcos-forge:a.b[0].c`, in the `pulumi config set --path` syntax: a key that is not plain
 * (an unknown or map key with dots, spaces, quotes, unicode...) is quoted, `a["b c"]`, so the
 * message names exactly the key given and always stays on one line.
 */
function keyName(path: (string | number)[]): string {
    return (
        `${NAMESPACE}:` +
        path.reduce<string>(
            (acc, seg) =>
                typeof seg === "number"
                    ? `${acc}[${seg}]`
                    : !/^[A-Za-z0-9_-]+$/.test(seg)
                      ? `${acc}[${JSON.stringify(seg)}]`
                      : acc === ""
                        ? seg
                        : `${acc}.${seg}`,
            "",
        )
    );
}

function describeValue(path: (string | number)[], raw: unknown): string {
    const v = valueAt(raw, path);
    if (v === undefined) return "nothing";
    if (SECRET_KEYS.includes(path[0] as (typeof SECRET_KEYS)[number])) return "a secret value";
    const text = JSON.stringify(v);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatIssue(issue: z.ZodIssue, raw: unknown): string[] {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
        return issue.keys.map(
            k =>
                `${keyName([...issue.path, k])} is not a known key (check its spelling against the README's ` +
                `config reference)`,
        );
    }
    if (issue.code === z.ZodIssueCode.invalid_union_discriminator) {
        return [
            `${keyName(issue.path)} must be one of ${issue.options.map(o => JSON.stringify(o)).join(", ")}, ` +
                `got ${describeValue(issue.path, raw)}`,
        ];
    }
    let message = issue.message;
    if (issue.code === z.ZodIssueCode.invalid_type) {
        // zod's own texts ("Required", "Expected number, received string") become ours; custom ones stay.
        if (issue.received === "undefined") {
            return [`${keyName(issue.path)} ${message === "Required" ? "is required" : message}, got nothing`];
        }
        if (message.startsWith("Expected ")) message = `must be ${issue.expected}`;
    } else if (issue.code === z.ZodIssueCode.invalid_enum_value) {
        message = `must be one of ${issue.options.map(o => JSON.stringify(o)).join(", ")}`;
    }
    // A custom issue may carry a hint about the value itself (e.g. that it is a YAML number): it
    // reads best after the value it is about.
    const hint =
        issue.code === z.ZodIssueCode.custom && typeof issue.params?.hint === "string" ? ` (${issue.params.hint})` : "";
    return [`${keyName(issue.path)} ${message}, got ${describeValue(issue.path, raw)}${hint}`];
}

/**
 * The most values one config key may hold. The schema reports every bad entry of every list, so an
 * absurdly large value (millions of empty list entries, found by the config fuzz test) would make
 * millions of problems and exhaust the heap; it is refused before the schema sees it.
 */
export const MAX_VALUES_PER_KEY = 100_000;

/** How many values (each scalar, list and map, nested) `value` holds, counting stops past `limit`. */
function countValues(value: unknown, limit: number): number {
    let n = 0;
    const stack: unknown[] = [value];
    while (stack.length > 0 && n <= limit) {
        const v = stack.pop();
        n++;
        if (Array.isArray(v)) for (const e of v) stack.push(e);
        else if (v !== null && typeof v === "object") for (const e of Object.values(v)) stack.push(e);
    }
    return n;
}

/** The raw `rhcos-forge:*` values, structured ones parsed, and the problems found doing so. */
function readRaw(allConfig: Record<string, string>): { raw: Record<string, unknown>; problems: string[] } {
    const raw: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [fullKey, text] of Object.entries(allConfig)) {
        const sep = fullKey.indexOf(":");
        if (fullKey.slice(0, sep) !== NAMESPACE) continue;
        const key = fullKey.slice(sep + 1);
        if (OBJECT_KEYS.has(key)) {
            // Pulumi.yaml gives optional sections an empty default: empty means unset.
            if (OPTIONAL_SECTIONS.has(key) && text === "{}") continue;
            try {
                const value: unknown = JSON.parse(text);
                const n = countValues(value, MAX_VALUES_PER_KEY);
                if (n > MAX_VALUES_PER_KEY) {
                    problems.push(
                        `${fullKey} holds more than ${MAX_VALUES_PER_KEY} values (lists, maps and their ` +
                            `entries); no stack needs that many, so check it for a generated or repeated list`,
                    );
                    continue;
                }
                raw[key] = value;
            } catch {
                const secret = SECRET_KEYS.includes(key as (typeof SECRET_KEYS)[number]);
                problems.push(
                    `${fullKey} must be a structured value (YAML map or list), got ` +
                        `${secret ? "a secret value" : JSON.stringify(text)}`,
                );
            }
        } else if (text !== "") {
            // Pulumi.yaml declares optional secrets with an empty default: empty means unset.
            raw[key] = text;
        }
    }
    return { raw, problems };
}

/** Runs `schema` over `raw`, adding its issues (except those of keys that did not parse) to `problems`. */
function validate<S extends z.ZodTypeAny>(schema: S, raw: Record<string, unknown>, problems: string[]): z.output<S> {
    const unparsable = new Set(problems.map(p => p.split(" ")[0]));
    const result = schema.safeParse(raw);
    if (!result.success) {
        // A loop, not push(...): a stack with thousands of bad list entries yields more issues
        // than a spread call can pass as arguments (RangeError, found by the config fuzz test).
        for (const line of result.error.issues
            .filter(i => !unparsable.has(keyName(i.path.slice(0, 1))))
            .flatMap(i => formatIssue(i, raw)))
            problems.push(line);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return (result as z.SafeParseSuccess<z.output<S>>).data;
}

/**
 * Turns the raw `rhcos-forge:*` config map (as `pulumi.runtime.allConfig()` returns it: strings,
 * objects as JSON text) into typed config, or throws a ConfigError naming every bad key. The
 * result is typed with what the cross-field checks guarantee (./checked.ts), so the pipeline
 * does not check again what this already refused.
 */
export function parseStackConfig(allConfig: Record<string, string>): ParsedStack {
    const { raw, problems } = readRaw(allConfig);
    // stackConfigSchema's superRefine refused every stack that is not one of ParsedStack's members.
    return validate(stackConfigSchema, raw, problems) as ParsedStack;
}

/** A stack that builds (ParsedStack) or a cluster stack rolling out another stack's image. */
export type AnyStack =
    | { readonly kind: "build"; readonly config: ParsedStack }
    | { readonly kind: "cluster"; readonly config: ClusterStackConfig };

/**
 * What index.ts calls: rhcos-forge:image.from makes the stack a cluster stack (docs/fleet.md),
 * whose build keys are refused by name before its own schema runs; any other stack builds.
 */
export function parseStack(allConfig: Record<string, string>): AnyStack {
    const { raw, problems } = readRaw(allConfig);
    const image = raw.image;
    if (image === null || typeof image !== "object" || !("from" in image))
        return { kind: "build", config: validate(stackConfigSchema, raw, problems) as ParsedStack };
    const issues: string[] = [];
    checkImageFromRaw(raw, (path, message) =>
        issues.push(`${keyName(path)} ${message}, got ${describeValue(path, raw)}`),
    );
    // Build keys are reported once, by the message that says why (or are Pulumi.yaml's empty
    // defaults); the schema checks the rest.
    const rest = Object.fromEntries(
        Object.entries(raw).filter(([k]) => !(BUILD_KEYS as readonly string[]).includes(k)),
    );
    const restImage = Object.fromEntries(
        Object.entries(image).filter(([k]) => !issues.some(i => i.startsWith(`${NAMESPACE}:image.${k} `))),
    );
    return {
        kind: "cluster",
        config: validate(clusterStackSchema, { ...rest, image: restImage }, [...problems, ...issues]),
    };
}
