// The fleet keys: a cluster stack that rolls out another stack's image (rhcos-forge:image.from),
// promotion rings, per-pool health gates and cluster upgrades. Plain zod sections and the
// cross-field checks that go with them; parse.ts decides which stack schema a config takes.
import { z } from "zod";
import { DIGEST_REF } from "../openshift/pullspec";

/**
 * A Pulumi stack name as StackReference takes it: `org/project/stack` (the file backend's
 * organization is literally `organization`). Fully qualified on purpose: a bare `stack` resolves
 * against the current project, which for a fleet is usually the wrong one.
 */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** What a stack takes from the stack image.from names (docs/fleet.md, "The output contract"). */
export const TAKE = ["finished", "image"] as const;
export type Take = (typeof TAKE)[number];

export const imageFromSchema = z
    .object({
        stack: z
            .string({ required_error: "is required: the stack the image comes from, as org/project/stack" })
            .regex(
                STACK_NAME,
                'must be a fully qualified stack name org/project/stack (the file backend\'s org is "organization")',
            )
            .describe("The stack whose image this stack rolls out, org/project/stack (read through a StackReference)."),
        take: z
            .enum(TAKE)
            .default("finished")
            .describe(
                "finished: the source's rollout.finished, the image it has finished rolling out on every pool " +
                    "(a promotion ring); image: the source's image output, what it built (the first ring after an " +
                    "image stack).",
            ),
    })
    .strict();

/** image keys a cluster stack (image.from) may set: everything else builds, and it builds nothing. */
export const IMAGE_FROM_KEYS = ["from", "allowBaseMismatch"] as const;

/**
 * Top-level keys only a building stack reads. With image.from each of them is refused: accepted,
 * it would be silently ignored (the stack has no build host, mirror, build, release or signing).
 */
export const BUILD_KEYS = [
    "buildHost",
    "mirror",
    "release",
    "sshPrivateKey",
    "registryAuth",
    "mirrorPasswords",
    "mirrorPassword",
    "mirrorClientCerts",
    "rhsmOrg",
    "rhsmActivationKey",
    "signingKey",
    "signingPassphrase",
] as const;

export const clusterStackImageSchema = z
    .object({
        from: imageFromSchema,
        allowBaseMismatch: z
            .boolean()
            .default(false)
            .describe("Roll out even when the source image's base is not this cluster's baseOSContainerImage."),
    })
    .strict();

const minutes = (max: number) =>
    z
        .number({ invalid_type_error: `must be a number of minutes (0-${max})` })
        .int(`must be a number of minutes (0-${max})`)
        .min(0, `must be a number of minutes (0-${max})`)
        .max(max, `must be a number of minutes (0-${max})`);

/** A pool's health check: a Job pinned to the pool's nodes that must succeed after the soak. */
export const healthCheckSchema = z
    .object({
        image: z
            .string({ required_error: "is required: the check's container image, pinned by digest" })
            .regex(DIGEST_REF, "must be pinned by digest (…@sha256:<64 hex>)")
            .describe("Container image of the check, by digest."),
        command: z
            .array(z.string().min(1, "must be a non-empty argument"))
            .min(1, "must list the command and its arguments")
            .describe("Command and arguments (exec form, no shell) the Job's container runs; exit 0 passes."),
        namespace: z
            .string()
            .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a namespace name")
            .default("default")
            .describe("Namespace the Job runs in."),
        timeoutMinutes: minutes(120)
            .default(10)
            .describe("How long the Job may take before the check counts as failed."),
    })
    .strict();

/** Fields added to each rollout.pools[] entry. */
export const poolHealthFields = {
    soakMinutes: minutes(1440)
        .optional()
        .describe(
            "After the pool reports Updated, how long every node of the pool must stay Ready without memory, " +
                "disk or PID pressure before the next pool starts; a failing node reverts the pool.",
        ),
    healthCheck: healthCheckSchema
        .optional()
        .describe(
            "A Job pinned to the pool's nodes (nodeSelector on the pool's role label) that must succeed after " +
                "the soak; a failure reverts the pool.",
        ),
};

/** A release by digest or an OpenShift version x.y.z. */
const RELEASE_VERSION = /^4\.(1[6-9]|2[0-9])\.[0-9]{1,3}$/;

export const upgradeSchema = z
    .object({
        version: z
            .string()
            .regex(RELEASE_VERSION, "must be an OpenShift release version x.y.z such as 4.20.8")
            .optional()
            .describe(
                "Target version (ClusterVersion spec.desiredUpdate.version): must be one the cluster offers " +
                    "(status.availableUpdates or conditionalUpdates), which names its release image.",
            ),
        image: z
            .string()
            .regex(DIGEST_REF, "must be a release image pinned by digest (…@sha256:<64 hex>)")
            .optional()
            .describe(
                "Target release image by digest (desiredUpdate.image); its payload's version is checked " +
                    "against the update paths before anything changes.",
            ),
        eus: z
            .boolean()
            .default(false)
            .describe(
                "The cluster follows the EUS-to-EUS path. A two-minor target is still refused: the path " +
                    "passes the control plane through 4.y+1, which rhcos-forge does not carry out; upgrade one " +
                    "minor at a time.",
            ),
    })
    .strict()
    .superRefine((u, ctx) => {
        if ((u.version === undefined) === (u.image === undefined)) {
            ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message: "must have exactly one of version (x.y.z) or image (a release by digest)",
            });
        }
    });

export type ImageFrom = z.output<typeof imageFromSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
export type UpgradeConfig = z.output<typeof upgradeSchema>;

type Issue = (path: (string | number)[], message: string) => void;

/** The raw config value counts as set: not absent, not the empty default Pulumi.yaml gives it. */
function isSet(value: unknown): boolean {
    if (value === undefined || value === "") return false;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return Object.keys(value).length > 0;
    return true;
}

/**
 * image.from together with keys that build: named one by one, before the schema runs, so the
 * message says which key to drop rather than that the key is unknown.
 */
export function checkImageFromRaw(raw: Record<string, unknown>, issue: Issue): void {
    const image = raw.image as Record<string, unknown> | undefined;
    const from = image?.from as { stack?: unknown } | undefined;
    const source = typeof from?.stack === "string" ? from.stack : "the source stack";
    const why = `with rhcos-forge:image.from (this stack builds nothing: it rolls out the image ${source} built)`;
    for (const key of Object.keys(image ?? {})) {
        if (!(IMAGE_FROM_KEYS as readonly string[]).includes(key)) issue(["image", key], `must be unset ${why}`);
    }
    for (const key of BUILD_KEYS) {
        if (isSet(raw[key])) issue([key], `must be unset ${why}`);
    }
}

/** Cross-field checks of the health gates and the upgrade, for either kind of stack. */
export function checkFleet(
    cfg: {
        rollout: {
            method: string;
            pools: readonly {
                name: string;
                nodes: readonly string[];
                soakMinutes?: number;
                healthCheck?: HealthCheck;
                paused: boolean;
            }[];
        };
        cluster: { openshiftVersion: string; renderTo?: string; upgrade?: UpgradeConfig };
        kubeconfig?: string;
        image?: { from?: unknown; base?: string; builder?: string };
    },
    issue: Issue,
): void {
    cfg.rollout.pools.forEach((pool, i) => {
        // The Job is pinned to the pool's nodes by the pool's role label: a pool without nodes to
        // label (a custom pool with none listed) gives the check nowhere to run.
        if (
            pool.healthCheck !== undefined &&
            pool.name !== "worker" &&
            pool.name !== "master" &&
            pool.nodes.length === 0
        ) {
            issue(
                ["rollout", "pools", i, "healthCheck"],
                `needs a pool with nodes to run on: pool ${pool.name} lists no nodes ` +
                    `(rhcos-forge:rollout.pools[${i}].nodes), so a Job pinned to it would never be scheduled`,
            );
        }
        if (pool.healthCheck !== undefined && pool.paused) {
            issue(
                ["rollout", "pools", i, "healthCheck"],
                `needs the pool to update: pool ${pool.name} is paused ` +
                    `(rhcos-forge:rollout.pools[${i}].paused), so the check would run on the old image`,
            );
        }
    });
    const gated = cfg.rollout.pools.some(p => (p.soakMinutes ?? 0) > 0 || p.healthCheck !== undefined);
    if (gated && cfg.rollout.method !== "machineconfig") {
        issue(
            ["rollout", "method"],
            "must be machineconfig with rhcos-forge:rollout.pools[].soakMinutes or healthCheck: reverting a " +
                "pool points its MachineConfig back at the previous digest",
        );
    }
    const up = cfg.cluster.upgrade;
    if (up === undefined) return;
    if (cfg.rollout.method !== "machineconfig") {
        issue(
            ["cluster", "upgrade"],
            "needs rhcos-forge:rollout.method machineconfig (the image is rebuilt FROM the target release's " +
                "rhel-coreos and set as the pools' osImageURL)",
        );
    }
    if (cfg.cluster.renderTo !== undefined || cfg.kubeconfig === undefined) {
        issue(
            ["cluster", "upgrade"],
            "needs rhcos-forge:kubeconfig and no cluster.renderTo: the upgrade waits for ClusterVersion and " +
                "the machine-config ClusterOperator between its steps",
        );
    }
    // Refinements run on a version the regex already refused (zod marks it dirty, not aborted).
    if (up.version !== undefined && RELEASE_VERSION.test(up.version)) {
        const problem = upgradeStepProblem(cfg.cluster.openshiftVersion, up.version, up.eus);
        if (problem !== undefined) issue(["cluster", "upgrade", "version"], problem);
        else if (minorStep(cfg.cluster.openshiftVersion, up.version) === 2) {
            // EUS-to-EUS sets desiredUpdate twice (4.y+1, then 4.y+2) with the pools paused
            // throughout; this program sets it once.
            issue(
                ["cluster", "upgrade", "version"],
                `is ${up.version}, two minors past the cluster's ${cfg.cluster.openshiftVersion}: the ` +
                    `EUS-to-EUS path passes the control plane through ` +
                    `4.${minorOf(cfg.cluster.openshiftVersion) + 1}, which rhcos-forge does not carry out; ` +
                    `upgrade to 4.${minorOf(cfg.cluster.openshiftVersion) + 1} first`,
            );
        }
    }
    // The procedure unpauses every pool itself once its MachineConfig names the new image.
    cfg.rollout.pools.forEach((pool, i) => {
        if (pool.paused)
            issue(
                ["rollout", "pools", i, "paused"],
                `must be false with rhcos-forge:cluster.upgrade: the upgrade pauses pool ${pool.name} itself ` +
                    `and unpauses it once its MachineConfig names the image built FROM the target release (a pool ` +
                    `left paused would stay on the old RHCOS)`,
            );
    });
    if (cfg.rollout.pools.length === 0)
        issue(
            ["rollout", "pools"],
            "must list the layered pools with rhcos-forge:cluster.upgrade (they are paused through the " +
                "control plane update)",
        );
    if (cfg.image !== undefined) checkUpgradeImage(cfg.image, issue);
}

/**
 * The image an upgrade rolls out is built FROM the target release's rhel-coreos: a cluster stack
 * (image.from) builds nothing, a cosa build or a base pinned by digest would not start FROM it.
 */
function checkUpgradeImage(image: { from?: unknown; base?: string; builder?: string }, issue: Issue): void {
    if (image.from !== undefined) {
        issue(
            ["cluster", "upgrade"],
            "needs a stack that builds (no rhcos-forge:image.from): the upgrade rebuilds the layered image " +
                "FROM the target release's rhel-coreos before anything changes; set cluster.upgrade on the image " +
                "stack that rolls out to this cluster, or upgrade this cluster with the paused-pool procedure by " +
                "hand",
        );
        return;
    }
    if (image.builder !== undefined && image.builder !== "podman") {
        issue(
            ["image", "builder"],
            "must be podman with rhcos-forge:cluster.upgrade: the layered image is rebuilt FROM the target " +
                "release's rhel-coreos",
        );
    }
    if (image.base !== undefined && image.base !== "cluster") {
        issue(
            ["image", "base"],
            `must be "cluster" with rhcos-forge:cluster.upgrade (got ${image.base}): the upgrade builds FROM ` +
                `the target release's rhel-coreos, read from its payload; a base pinned by digest would keep the ` +
                `old RHCOS`,
        );
    }
}

const minorOf = (version: string): number => Number(version.split(".")[1]);
const minorStep = (current: string, target: string): number => minorOf(target) - minorOf(current);

/**
 * The update paths OpenShift documents (openshift-docs updating/updating_a_cluster/
 * control-plane-only-update.adoc, "Performing a Control Plane Only update"): minor updates are
 * serialized, 4.y to 4.y+1 and then to 4.y+2, never 4.y to 4.y+2 directly; between two
 * even-numbered (EUS) minors the control plane still passes through 4.y+1, with the worker and
 * custom pools paused, so their nodes reboot once. No downgrades. The target is set as ClusterVersion
 * spec.desiredUpdate (openshift/api config/v1/types_cluster_version.go: version and/or image).
 */
export function upgradeStepProblem(current: string, target: string, eus: boolean): string | undefined {
    const [cMaj, cMin] = current.split(".").map(Number);
    const [tMaj, tMin] = target.split(".").map(Number);
    if (tMaj !== cMaj) return `is ${target}, another major than the cluster's ${current}`;
    const step = tMin - cMin;
    if (step < 0)
        return (
            `is ${target}, older than the cluster's ${current} (rhcos-forge:cluster.openshiftVersion): OpenShift ` +
            `does not support downgrades`
        );
    if (step <= 1) return undefined;
    if (step === 2 && eus && cMin % 2 === 0) return undefined;
    if (step === 2 && eus)
        return `is ${target}: the EUS-to-EUS path starts on an even (EUS) minor, and ${current} is not one`;
    return (
        `is ${target}, ${step} minors past the cluster's ${current}: OpenShift updates one minor at a ` +
        `time${step === 2 && cMin % 2 === 0 ? " (or EUS-to-EUS: set rhcos-forge:cluster.upgrade.eus=true)" : ""}; ` +
        `update to 4.${cMin + 1} first`
    );
}
