// The staged-rollout wait, as pure logic: `evaluatePool` turns one observation of a pool (its
// MachineConfigPool, the rendered config it points at and, on-cluster, its MachineOSConfig and
// MachineOSBuilds) into done / waiting / failed, and `waitForPool` polls it with an injected clock,
// so recorded status sequences are replayed in tests without sleeping. The Kubernetes reads live
// in kubeApi.ts; the wiring (which pool waits for which) in osImageRollout.ts.
import { MCO_ANNOTATIONS } from "../openshift/names";
import { Clock, Wake, errorText, pollUntil } from "./poll";
import { NodeSettings } from "../openshift/machineConfig";
import type { MachineOSConfigApi } from "../openshift/machineOsConfig";
import { currentImageOf } from "../openshift/machineOsConfig";

export interface Condition {
    readonly type: string;
    readonly status: string;
    readonly reason?: string;
    readonly message?: string;
}

/** The parts of a MachineConfigPool the wait reads. */
export interface PoolObject {
    readonly metadata?: { readonly name?: string; readonly generation?: number };
    readonly spec?: {
        readonly paused?: boolean;
        readonly configuration?: { readonly name?: string; readonly source?: readonly { readonly name?: string }[] };
        readonly nodeSelector?: LabelSelector;
    };
    readonly status?: {
        readonly observedGeneration?: number;
        readonly configuration?: { readonly name?: string; readonly source?: readonly { readonly name?: string }[] };
        readonly conditions?: readonly Condition[];
        readonly machineCount?: number;
        readonly updatedMachineCount?: number;
        readonly readyMachineCount?: number;
        readonly degradedMachineCount?: number;
    };
}

export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly {
        readonly key: string;
        readonly operator: string;
        readonly values?: readonly string[];
    }[];
}

/** A Node as the wait reads it: the machine-config-daemon's annotations. */
export interface PoolNode {
    readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
}

/** The rendered MachineConfig (`rendered-<pool>-<hash>`) the pool's status points at. */
export interface RenderedConfig {
    readonly metadata?: { readonly name?: string };
    readonly spec?: {
        readonly osImageURL?: string;
        readonly extensions?: readonly string[] | null;
        readonly kernelType?: string;
        readonly kernelArguments?: readonly string[] | null;
    };
}

/** A MachineOSBuild, v1 or v1alpha1 (they name the target rendered config and the image differently). */
export interface BuildObject {
    readonly metadata?: { readonly name?: string; readonly creationTimestamp?: string };
    readonly spec?: {
        readonly machineOSConfig?: { readonly name?: string };
        readonly machineConfig?: { readonly name?: string };
        readonly desiredConfig?: { readonly name?: string };
    };
    readonly status?: {
        readonly conditions?: readonly Condition[];
        readonly digestedImagePushSpec?: string;
        readonly finalImagePullspec?: string;
    };
}

/** The parts of a MachineOSConfig the wait reads. */
export interface MachineOSConfigObject {
    readonly metadata?: { readonly generation?: number; readonly annotations?: Readonly<Record<string, string>> };
    readonly status?: Record<string, unknown>;
}

/**
 * The MachineOSBuild a MachineOSConfig is on: the MCO's build controller sets this annotation when
 * it starts a build (openshift/machine-config-operator pkg/controller/build/constants).
 */
export const CURRENT_BUILD_ANNOTATION = MCO_ANNOTATIONS.currentBuild;

export interface PoolObservation {
    /** Undefined while the pool does not exist (a custom pool not yet seen by the API). */
    readonly pool?: PoolObject;
    /** Undefined until read, or when the pool has no rendered config yet. */
    readonly rendered?: RenderedConfig;
    /** The rendered config the pool's spec names (the one its nodes are moving to). */
    readonly desiredRendered?: RenderedConfig;
    /** The nodes the pool's nodeSelector selects (a failure condition is judged on them). */
    readonly nodes?: readonly PoolNode[];
    /** On-cluster layering only. */
    readonly machineOSConfig?: MachineOSConfigObject;
    readonly builds?: readonly BuildObject[];
}

export interface PoolTarget {
    readonly pool: string;
    /** Our MachineConfig, which must be among the sources of the pool's rendered config. */
    readonly machineConfig?: string;
    /** What the rendered config must contain before "Updated" means our change. */
    readonly settings: NodeSettings;
    /**
     * Set for on-cluster layering: the MachineOSConfig (named after the pool) and its API, and the
     * rebuild annotation when rhcos-forge sets one (the MCO deletes it once the rebuild succeeded).
     */
    readonly onCluster?: { readonly api: MachineOSConfigApi; readonly rebuildAnnotation?: string };
}

export interface Progress {
    readonly machineCount: number;
    readonly updatedMachineCount: number;
    readonly readyMachineCount: number;
    readonly degradedMachineCount: number;
}

export type PoolVerdict =
    | { readonly state: "done"; readonly progress: Progress; readonly image?: string }
    | { readonly state: "waiting"; readonly progress?: Progress; readonly reason: string }
    | { readonly state: "failed"; readonly message: string };

/** Pool conditions that end the rollout, most specific first (Degraded sums up the others). */
const POOL_FAILURES = ["RenderDegraded", "NodeDegraded", "Degraded"];
/**
 * On-cluster, a failed build is judged by the current MachineOSBuild instead: the MCO sets
 * ImageBuildDegraded (and Degraded "Custom OS image build failed") on the pool and clears them
 * only once it starts the next build, so right after a new MachineOSConfig they still describe
 * the previous build (pkg/controller/build/reconciler.go, node/status.go). BuildFailed is the pool
 * condition the 4.16/4.17 build controller set instead; it stays.
 */
const POOL_FAILURES_ON_CLUSTER = ["RenderDegraded", "NodeDegraded", "BuildFailed"];
/** MachineOSBuild conditions that end the rollout. */
const BUILD_FAILURES = ["Failed", "BuildFailed", "Interrupted"];

const isTrue = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined =>
    conditions?.find(c => c.type === type && c.status === "True");

function progressOf(pool: PoolObject): Progress {
    const s = pool.status ?? {};
    return {
        machineCount: s.machineCount ?? 0,
        updatedMachineCount: s.updatedMachineCount ?? 0,
        readyMachineCount: s.readyMachineCount ?? 0,
        degradedMachineCount: s.degradedMachineCount ?? 0,
    };
}

/** What of `want` the rendered config does not show yet (empty when it shows all of it). */
export function missingFromRendered(want: NodeSettings, rendered: RenderedConfig | undefined): string[] {
    const spec = rendered?.spec ?? {};
    const missing: string[] = [];
    if (want.osImageURL !== undefined && spec.osImageURL !== want.osImageURL)
        missing.push(`osImageURL ${want.osImageURL}`);
    for (const ext of want.extensions ?? [])
        if (!(spec.extensions ?? []).includes(ext)) missing.push(`extension ${ext}`);
    const kernel = want.kernelType ?? "default";
    const have = spec.kernelType === undefined || spec.kernelType === "" ? "default" : spec.kernelType;
    if (want.kernelType !== undefined && have !== kernel) missing.push(`kernelType ${kernel}`);
    for (const arg of want.kernelArguments ?? [])
        if (!(spec.kernelArguments ?? []).includes(arg)) missing.push(`kernel argument ${arg}`);
    return missing;
}

/**
 * The build the MachineOSConfig is on (its current-build annotation), if it is for the pool's
 * desired rendered config; without the annotation (older MCOs), the newest build of that config.
 * creationTimestamp has a resolution of one second, so a new Containerfile built for the same
 * rendered config can tie with the previous build: only the annotation tells them apart.
 */
function currentBuild(target: PoolTarget, obs: PoolObservation, desired: string | undefined): BuildObject | undefined {
    const mine = (obs.builds ?? []).filter(
        b =>
            b.spec?.machineOSConfig?.name === target.pool &&
            (desired === undefined || (b.spec?.machineConfig?.name ?? b.spec?.desiredConfig?.name) === desired),
    );
    const named = obs.machineOSConfig?.metadata?.annotations?.[CURRENT_BUILD_ANNOTATION];
    if (named !== undefined) return mine.find(b => b.metadata?.name === named);
    return [...mine].sort((a, b) =>
        (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? ""),
    )[0];
}

const builtImageOf = (build: BuildObject): string | undefined =>
    build.status?.digestedImagePushSpec || build.status?.finalImagePullspec || undefined;

/** machine-config-daemon's node annotations (openshift/machine-config-operator pkg/daemon/constants). */
const NODE_STATE = MCO_ANNOTATIONS.state;
const NODE_REASON = MCO_ANNOTATIONS.reason;
const NODE_DESIRED = MCO_ANNOTATIONS.desired;
const NODE_DESIRED_IMAGE = MCO_ANNOTATIONS.desiredImage;
const NODE_CURRENT_IMAGE = MCO_ANNOTATIONS.currentImage;
const FAILING_STATES = new Set(["Degraded", "Unreconcilable"]);

/** Node name → the reason it was already failing with when the wait began. */
export type DegradedBaseline = ReadonlyMap<string, string>;

/** The pool's nodes failing now (Degraded or Unreconcilable), with their reason. */
export function failingNodes(obs: PoolObservation): Map<string, string> {
    const out = new Map<string, string>();
    for (const n of obs.nodes ?? []) {
        const a = n.metadata?.annotations ?? {};
        if (FAILING_STATES.has(a[NODE_STATE] ?? "")) out.set(n.metadata?.name ?? "?", a[NODE_REASON] ?? "");
    }
    return out;
}

/**
 * Why a pool's NodeDegraded / Degraded / BuildFailed condition is not about the change being
 * waited for, or undefined when it is. The node controller computes pool status from its caches
 * about 5 s after a node changes (openshift/machine-config-operator pkg/controller/node/
 * node_controller.go enqueueDefault → updateDelay, status.go calculateStatus), and the render
 * controller renders about 5 s after a MachineConfig changes (render_controller.go renderDelay), so:
 *   - right after a node recovered, the condition still names it: no node of the pool fails now;
 *   - right after our MachineConfig changed (a fix-forward of a Degraded pool), the condition is
 *     about the previous rendered config: the pool has not rendered our change into its spec, or
 *     its status was computed for an older generation, or the failing node is told to run
 *     another config than the pool's;
 *   - a node that failed before this change keeps state Degraded and its reason while it retries
 *     and while it applies the next config, until that update succeeds (pkg/daemon/update.go
 *     update() does not set Working on a Degraded node; SetDone clears it), so a failure counts as
 *     this change's only when its reason is new (`baseline`: the failing nodes when the wait began).
 * Without node reads (`obs.nodes` undefined) only the pool's own fields are judged.
 */
export function staleFailure(obs: PoolObservation, target: PoolTarget, baseline: DegradedBaseline): string | undefined {
    const pool = obs.pool;
    const desired = pool?.spec?.configuration?.name;
    if (target.machineConfig !== undefined) {
        if (!(pool?.spec?.configuration?.source ?? []).some(s => s.name === target.machineConfig)) {
            return `${target.machineConfig} is not rendered into the pool yet`;
        }
        if (obs.desiredRendered !== undefined && missingFromRendered(target.settings, obs.desiredRendered).length > 0) {
            return `the pool's rendered config ${desired ?? "?"} does not hold this change yet`;
        }
    }
    const generation = pool?.metadata?.generation;
    const observed = pool?.status?.observedGeneration;
    if (generation !== undefined && observed !== undefined && observed < generation) {
        return `status is for generation ${observed}, the pool is at ${generation}`;
    }
    if (obs.nodes === undefined) return undefined;
    const failing = failingNodes(obs);
    if (failing.size === 0) return "no node of the pool is failing now";
    const current = [...failing].filter(([node, reason]) => {
        const n = obs.nodes?.find(x => x.metadata?.name === node);
        const onTarget = desired === undefined || n?.metadata?.annotations?.[NODE_DESIRED] === desired;
        return onTarget && baseline.get(node) !== reason;
    });
    if (current.length === 0) {
        return (
            `${[...failing.keys()].join(", ")} ${failing.size === 1 ? "has" : "have"} failed since before this ` +
            `change and ${failing.size === 1 ? "is" : "are"} retrying`
        );
    }
    return undefined;
}

/**
 * One observation → verdict. Done needs all of: no failure condition; (on-cluster) the build of
 * the pool's desired config succeeded and the MachineOSConfig reports the digest; the pool has
 * rendered our change (our MachineConfig among the sources, and the rendered config showing our
 * settings) and adopted it (spec and status name the same rendered config, generation observed);
 * and Updated=True with every machine updated. Checking the rendered config matters: right after
 * a MachineConfig changes, the pool still says Updated=True about the previous config until the
 * render controller catches up, and a bare `Updated=True` check would pass in that window.
 */
export function evaluatePool(
    obs: PoolObservation,
    target: PoolTarget,
    baseline: DegradedBaseline = new Map(),
): PoolVerdict {
    const pool = obs.pool;
    if (pool === undefined) return { state: "waiting", reason: `pool ${target.pool} does not exist yet` };
    const conditions = pool.status?.conditions;
    const progress = progressOf(pool);
    for (const type of target.onCluster === undefined ? POOL_FAILURES : POOL_FAILURES_ON_CLUSTER) {
        const c = isTrue(conditions, type);
        if (!c) continue;
        const reason = c.reason ? ` (${c.reason})` : "";
        const message = `pool ${target.pool} is ${type}${reason}: ${c.message ?? "no message"}`;
        const stale = type === "RenderDegraded" ? undefined : staleFailure(obs, target, baseline);
        if (stale === undefined) return { state: "failed", message };
        return { state: "waiting", progress, reason: `${message} — not about this change (${stale}); waiting` };
    }
    const desired = pool.spec?.configuration?.name;

    let image: string | undefined;
    if (target.onCluster !== undefined) {
        const mosc = obs.machineOSConfig;
        if (mosc === undefined)
            return { state: "waiting", progress, reason: `MachineOSConfig ${target.pool} does not exist yet` };
        // Until the MCO has seen the MachineOSConfig's latest spec, every build is of an older one.
        const generation = mosc.metadata?.generation;
        const observedGeneration = mosc.status?.observedGeneration;
        if (generation !== undefined && typeof observedGeneration === "number" && observedGeneration < generation) {
            return {
                state: "waiting",
                progress,
                reason: `waiting for the MCO to pick up MachineOSConfig ${target.pool} generation ${generation}`,
            };
        }
        // A rebuild keeps the spec (and generation): until the MCO deletes the annotation, the
        // current build may be the one from before the new content (reconciler.go
        // updateMachineOSConfigStatus deletes it when a build succeeds).
        const rebuild = target.onCluster.rebuildAnnotation;
        if (rebuild !== undefined && mosc.metadata?.annotations?.[rebuild] !== undefined) {
            return {
                state: "waiting",
                progress,
                reason: `waiting for the MCO to rebuild MachineOSConfig ${target.pool} (${rebuild} is still set)`,
            };
        }
        const build = currentBuild(target, obs, desired);
        for (const type of BUILD_FAILURES) {
            const c = isTrue(build?.status?.conditions, type);
            if (c && build) {
                return {
                    state: "failed",
                    message:
                        `MachineOSBuild ${build.metadata?.name ?? "?"} for pool ${target.pool} is ` +
                        `${type}${c.reason ? ` (${c.reason})` : ""}: ${c.message ?? "no message"}`,
                };
            }
        }
        if (build === undefined)
            return {
                state: "waiting",
                progress,
                reason: `waiting for the MCO to start the image build for ${desired ?? "the pool's config"}`,
            };
        if (!isTrue(build.status?.conditions, "Succeeded")) {
            return { state: "waiting", progress, reason: `image build ${build.metadata?.name ?? ""} in progress` };
        }
        image = currentImageOf(target.onCluster.api, mosc.status);
        const built = builtImageOf(build);
        if (image === undefined || (built !== undefined && image !== built)) {
            return {
                state: "waiting",
                progress,
                reason: `waiting for the MachineOSConfig to report the built image${built ? ` ${built}` : ""}`,
            };
        }
    }

    if (
        target.machineConfig !== undefined &&
        !(pool.status?.configuration?.source ?? []).some(s => s.name === target.machineConfig)
    ) {
        return {
            state: "waiting",
            progress,
            reason: `waiting for the MCO to render ${target.machineConfig} into the pool`,
        };
    }
    const missing = missingFromRendered(target.settings, obs.rendered);
    if (missing.length > 0)
        return { state: "waiting", progress, reason: `rendered config does not show ${missing.join(", ")} yet` };
    const generation = pool.metadata?.generation;
    const observed = pool.status?.observedGeneration;
    if (
        desired === undefined ||
        pool.status?.configuration?.name !== desired ||
        (generation !== undefined && observed !== undefined && observed < generation)
    ) {
        return { state: "waiting", progress, reason: `pool is moving to ${desired ?? "a new rendered config"}` };
    }
    // On-cluster, the pool may still say Updated about the nodes' previous (unlayered) state for a
    // few seconds after the MachineOSConfig reports the image: the node controller recomputes
    // status about 5 s after a change (openshift/machine-config-operator pkg/controller/node/
    // node_controller.go updateDelay) and hands out desiredImage only then (setDesiredAnnotations).
    // The nodes tell: each must be told, and run, the image (machine-config-daemon's annotations).
    // A node the worker pool's selector matches may belong to a custom pool: the node controller
    // names a node's desiredConfig after the pool that manages it (rendered-<pool>-<hash>).
    if (image !== undefined && obs.nodes !== undefined) {
        const behind = obs.nodes.filter(n => {
            const a = n.metadata?.annotations ?? {};
            const managedHere =
                (a[NODE_DESIRED] ?? "").startsWith(`rendered-${target.pool}-`) || a[NODE_DESIRED] === desired;
            return (
                managedHere &&
                (a[NODE_DESIRED_IMAGE] !== image || a[NODE_CURRENT_IMAGE] !== image || a[NODE_STATE] !== "Done")
            );
        });
        if (behind.length > 0) {
            return {
                state: "waiting",
                progress,
                reason: `${behind.map(n => n.metadata?.name ?? "?").join(", ")} not on image ${image} yet`,
            };
        }
    }
    const updated = isTrue(conditions, "Updated") !== undefined && isTrue(conditions, "Updating") === undefined;
    if (updated && progress.updatedMachineCount === progress.machineCount) {
        return image === undefined ? { state: "done", progress } : { state: "done", progress, image };
    }
    if (pool.spec?.paused === true) {
        return {
            state: "failed",
            message: `pool ${target.pool} is paused: the MCO will not update its nodes until it is unpaused`,
        };
    }
    return { state: "waiting", progress, reason: "nodes updating" };
}

/**
 * Whether the pool's spec names a rendered config that holds our MachineConfig with our settings:
 * only then may nodes join a custom pool. The render controller renders about 5 s after a
 * MachineConfig changes (openshift/machine-config-operator pkg/controller/render/
 * render_controller.go renderDelay); a node labelled before that is moved by the node controller
 * to the pool's previous rendered config (the worker MachineConfigs alone), then again to ours:
 * two updates, two reboots (pkg/controller/node/node_controller.go syncMachineConfigPool hands
 * out pool.Spec.Configuration.Name).
 */
export function evaluateRender(
    obs: PoolObservation,
    target: PoolTarget,
): { readonly done: true; readonly line: string } | { readonly waiting: string } {
    const spec = obs.pool?.spec?.configuration;
    if (obs.pool === undefined) return { waiting: `pool ${target.pool} does not exist yet` };
    if (target.machineConfig !== undefined && !(spec?.source ?? []).some(s => s.name === target.machineConfig)) {
        return {
            waiting: `pool ${target.pool}: waiting for the MCO to render ${target.machineConfig} before nodes join`,
        };
    }
    const missing = missingFromRendered(target.settings, obs.desiredRendered);
    if (missing.length > 0)
        return {
            waiting:
                `pool ${target.pool}: rendered config ${spec?.name ?? "?"} does not show ${missing.join(", ")} ` +
                `yet; nodes join once it does`,
        };
    return {
        done: true,
        line:
            `pool ${target.pool} renders ${spec?.name ?? "?"} with ${target.machineConfig ?? "our settings"}: ` +
            `nodes may join`,
    };
}

export async function waitForRender(
    target: PoolTarget,
    observe: () => Promise<PoolObservation>,
    clock: Clock,
    opts: WaitOptions,
): Promise<void> {
    await pollUntil<true>(async () => evaluateRender(await observe(), target), clock, {
        timeoutMs: opts.timeoutMs,
        pollMs: opts.pollMs ?? 15_000,
        heartbeatMs: opts.heartbeatMs ?? 300_000,
        log: opts.log,
        wake: opts.wake,
        isFatal: () => false,
        readError: e => `pool ${target.pool}: cannot read status (${errorText(e)}); retrying`,
        timedOut: last =>
            new PoolRolloutError(
                `pool ${target.pool} did not render ${target.machineConfig ?? "our settings"} within ` +
                    `${Math.round(opts.timeoutMs / 60_000)} minutes (rhcos-forge:rollout.timeoutMinutes); no node ` +
                    `was labelled into it. Last: ${last}`,
            ),
    });
}

export type { Clock } from "./poll";
export { realClock } from "./poll";

export interface WaitOptions {
    readonly timeoutMs: number;
    /** Between reads; the MCO updates pool status every few seconds, nodes take minutes. */
    readonly pollMs?: number;
    /** Log an unchanged progress line again after this long, so a long wait shows it is alive. */
    readonly heartbeatMs?: number;
    readonly log: (message: string) => void;
    /**
     * The pool's failing nodes before this change was applied (readFailingNodes, read when the
     * program starts). Without it, the first read's: by then a node may already fail on this
     * change, and its failure would pass for an old one.
     */
    readonly baseline?: DegradedBaseline;
    /** Notified when the pool changed (kubeApi.ts watchPool): read again now, not at the next poll. */
    readonly wake?: Wake;
}

export class PoolRolloutError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PoolRolloutError";
    }
}

export function describeVerdict(pool: string, v: PoolVerdict): string {
    if (v.state === "failed") return v.message;
    const p = v.progress;
    const counts =
        p === undefined
            ? ""
            : `${p.updatedMachineCount}/${p.machineCount} updated, ${p.readyMachineCount}/${p.machineCount} ` +
              `ready, ${p.degradedMachineCount} degraded`;
    if (v.state === "done") return `pool ${pool} updated: ${counts}${v.image ? ` (image ${v.image})` : ""}`;
    return `pool ${pool}: ${counts}${counts ? "; " : ""}${v.reason}`;
}

/**
 * Polls until the pool is done (resolves with the final verdict), failed (rejects with the pool's
 * own message) or the timeout passes (rejects with the last progress). A read that throws (API
 * server restarting during an upgrade, a dropped connection) is logged and retried until the
 * timeout rather than failing the rollout.
 */
export async function waitForPool(
    target: PoolTarget,
    observe: () => Promise<PoolObservation>,
    clock: Clock,
    opts: WaitOptions,
): Promise<Extract<PoolVerdict, { state: "done" }>> {
    let baseline: DegradedBaseline | undefined = opts.baseline;
    return pollUntil<Extract<PoolVerdict, { state: "done" }>>(
        async () => {
            const obs = await observe();
            // The nodes failing at the first read failed before this change (see staleFailure).
            baseline ??= failingNodes(obs);
            const verdict = evaluatePool(obs, target, baseline);
            if (verdict.state === "failed") throw new PoolRolloutError(verdict.message);
            const line = describeVerdict(target.pool, verdict);
            return verdict.state === "done" ? { done: verdict, line } : { waiting: line };
        },
        clock,
        {
            timeoutMs: opts.timeoutMs,
            pollMs: opts.pollMs ?? 15_000,
            heartbeatMs: opts.heartbeatMs ?? 300_000,
            log: opts.log,
            wake: opts.wake,
            isFatal: e => e instanceof PoolRolloutError,
            readError: e => `pool ${target.pool}: cannot read status (${errorText(e)}); retrying`,
            timedOut: last =>
                new PoolRolloutError(
                    `pool ${target.pool} did not finish within ${Math.round(opts.timeoutMs / 60_000)} minutes ` +
                        `(rhcos-forge:rollout.timeoutMinutes); last: ${last}`,
                ),
        },
    );
}
