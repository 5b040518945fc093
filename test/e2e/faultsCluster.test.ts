// Faults during the pool wait, through the real engine against the test cluster (issue 22):
// etcd + kube-apiserver, the MCO's real render, node and drain controllers and the node daemon
// double (test/cluster/). The local stack builds on this machine and applies with a kubeconfig;
// each row changes the pools' kernel arguments (a new MachineConfig for each pool, rolled canary
// first, no new build) and injects its fault once the canary's MachineConfig carries the change,
// that is while `pulumi up` waits for the canary pool:
// - SIGINT and SIGKILL of `pulumi up`: the run dies; the user's recovery (docs/reliability.md)
//   and a re-run converge;
// - the API server restarted: the SAME run carries on (the wait's reads are retried and its watch
//   re-opened, components/rollout/kubeApi.ts) and succeeds within its timeout.
// After each row: pools Updated on our MachineConfigs, every node Done, the MachineConfigs on an
// image the registry serves in full, `pulumi refresh --expect-no-changes` clean, a preview that
// plans nothing, no pending operation, no secret in any output or `pulumi stack export`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { leakedSecrets } from "../host/harness";
import { KubeObject, assertNodesDone } from "../cluster/kube";
import { MCO_API } from "../cluster/seed";
import { TestCluster, pointAtCluster } from "../cluster/testCluster";
import {
    Row,
    Running,
    assertImageServedInFull,
    during,
    fault,
    firstRunSaid,
    pendingOperations,
    printTable,
    recoverKilledRun,
    resourceSummary,
    startUp,
} from "./faultKit";
import {
    E2e,
    assertStateHoldsNoSecrets,
    plannedChanges,
    setUpE2e,
    startUpstreamCluster,
    ROLLOUT_TIMEOUT_MINUTES,
} from "./setup";

const STACK = "e2e-faults-cluster";
const CANARY_NODE = "worker-0";
const MC = (pool: string): string => `/apis/${MCO_API}/machineconfigs/99-${pool}-rhcos-forge-os-image`;

let e2e: E2e;
let cluster: TestCluster;
const table: Row[] = [];

before(async () => {
    e2e = await setUpE2e(STACK);
    cluster = await startUpstreamCluster(e2e);
});
after(async () => {
    printTable(table);
    await cluster?.stop();
    await e2e?.env.teardown();
});

/** The pools (canary of one node, then worker), each with the kernel argument `rf.fault=<tag>`. */
function configure(tag: string): void {
    const kernelArguments = [`rf.fault=${tag}`];
    e2e.configure({
        rollout: {
            pools: [
                { name: "canary", nodes: [CANARY_NODE], kernelArguments },
                { name: "worker", maxUnavailable: "50%", kernelArguments },
            ],
            timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
        },
    });
    pointAtCluster(e2e.stack.configFile);
}

interface Mc extends KubeObject {
    spec?: { osImageURL?: string; kernelArguments?: string[] };
}

/** The MachineConfig of `pool` carries `rf.fault=<tag>` (the up applied it and waits for that pool). */
async function mcHas(pool: string, tag: string): Promise<boolean> {
    const mc = await cluster.api.client.get<Mc>(MC(pool));
    return (mc?.spec?.kernelArguments ?? []).includes(`rf.fault=${tag}`);
}

/** An up of the pools' new kernel argument, returned once it waits for the canary pool. */
async function upInPoolWait(tag: string): Promise<{ up: Running; workerMcChanged: boolean }> {
    configure(tag);
    const up = startUp(e2e, STACK);
    await during(up, "the canary pool wait", () => mcHas("canary", tag));
    // The worker MachineConfig changes only once the canary pool is Updated: unchanged means the
    // fault lands in the canary's wait.
    return { up, workerMcChanged: await mcHas("worker", tag) };
}

async function rerun(): Promise<string> {
    const res = await e2e.run(["up", "--yes"]);
    return `up ok (${resourceSummary(res.stdout)})`;
}

/** What "converged with nothing lost" means on a cluster stack; returns the checks made. */
async function assertConverged(tag: string): Promise<string> {
    const checks: string[] = [];
    // The program reads the cluster's ConfigMap machine-config-osimageurl (the base gate, a read
    // resource): the first refresh after an up may record it again. It must be the only thing the
    // first refresh changes, and a second refresh must find nothing at all.
    const first = await e2e.run(["refresh", "--yes", "--skip-preview", "--diff"]);
    const updated = [...first.stdout.matchAll(/^\s*~ ([\w:/.-]+): \(update\)/gm)].map(m => m[1]);
    assert.deepEqual(
        updated.filter(t => t !== "kubernetes:core/v1:ConfigMap"),
        [],
        `the first refresh changed only the read ConfigMap:\n${first.stdout.slice(-3000)}`,
    );
    await e2e.run(["refresh", "--yes", "--expect-no-changes"]);
    // A preview lists a `read` step for every read resource (it reads again each run): not a change.
    const planned = plannedChanges((await e2e.run(["preview", "--json"])).stdout).filter(c => !c.startsWith("read "));
    assert.deepEqual(planned, [], "a preview after the re-run plans nothing");
    assert.equal(await pendingOperations(e2e, STACK), 0, "no pending operation");
    checks.push("refresh clean, preview empty, 0 pending ops");
    const out = await e2e.outputs();
    for (const pool of ["canary", "worker"]) {
        const mc = await cluster.api.client.mustGet<Mc>(MC(pool));
        assert.equal(mc.spec?.osImageURL, out.image.ref, `${pool} MachineConfig on the stack's image`);
        assert.ok(await mcHas(pool, tag), `${pool} MachineConfig carries rf.fault=${tag}`);
        const p = await cluster.api.client.mustGet(`/apis/${MCO_API}/machineconfigpools/${pool}`);
        const status = (p.status ?? {}) as {
            configuration?: { name?: string; source?: { name: string }[] };
            conditions?: { type: string; status: string }[];
            machineCount?: number;
            updatedMachineCount?: number;
        };
        assert.ok(
            (status.configuration?.source ?? []).some(s => s.name === `99-${pool}-rhcos-forge-os-image`),
            `pool ${pool} renders our MachineConfig`,
        );
        assert.ok(
            (status.conditions ?? []).some(c => c.type === "Updated" && c.status === "True"),
            `pool ${pool} is Updated`,
        );
        assert.equal(status.updatedMachineCount, status.machineCount, `every machine of pool ${pool} is updated`);
    }
    await assertNodesDone(cluster.api.client);
    checks.push("pools Updated, nodes Done");
    await assertImageServedInFull(e2e, out.image.ref, out.image.digest);
    checks.push("MCs → image fully pulled");
    await assertStateHoldsNoSecrets(e2e, STACK, [cluster.api.kubeconfig]);
    assert.deepEqual(leakedSecrets(), [], "no secret in any output so far");
    checks.push("no secret (kubeconfig, token, registry) in output/export");
    return checks.join("; ");
}

const clusterFault = (
    name: string,
    tag: string,
    body: () => Promise<{ first: string; rerun: string }>,
): Promise<void> => fault(table, name, body, () => assertConverged(tag));

const where = (workerMcChanged: boolean): string => (workerMcChanged ? "worker pool wait" : "canary pool wait");

describe("faults during the pool wait, against a real API server and the MCO's controllers", () => {
    it("0. baseline: the stack is built and rolled out", async () => {
        configure("baseline");
        await e2e.run(["up", "--yes"]);
        await assertConverged("baseline");
    });

    it("the API server restarted during the pool wait: the same up resumes and succeeds", async () => {
        await clusterFault("API server restarted during the pool wait", "restart", async () => {
            const { up, workerMcChanged } = await upInPoolWait("restart");
            const downMs = await cluster.api.restart();
            assert.ok(
                !up.exited(),
                `the up was still waiting when the API server came back:\n${up.output().slice(-3000)}`,
            );
            const res = await up.done;
            assert.equal(res.code, 0, `the same up succeeds:\n${res.out.slice(-3000)}`);
            assert.doesNotMatch(res.out, /did not finish within/);
            return {
                first:
                    `API server down ${downMs} ms in the ${where(workerMcChanged)}; the same up ok ` +
                    `(${resourceSummary(res.out)})`,
                rerun: "none needed",
            };
        });
    });

    it("SIGINT of pulumi up during the pool wait", async () => {
        await clusterFault("SIGINT during the pool wait", "sigint", async () => {
            const { up, workerMcChanged } = await upInPoolWait("sigint");
            up.kill("SIGINT");
            const res = await up.done;
            assert.notEqual(res.code, 0, "the interrupted up fails");
            return { first: `(${where(workerMcChanged)}) ${firstRunSaid(res.out)}`, rerun: await rerun() };
        });
    });

    it("SIGKILL of pulumi up during the pool wait (pending operation, stack lock)", async () => {
        await clusterFault("SIGKILL during the pool wait", "sigkill", async () => {
            const { up, workerMcChanged } = await upInPoolWait("sigkill");
            up.kill("SIGKILL");
            const res = await up.done;
            assert.equal(res.signal, "SIGKILL");
            const recovery = await recoverKilledRun(e2e, STACK);
            return { first: `killed in the ${where(workerMcChanged)}; ${recovery}`, rerun: await rerun() };
        });
    });
});
