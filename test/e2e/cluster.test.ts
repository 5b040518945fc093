// End to end with the real engine against a real Kubernetes API server (test/cluster/): the
// program applies with a kubeconfig (not GitOps render mode) and its rollout waits read the
// server through components/rollout/kubeApi; the MCO is played by test/cluster/mcoSimulator.ts.
// Each test asserts on the objects the server stored and on the simulator's record of what it saw.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { leakedSecrets } from "../../dev/proc";
import { KubeObject } from "../cluster/kube";
import { RecordEntry } from "../cluster/mcoSimulator";
import { MCO_API } from "../cluster/seed";
import { TestCluster, pointAtCluster, startTestCluster } from "../cluster/testCluster";
import { E2e, plannedChanges, setUpE2e } from "./setup";

const STACK = "e2e-cluster";
const MC = (pool: string): string => `99-${pool}-rhcos-forge-os-image`;
const CANARY_NODE = "worker-0";

let e2e: E2e;
let cluster: TestCluster;
const engineOutput: string[] = [];

async function pulumi(cmd: string[], opts: { check?: boolean } = {}): Promise<{ code: number; out: string }> {
    const res = await e2e.run(cmd, { check: opts.check ?? true });
    engineOutput.push(res.stdout, res.stderr);
    return { code: res.code, out: res.stdout + res.stderr };
}

/** The local stack's build, rolled out to the test cluster: a canary pool of one node, then worker. */
function configureMachineConfig(image: Record<string, unknown> = {}): void {
    e2e.configure({
        image,
        rollout: { pools: [{ name: "canary", nodes: [CANARY_NODE], maxUnavailable: 1 }, { name: "worker", maxUnavailable: "50%" }], timeoutMinutes: 5 },
    });
    pointAtCluster(e2e.stack.configFile);
}

const mcPath = (name: string): string => `/apis/${MCO_API}/machineconfigs/${name}`;
const poolPath = (name: string): string => `/apis/${MCO_API}/machineconfigpools/${name}`;

interface Mc extends KubeObject { spec?: { osImageURL?: string } }

function first(entries: RecordEntry[], pred: (e: RecordEntry) => boolean, what: string): RecordEntry {
    const e = entries.find(pred);
    assert.ok(e, `the simulator never saw ${what}`);
    return e;
}

const poolUpdatedWith = (pool: string, mc: string) => (e: RecordEntry): boolean => {
    const s = e.summary as { statusSources?: string[]; trueConditions?: string[]; machineCount?: number; updated?: number };
    return e.kind === "MachineConfigPool" && e.name === pool && (s.statusSources ?? []).includes(mc) &&
        (s.trueConditions ?? []).includes("Updated") && s.updated === s.machineCount;
};

before(async () => {
    e2e = await setUpE2e(STACK);
    cluster = await startTestCluster(e2e.env, { release: "release-4.19", baseImage: e2e.services.baseRef, machineOSApi: "v1" });
    process.stderr.write(`# kube-apiserver ${cluster.api.version} ready in ${cluster.api.startMs} ms\n`);
    const cf = ["--stack", STACK, "--config-file", e2e.stack.configFile];
    await e2e.stack.pulumi(["config", "set", "--secret", "rhcos-forge:kubeconfig", ...cf], { input: cluster.api.kubeconfig });
});
after(async () => {
    await cluster?.stop();
    await e2e?.env.teardown();
});

describe("the rollout against a real API server (machineconfig)", () => {
    let ref = "";

    it("up creates the MachineConfigs, the custom pool and the node label; the canary is Updated before the worker MachineConfig is touched", async () => {
        configureMachineConfig();
        const from = cluster.sim.record.length;
        await pulumi(["up", "--yes"]);
        await cluster.sim.settled();
        ref = (await e2e.outputs()).image.ref;
        assert.match(ref, /@sha256:[a-f0-9]{64}$/);

        for (const pool of ["canary", "worker"]) {
            const mc = await cluster.api.client.mustGet<Mc>(mcPath(MC(pool)));
            assert.equal(mc.spec?.osImageURL, ref, `${MC(pool)} points at the built image`);
            assert.equal(mc.metadata.labels?.["machineconfiguration.openshift.io/role"], pool);
        }
        const canary = await cluster.api.client.mustGet(poolPath("canary"));
        assert.deepEqual(canary.spec?.nodeSelector, { matchLabels: { "node-role.kubernetes.io/canary": "" } });
        assert.deepEqual(canary.spec?.machineConfigSelector, {
            matchExpressions: [{ key: "machineconfiguration.openshift.io/role", operator: "In", values: ["worker", "canary"] }],
        });
        const node = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        assert.deepEqual(node.metadata.labels, { ...cluster.seeded.workerLabels(CANARY_NODE), "node-role.kubernetes.io/canary": "" },
            "the label patch added the pool's role and left every other label alone");
        assert.equal(cluster.sim.poolOf(CANARY_NODE), "canary");

        const seen = cluster.sim.record.slice(from);
        const canaryDone = first(seen, poolUpdatedWith("canary", MC("canary")), "the canary pool Updated with its MachineConfig");
        const workerMc = first(seen, e => e.kind === "MachineConfig" && e.name === MC("worker"), `${MC("worker")} created`);
        assert.ok(canaryDone.rv < workerMc.rv, `canary Updated (rv ${canaryDone.rv}) before ${MC("worker")} was created (rv ${workerMc.rv})`);
        const workerReboots = cluster.sim.nodeUpdates(undefined, from).filter(u => u.name !== CANARY_NODE && u.type === "REBOOT");
        assert.ok(workerReboots.length > 0 && workerReboots.every(u => u.rv > workerMc.rv), "no worker node moved before the worker MachineConfig existed");
        for (const n of cluster.seeded.workers) {
            const reboots = cluster.sim.nodeUpdates(n, from).filter(u => u.type === "REBOOT");
            assert.equal(reboots.length, 1, `${n} rebooted once: ${JSON.stringify(reboots.map(r => r.summary))}`);
            assert.equal(reboots[0].summary.toImage, ref);
        }
        first(seen, poolUpdatedWith("worker", MC("worker")), "the worker pool Updated with its MachineConfig");
    });

    it("a no-op up changes nothing on the server", async () => {
        const before = await cluster.snapshot();
        const mark = cluster.auditMark();
        const from = cluster.sim.record.length;
        const preview = await e2e.run(["preview", "--json"]);
        engineOutput.push(preview.stdout, preview.stderr);
        // A `read` is the ConfigMap rhcos-forge reads (ClusterBaseImage): a GET, not a change.
        assert.deepEqual(plannedChanges(preview.stdout).filter(c => !c.startsWith("read ")), []);
        await pulumi(["up", "--yes"]);
        await cluster.sim.settled();
        assert.deepEqual(cluster.foreignWrites(mark).map(e => `${e.verb} ${e.requestURI}`), [], "rhcos-forge wrote nothing");
        assert.deepEqual(await cluster.snapshot(), before);
        assert.deepEqual(cluster.sim.record.slice(from), [], "the simulator saw no change");
    });

    it("no secret reached the engine's output", () => {
        assert.deepEqual(leakedSecrets(), []);
        assert.ok(!engineOutput.join("\n").includes(cluster.api.kubeconfig.split("token: ")[1]?.split("\n")[0] ?? "unreachable"));
    });
});
