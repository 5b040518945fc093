// The health gate against an in-memory API: the soak fails on a node NotReady or under pressure,
// the check Job is pinned to the pool's nodes by digest and must succeed, and a revert is a merge
// patch of the pool's osImageURL only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    GateNode,
    bootedUnhealthy,
    jobVerdict,
    mcoSkipsNode,
    nodeProblem,
    renderHealthJob,
    revertPool,
    runPoolGate,
} from "../../../components/rollout/healthGate";
import { KubeReader } from "../../../components/rollout/kubeApi";
import { Clock } from "../../../components/rollout/poll";

const CHECK = {
    image: `quay.io/example-org/check@sha256:${"c".repeat(64)}`,
    command: ["/check", "--net"],
    namespace: "default",
    timeoutMinutes: 5,
};
const node = (name: string, conds: Record<string, string> = {}): GateNode => ({
    metadata: { name },
    status: {
        conditions: Object.entries({
            Ready: "True",
            MemoryPressure: "False",
            DiskPressure: "False",
            PIDPressure: "False",
            ...conds,
        }).map(([type, status]) => ({ type, status })),
    },
});

/** A clock that advances only when slept on. */
function fakeClock(): Clock & { slept: number } {
    let t = 0;
    const c = {
        slept: 0,
        now: () => t,
        sleep: async (ms: number) => {
            t += ms;
            c.slept += ms;
        },
    };
    return c;
}

/** The pool `canary` selecting its nodes; nodes per read from `nodeReads`, the Job's status from `job`. */
function fakeApi(
    nodeReads: GateNode[][],
    job: (reads: number) => unknown,
): KubeReader & { sent: [string, string, unknown][] } {
    let n = 0;
    let jobReads = 0;
    let created = false;
    const sent: [string, string, unknown][] = [];
    return {
        sent,
        async get(path: string) {
            if (path.endsWith("/machineconfigpools/canary"))
                return { spec: { nodeSelector: { matchLabels: { "node-role.kubernetes.io/canary": "" } } } };
            if (path.startsWith("/api/v1/nodes?labelSelector="))
                return { items: nodeReads[Math.min(n++, nodeReads.length - 1)] };
            if (/\/jobs\/[^/]+$/.test(path)) return created ? job(++jobReads) : undefined;
            if (path.includes("/pods?labelSelector=")) return { items: [{ spec: { nodeName: "worker-0" } }] };
            return undefined;
        },
        async send(method, path, body) {
            sent.push([method, path, body]);
            if (method === "POST") created = true;
            return {};
        },
    };
}

const opts = { pollMs: 60_000, log: () => undefined, runId: "abc" };

it("names why a node fails the soak", () => {
    assert.equal(nodeProblem(node("a")), undefined);
    assert.equal(nodeProblem(node("a", { Ready: "False" })), "NotReady");
    assert.equal(nodeProblem(node("a", { Ready: "Unknown" })), "NotReady");
    assert.equal(nodeProblem(node("a", { DiskPressure: "True", PIDPressure: "True" })), "DiskPressure, PIDPressure");
    assert.equal(nodeProblem({ metadata: { name: "a" } }), "NotReady");
});

it("soaks for the whole time and passes healthy nodes", async () => {
    const clock = fakeClock();
    const api = fakeApi([[node("worker-0")]], () => undefined);
    assert.deepEqual(await runPoolGate(api, { pool: "canary", soakMinutes: 10 }, clock, opts), { ok: true });
    assert.equal(clock.slept, 10 * 60_000);
    assert.deepEqual(api.sent, []);
});

it("fails the soak on the first node under pressure, naming it", async () => {
    const api = fakeApi([[node("worker-0")], [node("worker-0", { MemoryPressure: "True" })]], () => undefined);
    assert.deepEqual(await runPoolGate(api, { pool: "canary", soakMinutes: 10 }, fakeClock(), opts), {
        ok: false,
        node: "worker-0",
        check: "soak",
        message: "node worker-0 is MemoryPressure",
    });
});

it("runs the check as a Job on the pool's nodes and fails with its message", async () => {
    const api = fakeApi([[node("worker-0")]], reads =>
        reads < 3
            ? { status: {} }
            : {
                  status: {
                      failed: 1,
                      conditions: [
                          { type: "Failed", status: "True", message: "Job has reached the specified backoff limit" },
                      ],
                  },
              },
    );
    const result = await runPoolGate(api, { pool: "canary", soakMinutes: 0, healthCheck: CHECK }, fakeClock(), opts);
    assert.deepEqual(result, {
        ok: false,
        node: "worker-0",
        check: "healthCheck Job default/rhcos-forge-health-canary-abc",
        message: "Job has reached the specified backoff limit",
    });
    const post = api.sent.find(([m]) => m === "POST");
    assert.deepEqual(post?.[2], renderHealthJob("canary", CHECK, "rhcos-forge-health-canary-abc"));
    const spec = (
        post?.[2] as {
            spec: {
                backoffLimit: number;
                template: { spec: { nodeSelector: unknown; containers: { image: string; command: string[] }[] } };
            };
        }
    ).spec;
    assert.equal(spec.backoffLimit, 0);
    assert.deepEqual(spec.template.spec.nodeSelector, { "node-role.kubernetes.io/canary": "" });
    assert.deepEqual(
        spec.template.spec.containers.map(c => [c.image, c.command]),
        [[CHECK.image, CHECK.command]],
    );
});

it("passes once the Job succeeded, and fails a Job that outlives its timeout", async () => {
    assert.deepEqual(
        await runPoolGate(
            fakeApi([[node("worker-0")]], r => ({ status: r < 2 ? {} : { succeeded: 1 } })),
            { pool: "canary", soakMinutes: 0, healthCheck: CHECK },
            fakeClock(),
            opts,
        ),
        { ok: true },
    );
    const slow = await runPoolGate(
        fakeApi([[node("worker-0")]], () => ({ status: {} })),
        { pool: "canary", soakMinutes: 0, healthCheck: CHECK },
        fakeClock(),
        opts,
    );
    assert.equal(slow.ok === false && slow.message, "did not succeed within 5 min");
    assert.equal(jobVerdict(undefined).state, "failed");
});

it("reverts with a merge patch of osImageURL alone", async () => {
    const api = fakeApi([], () => undefined);
    const prev = `quay.io/example-org/rhcos-forge@sha256:${"0".repeat(64)}`;
    await revertPool(api, "canary", prev);
    await revertPool(api, "canary", null);
    assert.deepEqual(api.sent, [
        [
            "PATCH",
            "/apis/machineconfiguration.openshift.io/v1/machineconfigs/99-canary-rhcos-forge-os-image",
            { spec: { osImageURL: prev } },
        ],
        [
            "PATCH",
            "/apis/machineconfiguration.openshift.io/v1/machineconfigs/99-canary-rhcos-forge-os-image",
            { spec: { osImageURL: null } },
        ],
    ]);
});

describe("bootedUnhealthy: a node that booted the pool's config and is not Ready", () => {
    const A = "machineconfiguration.openshift.io";
    const node = (name: string, current: string, ready: boolean) => ({
        metadata: {
            name,
            annotations: { [`${A}/currentConfig`]: current, [`${A}/desiredConfig`]: current, [`${A}/state`]: "Done" },
        },
        status: {
            conditions: [{ type: "Ready", status: ready ? "True" : "False", message: "network plugin not ready" }],
        },
    });
    const pool = { spec: { configuration: { name: "rendered-canary-new" } } };
    it("names the node on the new config that is NotReady", () => {
        assert.deepEqual(
            bootedUnhealthy({
                pool,
                nodes: [node("a", "rendered-canary-new", true), node("b", "rendered-canary-new", false)],
            }),
            { node: "b", message: "node b is NotReady (network plugin not ready) after booting rendered-canary-new" },
        );
    });
    it("ignores a NotReady node still on another config, and a healthy pool", () => {
        assert.equal(
            bootedUnhealthy({
                pool,
                nodes: [node("a", "rendered-canary-old", false), node("b", "rendered-canary-new", true)],
            }),
            undefined,
        );
        assert.equal(bootedUnhealthy({ pool: {}, nodes: [node("b", "rendered-canary-new", false)] }), undefined);
    });
});

describe("mcoSkipsNode: nodes the MCO's node controller hands no config (CheckNodeReady)", () => {
    it("skips NotReady, DiskPressure, NetworkUnavailable and unschedulable nodes, not memory or PID pressure", () => {
        assert.equal(mcoSkipsNode(node("a", { Ready: "False" })), "is NotReady");
        assert.equal(mcoSkipsNode(node("a", { DiskPressure: "True" })), "reports DiskPressure");
        assert.equal(mcoSkipsNode(node("a", { NetworkUnavailable: "True" })), "reports NetworkUnavailable");
        assert.equal(mcoSkipsNode({ ...node("a"), spec: { unschedulable: true } }), "is unschedulable");
        assert.equal(mcoSkipsNode(node("a", { MemoryPressure: "True", PIDPressure: "True" })), undefined);
        assert.equal(mcoSkipsNode(node("a")), undefined);
    });
});
