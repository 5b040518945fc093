// Waiting on destroy until a pool is back on a config without rhcos-forge's MachineConfigs
// (components/rollout/poolRevert.ts), and until a custom pool renders ours before nodes join
// (poolWait.ts evaluateRender): verdicts on pool objects as the MCO writes them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRevert, waitForRevert } from "../../../components/rollout/poolRevert";
import { PoolNode, PoolObject, evaluateRender } from "../../../components/rollout/poolWait";

const OURS = "99-worker-rhcos-forge-os-image";
const pool = (o: {
    spec: string;
    sources: string[];
    status: string;
    updated: number;
    machines?: number;
    generation?: number;
    observed?: number;
    isUpdated?: boolean;
}): PoolObject => ({
    metadata: { name: "worker", generation: o.generation ?? 3 },
    spec: {
        configuration: { name: o.spec, source: o.sources.map(name => ({ name })) },
        nodeSelector: { matchLabels: { "node-role.kubernetes.io/worker": "" } },
    },
    status: {
        observedGeneration: o.observed ?? o.generation ?? 3,
        configuration: { name: o.status },
        machineCount: o.machines ?? 4,
        updatedMachineCount: o.updated,
        conditions: [{ type: "Updated", status: (o.isUpdated ?? o.updated === (o.machines ?? 4)) ? "True" : "False" }],
    },
});
const req = { pool: "worker", machineConfigs: [OURS] };
/** The worker pool back on rendered-worker-a (rendered from 00-worker only), all 4 machines updated. */
const back = (o: Partial<Parameters<typeof pool>[0]> = {}) =>
    pool({ spec: "rendered-worker-a", sources: ["00-worker"], status: "rendered-worker-a", updated: 4, ...o });
/** evaluateRevert's verdict as one line. */
const revert = (p: PoolObject | undefined, nodes: PoolNode[] = [], r = req): string => {
    const v = evaluateRevert(p, nodes, r);
    return "waiting" in v ? v.waiting : `done: ${v.line}`;
};

describe("evaluateRevert", () => {
    it("waits while the pool still renders our MachineConfig (the MCO renders ~5 s after the delete)", () => {
        assert.match(
            revert(
                pool({
                    spec: "rendered-worker-b",
                    sources: ["00-worker", OURS],
                    status: "rendered-worker-b",
                    updated: 4,
                }),
            ),
            /render it without 99-worker-rhcos-forge-os-image/,
        );
    });

    it("waits while nodes move back, and while the status is for an older generation", () => {
        assert.match(
            revert(back({ status: "rendered-worker-b", updated: 2, isUpdated: false })),
            /nodes moving back to rendered-worker-a \(2\/4 updated\)/,
        );
        assert.match(revert(back({ generation: 4, observed: 3 })), /observe generation 4/);
    });

    it("waits while a node still runs a layered image", () => {
        const layered: PoolNode = {
            metadata: {
                name: "worker-1",
                annotations: { "machineconfiguration.openshift.io/currentImage": "quay.io/x/y@sha256:1" },
            },
        };
        assert.match(
            revert(back(), [layered], { pool: "worker", machineConfigs: [] }),
            /worker-1 still on a layered image/,
        );
    });

    it("is done once Updated on a rendered config without ours, or when the pool is gone", () => {
        assert.equal(revert(back()), "done: pool worker is back on rendered-worker-a (4/4 updated)");
        assert.match(revert(undefined), /^done: .*gone/);
    });

    it("waitForRevert reads the pool and its nodes until done", async () => {
        const seq = [
            pool({ spec: "rendered-worker-b", sources: [OURS], status: "rendered-worker-b", updated: 4 }),
            back(),
        ];
        let i = 0;
        const paths: string[] = [];
        let t = 0;
        const done = await waitForRevert(
            { ...req, kubeconfig: "", timeoutMs: 60_000, pollMs: 1000 },
            {
                get: async path => {
                    paths.push(path);
                    return path.startsWith("/api/v1/nodes") ? { items: [] } : seq[Math.min(i++, seq.length - 1)];
                },
            },
            {
                now: () => t,
                sleep: async ms => {
                    t += ms;
                },
            },
            () => undefined,
        );
        assert.equal(done, "rendered-worker-a");
        assert.ok(
            paths.includes(`/api/v1/nodes?labelSelector=${encodeURIComponent("node-role.kubernetes.io/worker=")}`),
            paths.join(" "),
        );
    });
});

describe("evaluateRender (nodes join a custom pool only once it renders ours)", () => {
    const target = {
        pool: "canary",
        machineConfig: "99-canary-rhcos-forge-os-image",
        settings: { osImageURL: "quay.io/x/y@sha256:2", kernelArguments: ["nosmt"] },
    };
    const canary = (sources: string[]): PoolObject => ({
        metadata: { name: "canary" },
        spec: { configuration: { name: "rendered-canary-1", source: sources.map(name => ({ name })) } },
    });
    it("waits until our MachineConfig is among the spec's sources and the rendered config shows our settings", () => {
        assert.ok("waiting" in evaluateRender({ pool: canary(["00-worker"]) }, target));
        assert.ok(
            "waiting" in
                evaluateRender(
                    {
                        pool: canary(["00-worker", target.machineConfig]),
                        desiredRendered: { spec: { osImageURL: "quay.io/x/y@sha256:1" } },
                    },
                    target,
                ),
        );
        assert.ok(
            "done" in
                evaluateRender(
                    {
                        pool: canary(["00-worker", target.machineConfig]),
                        desiredRendered: { spec: { osImageURL: "quay.io/x/y@sha256:2", kernelArguments: ["nosmt"] } },
                    },
                    target,
                ),
        );
    });
});
