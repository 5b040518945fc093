// What the real MCO controllers do that the rollout program depends on, shown on the e2e cluster
// (test/cluster: kube-apiserver + the render, node and drain controllers of
// openshift/machine-config-operator release-4.21, the node daemons played by the simulator) without
// the program: the two behaviours behind issue 21 a and b. If a new MCO release changes them,
// these fail and say which assumption of components/rollout went stale.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Env } from "../../dev/proc";
import { TestCluster, startTestCluster } from "../cluster/testCluster";
import { KubeObject } from "../cluster/kube";
import { MCO_API } from "../cluster/seed";

const ROLE = "machineconfiguration.openshift.io/role";
let env: Env;
let cluster: TestCluster;

before(async () => {
    env = new Env("rf-mco-facts-");
    cluster = await startTestCluster(env, {
        release: "release-4.21",
        baseImage: `quay.io/rf-e2e/rhcos@sha256:${"a".repeat(64)}`,
        machineOSApi: "v1",
        controllers: "upstream",
    });
});
after(async () => {
    await cluster?.stop();
    await env?.teardown();
});

function customPool(name: string, notInWorker: boolean): KubeObject {
    return {
        apiVersion: MCO_API,
        kind: "MachineConfigPool",
        metadata: { name },
        spec: {
            machineConfigSelector: {
                matchExpressions: [
                    { key: ROLE, operator: "In", values: ["worker", name] },
                    ...(notInWorker ? [{ key: "rhcos-forge.io/pool", operator: "NotIn", values: ["worker"] }] : []),
                ],
            },
            nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${name}`]: "" } },
            maxUnavailable: 1,
        },
    };
}

const mc = (name: string, role: string, kernelArguments: string[]): KubeObject => ({
    apiVersion: MCO_API,
    kind: "MachineConfig",
    metadata: { name, labels: { [ROLE]: role, "rhcos-forge.io/pool": role } },
    spec: { kernelArguments },
});

describe("the real render and node controllers", () => {
    // Why issue 21 a waits for the render.
    it("a node labelled into a pool just after its MachineConfig moves twice, first to the old render", async () => {
        const admin = cluster.api.clientAs("rf-test/admin");
        await admin.create(`/apis/${MCO_API}/machineconfigpools`, customPool("early", false));
        await cluster.sim.settled();
        const from = cluster.sim.record.length;
        await admin.create(`/apis/${MCO_API}/machineconfigs`, mc("99-early-x", "early", ["rf.early=1"]));
        await admin.patch("/api/v1/nodes/worker-0", "merge", {
            metadata: { labels: { "node-role.kubernetes.io/early": "" } },
        });
        await cluster.sim.settled();
        const changes = cluster.sim.desiredChanges("worker-0", from).map(e => String(e.summary.toConfig));
        assert.equal(changes.length, 2, JSON.stringify(changes));
        assert.deepEqual(cluster.sim.nodeUpdates("worker-0", from).at(-1)?.summary.kernelArguments, ["rf.early=1"]);
    });

    // Arguments appended: [nosmt, nosmt]; NotIn on the pool label (why issue 21 b).
    it("a custom pool selecting the worker role re-renders on a worker MachineConfig; NotIn keeps it out", async () => {
        const admin = cluster.api.clientAs("rf-test/admin");
        for (const [pool, node, notIn] of [
            ["inherits", "worker-1", false],
            ["excludes", "worker-2", true],
        ] as const) {
            await admin.create(`/apis/${MCO_API}/machineconfigpools`, customPool(pool, notIn));
            await admin.create(`/apis/${MCO_API}/machineconfigs`, mc(`99-${pool}-x`, pool, ["nosmt"]));
            await cluster.sim.settled();
            await admin.patch(`/api/v1/nodes/${node}`, "merge", {
                metadata: { labels: { [`node-role.kubernetes.io/${pool}`]: "" } },
            });
            await cluster.sim.settled();
        }
        const from = cluster.sim.record.length;
        await admin.create(`/apis/${MCO_API}/machineconfigs`, mc("99-worker-x", "worker", ["nosmt"]));
        await cluster.sim.settled();
        assert.deepEqual(
            cluster.sim.nodeUpdates("worker-1", from).map(u => u.summary.kernelArguments),
            [["nosmt", "nosmt"]],
            "the inheriting pool's node updated again, to the arguments appended twice",
        );
        assert.deepEqual(cluster.sim.nodeUpdates("worker-2", from), [], "the excluding pool's node did not move");
        assert.deepEqual(
            cluster.sim.nodeUpdates("worker-3", from).map(u => u.summary.kernelArguments),
            [["nosmt"]],
            "a worker node updated once",
        );
    });
});
