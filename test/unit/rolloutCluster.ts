// A fake cluster for program tests of the staged rollout: it serves MachineConfigPools, rendered
// configs, MachineOSConfigs and MachineOSBuilds through the KubeReader the rollout wait uses,
// built from what the program registered under mocks. Each pool reports "updating" on its first
// reads and "updated" after, so the wait really polls, and records when each pool finished.
import { ClusterAccess, KubeReader } from "../../components/rollout/kubeApi";
import { realClock } from "../../components/rollout/poll";
import { registrations } from "./harness";

export const BUILT = (pool: string) =>
    `quay.io/example-org/rhcos-forge@sha256:${Buffer.from(pool.padEnd(32, "0")).toString("hex").slice(0, 64)}`;

export interface FakeCluster {
    /** Every GET path in order. */
    readonly gets: string[];
    /** For each pool: how many resources were registered when it first reported done. */
    readonly doneAt: Map<string, number>;
    /** What the program's rollout waits reach this cluster with (passed to runProgram). */
    readonly access: ClusterAccess;
}

const T = "2025-06-01T10:00:00Z";
const cond = (type: string, status: boolean, message = "") => ({
    type,
    status: status ? "True" : "False",
    reason: "AsExpected",
    message,
    lastTransitionTime: T,
});

/** Our MachineConfig for a pool, as the program registered it (undefined until it is). */
function registeredSpec(pool: string): Record<string, unknown> | undefined {
    const mc = registrations.find(
        r =>
            r.type.endsWith(":MachineConfig") &&
            (r.inputs.metadata as { name?: string })?.name?.startsWith(`99-${pool}-rhcos-forge`),
    );
    return mc?.inputs.spec as Record<string, unknown> | undefined;
}

export function installFakeCluster(opts: { updatingReads?: number; api?: "v1" | "v1alpha1" } = {}): FakeCluster {
    const gets: string[] = [];
    const doneAt = new Map<string, number>();
    const reads = new Map<string, number>();
    const updatingReads = opts.updatingReads ?? 2;
    const reader: KubeReader = {
        async get(path: string): Promise<unknown> {
            gets.push(path);
            const mcp = /\/machineconfigpools\/([^/]+)$/.exec(path);
            if (mcp) {
                const pool = mcp[1];
                const n = (reads.get(pool) ?? 0) + 1;
                reads.set(pool, n);
                const done = n > updatingReads;
                if (done && !doneAt.has(pool)) doneAt.set(pool, registrations.length);
                const sources =
                    registeredSpec(pool) === undefined
                        ? ["00-worker"]
                        : ["00-worker", `99-${pool}-rhcos-forge-os-image`];
                return {
                    metadata: { name: pool, generation: 3 },
                    spec: { configuration: { name: `rendered-${pool}-new`, source: sources.map(name => ({ name })) } },
                    status: {
                        observedGeneration: 3,
                        configuration: { name: `rendered-${pool}-new`, source: sources.map(name => ({ name })) },
                        machineCount: 2,
                        updatedMachineCount: done ? 2 : 0,
                        readyMachineCount: done ? 2 : 1,
                        degradedMachineCount: 0,
                        conditions: [
                            cond("Updated", done),
                            cond("Updating", !done),
                            cond("Degraded", false),
                            cond("NodeDegraded", false),
                            cond("RenderDegraded", false),
                        ],
                    },
                };
            }
            const rendered = /\/machineconfigs\/rendered-([^/]+)-new$/.exec(path);
            if (rendered)
                return { metadata: { name: `rendered-${rendered[1]}-new` }, spec: registeredSpec(rendered[1]) ?? {} };
            const mosc = /\/machineosconfigs\/([^/]+)$/.exec(path);
            if (mosc) {
                return {
                    status:
                        opts.api === "v1alpha1"
                            ? { currentImagePullspec: BUILT(mosc[1]) }
                            : { currentImagePullSpec: BUILT(mosc[1]) },
                };
            }
            if (path.endsWith("/machineosbuilds")) {
                const pools = registrations
                    .filter(r => r.type.endsWith(":MachineOSConfig"))
                    .map(r => (r.inputs.metadata as { name: string }).name);
                return {
                    items: pools.map(pool => ({
                        metadata: { name: `${pool}-build`, creationTimestamp: T },
                        spec: {
                            machineOSConfig: { name: pool },
                            machineConfig: { name: `rendered-${pool}-new` },
                            desiredConfig: { name: `rendered-${pool}-new` },
                        },
                        status: { conditions: [cond("Succeeded", true, "Build Ready"), cond("Failed", false)] },
                    })),
                };
            }
            return undefined;
        },
    };
    return { gets, doneAt, access: { connect: () => reader, pollMs: 1, clock: realClock } };
}
