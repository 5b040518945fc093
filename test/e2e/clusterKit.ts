// The shared half of the e2e files that run against a real Kubernetes API server (test/cluster/):
// the program applies with a kubeconfig (not GitOps render mode) and its rollout waits read the
// server through components/rollout/kubeApi. The MCO's render, node and drain controllers are the
// real ones (openshift/machine-config-operator release-4.21, test/cluster/mcoControllers.ts), with
// their real delays; test/cluster/mcoSimulator.ts plays only the node daemons, the on-cluster build
// and the CVO, and records what it saw (every desiredConfig change per node included). Each test
// asserts on the objects the server stored and on that record, never on timings.
//
// Each file that uses it (clusterRollout.test.ts, cluster.test.ts) starts its own cluster and stack
// with useCluster(), so the files run side by side (package.json test:e2e).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OpenShiftVersion } from "../../components/openshift/versions";
import { leakedSecrets } from "../../dev/proc";
import { KubeObject, assertNodesDone } from "../cluster/kube";
import { RecordEntry } from "../cluster/mcoSimulator";
import { MCO_API } from "../cluster/seed";
import { TestCluster, pointAtCluster } from "../cluster/testCluster";
import { E2e, setUpE2e, startUpstreamCluster, ROLLOUT_TIMEOUT_MINUTES } from "./setup";

export const STACK = "e2e-cluster";
export const MC = (pool: string): string => `99-${pool}-rhcos-forge-os-image`;
export const CANARY_NODE = "worker-0";

export let e2e: E2e;
export let cluster: TestCluster;
export const engineOutput: string[] = [];

export async function pulumi(cmd: string[], opts: { check?: boolean } = {}): Promise<{ code: number; out: string }> {
    const res = await e2e.run(cmd, { check: opts.check ?? true });
    engineOutput.push(res.stdout, res.stderr);
    return { code: res.code, out: res.stdout + res.stderr };
}

/** The local stack's build, rolled out to the test cluster: a canary pool of one node, then worker. */
export function configureMachineConfig(image: Record<string, unknown> = {}): void {
    e2e.configure({
        image,
        rollout: {
            pools: [
                { name: "canary", nodes: [CANARY_NODE], maxUnavailable: 1 },
                { name: "worker", maxUnavailable: "50%" },
            ],
            timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
        },
    });
    pointAtCluster(e2e.stack.configFile);
}

/** On-cluster layering: the MCO builds, so the repository is only a name on a host with a dot. */
export const ONCLUSTER_REPO = "registry.rf-e2e.example/rhcos-forge/node";

export function configureOnCluster(
    version: OpenShiftVersion,
    pools: Record<string, unknown>[],
    packages: string[] = ["htop"],
): void {
    e2e.configure({ rollout: { method: "machineosconfig", pools, timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES } });
    pointAtCluster(e2e.stack.configFile, c => {
        c["rhcos-forge:cluster"] = { ...c["rhcos-forge:cluster"], openshiftVersion: version };
        c["rhcos-forge:mirror"] = {
            ...c["rhcos-forge:mirror"],
            repos: [],
            packageSet: { id: "rhcos-forge-extras", packages: [] },
        };
        const image = c["rhcos-forge:image"];
        c["rhcos-forge:image"] = {
            base: "cluster",
            repository: ONCLUSTER_REPO,
            packages,
            files: image.files,
            labels: image.labels,
        };
    });
}

export const mcPath = (name: string): string => `/apis/${MCO_API}/machineconfigs/${name}`;
export const poolPath = (name: string): string => `/apis/${MCO_API}/machineconfigpools/${name}`;

export interface Mc extends KubeObject {
    spec?: { osImageURL?: string };
}

/** An up that fails on a pool's condition (not at the rollout's timeout); its result. */
export async function upFailingOnCondition(): Promise<{ code: number; out: string }> {
    const res = await pulumi(["up", "--yes"], { check: false });
    assert.notEqual(res.code, 0);
    const why = "the rollout failed on the pool's condition, not at the timeout";
    assert.doesNotMatch(res.out, /did not finish within/, why);
    return res;
}

export function first(entries: RecordEntry[], pred: (e: RecordEntry) => boolean, what: string): RecordEntry {
    const e = entries.find(pred);
    assert.ok(e, `the simulator never saw ${what}`);
    return e;
}

/**
 * How many times the node controller changed each worker's desiredConfig (or desiredImage) since
 * record index `from`.
 */
export function desiredChangeCounts(from: number): Record<string, number> {
    return Object.fromEntries(cluster.seeded.workers.map(n => [n, cluster.sim.desiredChanges(n, from).length]));
}

export const oncePerWorker = (): Record<string, number> => Object.fromEntries(cluster.seeded.workers.map(n => [n, 1]));

/**
 * Right after `pulumi destroy` returned: every pool is Updated on a rendered config holding none of
 * our MachineConfigs, no node mid-update.
 */
export async function assertBackOnBase(): Promise<void> {
    const pools = await cluster.api.client.list<KubeObject>(`/apis/${MCO_API}/machineconfigpools`);
    for (const p of pools.items) {
        const spec = (p.spec ?? {}) as { configuration?: { name?: string; source?: { name: string }[] } };
        const status = (p.status ?? {}) as {
            configuration?: { name?: string };
            conditions?: { type: string; status: string }[];
            machineCount?: number;
            updatedMachineCount?: number;
        };
        const ours = (spec.configuration?.source ?? [])
            .map(r => r.name)
            .filter(n => n.endsWith("-rhcos-forge-os-image"));
        assert.deepEqual(ours, [], `pool ${p.metadata.name} renders none of our MachineConfigs`);
        assert.equal(
            status.configuration?.name,
            spec.configuration?.name,
            `pool ${p.metadata.name} reports the rendered config it targets`,
        );
        assert.ok(
            (status.conditions ?? []).some(c => c.type === "Updated" && c.status === "True"),
            `pool ${p.metadata.name} is Updated`,
        );
        assert.equal(
            status.updatedMachineCount,
            status.machineCount,
            `every machine of pool ${p.metadata.name} is updated`,
        );
    }
    await assertNodesDone(cluster.api.client);
}

export const poolUpdatedWith =
    (pool: string, mc: string) =>
    (e: RecordEntry): boolean => {
        const s = e.summary as {
            statusSources?: string[];
            trueConditions?: string[];
            machineCount?: number;
            updated?: number;
        };
        return (
            e.kind === "MachineConfigPool" &&
            e.name === pool &&
            (s.statusSources ?? []).includes(mc) &&
            (s.trueConditions ?? []).includes("Updated") &&
            s.updated === s.machineCount
        );
    };

/** Starts the e2e services, a stack and the upstream test cluster before the file's tests; stops them after. */
export function useCluster(): void {
    before(async () => {
        e2e = await setUpE2e(STACK);
        cluster = await startUpstreamCluster(e2e);
        process.stderr.write(
            `# kube-apiserver ${cluster.api.version} ready in ${cluster.api.startMs} ms; machine-config-operator ` +
                `controllers ${cluster.controllers?.versions.hash ?? "?"}\n`,
        );
    });
    after(async () => {
        await cluster?.stop();
        await e2e?.env.teardown();
    });
}

/** The file's last suite: no secret reached the engine's output of any of its runs. */
export function secretsSuite(): void {
    describe("secrets", () => {
        it("no secret reached the engine's output", () => {
            assert.deepEqual(leakedSecrets(), []);
            const token = /token: (\S+)/.exec(cluster.api.kubeconfig)?.[1] ?? "unreachable";
            assert.ok(!engineOutput.join("\n").includes(token));
        });
    });
}
