// The staged-rollout wait against recorded MachineConfigPool / MachineOSBuild status sequences,
// replayed with a fake clock: no sleeping, no cluster.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    BuildObject,
    Clock,
    PoolNode,
    PoolObject,
    PoolObservation,
    PoolRolloutError,
    PoolTarget,
    RenderedConfig,
    WaitOptions,
    evaluatePool,
    waitForPool,
} from "../../../components/rollout/poolWait";

const IMAGE = "quay.io/example-org/rhcos-forge@sha256:" + "1".repeat(64);
const OLD_IMAGE = "quay.io/example-org/rhcos-forge@sha256:" + "0".repeat(64);
const MC = "99-worker-rhcos-forge-os-image";
const TARGET: PoolTarget = {
    pool: "worker",
    machineConfig: MC,
    settings: { osImageURL: IMAGE, kernelArguments: ["nosmt"] },
};

const T = "2025-06-01T10:00:00Z";
const cond = (type: string, status: "True" | "False", message = "", reason = "AsExpected") => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: T,
});

/** A MachineConfigPool as the MCO reports it (the fields `oc get mcp -o yaml` shows). */
function mcp(o: {
    generation?: number;
    observed?: number;
    desired: string;
    current: string;
    sources?: string[];
    machines?: number;
    updated: number;
    ready?: number;
    degraded?: number;
    updating: boolean;
    extra?: ReturnType<typeof cond>[];
    paused?: boolean;
}): PoolObject {
    const machines = o.machines ?? 3;
    const done = !o.updating && o.updated === machines;
    const source = (o.sources ?? ["00-worker", "01-worker-kubelet", MC]).map(name => ({ name }));
    return {
        metadata: { name: "worker", generation: o.generation ?? 4 },
        spec: { paused: o.paused ?? false, configuration: { name: o.desired, source } },
        status: {
            observedGeneration: o.observed ?? o.generation ?? 4,
            configuration: { name: o.current, source },
            machineCount: machines,
            updatedMachineCount: o.updated,
            readyMachineCount: o.ready ?? o.updated,
            degradedMachineCount: o.degraded ?? 0,
            unavailableMachineCount: machines - (o.ready ?? o.updated),
            conditions: [
                cond("RenderDegraded", "False"),
                cond("NodeDegraded", (o.degraded ?? 0) > 0 ? "True" : "False"),
                cond("Degraded", (o.degraded ?? 0) > 0 ? "True" : "False"),
                cond("Updated", done ? "True" : "False", done ? `All nodes are updated with ${o.current}` : ""),
                cond(
                    "Updating",
                    o.updating ? "True" : "False",
                    o.updating ? `All nodes are updating to ${o.desired}` : "",
                ),
                ...(o.extra ?? []),
            ],
        },
    } as PoolObject;
}

const rendered = (name: string, osImageURL: string, kernelArguments: string[] = []): RenderedConfig => ({
    metadata: { name },
    spec: { osImageURL, kernelArguments, extensions: [], kernelType: "" },
});
const OLD = rendered("rendered-worker-aaa", OLD_IMAGE);
const NEW = rendered("rendered-worker-bbb", IMAGE, ["nosmt"]);

/** The worker pool on rendered-worker-<id> in spec and status with `updated` of its 3 machines updated. */
function worker(id: "aaa" | "bbb", updated: number, o: Partial<Parameters<typeof mcp>[0]> = {}): PoolObject {
    const name = `rendered-worker-${id}`;
    return mcp({ desired: name, current: name, updated, updating: updated < 3, ...o });
}
/** That pool read with its rendered config. */
const step = (id: "aaa" | "bbb", updated: number, o: Partial<Parameters<typeof mcp>[0]> = {}): PoolObservation => ({
    pool: worker(id, updated, o),
    rendered: id === "aaa" ? OLD : NEW,
});

/** Replays observations, one per read; the last one repeats. */
function replay(seq: (PoolObservation | Error)[]): () => Promise<PoolObservation> {
    let i = 0;
    return async () => {
        const next = seq[Math.min(i++, seq.length - 1)];
        if (next instanceof Error) throw next;
        return next;
    };
}

function fakeClock(): Clock & { slept: number[] } {
    let t = 0;
    const slept: number[] = [];
    return {
        slept,
        now: () => t,
        sleep: async ms => {
            slept.push(ms);
            t += ms;
        },
    };
}

const MIN = 60_000;

/** Waits on a replayed sequence with a fake clock, logging nowhere unless `opts` says. */
const replayWait = (target: PoolTarget, seq: (PoolObservation | Error)[], opts: Partial<WaitOptions> = {}) =>
    waitForPool(target, replay(seq), fakeClock(), { timeoutMs: 60 * MIN, log: () => undefined, ...opts });

/** The wait fails with a PoolRolloutError carrying exactly `message`. */
const rejectsWith = (wait: Promise<unknown>, message: string) =>
    assert.rejects(wait, (e: unknown) => {
        assert.ok(e instanceof PoolRolloutError);
        assert.equal(e.message, message);
        return true;
    });

describe("evaluatePool", () => {
    it("is not fooled by Updated=True about the previous config right after the MachineConfig changed", () => {
        // The render controller has not run yet: status is the old, fully rolled-out config.
        const stale = step("aaa", 3);
        const v = evaluatePool(stale, TARGET);
        assert.equal(v.state, "waiting");
        assert.match(v.state === "waiting" ? v.reason : "", /does not show osImageURL .*, kernel argument nosmt yet/);
    });

    it("waits for our MachineConfig to be among the rendered config's sources", () => {
        const v = evaluatePool(step("aaa", 3, { sources: ["00-worker"] }), TARGET);
        assert.equal(v.state === "waiting" && v.reason, `waiting for the MCO to render ${MC} into the pool`);
    });

    it("waits while the pool controller has not observed the new generation", () => {
        const v = evaluatePool(step("bbb", 3, { generation: 5, observed: 4 }), TARGET);
        assert.equal(v.state, "waiting");
    });

    it("treats an empty kernelType in the rendered config as the default kernel", () => {
        const target: PoolTarget = { pool: "worker", settings: { kernelType: "default" } };
        const v = evaluatePool(step("bbb", 3), target);
        assert.equal(v.state, "done");
    });

    it("fails a paused pool instead of waiting for the timeout", () => {
        const v = evaluatePool(step("bbb", 0, { updating: false, paused: true }), TARGET);
        assert.deepEqual(v, {
            state: "failed",
            message: "pool worker is paused: the MCO will not update its nodes until it is unpaused",
        });
    });

    it("waits for a custom pool that does not exist yet", () => {
        assert.deepEqual(evaluatePool({}, TARGET), { state: "waiting", reason: "pool worker does not exist yet" });
    });
});

describe("waitForPool on recorded sequences", () => {
    it("updating → updated: resolves once every machine runs the new rendered config, logging progress", async () => {
        const log: string[] = [];
        const clock = fakeClock();
        const done = await waitForPool(
            TARGET,
            replay([
                step("aaa", 3),
                step("bbb", 0, { ready: 2 }),
                step("bbb", 1, { ready: 2 }),
                step("bbb", 1, { ready: 2 }),
                step("bbb", 3),
            ]),
            clock,
            { timeoutMs: 60 * MIN, pollMs: 15_000, log: m => log.push(m) },
        );
        assert.equal(done.state, "done");
        assert.deepEqual(done.progress, {
            machineCount: 3,
            updatedMachineCount: 3,
            readyMachineCount: 3,
            degradedMachineCount: 0,
        });
        assert.deepEqual(clock.slept, [15_000, 15_000, 15_000, 15_000]);
        assert.deepEqual(
            log,
            [
                `pool worker: 3/3 updated, 3/3 ready, 0 degraded; rendered config does not show osImageURL ` +
                    `${IMAGE}, kernel argument nosmt yet`,
                "pool worker: 0/3 updated, 2/3 ready, 0 degraded; nodes updating",
                "pool worker: 1/3 updated, 2/3 ready, 0 degraded; nodes updating",
                "pool worker updated: 3/3 updated, 3/3 ready, 0 degraded",
            ],
            "an unchanged line is not repeated",
        );
    });

    it("updating → degraded: fails with the pool's own message", async () => {
        const degraded = worker("bbb", 1, { ready: 1, degraded: 1 });
        const conditions = degraded.status?.conditions?.map(c =>
            c.type === "NodeDegraded"
                ? {
                      ...c,
                      reason: "1 nodes are reporting degraded status on sync",
                      message:
                          'Node worker-1 is reporting: "failed to run command rpm-ostree (6 tries): error: ' +
                          'Importing: Unencapsulating base: manifest unknown"',
                  }
                : c,
        );
        await rejectsWith(
            replayWait(TARGET, [
                step("bbb", 0, { ready: 2 }),
                { pool: { ...degraded, status: { ...degraded.status, conditions } }, rendered: NEW },
            ]),
            "pool worker is NodeDegraded (1 nodes are reporting degraded status on sync): Node worker-1 is " +
                'reporting: "failed to run command rpm-ostree (6 tries): error: Importing: Unencapsulating base: ' +
                'manifest unknown"',
        );
    });

    it("fails on RenderDegraded (a MachineConfig the MCO cannot merge) before anything else", async () => {
        const pool = worker("aaa", 3, {
            extra: [
                cond(
                    "RenderDegraded",
                    "True",
                    "Failed to render configuration for pool worker: invalid extensions found: [docker]",
                    "RenderFailed",
                ),
            ],
        });
        // The recorded pool lists RenderDegraded twice (False from the template, True appended): the True one counts.
        await assert.rejects(
            replayWait(TARGET, [{ pool, rendered: OLD }], { timeoutMs: MIN }),
            new RegExp(
                [
                    String.raw`^PoolRolloutError: pool worker is RenderDegraded \(RenderFailed\): Failed to render `,
                    String.raw`configuration for pool worker: invalid extensions found: \[docker\]$`,
                ].join(""),
            ),
        );
    });

    it("times out with the last progress when the pool never finishes", async () => {
        const clock = fakeClock();
        const log: string[] = [];
        const stuck = step("bbb", 1, { ready: 2 });
        const opts = { timeoutMs: 20 * MIN, pollMs: MIN, heartbeatMs: 10 * MIN, log: (m: string) => log.push(m) };
        await rejectsWith(
            waitForPool(TARGET, replay([stuck]), clock, opts),
            "pool worker did not finish within 20 minutes (rhcos-forge:rollout.timeoutMinutes); last: pool " +
                "worker: 1/3 updated, 2/3 ready, 0 degraded; nodes updating",
        );
        assert.equal(clock.now(), 20 * MIN, "gives up exactly at the timeout");
        assert.equal(log.length, 3, "logs at start and every heartbeat (0, 10, 20 min)");
    });

    it("retries reads that fail (API server restarting) until the pool is done", async () => {
        const log: string[] = [];
        const done = await replayWait(TARGET, [new Error("connect ECONNREFUSED 10.0.0.1:6443"), step("bbb", 3)], {
            timeoutMs: MIN,
            pollMs: 1000,
            log: m => log.push(m),
        });
        assert.equal(done.state, "done");
        assert.equal(log[0], "pool worker: cannot read status (connect ECONNREFUSED 10.0.0.1:6443); retrying");
    });
});

describe("waitForPool on-cluster (MachineOSBuild)", () => {
    const target: PoolTarget = { pool: "canary", settings: {}, onCluster: { api: "v1" } };
    const canary = (o: Parameters<typeof mcp>[0]): PoolObject => ({
        ...mcp(o),
        metadata: { name: "canary", generation: 2 },
    });
    const build = (conditions: ReturnType<typeof cond>[], config = "rendered-canary-bbb"): BuildObject => ({
        metadata: { name: `canary-${config.slice(-3)}`, creationTimestamp: T },
        spec: { machineOSConfig: { name: "canary" }, machineConfig: { name: config } },
        status: { conditions },
    });
    const building = [
        cond("Prepared", "False"),
        cond("Building", "True", "Image Build In Progress", "Building"),
        cond("Succeeded", "False"),
        cond("Failed", "False"),
        cond("Interrupted", "False"),
    ];
    const succeeded = [
        cond("Prepared", "False"),
        cond("Building", "False"),
        cond("Succeeded", "True", "Build Ready", "Ready"),
        cond("Failed", "False"),
        cond("Interrupted", "False"),
    ];
    const failed = [
        cond("Prepared", "False"),
        cond("Building", "False"),
        cond("Succeeded", "False"),
        cond(
            "Failed",
            "True",
            "Failed: error building image: RUN rpm-ostree install htop: exit status 1",
            "BuildFailed",
        ),
        cond("Interrupted", "False"),
    ];
    /** The canary pool (one machine) on rendered-canary-bbb, built from 00-worker. */
    const canaryOn = (updated: number, o: Partial<Parameters<typeof mcp>[0]> = {}) =>
        canary({
            desired: "rendered-canary-bbb",
            current: "rendered-canary-bbb",
            updated,
            machines: 1,
            updating: false,
            sources: ["00-worker"],
            ...o,
        });
    const pool = canaryOn(0, { generation: 2, ready: 1, updating: true });
    const updated = canaryOn(1, { generation: 2 });

    it("build → image → nodes updated: resolves with the digest the MachineOSConfig reports", async () => {
        const log: string[] = [];
        const done = await replayWait(
            target,
            [
                { pool, builds: [build(succeeded, "rendered-canary-aaa")], machineOSConfig: { status: {} } },
                { pool, builds: [build(building)], machineOSConfig: { status: {} } },
                { pool, builds: [build(succeeded)], machineOSConfig: { status: { currentImagePullSpec: IMAGE } } },
                {
                    pool: updated,
                    builds: [build(succeeded)],
                    machineOSConfig: { status: { currentImagePullSpec: IMAGE } },
                },
            ],
            { log: m => log.push(m) },
        );
        assert.equal(done.image, IMAGE);
        assert.deepEqual(log, [
            "pool canary: 0/1 updated, 1/1 ready, 0 degraded; waiting for the MCO to start the image build " +
                "for rendered-canary-bbb",
            "pool canary: 0/1 updated, 1/1 ready, 0 degraded; image build canary-bbb in progress",
            "pool canary: 0/1 updated, 1/1 ready, 0 degraded; nodes updating",
            `pool canary updated: 1/1 updated, 1/1 ready, 0 degraded (image ${IMAGE})`,
        ]);
    });

    // Right after the build the pool still reports the nodes' unlayered state.
    it("a pool still Updated on unlayered nodes after the build: waits until each node runs the image", () => {
        const onImage = (image: string | undefined, state = "Done"): PoolNode => ({
            metadata: {
                name: "worker-0",
                annotations: {
                    "machineconfiguration.openshift.io/desiredConfig": "rendered-canary-bbb",
                    ...(image === undefined
                        ? {}
                        : {
                              "machineconfiguration.openshift.io/desiredImage": image,
                              "machineconfiguration.openshift.io/currentImage": image,
                          }),
                    "machineconfiguration.openshift.io/state": state,
                },
            },
        });
        const ready = {
            pool: updated,
            builds: [build(succeeded)],
            machineOSConfig: { status: { currentImagePullSpec: IMAGE } },
        };
        assert.match(
            JSON.stringify(evaluatePool({ ...ready, nodes: [onImage(undefined)] }, target)),
            /worker-0 not on image/,
        );
        assert.equal(evaluatePool({ ...ready, nodes: [onImage(IMAGE)] }, target).state, "done");
        const otherPools: PoolNode = {
            metadata: {
                name: "worker-1",
                annotations: {
                    "machineconfiguration.openshift.io/desiredConfig": "rendered-other-ccc",
                    "machineconfiguration.openshift.io/state": "Done",
                },
            },
        };
        assert.equal(
            evaluatePool({ ...ready, nodes: [onImage(IMAGE), otherPools] }, target).state,
            "done",
            "a node another pool manages does not count",
        );
    });

    it("a rebuild: waits while the rebuild annotation is set, though the config's last build succeeded", async () => {
        const REBUILD = "machineconfiguration.openshift.io/rebuild";
        const OLD = IMAGE.replace(/.$/, "0");
        const log: string[] = [];
        const done = await replayWait(
            { ...target, onCluster: { api: "v1", rebuildAnnotation: REBUILD } },
            [
                // Right after the patch: the old build is current and succeeded, the pool is updated.
                {
                    pool: updated,
                    builds: [build(succeeded)],
                    machineOSConfig: {
                        metadata: { annotations: { [REBUILD]: "abc" } },
                        status: { currentImagePullSpec: OLD },
                    },
                },
                {
                    pool: updated,
                    builds: [build(succeeded)],
                    machineOSConfig: { metadata: { annotations: {} }, status: { currentImagePullSpec: IMAGE } },
                },
            ],
            { log: m => log.push(m) },
        );
        assert.equal(done.image, IMAGE, "not the image from before the rebuild");
        assert.equal(
            log[0],
            `pool canary: 1/1 updated, 1/1 ready, 0 degraded; waiting for the MCO to rebuild MachineOSConfig ` +
                `canary (${REBUILD} is still set)`,
        );
    });

    it("build failed: fails with the MachineOSBuild's message", async () => {
        await rejectsWith(
            replayWait(target, [
                { pool, builds: [build(building)], machineOSConfig: { status: {} } },
                { pool, builds: [build(failed)], machineOSConfig: { status: {} } },
            ]),
            "MachineOSBuild canary-bbb for pool canary is Failed (BuildFailed): Failed: error building image: " +
                "RUN rpm-ostree install htop: exit status 1",
        );
    });

    it("ignores an older failed build of a previous config", async () => {
        const done = await replayWait(
            target,
            [
                {
                    pool: updated,
                    builds: [build(failed, "rendered-canary-aaa"), build(succeeded)],
                    machineOSConfig: { status: { currentImagePullSpec: IMAGE } },
                },
            ],
            { timeoutMs: MIN },
        );
        assert.equal(done.image, IMAGE);
    });

    it("v1alpha1: reads desiredConfig and currentImagePullspec", async () => {
        const alpha: PoolTarget = { pool: "canary", settings: {}, onCluster: { api: "v1alpha1" } };
        const b: BuildObject = {
            metadata: { name: "canary-rendered-canary-bbb-builder" },
            spec: { machineOSConfig: { name: "canary" }, desiredConfig: { name: "rendered-canary-bbb" } },
            status: { conditions: succeeded },
        };
        const seen = { pool: updated, builds: [b], machineOSConfig: { status: { currentImagePullspec: IMAGE } } };
        const done = await replayWait(alpha, [seen], { timeoutMs: MIN });
        assert.equal(done.image, IMAGE);
    });

    // What the MCO's own status logic shows (and the e2e suite's MCO simulator replays on a real API
    // server): after a new Containerfile, the pool still says ImageBuildDegraded / Degraded about
    // the previous build, and the new build of the same rendered config can share its
    // creationTimestamp second; the MachineOSConfig's generation and current-build annotation say
    // which build is current.
    it("a stale build failure does not fail a new MachineOSConfig; the current-build annotation picks", async () => {
        const stale = canaryOn(1, {
            extra: [
                cond(
                    "ImageBuildDegraded",
                    "True",
                    "Failed to build OS image for pool canary (MachineOSBuild: canary-old): exit status 1",
                    "BuildFailed",
                ),
            ],
        });
        const old = { ...build(failed), metadata: { name: "canary-old", creationTimestamp: T } };
        const next = (c: ReturnType<typeof cond>[]): BuildObject => ({
            ...build(c),
            metadata: { name: "canary-new", creationTimestamp: T },
        });
        const mosc = (generation: number, observed: number, current: string, image?: string) => ({
            metadata: {
                generation,
                annotations: { "machineconfiguration.openshift.io/current-machine-os-build": current },
            },
            status: { observedGeneration: observed, ...(image ? { currentImagePullSpec: image } : {}) },
        });
        const log: string[] = [];
        const done = await replayWait(
            target,
            [
                { pool: stale, builds: [old], machineOSConfig: mosc(2, 1, "canary-old", OLD_IMAGE) },
                { pool: stale, builds: [next(building), old], machineOSConfig: mosc(2, 2, "canary-new", OLD_IMAGE) },
                {
                    pool: updated,
                    builds: [
                        { ...next(succeeded), status: { conditions: succeeded, digestedImagePushSpec: IMAGE } },
                        old,
                    ],
                    machineOSConfig: mosc(2, 2, "canary-new", OLD_IMAGE),
                },
                {
                    pool: updated,
                    builds: [
                        { ...next(succeeded), status: { conditions: succeeded, digestedImagePushSpec: IMAGE } },
                        old,
                    ],
                    machineOSConfig: mosc(2, 2, "canary-new", IMAGE),
                },
            ],
            { log: m => log.push(m) },
        );
        assert.equal(done.image, IMAGE);
        assert.deepEqual(
            log.map(l => l.replace(/^pool canary: [^;]*; /, "")),
            [
                "waiting for the MCO to pick up MachineOSConfig canary generation 2",
                "image build canary-new in progress",
                `waiting for the MachineOSConfig to report the built image ${IMAGE}`,
                `pool canary updated: 1/1 updated, 1/1 ready, 0 degraded (image ${IMAGE})`,
            ],
        );
    });

    it("waits until the MachineOSConfig reports the current build's image, not the previous one", () => {
        const b: BuildObject = { ...build(succeeded), status: { conditions: succeeded, digestedImagePushSpec: IMAGE } };
        const v = evaluatePool(
            { pool: updated, builds: [b], machineOSConfig: { status: { currentImagePullSpec: OLD_IMAGE } } },
            target,
        );
        assert.deepEqual(
            v.state === "waiting" ? v.reason : v.state,
            `waiting for the MachineOSConfig to report the built image ${IMAGE}`,
        );
    });

    it("a pre-4.18 layered pool's BuildFailed condition fails the rollout", async () => {
        const p = canaryOn(0, {
            sources: undefined, // the default sources
            extra: [
                cond(
                    "BuildFailed",
                    "True",
                    "Failed to build OS image for pool canary (MachineOSBuild: canary-bbb)",
                    "BuildFailed",
                ),
            ],
        });
        await assert.rejects(
            replayWait(target, [{ pool: p, builds: [] }], { timeoutMs: MIN }),
            /pool canary is BuildFailed \(BuildFailed\): Failed to build OS image/,
        );
    });
});

describe("a failure condition is judged on the change being waited for (stale vs current)", () => {
    const REASON = "failed to pull image: unauthorized: authentication required";
    const node = (name: string, desired: string, state: string, reason = ""): PoolNode => ({
        metadata: {
            name,
            annotations: {
                "machineconfiguration.openshift.io/desiredConfig": desired,
                "machineconfiguration.openshift.io/state": state,
                "machineconfiguration.openshift.io/reason": reason,
            },
        },
    });
    const degradedPool = (o: { desired: string; generation?: number; observed?: number }) =>
        mcp({
            desired: o.desired,
            current: "rendered-worker-aaa",
            generation: o.generation,
            observed: o.observed,
            updated: 2,
            degraded: 1,
            updating: true,
        });

    it("fails when a node fails on the pool's rendered config of this change", () => {
        const obs = {
            pool: degradedPool({ desired: "rendered-worker-bbb" }),
            rendered: OLD,
            desiredRendered: NEW,
            nodes: [
                node("worker-0", "rendered-worker-bbb", "Degraded", REASON),
                node("worker-1", "rendered-worker-aaa", "Done"),
            ],
        };
        assert.equal(evaluatePool(obs, TARGET).state, "failed");
    });

    it("waits when the node has recovered but the pool still reports NodeDegraded", () => {
        const obs = {
            pool: degradedPool({ desired: "rendered-worker-bbb" }),
            rendered: OLD,
            desiredRendered: NEW,
            nodes: [node("worker-0", "rendered-worker-bbb", "Done")],
        };
        const v = evaluatePool(obs, TARGET);
        assert.equal(v.state, "waiting");
        assert.match(
            v.state === "waiting" ? v.reason : "",
            /not about this change \(no node of the pool is failing now\)/,
        );
    });

    it("fix-forward: waits while the pool's spec is still the rendered config the node failed on", () => {
        const obs = {
            pool: degradedPool({ desired: "rendered-worker-aaa" }),
            rendered: OLD,
            desiredRendered: OLD,
            nodes: [node("worker-0", "rendered-worker-aaa", "Degraded", REASON)],
        };
        const v = evaluatePool(obs, TARGET);
        assert.match(v.state === "waiting" ? v.reason : v.state, /does not hold this change yet/);
    });

    it("fix-forward: waits while the status is for an older generation", () => {
        const obs = {
            pool: degradedPool({ desired: "rendered-worker-bbb", generation: 5, observed: 4 }),
            rendered: OLD,
            desiredRendered: NEW,
            nodes: [node("worker-0", "rendered-worker-aaa", "Degraded", REASON)],
        };
        assert.match(JSON.stringify(evaluatePool(obs, TARGET)), /status is for generation 4, the pool is at 5/);
    });

    it("a node failed before the change stays Degraded applying the new config: waits; a new reason fails", () => {
        const baseline = new Map([["worker-0", REASON]]);
        const retrying = {
            pool: degradedPool({ desired: "rendered-worker-bbb" }),
            rendered: OLD,
            desiredRendered: NEW,
            nodes: [node("worker-0", "rendered-worker-bbb", "Degraded", REASON)],
        };
        assert.match(
            JSON.stringify(evaluatePool(retrying, TARGET, baseline)),
            /worker-0 has failed since before this change/,
        );
        const failedAgain = {
            ...retrying,
            nodes: [node("worker-0", "rendered-worker-bbb", "Degraded", "rpm-ostree: manifest unknown")],
        };
        assert.equal(evaluatePool(failedAgain, TARGET, baseline).state, "failed");
    });

    it("waitForPool takes the failing nodes of its first read as the baseline", async () => {
        const first = {
            pool: degradedPool({ desired: "rendered-worker-aaa" }),
            rendered: OLD,
            desiredRendered: OLD,
            nodes: [node("worker-0", "rendered-worker-aaa", "Degraded", REASON)],
        };
        const retrying = {
            pool: degradedPool({ desired: "rendered-worker-bbb" }),
            rendered: OLD,
            desiredRendered: NEW,
            nodes: [node("worker-0", "rendered-worker-bbb", "Degraded", REASON)],
        };
        const done = {
            ...step("bbb", 3),
            desiredRendered: NEW,
            nodes: [node("worker-0", "rendered-worker-bbb", "Done")],
        };
        const v = await replayWait(TARGET, [first, retrying, retrying, done], { pollMs: 1000 });
        assert.equal(v.state, "done");
    });
});

describe("waitForPool with the baseline read before the change was applied", () => {
    const REASON = "failed to pull image: unauthorized: authentication required";
    const degraded: PoolNode = {
        metadata: {
            name: "worker-0",
            annotations: {
                "machineconfiguration.openshift.io/desiredConfig": "rendered-worker-bbb",
                "machineconfiguration.openshift.io/state": "Degraded",
                "machineconfiguration.openshift.io/reason": REASON,
            },
        },
    };
    const failingOnThisChange = {
        pool: mcp({
            desired: "rendered-worker-bbb",
            current: "rendered-worker-aaa",
            updated: 2,
            degraded: 1,
            updating: true,
        }),
        rendered: OLD,
        desiredRendered: NEW,
        nodes: [degraded],
    };

    // The baseline is read at program start.
    it("a node failing on this change at the first read fails the rollout when the baseline was clean", async () => {
        await assert.rejects(
            replayWait(TARGET, [failingOnThisChange], { pollMs: 1000, baseline: new Map() }),
            /pool worker is NodeDegraded/,
        );
    });

    it("without that baseline the first read's failures pass for old ones (the wait runs to its timeout)", async () => {
        await assert.rejects(
            replayWait(TARGET, [failingOnThisChange], { pollMs: 1000 }),
            /did not finish within 60 minutes.*has failed since before this change/,
        );
    });
});
