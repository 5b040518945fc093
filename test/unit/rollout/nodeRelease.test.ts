// Taking a node out of a custom pool (components/rollout/nodeRelease.ts): the verdicts on Node
// annotations as the MCO writes them, and the wait, replayed with a fake clock.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    NodeObject,
    evaluateDestination,
    evaluateRelease,
    poolOfRendered,
    waitForNodeRelease,
} from "../../../components/rollout/nodeRelease";
import { PoolObject } from "../../../components/rollout/poolWait";
import { Clock } from "../../../components/rollout/poll";

const ROLE = "node-role.kubernetes.io/canary";
const node = (labels: Record<string, string>, a: Record<string, string> = {}): NodeObject => ({
    metadata: { name: "worker-0", labels: { "node-role.kubernetes.io/worker": "", ...labels }, annotations: a },
});
const ann = (desired: string, current: string, state: string): Record<string, string> => ({
    "machineconfiguration.openshift.io/desiredConfig": desired,
    "machineconfiguration.openshift.io/currentConfig": current,
    "machineconfiguration.openshift.io/state": state,
});
const waitingFor = (v: ReturnType<typeof evaluateRelease>): string => ("waiting" in v ? v.waiting : `done: ${v.line}`);
/** The verdict on a node leaving pool canary, as one line. */
const release = (n: NodeObject | undefined): string => waitingFor(evaluateRelease(n, "canary", ROLE));

describe("evaluateRelease", () => {
    it("waits while the node still carries the pool's role label", () => {
        assert.match(
            release(node({ [ROLE]: "" }, ann("rendered-canary-1", "rendered-canary-1", "Done"))),
            /still has node-role.kubernetes.io\/canary/,
        );
    });

    it("waits while the node controller has not moved the node to another pool's config", () => {
        assert.match(
            release(node({}, ann("rendered-canary-1", "rendered-canary-1", "Done"))),
            /move it out of pool canary/,
        );
    });

    it("waits while the daemon applies the worker pool's config", () => {
        assert.match(
            release(node({}, ann("rendered-worker-2", "rendered-canary-1", "Working"))),
            /moving to rendered-worker-2/,
        );
    });

    it("waits while a layered node has not booted the image it was told to", () => {
        const a = {
            ...ann("rendered-worker-2", "rendered-worker-2", "Done"),
            "machineconfiguration.openshift.io/desiredImage": "quay.io/x/y@sha256:1",
        };
        assert.match(release(node({}, a)), /moving to rendered-worker-2/);
    });

    it("is done once the node runs another pool's config, Done; and for nodes unmanaged or gone", () => {
        assert.equal(
            release(node({}, ann("rendered-worker-2", "rendered-worker-2", "Done"))),
            "done: node worker-0 left pool canary: it runs rendered-worker-2",
        );
        assert.match(release(node({})), /^done: .*not managed by the MCO/);
        assert.match(release(undefined), /^done: .*gone/);
    });

    it("does not take a pool whose name starts like ours for ours", () => {
        assert.match(release(node({}, ann("rendered-canary2-9", "rendered-canary2-9", "Done"))), /^done/);
    });
});

function workerPool(config: string, updated: number, machines: number, isUpdated: boolean): PoolObject {
    return {
        metadata: { name: "worker", generation: 2 },
        spec: { configuration: { name: config } },
        status: {
            observedGeneration: 2,
            configuration: { name: config },
            machineCount: machines,
            updatedMachineCount: updated,
            conditions: [{ type: "Updated", status: isUpdated ? "True" : "False" }],
        },
    };
}

describe("evaluateDestination", () => {
    it("names the pool of a rendered config, dashes and all", () => {
        assert.equal(poolOfRendered("rendered-worker-0123abcd"), "worker");
        assert.equal(poolOfRendered("rendered-infra-gpu-0123abcd"), "infra-gpu");
    });

    it("waits until the node's new pool reports Updated on that config with every machine", () => {
        assert.ok(
            "waiting" in
                evaluateDestination(workerPool("rendered-worker-1", 4, 4, true), "rendered-worker-2", "worker-0"),
            "status still on the previous config",
        );
        assert.ok(
            "waiting" in
                evaluateDestination(workerPool("rendered-worker-2", 3, 4, false), "rendered-worker-2", "worker-0"),
            "the node not counted yet",
        );
        assert.ok(
            "done" in evaluateDestination(workerPool("rendered-worker-2", 4, 4, true), "rendered-worker-2", "worker-0"),
        );
    });
});

describe("waitForNodeRelease", () => {
    const fakeClock = (): Clock => {
        let t = 0;
        return {
            now: () => t,
            sleep: async ms => {
                t += ms;
            },
        };
    };
    const request = { pool: "canary", node: "worker-0", kubeconfig: "", timeoutMs: 60_000, pollMs: 1000 };

    it("polls until the worker pool has taken the node back and reports it Updated, logging each change", async () => {
        const seq = [
            node({ [ROLE]: "" }),
            node({}, ann("rendered-canary-1", "rendered-canary-1", "Done")),
            node({}, ann("rendered-worker-2", "rendered-canary-1", "Working")),
            node({}, ann("rendered-worker-2", "rendered-worker-2", "Done")),
        ];
        const pools = [workerPool("rendered-worker-2", 3, 4, false), workerPool("rendered-worker-2", 4, 4, true)];
        let i = 0;
        let j = 0;
        const log: string[] = [];
        const get = async (path: string): Promise<unknown> => {
            if (path === "/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker")
                return pools[Math.min(j++, pools.length - 1)];
            return seq[Math.min(i++, seq.length - 1)];
        };
        const done = await waitForNodeRelease(request, { get }, fakeClock(), l => log.push(l));
        assert.equal(done, "rendered-worker-2");
        assert.equal(log.length, 5);
        assert.match(log.at(-2) ?? "", /waiting for pool worker to report it Updated \(3\/4 updated\)/);
        assert.equal(log.at(-1), "node worker-0 left for pool worker, which is Updated on rendered-worker-2");
    });

    it("fails at the timeout naming the node, the pool and what it last saw", async () => {
        await assert.rejects(
            waitForNodeRelease(
                request,
                { get: async () => node({}, ann("rendered-canary-1", "rendered-canary-1", "Done")) },
                fakeClock(),
                () => undefined,
            ),
            new RegExp(
                [
                    String.raw`node worker-0 did not leave pool canary within 1 minutes .*the pool's MachineConfig `,
                    String.raw`and the pool are kept\. Last: .*move it out of pool canary`,
                ].join(""),
            ),
        );
    });
});
