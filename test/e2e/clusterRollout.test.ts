// End to end against a real API server and the real MCO controllers (see clusterKit.ts): the
// machineconfig rollout through a canary pool, drift, a Degraded canary, destroy and node extras.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MCO_API } from "../cluster/seed";
import { pointAtCluster } from "../cluster/testCluster";
import { assertStateHoldsNoSecrets, plannedChanges, ROLLOUT_TIMEOUT_MINUTES } from "./setup";
import {
    STACK,
    MC,
    CANARY_NODE,
    e2e,
    cluster,
    engineOutput,
    pulumi,
    configureMachineConfig,
    mcPath,
    poolPath,
    Mc,
    upFailingOnCondition,
    first,
    desiredChangeCounts,
    oncePerWorker,
    assertBackOnBase,
    poolUpdatedWith,
    useCluster,
    secretsSuite,
} from "./clusterKit";

useCluster();

describe("the rollout against a real API server (machineconfig)", () => {
    let ref = "";

    it("a failed build creates and changes no MachineConfig, and destroy afterwards leaves nothing", async () => {
        const before = await cluster.snapshot();
        configureMachineConfig({ packages: ["rf-hello", "rf-no-such-package"] });
        const mark = cluster.auditMark();
        const res = await pulumi(["up", "--yes"], { check: false });
        assert.notEqual(res.code, 0);
        assert.match(res.out, /rf-no-such-package/, "the failure names the package the build could not install");
        await cluster.sim.settled();
        const wroteMcs = cluster.foreignWrites(mark).filter(e => e.objectRef?.resource === "machineconfigs");
        assert.deepEqual(
            wroteMcs.map(e => `${e.verb} ${e.requestURI}`),
            [],
            "no MachineConfig was created or changed",
        );
        for (const pool of ["canary", "worker"])
            assert.equal(await cluster.api.client.get(mcPath(MC(pool))), undefined);
        const node = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        assert.deepEqual(
            node.metadata.labels,
            cluster.seeded.workerLabels(CANARY_NODE),
            "no node joined a pool the image never reached",
        );

        await pulumi(["destroy", "--yes"]);
        await cluster.sim.settled();
        const after = await cluster.snapshot();
        for (const key of Object.keys(after)) {
            assert.ok(key in before, `destroy left ${key}`);
        }
        assert.equal(await cluster.api.client.get(poolPath("canary")), undefined, "the canary pool is gone");
        const worker = await cluster.api.client.mustGet(poolPath("worker"));
        // The real render controller writes the whole pool back (a typed Update), so `paused: false`
        // and `configuration` are the MCO's own; what rhcos-forge set must be gone, and its manager.
        assert.deepEqual(
            Object.keys(worker.spec ?? {})
                .filter(k => k !== "configuration" && k !== "paused")
                .sort(),
            ["machineConfigSelector", "nodeSelector"],
            "the worker pool is back to the MCO's own fields",
        );
        assert.notEqual(worker.spec?.paused, true);
        assert.deepEqual(
            (worker.metadata.managedFields ?? []).filter(m => m.manager === "rhcos-forge").map(m => m.fieldsV1),
            [],
            "no field is rhcos-forge's",
        );
        const exported = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout) as {
            deployment: { resources?: unknown[] };
        };
        assert.equal((exported.deployment.resources ?? []).length, 0);
    });

    it("up creates the MachineConfigs, pool and node label; the canary is Updated before worker changes", async () => {
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
            matchExpressions: [
                { key: "machineconfiguration.openshift.io/role", operator: "In", values: ["worker", "canary"] },
                { key: "rhcos-forge.io/pool", operator: "NotIn", values: ["worker"] },
            ],
        });
        const node = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        assert.deepEqual(
            node.metadata.labels,
            { ...cluster.seeded.workerLabels(CANARY_NODE), "node-role.kubernetes.io/canary": "" },
            "the label patch added the pool's role and left every other label alone",
        );
        assert.equal(cluster.sim.poolOf(CANARY_NODE), "canary");

        const seen = cluster.sim.record.slice(from);
        const canaryDone = first(
            seen,
            poolUpdatedWith("canary", MC("canary")),
            "the canary pool Updated with its MachineConfig",
        );
        const workerMc = first(
            seen,
            e => e.kind === "MachineConfig" && e.name === MC("worker"),
            `${MC("worker")} created`,
        );
        assert.ok(
            canaryDone.rv < workerMc.rv,
            `canary Updated (rv ${canaryDone.rv}) before ${MC("worker")} was created (rv ${workerMc.rv})`,
        );
        const workerReboots = cluster.sim
            .nodeUpdates(undefined, from)
            .filter(u => u.name !== CANARY_NODE && u.type === "REBOOT");
        assert.ok(
            workerReboots.length > 0 && workerReboots.every(u => u.rv > workerMc.rv),
            "no worker node moved before the worker MachineConfig existed",
        );
        for (const n of cluster.seeded.workers) {
            const reboots = cluster.sim.nodeUpdates(n, from).filter(u => u.type === "REBOOT");
            assert.equal(reboots.length, 1, `${n} rebooted once: ${JSON.stringify(reboots.map(r => r.summary))}`);
            assert.equal(reboots[0].summary.toImage, ref);
        }
        first(seen, poolUpdatedWith("worker", MC("worker")), "the worker pool Updated with its MachineConfig");
        // Issue 21 a: the canary node joins its pool only once the pool renders our MachineConfig,
        // so the node controller moves it once, straight onto the canary's rendered config.
        assert.deepEqual(
            desiredChangeCounts(from),
            oncePerWorker(),
            JSON.stringify(cluster.sim.desiredChanges(undefined, from).map(e => [e.name, e.summary.toConfig])),
        );
        assert.match(String(cluster.sim.desiredChanges(CANARY_NODE, from)[0]?.summary.toConfig), /^rendered-canary-/);
    });

    it("a no-op up changes nothing on the server", async () => {
        const before = await cluster.snapshot();
        const mark = cluster.auditMark();
        const from = cluster.sim.record.length;
        const preview = await e2e.run(["preview", "--json"]);
        engineOutput.push(preview.stdout, preview.stderr);
        // A `read` is the ConfigMap rhcos-forge reads (ClusterBaseImage): a GET, not a change.
        assert.deepEqual(
            plannedChanges(preview.stdout).filter(c => !c.startsWith("read ")),
            [],
        );
        await pulumi(["up", "--yes"]);
        await cluster.sim.settled();
        assert.deepEqual(
            cluster.foreignWrites(mark).map(e => `${e.verb} ${e.requestURI}`),
            [],
            "rhcos-forge wrote nothing",
        );
        assert.deepEqual(await cluster.snapshot(), before);
        assert.deepEqual(cluster.sim.record.slice(from), [], "the simulator saw no change");
    });

    it("osImageURL edited by hand: preview --refresh shows the drift, up --refresh puts it back", async () => {
        const handSet = `quay.io/someone/rhcos@sha256:${"b".repeat(64)}`;
        await cluster.api
            .clientAs("kubectl-edit")
            .patch(mcPath(MC("worker")), "merge", { spec: { osImageURL: handSet } });
        await cluster.sim.settled();
        assert.equal(
            cluster.sim.nodeUpdates("worker-1").at(-1)?.summary.toImage,
            handSet,
            "the MCO rolled the hand-set image out",
        );

        const preview = await e2e.run(["preview", "--refresh", "--diff", "--json"]);
        engineOutput.push(preview.stdout, preview.stderr);
        // A refreshing preview lists a `refresh` step for every resource: those are reads.
        const changes = plannedChanges(preview.stdout).filter(c => !c.startsWith("read ") && !c.startsWith("refresh "));
        assert.deepEqual(changes, [
            "update kubernetes:machineconfiguration.openshift.io/v1:MachineConfig::rollout-worker-machineconfig",
        ]);
        // The same resource also has its `refresh` step first: the drift is on the update step.
        const step = (
            JSON.parse(preview.stdout) as {
                steps: { op: string; urn: string; detailedDiff?: Record<string, unknown> }[];
            }
        ).steps.find(x => x.op === "update" && x.urn.endsWith("::rollout-worker-machineconfig"));
        assert.ok(
            step?.detailedDiff && "spec.osImageURL" in step.detailedDiff,
            JSON.stringify(step?.detailedDiff ?? step?.op),
        );

        // Pulumi diffs against its state: without a refresh it has no idea the object changed.
        const from = cluster.sim.record.length;
        await pulumi(["up", "--yes", "--refresh"]);
        await cluster.sim.settled();
        const restored = await cluster.api.client.mustGet<Mc>(mcPath(MC("worker")));
        assert.equal(restored.spec?.osImageURL, ref);
        const owner = (restored.metadata.managedFields ?? [])
            .filter(m => JSON.stringify(m.fieldsV1 ?? {}).includes("f:osImageURL"))
            .map(m => m.manager);
        assert.equal(owner.length, 1, `one manager owns osImageURL again: ${owner.join(", ")}`);
        assert.match(owner[0] ?? "", /^pulumi-kubernetes/, "rhcos-forge took the field back");
        for (const n of ["worker-1", "worker-2", "worker-3"]) {
            assert.equal(cluster.sim.nodeUpdates(n, from).at(-1)?.summary.toImage, ref, `${n} is back on the image`);
        }
    });

    it("a canary turning Degraded stops the rollout with the pool's message; worker is untouched", async () => {
        const reason = "failed to pull image: unauthorized: authentication required";
        cluster.sim.degradePool("canary", reason);
        configureMachineConfig({ packages: ["rf-hello", "rf-extra"] });
        const from = cluster.sim.record.length;
        const mark = cluster.auditMark();
        const res = await upFailingOnCondition();
        assert.match(
            res.out,
            new RegExp(
                `pool canary is NodeDegraded \\(1 nodes are reporting degraded status on sync\\): Node ` +
                    `${CANARY_NODE} is reporting: "${reason}"`,
            ),
        );
        const canaryMc = await cluster.api.client.mustGet<Mc>(mcPath(MC("canary")));
        assert.notEqual(canaryMc.spec?.osImageURL, ref, "the canary got the new image");
        // From here on only that image fails to pull: another one fixes the canary forward.
        cluster.sim.degradeImage("canary", canaryMc.spec?.osImageURL ?? "", reason);
        assert.equal(
            (await cluster.api.client.mustGet<Mc>(mcPath(MC("worker")))).spec?.osImageURL,
            ref,
            "the worker MachineConfig kept the old image",
        );
        assert.deepEqual(
            cluster.sim.events("MachineConfig", MC("worker")).filter(e => e.seq >= from),
            [],
            "the simulator saw no change to it",
        );
        assert.deepEqual(
            cluster.foreignWrites(mark).filter(e => e.objectRef?.name === MC("worker")),
            [],
        );
        assert.deepEqual(
            cluster.sim.nodeUpdates(undefined, from).filter(u => u.name !== CANARY_NODE),
            [],
            "no worker node moved",
        );
        assert.deepEqual(desiredChangeCounts(from), {
            ...Object.fromEntries(cluster.seeded.workers.map(n => [n, 0])),
            [CANARY_NODE]: 1,
        });
    });

    // issue 21 d: the wait tells the old condition from this change.
    it("fix-forward: an up with another image while the canary is still Degraded rolls out", async () => {
        await cluster.sim.settled();
        const canary = await cluster.api.client.mustGet(poolPath("canary"));
        assert.ok(
            ((canary.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
                c => c.type === "NodeDegraded" && c.status === "True",
            ),
            "the canary pool reports NodeDegraded when the up starts",
        );
        configureMachineConfig({
            packages: ["rf-hello", "rf-extra"],
            labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.e2e/attempt": "fix-forward" },
        });
        const from = cluster.sim.record.length;
        const res = await pulumi(["up", "--yes"], { check: false });
        assert.equal(res.code, 0, res.out.slice(-3000));
        await cluster.sim.settled();
        const newRef = (await e2e.outputs()).image.ref;
        for (const pool of ["canary", "worker"])
            assert.equal((await cluster.api.client.mustGet<Mc>(mcPath(MC(pool)))).spec?.osImageURL, newRef);
        for (const n of cluster.seeded.workers)
            assert.equal(cluster.sim.nodeUpdates(n, from).at(-1)?.summary.toImage, newRef, `${n} runs the new image`);
        assert.deepEqual(
            desiredChangeCounts(from),
            oncePerWorker(),
            "the Degraded canary was retargeted once, every worker moved once",
        );
        ref = newRef;
    });

    // issue 21 d: NodeDegraded outlives the node's recovery by the node controller's delay.
    it("an up right after the canary recovered completes", async () => {
        const reason = "error: Unencapsulating base: manifest unknown";
        cluster.sim.degradePool("canary", reason);
        configureMachineConfig({
            packages: ["rf-hello"],
            labels: { "io.rhcos-forge.fixture": "true", "io.rhcos-forge.e2e/attempt": "recover" },
        });
        const failed = await upFailingOnCondition();
        assert.match(failed.out, /pool canary is NodeDegraded/);
        await cluster.sim.settled();
        // The node recovers; the pool keeps saying NodeDegraded until the node controller's next sync.
        const from = cluster.sim.record.length;
        cluster.sim.recoverPool("canary");
        const res = await pulumi(["up", "--yes"], { check: false });
        assert.equal(res.code, 0, res.out.slice(-3000));
        await cluster.sim.settled();
        const newRef = (await e2e.outputs()).image.ref;
        for (const n of cluster.seeded.workers)
            assert.equal(cluster.sim.nodeUpdates(n, from).at(-1)?.summary.toImage, newRef, `${n} runs the new image`);
        assert.deepEqual(
            desiredChangeCounts(from),
            { ...oncePerWorker(), [CANARY_NODE]: 0 },
            "the canary was already told its config; each worker moved once",
        );
        ref = newRef;
    });

    it("destroy: each node leaves the canary pool as the MCO documents, rebooting once; our objects go", async () => {
        assert.ok(
            (await assertStateHoldsNoSecrets(e2e, STACK, [cluster.api.kubeconfig])) >= 3,
            "no secret (kubeconfig, registry password) in the state",
        );
        // A MachineConfig of the canary pool's own that rhcos-forge does not manage: reverting the
        // pool in place before moving its nodes would now reboot them twice.
        const admin = cluster.api.clientAs("cluster-admin");
        await admin.create(`/apis/${MCO_API}/machineconfigs`, {
            apiVersion: MCO_API,
            kind: "MachineConfig",
            metadata: { name: "50-canary-admin-kargs", labels: { "machineconfiguration.openshift.io/role": "canary" } },
            spec: { kernelArguments: ["rf.canary=1"] },
        });
        await cluster.sim.settled();
        assert.deepEqual(cluster.sim.nodeUpdates(CANARY_NODE).at(-1)?.summary.kernelArguments, ["rf.canary=1"]);

        const from = cluster.sim.record.length;
        await pulumi(["destroy", "--yes"]);
        // Issue 21 c: destroy returns only once every pool is back on a config without ours.
        await assertBackOnBase();
        await cluster.sim.settled();
        const seen = cluster.sim.record.slice(from);
        const unlabelled = first(
            seen,
            e =>
                e.kind === "Node" &&
                e.name === CANARY_NODE &&
                !("node-role.kubernetes.io/canary" in (e.summary.labels as Record<string, string>)),
            "the canary label removed",
        );
        const movedBack = first(seen, e => e.kind === "NodeUpdate" && e.name === CANARY_NODE, `${CANARY_NODE} updated`);
        const mcGone = first(
            seen,
            e => e.kind === "MachineConfig" && e.name === MC("canary") && e.type === "DELETED",
            `${MC("canary")} deleted`,
        );
        const poolGone = first(
            seen,
            e => e.kind === "MachineConfigPool" && e.name === "canary" && e.type === "DELETED",
            "the canary pool deleted",
        );
        assert.equal(
            movedBack.summary.pool,
            "worker",
            "the node's update came from the worker pool, not from the canary pool reverting in place",
        );
        assert.ok(
            unlabelled.rv < movedBack.rv && movedBack.rv < mcGone.rv && mcGone.rv < poolGone.rv,
            `label ${unlabelled.rv} < node back in worker ${movedBack.rv} < MachineConfig deleted ${mcGone.rv} ` +
                `< pool deleted ${poolGone.rv}`,
        );
        for (const n of cluster.seeded.workers) {
            const updates = cluster.sim.nodeUpdates(n, from);
            assert.equal(
                updates.filter(u => u.type === "REBOOT").length,
                1,
                `${n} rebooted once: ${JSON.stringify(updates.map(u => u.summary))}`,
            );
            assert.equal(updates.at(-1)?.summary.toImage, e2e.services.baseRef, `${n} is back on the cluster's RHCOS`);
            assert.deepEqual(updates.at(-1)?.summary.kernelArguments, [], `${n} has no canary kernel argument`);
        }
        for (const pool of ["canary", "worker"])
            assert.equal(await cluster.api.client.get(mcPath(MC(pool))), undefined);
        assert.equal(await cluster.api.client.get(poolPath("canary")), undefined);
        const node = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        assert.deepEqual(
            node.metadata.labels,
            cluster.seeded.workerLabels(CANARY_NODE),
            "the label patch is gone and every other label stayed",
        );
        const worker = await cluster.api.client.mustGet(poolPath("worker"));
        assert.deepEqual(worker.spec?.machineConfigSelector, {
            matchLabels: { "machineconfiguration.openshift.io/role": "worker" },
        });
        assert.equal(worker.spec?.maxUnavailable, undefined, "the worker pool patch is gone");
        assert.deepEqual(desiredChangeCounts(from), oncePerWorker(), "destroy moved each node once");
        await admin.delete(mcPath("50-canary-admin-kargs"));
        await cluster.sim.settled();
    });

    // issue 21 b: node extras on both pools move each node once.
    it("kernelArguments [nosmt] on both pools: a first up reboots each node once, destroy once more", async () => {
        e2e.configure({
            image: {},
            rollout: {
                pools: [
                    { name: "canary", nodes: [CANARY_NODE], maxUnavailable: 1, kernelArguments: ["nosmt"] },
                    { name: "worker", maxUnavailable: "50%", kernelArguments: ["nosmt"] },
                ],
                timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
            },
        });
        pointAtCluster(e2e.stack.configFile);
        const from = cluster.sim.record.length;
        await pulumi(["up", "--yes"]);
        await cluster.sim.settled();
        assert.deepEqual(
            desiredChangeCounts(from),
            oncePerWorker(),
            JSON.stringify(cluster.sim.desiredChanges(undefined, from).map(e => [e.name, e.summary.toConfig])),
        );
        for (const n of cluster.seeded.workers) {
            const updates = cluster.sim.nodeUpdates(n, from);
            assert.equal(
                updates.filter(u => u.type === "REBOOT").length,
                1,
                `${n} rebooted once: ${JSON.stringify(updates.map(u => u.summary))}`,
            );
            assert.deepEqual(updates.at(-1)?.summary.kernelArguments, ["nosmt"], `${n} boots with nosmt once`);
        }
        const canaryRendered = (await cluster.api.client.mustGet(poolPath("canary"))).spec?.configuration as {
            source?: { name: string }[];
        };
        assert.ok(
            !(canaryRendered.source ?? []).some(r => r.name === MC("worker")),
            "the canary pool does not render the worker pool's rollout MachineConfig",
        );

        const back = cluster.sim.record.length;
        await pulumi(["destroy", "--yes"]);
        await assertBackOnBase();
        await cluster.sim.settled();
        assert.deepEqual(desiredChangeCounts(back), oncePerWorker(), "destroy moved each node once");
        for (const n of cluster.seeded.workers)
            assert.deepEqual(
                cluster.sim.nodeUpdates(n, back).at(-1)?.summary.kernelArguments,
                [],
                `${n} is back without nosmt`,
            );
    });
});

secretsSuite();
