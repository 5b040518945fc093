// The policy pack's rules as pure functions over plain resources (type, name, props), so they are
// unit-tested without the policy engine; policy/index.ts only wraps them in @pulumi/policy.
// They restate, at the engine boundary, what the program already enforces in config, so a stack
// that bypasses config.ts (a fleet stack using OsImageRollout directly, say) is held to it too.
import { DIGEST_REF } from "../components/openshift/pullspec";

export interface ResourceLike {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
}

const MCO = "kubernetes:machineconfiguration.openshift.io";
const isKind = (r: ResourceLike, kind: string): boolean => r.type.startsWith(`${MCO}/`) && r.type.endsWith(`:${kind}`);
const get = (v: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
        (cur, k) => (cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined),
        v,
    );

/** A node must never boot a tag: the image behind it can change without a rollout. */
export function osImageUrlPinned(r: ResourceLike): string[] {
    if (!isKind(r, "MachineConfig")) return [];
    const url = get(r.props, "spec", "osImageURL");
    if (url === undefined || url === "") return [];
    return typeof url === "string" && DIGEST_REF.test(url)
        ? []
        : [`MachineConfig ${r.name}: osImageURL ${JSON.stringify(url)} is not pinned by digest (repo@sha256:<64 hex>)`];
}

/** Control-plane nodes get a custom OS only on purpose (policy config allowMaster). */
export function noMasterRollout(r: ResourceLike, allowMaster: boolean): string[] {
    if (allowMaster) return [];
    const role = get(r.props, "metadata", "labels", "machineconfiguration.openshift.io/role");
    if (isKind(r, "MachineConfig") && role === "master") {
        return [`MachineConfig ${r.name} targets the master pool; set the policy config allowMaster: true to allow it`];
    }
    if (isKind(r, "MachineOSConfig") && get(r.props, "spec", "machineConfigPool", "name") === "master") {
        return [
            `MachineOSConfig ${r.name} builds for the master pool; set the policy config allowMaster: true to allow it`,
        ];
    }
    return [];
}

export interface MaxUnavailableBounds {
    /** Largest node count a pool may update at once. */
    readonly maxCount: number;
    /** Largest percentage a pool may update at once. */
    readonly maxPercent: number;
}

export const DEFAULT_BOUNDS: MaxUnavailableBounds = { maxCount: 3, maxPercent: 25 };

/** A pool taking too many nodes down at once turns a bad image into an outage. */
export function maxUnavailableBounded(r: ResourceLike, bounds: MaxUnavailableBounds = DEFAULT_BOUNDS): string[] {
    if (!isKind(r, "MachineConfigPool") && !isKind(r, "MachineConfigPoolPatch")) return [];
    const value = get(r.props, "spec", "maxUnavailable");
    if (value === undefined || value === null) return [];
    const pool = String(get(r.props, "metadata", "name") ?? r.name);
    if (typeof value === "number") {
        return Number.isInteger(value) && value >= 1 && value <= bounds.maxCount
            ? []
            : [`pool ${pool}: maxUnavailable ${value} is outside 1..${bounds.maxCount}`];
    }
    const pct = /^([0-9]+)%$/.exec(String(value));
    if (pct !== null && Number(pct[1]) >= 1 && Number(pct[1]) <= bounds.maxPercent) return [];
    return [
        `pool ${pool}: maxUnavailable ${JSON.stringify(value)} is outside 1%..${bounds.maxPercent}% (or ` +
            `1..${bounds.maxCount} nodes)`,
    ];
}

/** Credential shapes rhcos-forge handles: SSH/TLS private keys, auth.json, kubeconfig secrets. */
const CREDENTIALS: [string, RegExp][] = [
    ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ["a registry auth.json", /"auths"\s*:\s*\{[^}]*"auth"\s*:/],
    ["a registry credential", /"auth"\s*:\s*"[A-Za-z0-9+/=]{8,}"/],
    ["a kubeconfig client key", /client-key-data\s*:/],
    ["a kubeconfig token", /(^|[\s{,])token\s*:\s*[^\s"',}]{8,}/m],
];

/**
 * Where a resource legitimately holds credentials (the program marks these secret): everything
 * else, stack outputs included, must not contain one. The policy engine hands policies secret
 * values unwrapped, so secretness cannot be checked there; where a credential may appear can.
 */
const CREDENTIAL_FIELDS: Record<string, readonly string[]> = {
    "kubernetes:core/v1:Secret": ["data", "stringData"],
    "pulumi:providers:kubernetes": ["kubeconfig"],
    "command:remote:Command": ["stdin", "connection"],
    "command:remote:CopyToRemote": ["connection"],
    "command:local:Command": ["stdin"],
};

function scan(value: unknown, path: string, out: string[]): void {
    if (typeof value === "string") {
        for (const [what, re] of CREDENTIALS) if (re.test(value)) out.push(`${path} holds ${what}`);
    } else if (Array.isArray(value)) {
        value.forEach((v, i) => scan(v, `${path}[${i}]`, out));
    } else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) scan(v, path ? `${path}.${k}` : k, out);
    }
}

/** Credentials anywhere but the fields made for them; never echoes the value. */
export function noPlainSecrets(r: ResourceLike): string[] {
    const allowed = CREDENTIAL_FIELDS[r.type] ?? [];
    const found: string[] = [];
    for (const [k, v] of Object.entries(r.props)) {
        if (!allowed.includes(k)) scan(v, k, found);
    }
    const what = r.type === "pulumi:pulumi:Stack" ? "stack output" : `${r.type} ${r.name}`;
    return found.map(f => `${what}: ${f}; keep credentials in secrets, out of outputs and plain inputs`);
}
