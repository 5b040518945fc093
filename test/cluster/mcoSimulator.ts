// TEST DOUBLE, never shipped: a small stand-in for the MachineConfig Operator (and for the
// cluster-version operator's ClusterVersion status) that runs against the e2e suite's real API
// server, so the rollout is proven on objects the server stored, validated and versioned.
//
// Two modes. "upstream" (the main e2e cluster): the REAL render, node and drain controllers of
// machine-config-operator release-4.21 run beside it (mcoControllers.ts), and it plays only what
// no upstream part plays there: each node's machine-config-daemon with the drain handshake
// (daemonWithDrain), the on-cluster build (layering: MachineOSBuild, its result, the
// MachineOSConfig's current build and image) and the CVO; render, node and status below are not
// run. "simulated" (the 4.16 v1alpha1 cluster, for which no controllers are built): all of it.
//
// It watches MachineConfigs, MachineConfigPools, Nodes, MachineOSConfigs, MachineOSBuilds and
// ClusterVersion, and plays, one step per tick, what openshift/machine-config-operator does:
//   render      pkg/controller/render/render_controller.go: a pool's MachineConfigs are those its
//               machineConfigSelector matches, sorted by name (syncMachineConfigPool); they merge
//               as in pkg/controller/common/helpers.go MergeMachineConfigs (the last osImageURL of a
//               MachineConfig the MCO did not generate wins over the ConfigMap's
//               baseOSContainerImage, kernelArguments and extensions append, a non-default
//               kernelType wins; the worker role's configs merge first, so a custom pool's own
//               override them) into rendered-<pool>-<hash>, and the pool's spec.configuration
//               names it with every source (syncGeneratedMachineConfig); no matching
//               MachineConfig sets RenderDegraded (syncFailingStatus).
//   node        pkg/controller/node: a node belongs to the pools its labels select, a custom pool
//               taking it from worker and master taking it from a custom pool
//               (pkg/helpers/helpers.go GetPoolsForNode); at most maxUnavailable nodes of an
//               unpaused pool get the new desiredConfig annotation at a time.
//   daemon      pkg/daemon: a node with desiredConfig != currentConfig goes Working, then Done on
//               the new config; it reboots only when the configs differ in what it compares
//               (update.go compareMachineConfig / calculatePostConfigChangeAction: osImageURL,
//               kernelArguments, kernelType, extensions), otherwise "No changes". A test can make a
//               pool's nodes go Degraded with a reason instead (and recover them).
//   status      pkg/controller/node/status.go calculateStatus: machineCount, updatedMachineCount,
//               readyMachineCount, unavailableMachineCount, degradedMachineCount; Updated=True
//               ("All nodes are updated with MachineConfig …") and status.configuration =
//               spec.configuration only when every node is updated, otherwise Updated=False and
//               Updating=True ("All nodes are updating to …", or False "Pool is paused; …");
//               NodeDegraded=True ("<n> nodes are reporting degraded status on sync",
//               `Node <name> is reporting: "<reason>"`), Degraded=True with the node message, or
//               "Custom OS image build failed" when ImageBuildDegraded; observedGeneration.
//   build       pkg/controller/build/reconciler.go: a MachineOSConfig's pool gets one
//               MachineOSBuild per rendered config, which goes Prepared → Building → Succeeded
//               (digestedImagePushSpec; the MachineOSConfig then reports currentImagePullSpec) or
//               Failed with a message a test sets; ImageBuildDegraded=True "Failed to build OS image
//               for pool <pool> (MachineOSBuild: <name>): <message>" (syncBuildFailureStatus). Nodes of
//               a layered pool only move once the build succeeded, onto the built image.
//               (4.18+) A MachineOSConfig that gains the `rebuild` annotation gets a new build of
//               the same config (updateMachineOSConfig → rebuildMachineOSConfig); the annotation is
//               deleted once that build succeeded (updateMachineOSConfigStatus).
//   cvo         ClusterVersion: a new spec.desiredUpdate is refused without force (a custom release
//               has no Red Hat signature), otherwise history gets a Partial entry that moves through
//               Progressing messages to Completed, one step per read of ClusterVersion by anyone else
//               (the API server's audit log tells who read it), so a wait that polls sees each step.
//               A release a test registers (registerRelease: its version and the rhel-coreos its
//               payload names) stands for a signed one: it is offered in status.availableUpdates (as
//               the update service's graph would), accepted without force, and a version-only
//               desiredUpdate resolves to it. On the way to it the double plays what the new
//               release's machine-config-operator does before the CVO calls it Completed
//               (pkg/operator/sync.go syncRenderConfig, the template controller): the ConfigMap
//               machine-config-osimageurl and ControllerConfig spec.baseOSContainerImage name the
//               new rhel-coreos, the MCO-generated MachineConfigs (00-<role>, 01-<role>-*) carry the
//               new release's content (here one file naming the version), and the machine-config
//               ClusterOperator reports the version. The real render controller then renders every
//               pool again, so an UNPAUSED pool's nodes get a new desiredConfig from the release
//               alone, and a paused pool's only once it is unpaused.
//   readiness   The kubelet's Ready condition, for what a broken driver does: a node that boots an
//               image whose config carries the label io.rhcos-forge.e2e/breaks-node (read through
//               the test's `imageLabels`) reports Ready=False with the label's value as message; a
//               node booting any other image reports Ready=True again. The MCO moves no NotReady
//               node (node_controller.go getAllCandidateMachines), so a test brings one back the
//               way an administrator would (restoreNode: the node booted its previous deployment).
//
// Every watch event is recorded in arrival order with its resourceVersion (one etcd, so the
// revisions order events across kinds), plus each node update the daemon applied and whether it
// rebooted. Tests assert on that record and on the objects, never on timings.
import { createHash } from "node:crypto";
import { KubeClient, KubeError, KubeObject, WatchEvent } from "./kube";
import { MCO_API, MCO_NAMESPACE, ROLE_LABEL as ROLE } from "./seed";

const A = {
    current: "machineconfiguration.openshift.io/currentConfig",
    desired: "machineconfiguration.openshift.io/desiredConfig",
    state: "machineconfiguration.openshift.io/state",
    reason: "machineconfiguration.openshift.io/reason",
    currentImage: "machineconfiguration.openshift.io/currentImage",
    desiredImage: "machineconfiguration.openshift.io/desiredImage",
    /** pkg/daemon/constants: the daemon's drain/uncordon request and the drain controller's answer. */
    desiredDrain: "machineconfiguration.openshift.io/desiredDrain",
    lastAppliedDrain: "machineconfiguration.openshift.io/lastAppliedDrain",
} as const;
/** pkg/controller/build/constants: the MachineOSBuild a MachineOSConfig is on. */
export const CURRENT_BUILD = "machineconfiguration.openshift.io/current-machine-os-build";
/** pkg/controller/build/constants (4.18+): gaining it rebuilds the MachineOSConfig. */
export const REBUILD = "machineconfiguration.openshift.io/rebuild";
/** MCO-generated MachineConfigs carry this and never set osImageURL (MergeMachineConfigs). */
const GENERATED_BY = "machineconfiguration.openshift.io/generated-by-controller-version";

interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

interface McSpec {
    osImageURL?: string;
    kernelType?: string;
    kernelArguments?: string[] | null;
    extensions?: string[] | null;
    config?: unknown;
}
interface Mc extends KubeObject {
    spec?: McSpec & Record<string, unknown>;
}

interface PoolCondition {
    type: string;
    status: "True" | "False" | "Unknown";
    lastTransitionTime: string;
    reason?: string;
    message?: string;
}
interface ObjectRef {
    apiVersion?: string;
    kind?: string;
    name: string;
}
interface PoolSpec {
    machineConfigSelector?: LabelSelector;
    nodeSelector?: LabelSelector;
    paused?: boolean;
    maxUnavailable?: number | string;
    configuration?: { name?: string; source?: ObjectRef[] };
}
interface PoolStatus {
    observedGeneration?: number;
    configuration?: { name?: string; source?: ObjectRef[] };
    machineCount?: number;
    updatedMachineCount?: number;
    readyMachineCount?: number;
    unavailableMachineCount?: number;
    degradedMachineCount?: number;
    conditions?: PoolCondition[];
}
interface Pool extends KubeObject {
    spec?: PoolSpec & Record<string, unknown>;
    status?: PoolStatus & Record<string, unknown>;
}

interface BuildCondition {
    type: string;
    status: "True" | "False";
    reason: string;
    message: string;
    lastTransitionTime: string;
}
interface Mosc extends KubeObject {
    spec?: Record<string, unknown>;
}
interface Mosb extends KubeObject {
    spec?: Record<string, unknown>;
    status?: { conditions?: BuildCondition[] } & Record<string, unknown>;
}

interface CvCondition {
    type: string;
    status: string;
    lastTransitionTime: string;
    reason?: string;
    message?: string;
}
interface HistoryEntry {
    state: string;
    image: string;
    version: string;
    startedTime: string;
    completionTime: string | null;
    verified: boolean;
}
interface ClusterVersion extends KubeObject {
    spec?: { desiredUpdate?: { image?: string; version?: string; force?: boolean } } & Record<string, unknown>;
    status?: {
        desired?: { image?: string; version?: string };
        history?: HistoryEntry[];
        conditions?: CvCondition[];
    } & Record<string, unknown>;
}

/** What the daemon compares (update.go machineConfigDiff): a difference here is a reboot. */
export interface NodeContent {
    readonly osImageURL: string;
    readonly kernelType: string;
    readonly kernelArguments: readonly string[];
    readonly extensions: readonly string[];
}

export type Kind =
    "MachineConfig" | "MachineConfigPool" | "Node" | "MachineOSConfig" | "MachineOSBuild" | "ClusterVersion";

export interface RecordEntry {
    /** Arrival order. */
    readonly seq: number;
    /** etcd revision of the event (the object's resourceVersion); the daemon's entries carry the node write's. */
    readonly rv: number;
    readonly kind: Kind | "NodeUpdate" | "DesiredChange";
    readonly type: "ADDED" | "MODIFIED" | "DELETED" | "REBOOT" | "NO_REBOOT" | "CHANGED";
    readonly name: string;
    /** The fields the tests read, flattened. */
    readonly summary: Readonly<Record<string, unknown>>;
}

export interface SimulatorOptions {
    /**
     * "upstream": the real render, node and drain controllers run (mcoControllers.ts), and this
     * double plays only what no upstream part plays here: the node's machine-config-daemon (with
     * the drain handshake), the on-cluster build (MachineOSBuild and its pod's result) and the CVO.
     * "simulated" (default): it also plays render, node and pool status (the 4.16 v1alpha1 cluster,
     * for which no 4.16 controllers are built).
     */
    readonly controllers?: "simulated" | "upstream";
    /** The MachineOSConfig/MachineOSBuild API the installed CRDs serve, if any. */
    readonly machineOSApi?: "v1" | "v1alpha1";
    /** Milliseconds per tick (one step of each controller). */
    readonly tickMs?: number;
    /** Reads of ClusterVersion `version` by others so far (the audit log); the CVO steps once per new read. */
    /**
     * Reads of ClusterVersion `version` by others (the audit log) received after `sinceMs`; the CVO
     * steps once per new read. By time, not by count: the audit log lags the reads, and a read
     * logged after a step was written may have been served before it.
     */
    readonly clusterVersionReads?: (sinceMs: number) => number;
    /** The version a release image reports when desiredUpdate.version is empty. */
    readonly releaseVersion?: (image: string) => string;
    /** An image's config labels (the readiness double looks for BREAKS_NODE); none: every node stays Ready. */
    readonly imageLabels?: (image: string) => Promise<Record<string, string>>;
}

/** A node booting an image labelled with it goes NotReady, the label's value its message. */
export const BREAKS_NODE = "io.rhcos-forge.e2e/breaks-node";

/** A release the CVO double knows: what its payload says. */
export interface KnownRelease {
    readonly version: string;
    /** The rhel-coreos its image-references names. */
    readonly osImage: string;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");
const rvOf = (o: KubeObject): number => Number(o.metadata.resourceVersion ?? 0);

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
    // metav1.LabelSelectorAsSelector: a nil selector matches nothing, an empty one everything;
    // the render controller refuses an empty machineConfigSelector separately.
    if (sel === undefined) return false;
    const l = labels ?? {};
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
    for (const e of sel.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(l, e.key);
        const values = e.values ?? [];
        if (e.operator === "In" && !(has && values.includes(l[e.key]))) return false;
        if (e.operator === "NotIn" && has && values.includes(l[e.key])) return false;
        if (e.operator === "Exists" && !has) return false;
        if (e.operator === "DoesNotExist" && has) return false;
    }
    return true;
}

const isEmptySelector = (sel: LabelSelector | undefined): boolean =>
    sel !== undefined && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;

function setCondition<
    C extends { type: string; status: string; lastTransitionTime: string; reason?: string; message?: string },
>(list: C[], c: C): C[] {
    const old = list.find(x => x.type === c.type);
    const next =
        old !== undefined && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
    return [...list.filter(x => x.type !== c.type), next];
}

function poolCondition(type: string, status: boolean, message = "", reason = ""): PoolCondition {
    return { type, status: status ? "True" : "False", lastTransitionTime: now(), reason, message };
}

/** JSON with sorted keys: the server returns objects with its own key order. */
function canonical(v: unknown): string {
    return JSON.stringify(v, (_k, x: unknown) =>
        x !== null && typeof x === "object" && !Array.isArray(x)
            ? Object.fromEntries(
                  Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
              )
            : x,
    );
}
const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

export class McoSimulator {
    /** Every change seen, in arrival order. */
    readonly record: RecordEntry[] = [];
    private seq = 0;
    private readonly mcs = new Map<string, Mc>();
    private readonly pools = new Map<string, Pool>();
    private readonly nodes = new Map<string, KubeObject>();
    private readonly moscs = new Map<string, Mosc>();
    private readonly mosbs = new Map<string, Mosb>();
    private cv: ClusterVersion | undefined;
    private baseImage = "";
    private readonly degraded = new Map<string, string>();
    /** node → the update (desiredConfig|desiredImage) its daemon is in the middle of. */
    private readonly updating = new Map<string, string>();
    /** pool → the image whose update fails, and how (degradeImage). */
    private readonly degradedImage = new Map<string, { image: string; reason: string }>();
    private readonly failingBuilds = new Map<string, string>();
    /** MachineOSConfigs seen with the rebuild annotation (until it is deleted), and their rebuild counts. */
    private readonly rebuildSeen = new Set<string>();
    private readonly rebuilds = new Map<string, number>();
    private readonly watches: { stop(): void }[] = [];
    private timer: NodeJS.Timeout | undefined;
    private running = false;
    private ticking = false;
    private quietTicks = 0;
    /** When the CVO double last wrote ClusterVersion (a step). */
    private cvoWroteAt = 0;
    private cvoStep = 0;
    private readonly releases = new Map<string, KnownRelease>();
    /** The release whose MCO the double has played (upgradeMachineConfigOperator). */
    private mcoRelease = "";
    private readonly labelCache = new Map<string, Promise<Record<string, string>>>();
    private lastError = "";
    private readonly tickMs: number;

    constructor(
        private readonly client: KubeClient,
        private readonly opts: SimulatorOptions = {},
    ) {
        this.tickMs = opts.tickMs ?? 100;
    }

    // ------------------------------------------------------------------ test controls
    /** Nodes of `pool` that are told to update go Degraded with `reason` instead. */
    degradePool(pool: string, reason: string): void {
        this.degraded.set(pool, reason);
        this.quietTicks = 0;
    }

    /**
     * Nodes of `pool` told to boot `image` go Degraded with `reason` (an image that cannot be
     * pulled); any other update succeeds, so a new image fixes them forward.
     */
    degradeImage(pool: string, image: string, reason: string): void {
        this.degradedImage.set(pool, { image, reason });
        this.degraded.delete(pool);
        this.quietTicks = 0;
    }

    /** The pool's nodes update again (a degraded node retries, as the daemon does). */
    recoverPool(pool: string): void {
        this.degraded.delete(pool);
        this.degradedImage.delete(pool);
        this.quietTicks = 0;
    }

    /**
     * A release the CVO may move to: offered in ClusterVersion status.availableUpdates, accepted
     * without force (its signature stands verified), and its payload's rhel-coreos is what the
     * new release's MCO renders as the base.
     */
    async registerRelease(image: string, release: KnownRelease): Promise<void> {
        this.releases.set(image, release);
        const path = "/apis/config.openshift.io/v1/clusterversions/version";
        const cv = await this.client.mustGet<ClusterVersion>(path);
        const availableUpdates = [...this.releases]
            .filter(([i]) => cv.status?.history?.[0]?.image !== i)
            .map(([i, r]) => ({ image: i, version: r.version }));
        this.cv = await this.client.update<ClusterVersion>(`${path}/status`, {
            ...cv,
            status: { ...cv.status, availableUpdates },
        });
        this.quietTicks = 0;
    }

    /**
     * The administrator brought a node a broken image made NotReady back (booted its previous
     * deployment from the console): it reports Ready=True again, and the MCO may move it.
     */
    async restoreNode(node: string): Promise<void> {
        const path = `/api/v1/nodes/${node}/status`;
        const live = await this.client.mustGet(path);
        const status = (live.status ?? {}) as { conditions?: CvCondition[] };
        const conditions = setCondition(status.conditions ?? [], {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
            lastTransitionTime: now(),
        });
        await this.client.update(path, { ...live, status: { ...status, conditions } });
        this.quietTicks = 0;
    }

    /** New MachineOSBuilds of `pool` fail with `message`. */
    failBuilds(pool: string, message: string): void {
        this.failingBuilds.set(pool, message);
    }

    succeedBuilds(pool: string): void {
        this.failingBuilds.delete(pool);
    }

    /** Entries of one kind (and name), in arrival order. */
    events(kind: RecordEntry["kind"], name?: string): RecordEntry[] {
        return this.record.filter(e => e.kind === kind && (name === undefined || e.name === name));
    }

    /** The node updates the daemon applied (REBOOT or NO_REBOOT), from record index `from`. */
    nodeUpdates(node?: string, from = 0): RecordEntry[] {
        return this.record.slice(from).filter(e => e.kind === "NodeUpdate" && (node === undefined || e.name === node));
    }

    /**
     * Every change of a node's desiredConfig (or desiredImage) annotation the node controller made,
     * from record index `from`: one entry per change, with the old and new values.
     */
    desiredChanges(node?: string, from = 0): RecordEntry[] {
        return this.record
            .slice(from)
            .filter(e => e.kind === "DesiredChange" && (node === undefined || e.name === node));
    }

    /** The content a rendered config gives a node (for assertions). */
    contentOf(rendered: string): NodeContent | undefined {
        const mc = this.mcs.get(rendered);
        return mc === undefined ? undefined : this.mcContent(mc);
    }

    /** The pool a node belongs to now, by the MCO's rules. */
    poolOf(node: string): string | undefined {
        const n = this.nodes.get(node);
        return n === undefined ? undefined : this.primaryPool(n)?.metadata.name;
    }

    /**
     * Resolves once nothing is left to do: every pool rendered, every node that can update has,
     * builds finished, ClusterVersion idle, for a few ticks in a row.
     */
    async settled(timeoutMs = 180_000): Promise<void> {
        const end = Date.now() + timeoutMs;
        this.quietTicks = 0;
        // The real render and node controllers act 5 s after a change (render_controller.go
        // renderDelay, node_controller.go defaultUpdateDelay): quiet must outlast that.
        const quiet = this.opts.controllers === "upstream" ? Math.ceil(8_000 / this.tickMs) : 5;
        while (this.quietTicks < quiet) {
            if (Date.now() > end)
                throw new Error(
                    `MCO simulator did not settle within ${timeoutMs} ` +
                        `ms${this.lastError ? ` (last error: ${this.lastError})` : ""}`,
                );
            await new Promise(r => setTimeout(r, this.tickMs));
        }
    }

    // ------------------------------------------------------------------ lifecycle
    async start(): Promise<void> {
        const cm = await this.client.mustGet(
            `/api/v1/namespaces/${MCO_NAMESPACE}/configmaps/machine-config-osimageurl`,
        );
        this.baseImage = cm.data?.baseOSContainerImage ?? "";
        this.running = true;
        const mco = `/apis/${MCO_API}`;
        const mos =
            this.opts.machineOSApi === undefined
                ? undefined
                : `/apis/machineconfiguration.openshift.io/${this.opts.machineOSApi}`;
        await this.watchKind<Mc>("MachineConfig", `${mco}/machineconfigs`, this.mcs);
        await this.watchKind<Pool>("MachineConfigPool", `${mco}/machineconfigpools`, this.pools);
        await this.watchKind("Node", "/api/v1/nodes", this.nodes);
        if (mos !== undefined) {
            await this.watchKind<Mosc>("MachineOSConfig", `${mos}/machineosconfigs`, this.moscs);
            await this.watchKind<Mosb>("MachineOSBuild", `${mos}/machineosbuilds`, this.mosbs);
        }
        const cvs = new Map<string, ClusterVersion>();
        await this.watchKind<ClusterVersion>(
            "ClusterVersion",
            "/apis/config.openshift.io/v1/clusterversions",
            cvs,
            () => {
                this.cv = cvs.get("version");
            },
        );
        this.cv = cvs.get("version");
        const loop = (): void => {
            if (!this.running) return;
            this.timer = setTimeout(() => {
                void this.tick().finally(loop);
            }, this.tickMs);
        };
        loop();
    }

    async stop(): Promise<void> {
        this.running = false;
        if (this.timer) clearTimeout(this.timer);
        for (const w of this.watches) w.stop();
        while (this.ticking) await new Promise(r => setTimeout(r, 10));
    }

    private async watchKind<T extends KubeObject>(
        kind: Kind,
        path: string,
        cache: Map<string, T>,
        onChange?: () => void,
    ): Promise<void> {
        const list = await this.client.list<T>(path);
        for (const item of list.items) {
            cache.set(item.metadata.name, item);
            this.note(kind, "ADDED", item);
        }
        onChange?.();
        const run = (rv: string): void => {
            if (!this.running) return;
            let last = rv;
            const w = this.client.watch<T>(path, rv, e => {
                if (e.type === "BOOKMARK") {
                    last = e.object.metadata.resourceVersion ?? last;
                    return;
                }
                if (e.type === "ERROR") return;
                last = e.object.metadata.resourceVersion ?? last;
                this.apply(kind, cache, e);
                onChange?.();
            });
            this.watches.push(w);
            void w.done.then(async () => {
                if (!this.running) return;
                // The server ended the watch (timeout, or 410 Gone): list again and carry on.
                try {
                    const again = await this.client.list<T>(path);
                    const seen = new Set<string>();
                    for (const item of again.items) {
                        seen.add(item.metadata.name);
                        const old = cache.get(item.metadata.name);
                        if (old?.metadata.resourceVersion !== item.metadata.resourceVersion)
                            this.apply(kind, cache, { type: old ? "MODIFIED" : "ADDED", object: item });
                    }
                    for (const [name, old] of [...cache])
                        if (!seen.has(name)) this.apply(kind, cache, { type: "DELETED", object: old });
                    onChange?.();
                    run(again.metadata.resourceVersion);
                } catch {
                    setTimeout(() => run(last), 500);
                }
            });
        };
        run(list.metadata.resourceVersion);
    }

    private apply<T extends KubeObject>(kind: Kind, cache: Map<string, T>, e: WatchEvent<T>): void {
        const name = e.object.metadata.name;
        if (kind === "Node" && e.type !== "DELETED") {
            const before = cache.get(name)?.metadata.annotations ?? {};
            const after = e.object.metadata.annotations ?? {};
            const changed =
                (before[A.desired] !== after[A.desired] && after[A.desired] !== undefined) ||
                (before[A.desiredImage] ?? "") !== (after[A.desiredImage] ?? "");
            const seenBefore = cache.has(name);
            if (changed && seenBefore) {
                this.note("DesiredChange", "CHANGED", e.object, {
                    fromConfig: before[A.desired],
                    toConfig: after[A.desired],
                    fromImage: before[A.desiredImage],
                    toImage: after[A.desiredImage],
                    pool: this.primaryPool(e.object)?.metadata.name,
                });
            }
        }
        if (e.type === "DELETED") cache.delete(name);
        else {
            const cached = cache.get(name);
            // Our own writes are cached from their responses; never go back to an older version.
            if (cached === undefined || rvOf(cached) <= rvOf(e.object)) cache.set(name, e.object);
        }
        this.note(kind, e.type as "ADDED" | "MODIFIED" | "DELETED", e.object);
        this.quietTicks = 0;
    }

    private note(
        kind: RecordEntry["kind"],
        type: RecordEntry["type"],
        obj: KubeObject,
        summary?: Record<string, unknown>,
    ): void {
        this.record.push({
            seq: this.seq++,
            rv: rvOf(obj),
            kind,
            type,
            name: obj.metadata.name,
            summary: summary ?? summarize(kind, obj),
        });
    }

    // ------------------------------------------------------------------ the loop
    private async tick(): Promise<void> {
        this.ticking = true;
        let wrote = false;
        let pending = false;
        try {
            const upstream = this.opts.controllers === "upstream";
            for (const pool of [...this.pools.values()].sort((a, b) =>
                a.metadata.name.localeCompare(b.metadata.name),
            )) {
                if (pool.metadata.deletionTimestamp) continue;
                if (upstream) {
                    // The real render and node controllers run: play only the build.
                    const l = await this.layering(pool);
                    wrote ||= l.wrote;
                    pending ||= l.building && !l.failed;
                    continue;
                }
                const r = await this.syncPool(pool);
                wrote ||= r.wrote;
                pending ||= r.pending;
            }
            for (const node of [...this.nodes.values()].sort((a, b) =>
                a.metadata.name.localeCompare(b.metadata.name),
            )) {
                const r = upstream ? await this.daemonWithDrain(node) : await this.daemon(node);
                wrote ||= r.wrote;
                pending ||= r.pending;
            }
            if (upstream) pending ||= !this.poolsSteady();
            const c = await this.cvo();
            wrote ||= c.wrote;
            pending ||= c.pending;
            this.lastError = "";
        } catch (e) {
            // A conflict (someone else wrote first) or a refused write: retry on the next tick.
            this.lastError = e instanceof KubeError ? e.message : String(e);
            wrote = true;
        } finally {
            this.ticking = false;
        }
        this.quietTicks = wrote || pending ? 0 : this.quietTicks + 1;
    }

    // ------------------------------------------------------------------ render
    private mcContent(mc: Mc): NodeContent {
        const s = mc.spec ?? {};
        return {
            osImageURL: s.osImageURL ?? "",
            kernelType: s.kernelType || "default",
            kernelArguments: s.kernelArguments ?? [],
            extensions: s.extensions ?? [],
        };
    }

    /**
     * MergeMachineConfigs: the worker role's configs first, then the others (a custom pool's own),
     * each sorted by name, so a custom pool's configuration overrides the worker's.
     */
    private merge(configs: Mc[]): NodeContent {
        const isWorker = (c: Mc): boolean => c.metadata.labels?.[ROLE] === "worker";
        const ordered = [...configs.filter(isWorker), ...configs.filter(c => !isWorker(c))];
        let osImageURL = this.baseImage;
        let kernelType = "";
        const kernelArguments: string[] = [];
        const extensions: string[] = [];
        for (const c of ordered) {
            const s = c.spec ?? {};
            if (s.kernelType === "realtime" || s.kernelType === "64k-pages") kernelType = s.kernelType;
            kernelArguments.push(...(s.kernelArguments ?? []));
            extensions.push(...(s.extensions ?? []));
            if ((c.metadata.annotations ?? {})[GENERATED_BY] === undefined && s.osImageURL) osImageURL = s.osImageURL;
        }
        return { osImageURL, kernelType: kernelType || "default", kernelArguments, extensions };
    }

    private selectedConfigs(pool: Pool): Mc[] {
        return [...this.mcs.values()]
            .filter(
                mc =>
                    !mc.metadata.name.startsWith("rendered-") &&
                    selectorMatches(pool.spec?.machineConfigSelector, mc.metadata.labels),
            )
            .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    }

    private async syncPool(pool: Pool): Promise<{ wrote: boolean; pending: boolean }> {
        const name = pool.metadata.name;
        const base = `/apis/${MCO_API}/machineconfigpools/${name}`;
        if (isEmptySelector(pool.spec?.machineConfigSelector)) return { wrote: false, pending: false };
        const configs = this.selectedConfigs(pool);
        let renderError: string | undefined;
        if (configs.length === 0) {
            renderError =
                `Failed to render configuration for pool ${name}: no MachineConfigs found matching selector ` +
                `${JSON.stringify(pool.spec?.machineConfigSelector ?? {})}`;
        } else {
            const merged = this.merge(configs);
            const renderedName = `rendered-${name}-${sha(JSON.stringify(merged)).slice(0, 32)}`;
            if (!this.mcs.has(renderedName)) {
                const created = await this.client.create<Mc>(`/apis/${MCO_API}/machineconfigs`, {
                    apiVersion: MCO_API,
                    kind: "MachineConfig",
                    metadata: {
                        name: renderedName,
                        annotations: { [GENERATED_BY]: "rf-mco-simulator" },
                        // metav1.NewControllerRef, as the render controller sets it: the pool owns its configs.
                        ownerReferences: pool.metadata.uid
                            ? [
                                  {
                                      apiVersion: MCO_API,
                                      kind: "MachineConfigPool",
                                      name,
                                      uid: pool.metadata.uid,
                                      controller: true,
                                      blockOwnerDeletion: true,
                                  },
                              ]
                            : [],
                    },
                    spec: {
                        config: { ignition: { version: "3.5.0" } },
                        osImageURL: merged.osImageURL,
                        kernelType: merged.kernelType,
                        kernelArguments: [...merged.kernelArguments],
                        extensions: [...merged.extensions],
                    },
                });
                this.mcs.set(renderedName, created);
                return { wrote: true, pending: true };
            }
            const source = configs.map(c => ({ apiVersion: MCO_API, kind: "MachineConfig", name: c.metadata.name }));
            const cfg = pool.spec?.configuration;
            if (cfg?.name !== renderedName || !sameJson(cfg?.source ?? [], source)) {
                const updated = await this.client.update<Pool>(base, {
                    ...pool,
                    spec: { ...pool.spec, configuration: { name: renderedName, source } },
                });
                this.pools.set(name, updated);
                return { wrote: true, pending: true };
            }
        }

        const layered = await this.layering(pool);
        if (layered.wrote) return { wrote: true, pending: true };

        const members = [...this.nodes.values()].filter(n => this.primaryPool(n)?.metadata.name === name);
        const target = pool.spec?.configuration?.name;
        let wroteNodes = false;
        // Nodes that never had a config (first sight) start on the pool's, as after installation.
        for (const n of members) {
            const ann = n.metadata.annotations ?? {};
            if (target !== undefined && ann[A.current] === undefined) {
                await this.annotate(n, { [A.current]: target, [A.desired]: target, [A.state]: "Done" });
                wroteNodes = true;
            }
        }
        if (wroteNodes) return { wrote: true, pending: true };

        // The node controller: hand out the new config to at most maxUnavailable nodes at a time.
        const targetImage = layered.image;
        const needs = (n: KubeObject): boolean => {
            const ann = n.metadata.annotations ?? {};
            return ann[A.desired] !== target || (ann[A.desiredImage] ?? "") !== (targetImage ?? "");
        };
        const unavailable = (n: KubeObject): boolean => {
            const ann = n.metadata.annotations ?? {};
            return (
                ann[A.state] !== "Done" ||
                ann[A.current] !== ann[A.desired] ||
                (ann[A.currentImage] ?? "") !== (ann[A.desiredImage] ?? "")
            );
        };
        if (target !== undefined && !pool.spec?.paused && layered.ready) {
            const max = maxUnavailableOf(pool.spec?.maxUnavailable, members.length);
            let busy = members.filter(unavailable).length;
            for (const n of members.filter(needs).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
                if (busy >= max) break;
                const patch: Record<string, string | null> = {
                    [A.desired]: target,
                    [A.desiredImage]: targetImage ?? null,
                };
                await this.annotate(n, patch);
                busy++;
                wroteNodes = true;
            }
        }

        const status = this.calculateStatus(pool, members, renderError, layered);
        if (!sameJson(stripTimes(status), stripTimes(pool.status ?? {}))) {
            const updated = await this.client.update<Pool>(`${base}/status`, {
                ...(this.pools.get(name) ?? pool),
                status: { ...status },
            });
            this.pools.set(name, updated);
            return { wrote: true, pending: true };
        }
        // Work is left while a node can still be handed the config or is mid-update; a Degraded
        // node is a stable state until a test recovers it.
        const canMove = target !== undefined && !pool.spec?.paused && layered.ready;
        const pendingNodes = members.some(
            n => (canMove && needs(n)) || (unavailable(n) && (n.metadata.annotations ?? {})[A.state] !== "Degraded"),
        );
        return { wrote: wroteNodes, pending: pendingNodes || layered.building };
    }

    /** pkg/controller/node/status.go calculateStatus, for the fields the MCO sets. */
    private calculateStatus(
        pool: Pool,
        members: KubeObject[],
        renderError: string | undefined,
        layered: Layered,
    ): PoolStatus {
        const spec = pool.spec ?? {};
        const target = spec.configuration?.name;
        const ann = (n: KubeObject): Record<string, string> => n.metadata.annotations ?? {};
        const isUpdated = (n: KubeObject): boolean => {
            const a = ann(n);
            return (
                a[A.state] === "Done" &&
                a[A.current] === target &&
                a[A.desired] === target &&
                (a[A.currentImage] ?? "") === (layered.image ?? "") &&
                (a[A.desiredImage] ?? "") === (layered.image ?? "")
            );
        };
        const degradedNodes = members.filter(n => ann(n)[A.state] === "Degraded");
        const unavailableCount = members.filter(n => {
            const a = ann(n);
            return a[A.state] !== "Done" || a[A.current] !== a[A.desired];
        }).length;
        const updated = members.filter(isUpdated).length;
        const total = members.length;
        const allUpdated =
            target !== undefined && updated === total && unavailableCount === 0 && !layered.building && !layered.failed;
        let conditions = [...(pool.status?.conditions ?? [])];
        const prev = pool.status?.configuration;
        let configuration = prev ?? {};
        const line = `MachineConfig ${target ?? ""}${layered.image ? ` / Image ${layered.image}` : ""}`;
        if (allUpdated) {
            conditions = setCondition(conditions, poolCondition("Updated", true, `All nodes are updated with ${line}`));
            conditions = setCondition(conditions, poolCondition("Updating", false));
            configuration = spec.configuration ?? {};
        } else {
            conditions = setCondition(conditions, poolCondition("Updated", false));
            if (spec.paused)
                conditions = setCondition(
                    conditions,
                    poolCondition("Updating", false, `Pool is paused; will not update to ${line}`),
                );
            else
                conditions = setCondition(
                    conditions,
                    poolCondition("Updating", true, `All nodes are updating to ${line}`),
                );
        }
        if (layered.mosc !== undefined && !spec.paused) {
            if (layered.building)
                conditions = setCondition(
                    conditions,
                    poolCondition(
                        "Updating",
                        true,
                        `Pool is waiting for OS image build to complete (mosb: ${layered.build ?? ""})`,
                    ),
                );
            if (layered.failed)
                conditions = setCondition(
                    conditions,
                    poolCondition(
                        "Updating",
                        false,
                        `Pool update stopped due to OS image build failure (mosb: ${layered.build ?? ""})`,
                    ),
                );
        }
        const nodeDegradedMessage = degradedNodes
            .map(n => `Node ${n.metadata.name} is reporting: ${JSON.stringify(ann(n)[A.reason] ?? "")}`)
            .join(", ");
        conditions = setCondition(
            conditions,
            degradedNodes.length > 0
                ? poolCondition(
                      "NodeDegraded",
                      true,
                      nodeDegradedMessage,
                      `${degradedNodes.length} nodes are reporting degraded status on sync`,
                  )
                : poolCondition("NodeDegraded", false),
        );
        conditions = setCondition(
            conditions,
            poolCondition("RenderDegraded", renderError !== undefined, renderError ?? ""),
        );
        if (layered.mosc !== undefined) {
            conditions = setCondition(
                conditions,
                layered.failed
                    ? poolCondition(
                          "ImageBuildDegraded",
                          true,
                          `Failed to build OS image for pool ${pool.metadata.name} (MachineOSBuild: ` +
                              `${layered.build ?? ""}): ${layered.failure ?? ""}`,
                          "BuildFailed",
                      )
                    : poolCondition(
                          "ImageBuildDegraded",
                          false,
                          layered.building ? "New build started" : "Build completed successfully",
                          layered.building ? "Building" : "BuildSuccess",
                      ),
            );
        }
        const buildDegraded = layered.failed;
        const degraded = degradedNodes.length > 0 || renderError !== undefined || buildDegraded;
        conditions = setCondition(
            conditions,
            poolCondition(
                "Degraded",
                degraded,
                degradedNodes.length > 0
                    ? nodeDegradedMessage
                    : buildDegraded
                      ? "Custom OS image build failed"
                      : (renderError ?? ""),
            ),
        );
        conditions.sort((a, b) => a.type.localeCompare(b.type));
        return {
            observedGeneration: pool.metadata.generation,
            configuration,
            machineCount: total,
            updatedMachineCount: updated,
            readyMachineCount: updated,
            unavailableMachineCount: unavailableCount,
            degradedMachineCount: degradedNodes.length,
            conditions,
        };
    }

    // ------------------------------------------------------------------ on-cluster layering
    private async layering(pool: Pool): Promise<Layered> {
        const api = this.opts.machineOSApi;
        const mosc = [...this.moscs.values()].find(
            m => (m.spec?.machineConfigPool as { name?: string } | undefined)?.name === pool.metadata.name,
        );
        const rendered = pool.spec?.configuration?.name;
        if (api === undefined || mosc === undefined || rendered === undefined)
            return { ready: true, building: false, failed: false, wrote: false };
        const base = `/apis/machineconfiguration.openshift.io/${api}`;
        // The rebuild annotation counts when it appears on a MachineOSConfig that already built
        // (on a new one the first build is the build); a present annotation is not a new request.
        const rebuild = api === "v1" ? (mosc.metadata.annotations ?? {})[REBUILD] : undefined;
        if (rebuild === undefined) this.rebuildSeen.delete(mosc.metadata.name);
        else if (!this.rebuildSeen.has(mosc.metadata.name)) {
            this.rebuildSeen.add(mosc.metadata.name);
            if ((mosc.metadata.annotations ?? {})[CURRENT_BUILD] !== undefined)
                this.rebuilds.set(mosc.metadata.name, (this.rebuilds.get(mosc.metadata.name) ?? 0) + 1);
        }
        const rebuildCount = this.rebuilds.get(mosc.metadata.name) ?? 0;
        // One build per rendered config and MachineOSConfig generation: a new Containerfile is a
        // new build of the same rendered config; so is each rebuild.
        const rebuildPart = rebuildCount === 0 ? "" : `/rebuild-${rebuildCount}`;
        const buildKey = `${rendered}/${mosc.metadata.generation ?? 0}${rebuildPart}`;
        const buildName = `${mosc.metadata.name}-${sha(buildKey).slice(0, 12)}`;
        const build = this.mosbs.get(buildName);
        const pushSpec = String(
            api === "v1"
                ? mosc.spec?.renderedImagePushSpec
                : (mosc.spec?.buildInputs as { renderedImagePushspec?: string } | undefined)?.renderedImagePushspec,
        );
        const result = (extra: Partial<Layered>): Layered => ({
            ready: false,
            building: true,
            failed: false,
            wrote: false,
            mosc: mosc.metadata.name,
            ...extra,
        });
        if (build === undefined) {
            const name = buildName;
            const spec =
                api === "v1"
                    ? {
                          machineConfig: { name: rendered },
                          machineOSConfig: { name: mosc.metadata.name },
                          renderedImagePushSpec: pushSpec,
                      }
                    : {
                          configGeneration: mosc.metadata.generation ?? 1,
                          desiredConfig: { name: rendered },
                          machineOSConfig: { name: mosc.metadata.name },
                          renderedImagePushspec: pushSpec,
                          version: 1,
                      };
            const created = await this.client.create<Mosb>(`${base}/machineosbuilds`, {
                apiVersion: `machineconfiguration.openshift.io/${api}`,
                kind: "MachineOSBuild",
                metadata: {
                    name,
                    labels: {
                        "machineconfiguration.openshift.io/machine-os-config": mosc.metadata.name,
                        "machineconfiguration.openshift.io/target-machine-config-pool": pool.metadata.name,
                        "machineconfiguration.openshift.io/rendered-machine-config": rendered,
                    },
                },
                spec,
            });
            this.mosbs.set(name, created);
            return result({ wrote: true, build: name });
        }
        // reconciler.go updateMachineOSConfigStatus: the MachineOSConfig names its current build.
        if ((mosc.metadata.annotations ?? {})[CURRENT_BUILD] !== build.metadata.name) {
            const updated = await this.client.update<Mosc>(`${base}/machineosconfigs/${mosc.metadata.name}`, {
                ...mosc,
                metadata: {
                    ...mosc.metadata,
                    annotations: { ...mosc.metadata.annotations, [CURRENT_BUILD]: build.metadata.name },
                },
            });
            this.moscs.set(mosc.metadata.name, updated);
            return result({ wrote: true, build: build.metadata.name });
        }
        // ... and, starting it, records that it has seen the MachineOSConfig's generation.
        if (mosc.status?.observedGeneration !== mosc.metadata.generation) {
            const updated = await this.client.update<Mosc>(`${base}/machineosconfigs/${mosc.metadata.name}/status`, {
                ...mosc,
                status: { ...mosc.status, observedGeneration: mosc.metadata.generation },
            });
            this.moscs.set(mosc.metadata.name, updated);
            return result({ wrote: true, build: build.metadata.name });
        }
        const conds = build.status?.conditions ?? [];
        const isTrue = (t: string): boolean => conds.some(c => c.type === t && c.status === "True");
        const setStatus = async (status: Record<string, unknown>): Promise<void> => {
            const updated = await this.client.update<Mosb>(`${base}/machineosbuilds/${build.metadata.name}/status`, {
                ...build,
                status: { ...build.status, ...status },
            });
            this.mosbs.set(build.metadata.name, updated);
        };
        const buildConds = (
            state: "Prepared" | "Building" | "Succeeded" | "Failed",
            message: string,
        ): BuildCondition[] => {
            const t = now();
            const c = (type: string, on: boolean, reason: string, msg: string): BuildCondition => ({
                type,
                status: on ? "True" : "False",
                reason,
                message: msg,
                lastTransitionTime: t,
            });
            return [
                c(
                    "Prepared",
                    state === "Prepared",
                    "Prepared",
                    state === "Prepared" ? "Build Prepared and Pending" : "Build Prepared",
                ),
                c(
                    "Building",
                    state === "Building",
                    state === "Building" ? "Running" : "NotRunning",
                    state === "Building" ? "Image Build In Progress" : "Build not running",
                ),
                c(
                    "Succeeded",
                    state === "Succeeded",
                    state === "Succeeded" ? "Ready" : "NotReady",
                    state === "Succeeded" ? "Build Ready" : "Build not ready",
                ),
                c(
                    "Failed",
                    state === "Failed",
                    state === "Failed" ? "BuildFailed" : "NotFailed",
                    state === "Failed" ? message : "Build not failed",
                ),
                c("Interrupted", false, "NotInterrupted", "Build not interrupted"),
            ];
        };
        if (isTrue("Failed")) {
            const failure = conds.find(c => c.type === "Failed")?.message ?? "";
            return result({ building: false, failed: true, failure, build: build.metadata.name });
        }
        if (conds.length === 0) {
            await setStatus(
                api === "v1"
                    ? { conditions: buildConds("Prepared", ""), buildStart: now() }
                    : { conditions: buildConds("Prepared", ""), buildStart: now() },
            );
            return result({ wrote: true, build: build.metadata.name });
        }
        if (isTrue("Prepared")) {
            await setStatus({ conditions: buildConds("Building", "") });
            return result({ wrote: true, build: build.metadata.name });
        }
        if (isTrue("Building")) {
            const failure = this.failingBuilds.get(pool.metadata.name);
            if (failure !== undefined) {
                await setStatus({ conditions: buildConds("Failed", failure), buildEnd: now() });
                return result({ wrote: true, building: false, failed: true, failure, build: build.metadata.name });
            }
            const repo = pushSpec.replace(/:[^/:]+$/, "");
            const digest = `${repo}@sha256:${sha(`${build.metadata.name}/${pushSpec}`)}`;
            await setStatus(
                api === "v1"
                    ? { conditions: buildConds("Succeeded", ""), buildEnd: now(), digestedImagePushSpec: digest }
                    : { conditions: buildConds("Succeeded", ""), buildEnd: now(), finalImagePullspec: digest },
            );
            return result({ wrote: true, build: build.metadata.name });
        }
        // Succeeded: the MachineOSConfig reports the image, then nodes may move onto it.
        const digest = String(api === "v1" ? build.status?.digestedImagePushSpec : build.status?.finalImagePullspec);
        const field = api === "v1" ? "currentImagePullSpec" : "currentImagePullspec";
        if (mosc.status?.[field] !== digest) {
            const status =
                api === "v1"
                    ? {
                          ...mosc.status,
                          currentImagePullSpec: digest,
                          machineOSBuild: {
                              group: "machineconfiguration.openshift.io",
                              name: build.metadata.name,
                              resource: "machineosbuilds",
                          },
                      }
                    : { ...mosc.status, currentImagePullspec: digest };
            const updated = await this.client.update<Mosc>(`${base}/machineosconfigs/${mosc.metadata.name}/status`, {
                ...mosc,
                status,
            });
            this.moscs.set(mosc.metadata.name, updated);
            return result({ wrote: true, build: build.metadata.name });
        }
        if (rebuild !== undefined) {
            const annotations = { ...mosc.metadata.annotations };
            delete annotations[REBUILD];
            const updated = await this.client.update<Mosc>(`${base}/machineosconfigs/${mosc.metadata.name}`, {
                ...mosc,
                metadata: { ...mosc.metadata, annotations },
            });
            this.moscs.set(mosc.metadata.name, updated);
            // Deleted by the MCO: its next appearance is a new rebuild request.
            this.rebuildSeen.delete(mosc.metadata.name);
            return result({ wrote: true, build: build.metadata.name });
        }
        return {
            ready: true,
            building: false,
            failed: false,
            wrote: false,
            mosc: mosc.metadata.name,
            image: digest,
            build: build.metadata.name,
        };
    }

    // ------------------------------------------------------------------ nodes
    private primaryPool(node: KubeObject): Pool | undefined {
        const matching = [...this.pools.values()].filter(
            p => !p.metadata.deletionTimestamp && selectorMatches(p.spec?.nodeSelector, node.metadata.labels),
        );
        const master = matching.find(p => p.metadata.name === "master");
        const worker = matching.find(p => p.metadata.name === "worker");
        const custom = matching.filter(p => p.metadata.name !== "master" && p.metadata.name !== "worker");
        if (custom.length > 1) return undefined; // "node belongs to N custom roles, cannot proceed"
        if (master !== undefined) return master;
        return custom[0] ?? worker;
    }

    private async annotate(node: KubeObject, annotations: Record<string, string | null>): Promise<KubeObject> {
        const updated = await this.client.patch(`/api/v1/nodes/${node.metadata.name}`, "merge", {
            metadata: { annotations },
        });
        this.nodes.set(node.metadata.name, updated);
        return updated;
    }

    private nodeContent(config: string | undefined, image: string | undefined): NodeContent | undefined {
        const mc = config === undefined ? undefined : this.mcs.get(config);
        if (mc === undefined) return undefined;
        const c = this.mcContent(mc);
        return image ? { ...c, osImageURL: image } : c;
    }

    /** The machine-config-daemon of one node: Working, then Done on the new config (or Degraded). */
    private async daemon(node: KubeObject): Promise<{ wrote: boolean; pending: boolean }> {
        const a = node.metadata.annotations ?? {};
        const desired = a[A.desired];
        if (desired === undefined) return { wrote: false, pending: false };
        const changed = desired !== a[A.current] || (a[A.desiredImage] ?? "") !== (a[A.currentImage] ?? "");
        const pool = this.primaryPool(node)?.metadata.name;
        const degradeReason = pool === undefined ? undefined : this.degraded.get(pool);
        if (!changed) {
            if (a[A.state] !== "Done") {
                await this.annotate(node, { [A.state]: "Done", [A.reason]: "" });
                return { wrote: true, pending: false };
            }
            return { wrote: false, pending: false };
        }
        if (degradeReason !== undefined) {
            if (a[A.state] === "Degraded" && a[A.reason] === degradeReason) return { wrote: false, pending: false };
            await this.annotate(node, { [A.state]: "Degraded", [A.reason]: degradeReason });
            return { wrote: true, pending: false };
        }
        if (a[A.state] !== "Working") {
            await this.annotate(node, { [A.state]: "Working", [A.reason]: "" });
            return { wrote: true, pending: true };
        }
        const from = this.nodeContent(a[A.current], a[A.currentImage]);
        const to = this.nodeContent(desired, a[A.desiredImage]);
        if (to === undefined) return { wrote: false, pending: true }; // the rendered config is not in the cache yet
        const reboot = from === undefined || !sameJson(from, to);
        const updated = await this.annotate(node, {
            [A.current]: desired,
            [A.currentImage]: a[A.desiredImage] ?? null,
            [A.state]: "Done",
            [A.reason]: "",
        });
        this.note("NodeUpdate", reboot ? "REBOOT" : "NO_REBOOT", updated, {
            from: a[A.current],
            to: desired,
            pool,
            fromImage: from?.osImageURL,
            toImage: to.osImageURL,
            kernelArguments: [...to.kernelArguments],
            extensions: [...to.extensions],
        });
        return { wrote: true, pending: true };
    }

    /**
     * machine-config-daemon on one node, beside the real node and drain controllers
     * (openshift/machine-config-operator pkg/daemon): on a new desiredConfig (or desiredImage) the
     * state goes Working and, when the update reboots, the daemon asks the drain controller for a
     * drain through desiredDrain = drain-<desiredConfig> and waits until lastAppliedDrain says it
     * is done (drain.go performDrain); it "reboots" (the update is recorded), then asks for the
     * uncordon, uncordon-<desiredConfig>, and waits for it (daemon.go completeUpdate), and only then
     * writes currentConfig (currentImage) and state Done (SetDone). A pool a test degrades makes the
     * node go Degraded with that reason instead, and it stays Degraded while it "retries" until an
     * update succeeds (daemon.go updateConfigAndState / syncNode).
     */
    private async daemonWithDrain(node: KubeObject): Promise<{ wrote: boolean; pending: boolean }> {
        const a = node.metadata.annotations ?? {};
        const desired = a[A.desired];
        if (desired === undefined) return { wrote: false, pending: false };
        const changed = desired !== a[A.current] || (a[A.desiredImage] ?? "") !== (a[A.currentImage] ?? "");
        if (!changed) return { wrote: false, pending: false };
        const pool = this.primaryPool(node)?.metadata.name;
        const target = this.nodeContent(desired, a[A.desiredImage]);
        const byImage = pool === undefined ? undefined : this.degradedImage.get(pool);
        const degradeReason =
            pool === undefined
                ? undefined
                : (this.degraded.get(pool) ??
                  (byImage !== undefined && target?.osImageURL === byImage.image ? byImage.reason : undefined));
        const drain = `drain-${desired}`;
        const uncordon = `uncordon-${desired}`;
        const want = a[A.desiredDrain];
        // The drain request names the config only (drain.go performDrain): an image-only update of
        // the same config finds uncordon-<config> left from the last one, so the daemon keeps
        // which update it is in the middle of itself.
        const key = `${desired}|${a[A.desiredImage] ?? ""}`;
        if (this.updating.get(node.metadata.name) !== key || (want !== drain && want !== uncordon)) {
            if (degradeReason !== undefined) {
                if (a[A.state] === "Degraded" && a[A.reason] === degradeReason) return { wrote: false, pending: false };
                await this.annotate(node, { [A.state]: "Degraded", [A.reason]: degradeReason });
                return { wrote: true, pending: false };
            }
            const from = this.nodeContent(a[A.current], a[A.currentImage]);
            const to = this.nodeContent(desired, a[A.desiredImage]);
            if (to === undefined) return { wrote: false, pending: true }; // the rendered config is not in the cache yet
            const reboot = from === undefined || !sameJson(from, to);
            // update.go update(): Working (but a Degraded node stays Degraded, with its reason,
            // until SetDone), then a drain request when the change reboots; a rebootless one goes
            // straight to completeUpdate's uncordon request.
            const failing = a[A.state] === "Degraded" || a[A.state] === "Unreconcilable";
            await this.annotate(node, {
                ...(failing ? {} : { [A.state]: "Working", [A.reason]: "" }),
                [A.desiredDrain]: reboot ? drain : uncordon,
            });
            this.updating.set(node.metadata.name, key);
            if (!reboot) this.noteUpdate(node, a, desired, false);
            return { wrote: true, pending: true };
        }
        // the drain controller has not answered yet
        if (a[A.lastAppliedDrain] !== want) return { wrote: false, pending: true };
        if (want === drain) {
            // Drained: the update is applied and the node reboots into it; then request the uncordon.
            this.noteUpdate(node, a, desired, true);
            await this.annotate(node, { [A.desiredDrain]: uncordon });
            return { wrote: true, pending: true };
        }
        await this.annotate(node, {
            [A.current]: desired,
            [A.currentImage]: a[A.desiredImage] ?? null,
            [A.state]: "Done",
            [A.reason]: "",
        });
        this.updating.delete(node.metadata.name);
        await this.reportReadiness(node, target?.osImageURL);
        return { wrote: true, pending: true };
    }

    private noteUpdate(node: KubeObject, a: Record<string, string>, desired: string, reboot: boolean): void {
        const from = this.nodeContent(a[A.current], a[A.currentImage]);
        const to = this.nodeContent(desired, a[A.desiredImage]);
        this.note("NodeUpdate", reboot ? "REBOOT" : "NO_REBOOT", node, {
            from: a[A.current],
            to: desired,
            pool: this.primaryPool(node)?.metadata.name,
            fromImage: from?.osImageURL,
            toImage: to?.osImageURL,
            kernelArguments: [...(to?.kernelArguments ?? [])],
            extensions: [...(to?.extensions ?? [])],
        });
    }

    /**
     * With the real controllers: every pool that can finish has (its status names the rendered
     * config its spec does, Updated with every machine), or is stuck on a Degraded node, paused, or
     * failed to build; and no node is mid-update but a Degraded one.
     */
    private poolsSteady(): boolean {
        for (const pool of this.pools.values()) {
            if (pool.metadata.deletionTimestamp) continue;
            const spec = pool.spec ?? {};
            const st = pool.status ?? {};
            const conds = st.conditions ?? [];
            const on = (t: string): boolean => conds.some(c => c.type === t && c.status === "True");
            if (spec.configuration?.name === undefined) return false;
            if (spec.paused || (st.degradedMachineCount ?? 0) > 0 || on("RenderDegraded") || on("ImageBuildDegraded"))
                continue;
            if (st.observedGeneration !== pool.metadata.generation) return false;
            if (
                st.configuration?.name !== spec.configuration.name ||
                !on("Updated") ||
                st.updatedMachineCount !== st.machineCount
            )
                return false;
        }
        for (const n of this.nodes.values()) {
            const a = n.metadata.annotations ?? {};
            if (a[A.state] === "Degraded") continue;
            if (a[A.desired] !== a[A.current] || a[A.state] !== "Done") return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ ClusterVersion
    private async cvo(): Promise<{ wrote: boolean; pending: boolean }> {
        const cv = this.cv;
        const asked = cv?.spec?.desiredUpdate;
        // A version-only desiredUpdate names a release the cluster is offered (availableUpdates).
        const byVersion = asked?.version
            ? [...this.releases].find(([, r]) => r.version === asked.version)?.[0]
            : undefined;
        const want = asked === undefined ? undefined : { ...asked, image: asked.image || byVersion };
        if (cv === undefined || want?.image === undefined || want.image === "") return { wrote: false, pending: false };
        const known = this.releases.get(want.image);
        const history = cv.status?.history ?? [];
        const latest = history[0];
        const path = "/apis/config.openshift.io/v1/clusterversions/version/status";
        const version =
            want.version || known?.version || this.opts.releaseVersion?.(want.image) || "4.19.10-rhcos-forge";
        let conditions = [...(cv.status?.conditions ?? [])];
        const cond = (type: string, status: boolean, reason: string, message: string): CvCondition => ({
            type,
            status: status ? "True" : "False",
            lastTransitionTime: now(),
            reason,
            message,
        });
        const write = async (status: Record<string, unknown>): Promise<void> => {
            const updated = await this.client.update<ClusterVersion>(path, {
                ...cv,
                status: { ...cv.status, ...status },
            });
            this.cv = updated;
            this.cvoWroteAt = Date.now();
        };
        if (latest?.image === want.image && latest.state === "Completed") return { wrote: false, pending: false };
        if (want.force !== true && known === undefined) {
            // The CVO verifies the release signature; a custom release has none.
            const message =
                `Retrieving payload failed version="${want.version ?? ""}" image="${want.image}" failure=The ` +
                `update cannot be verified: unable to verify ${want.image.split("@")[1] ?? want.image} against ` +
                `keyrings: verifier-public-key-redhat`;
            if (conditions.some(c => c.type === "ReleaseAccepted" && c.status === "False" && c.message === message))
                return { wrote: false, pending: false };
            conditions = setCondition(conditions, cond("ReleaseAccepted", false, "RetrievePayload", message));
            await write({ conditions });
            return { wrote: true, pending: false };
        }
        const steps = ["0 of 3 done (0% complete)", "1 of 3 done (33% complete)", "2 of 3 done (66% complete)"];
        const reads = this.opts.clusterVersionReads?.(this.cvoWroteAt);
        if (latest?.image !== want.image) {
            this.cvoStep = 0;
            conditions = setCondition(
                conditions,
                cond(
                    "ReleaseAccepted",
                    true,
                    "PayloadLoaded",
                    `Payload loaded version="${version}" image="${want.image}" architecture="amd64"`,
                ),
            );
            conditions = setCondition(
                conditions,
                cond("Progressing", true, "", `Working towards ${version}: ${steps[0]}`),
            );
            await write({
                desired: { image: want.image, version },
                history: [
                    {
                        state: "Partial",
                        image: want.image,
                        version,
                        startedTime: now(),
                        completionTime: null,
                        verified: false,
                    },
                    ...history,
                ],
                conditions,
                observedGeneration: cv.metadata.generation,
            });
            return { wrote: true, pending: true };
        }
        // One step per read by someone else: a wait that polls sees every step.
        if (reads !== undefined && reads === 0) return { wrote: false, pending: true };
        this.cvoStep++;
        // The machine-config operator's runlevel: the new release's MCO takes over.
        if (known !== undefined && this.cvoStep === steps.length - 1 && this.mcoRelease !== want.image) {
            await this.upgradeMachineConfigOperator(want.image, known);
        }
        if (this.cvoStep < steps.length) {
            conditions = setCondition(
                conditions,
                cond("Progressing", true, "", `Working towards ${version}: ${steps[this.cvoStep]}`),
            );
            await write({ conditions });
            return { wrote: true, pending: true };
        }
        conditions = setCondition(conditions, cond("Progressing", false, "", `Cluster version is ${version}`));
        conditions = setCondition(conditions, cond("Available", true, "", `Done applying ${version}`));
        const availableUpdates = (
            (cv.status?.availableUpdates as { image?: string }[] | null | undefined) ?? []
        ).filter(u => u.image !== want.image);
        await write({
            history: [
                { ...latest, state: "Completed", completionTime: now(), verified: known !== undefined },
                ...history.slice(1),
            ],
            conditions,
            availableUpdates,
        });
        return { wrote: true, pending: false };
    }

    /**
     * What the new release's machine-config-operator writes before the CVO calls the release
     * Completed (see the file header): the base image, the ControllerConfig (its status completed
     * for the new generation, pkg/apihelpers IsControllerConfigCompleted), the MCO-generated
     * MachineConfigs' content, and the ClusterOperator's version.
     */
    private async upgradeMachineConfigOperator(image: string, release: KnownRelease): Promise<void> {
        const cmPath = `/api/v1/namespaces/${MCO_NAMESPACE}/configmaps/machine-config-osimageurl`;
        const cm = await this.client.mustGet(cmPath);
        await this.client.update(cmPath, {
            ...cm,
            data: { ...cm.data, baseOSContainerImage: release.osImage, releaseVersion: release.version },
        });
        this.baseImage = release.osImage;
        const ccPath = `/apis/${MCO_API}/controllerconfigs/machine-config-controller`;
        const cc = await this.client.get(ccPath);
        if (cc !== undefined) {
            const annotations = {
                ...cc.metadata.annotations,
                "machineconfiguration.openshift.io/release-image-version": release.version,
            };
            const updated = await this.client.update(ccPath, {
                ...cc,
                metadata: { ...cc.metadata, annotations },
                spec: { ...cc.spec, baseOSContainerImage: release.osImage, releaseImage: image },
            });
            const generation = updated.metadata.generation ?? 1;
            const status = (updated.status ?? {}) as { conditions?: CvCondition[] };
            await this.client.update(`${ccPath}/status`, {
                ...updated,
                status: {
                    ...status,
                    observedGeneration: generation,
                    conditions: (status.conditions ?? []).map(c =>
                        c.type === "TemplateControllerCompleted"
                            ? { ...c, message: (c.message ?? "").replace(/\(\d+\)/, `(${generation})`) }
                            : c,
                    ),
                },
            });
        }
        for (const mc of [...this.mcs.values()]) {
            if (mc.metadata.name.startsWith("rendered-") || (mc.metadata.annotations ?? {})[GENERATED_BY] === undefined)
                continue;
            const file = {
                path: "/etc/rhcos-forge-e2e/release",
                mode: 420,
                contents: { source: `data:,${encodeURIComponent(release.version)}` },
            };
            const config = {
                ...((mc.spec?.config as Record<string, unknown> | undefined) ?? { ignition: { version: "3.5.0" } }),
                storage: { files: [file] },
            };
            this.mcs.set(
                mc.metadata.name,
                await this.client.update<Mc>(`/apis/${MCO_API}/machineconfigs/${mc.metadata.name}`, {
                    ...mc,
                    spec: { ...mc.spec, config },
                }),
            );
        }
        const coPath = "/apis/config.openshift.io/v1/clusteroperators/machine-config";
        const co = await this.client.get(coPath);
        if (co !== undefined) {
            await this.client.update(`${coPath}/status`, {
                ...co,
                status: {
                    ...co.status,
                    versions: [
                        { name: "operator", version: release.version },
                        { name: "operator-image", version: image },
                    ],
                },
            });
        }
        this.mcoRelease = image;
    }

    /** The kubelet's Ready condition of a node that booted `image` (see "readiness" in the header). */
    private async reportReadiness(node: KubeObject, image: string | undefined): Promise<void> {
        const labelsOf = this.opts.imageLabels;
        if (labelsOf === undefined || image === undefined || image === "") return;
        let labels = this.labelCache.get(image);
        if (labels === undefined) {
            labels = labelsOf(image);
            this.labelCache.set(image, labels);
        }
        const broken = (await labels)[BREAKS_NODE];
        const path = `/api/v1/nodes/${node.metadata.name}/status`;
        const live = await this.client.mustGet(path);
        const status = (live.status ?? {}) as { conditions?: CvCondition[] };
        const ready = (status.conditions ?? []).find(c => c.type === "Ready");
        const want =
            broken === undefined
                ? {
                      type: "Ready",
                      status: "True",
                      reason: "KubeletReady",
                      message: "kubelet is posting ready status",
                      lastTransitionTime: now(),
                  }
                : {
                      type: "Ready",
                      status: "False",
                      reason: "KubeletNotReady",
                      message: broken,
                      lastTransitionTime: now(),
                  };
        if (ready?.status === want.status && ready.message === want.message) return;
        const conditions = setCondition(status.conditions ?? [], want);
        await this.client.update(path, { ...live, status: { ...status, conditions } });
    }
}

interface Layered {
    /** Nodes may move (no build, or the build of the current config succeeded and is reported). */
    readonly ready: boolean;
    readonly building: boolean;
    readonly failed: boolean;
    readonly failure?: string;
    readonly wrote: boolean;
    readonly mosc?: string;
    readonly build?: string;
    /** The built image nodes boot, once reported. */
    readonly image?: string;
}

/** intstr.GetScaledValueFromIntOrPercent rounding down, and never 0 (the MCO moves one node at least). */
function maxUnavailableOf(v: number | string | undefined, total: number): number {
    if (v === undefined) return 1;
    if (typeof v === "number") return Math.max(1, v);
    const m = /^(\d+)%$/.exec(v);
    const n = m ? Math.floor((Number(m[1]) * total) / 100) : Number(v);
    return Math.max(1, Number.isFinite(n) ? n : 1);
}

function stripTimes(s: unknown): unknown {
    return JSON.parse(JSON.stringify(s, (k, v: unknown) => (k === "lastTransitionTime" ? undefined : v)));
}

function summarize(kind: RecordEntry["kind"], o: KubeObject): Record<string, unknown> {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    const status = (o.status ?? {}) as Record<string, unknown>;
    switch (kind) {
        case "MachineConfig":
            return {
                labels: o.metadata.labels ?? {},
                osImageURL: spec.osImageURL,
                kernelArguments: spec.kernelArguments,
                extensions: spec.extensions,
            };
        case "MachineConfigPool": {
            const s = status as PoolStatus;
            const p = spec as PoolSpec;
            const conds = s.conditions ?? [];
            return {
                specConfig: p.configuration?.name,
                sources: (p.configuration?.source ?? []).map(r => r.name),
                statusConfig: s.configuration?.name,
                statusSources: (s.configuration?.source ?? []).map(r => r.name),
                paused: p.paused,
                maxUnavailable: p.maxUnavailable,
                nodeSelector: p.nodeSelector,
                machineConfigSelector: p.machineConfigSelector,
                machineCount: s.machineCount,
                updated: s.updatedMachineCount,
                ready: s.readyMachineCount,
                degraded: s.degradedMachineCount,
                trueConditions: conds
                    .filter(c => c.status === "True")
                    .map(c => c.type)
                    .sort(),
                messages: Object.fromEntries(
                    conds.filter(c => c.status === "True" && c.message).map(c => [c.type, c.message]),
                ),
                generation: o.metadata.generation,
                observedGeneration: s.observedGeneration,
            };
        }
        case "Node": {
            const a = o.metadata.annotations ?? {};
            return {
                labels: o.metadata.labels ?? {},
                desiredConfig: a[A.desired],
                currentConfig: a[A.current],
                state: a[A.state],
                reason: a[A.reason],
                desiredImage: a[A.desiredImage],
                currentImage: a[A.currentImage],
            };
        }
        case "MachineOSConfig":
            return {
                spec,
                currentImage: status.currentImagePullSpec ?? status.currentImagePullspec,
                rebuild: (o.metadata.annotations ?? {})[REBUILD],
            };
        case "MachineOSBuild":
            return {
                mosc: (spec.machineOSConfig as { name?: string } | undefined)?.name,
                rendered:
                    (spec.machineConfig as { name?: string } | undefined)?.name ??
                    (spec.desiredConfig as { name?: string } | undefined)?.name,
                trueConditions: ((status.conditions ?? []) as BuildCondition[])
                    .filter(c => c.status === "True")
                    .map(c => c.type),
                digest: status.digestedImagePushSpec ?? status.finalImagePullspec,
            };
        case "ClusterVersion": {
            const cv = o as ClusterVersion;
            const h = cv.status?.history?.[0];
            return {
                desiredUpdate: cv.spec?.desiredUpdate,
                desired: cv.status?.desired,
                latest: h === undefined ? undefined : { state: h.state, image: h.image, version: h.version },
                progressing: cv.status?.conditions?.find(c => c.type === "Progressing")?.message,
                releaseAccepted: cv.status?.conditions?.find(c => c.type === "ReleaseAccepted"),
            };
        }
        default:
            return {};
    }
}
