// Waiting on `pulumi destroy` until a pool is back where it was before rhcos-forge: its rendered
// config holds none of our MachineConfigs, every node of it runs that config (and no layered image),
// and the pool reports Updated for it. Deleting our MachineConfig only starts that: the MCO renders
// the pool again about 5 s later (openshift/machine-config-operator pkg/controller/render/
// render_controller.go renderDelay), then drains and reboots its nodes, maxUnavailable at a time
// (pkg/controller/node/node_controller.go). Without this wait destroy returned while nodes were
// still on our image, and went on to remove the pool's maxUnavailable patch mid-revert.
//
// `pulumi destroy` does not run the program, so, as nodeRelease.ts, this is the delete step of a
// command:local:Command (osImageRollout.ts) that runs this file with its request, kubeconfig
// included, on stdin; our MachineConfig and MachineOSConfig depend on that command, so they are
// deleted first and the pool (or its patch) after it.
import { Clock, PollStep, pollUntil } from "./poll";
import { destroyWaitOptions, runWaitFromStdin } from "./stdinWait";
import { KubeReader, labelSelectorQuery } from "./kubeApi";
import { MCO_API } from "../openshift/names";
import { PoolNode, PoolObject } from "./poolWait";
import { NODE_ANNOTATIONS } from "./nodeRelease";

export interface RevertRequest {
    readonly pool: string;
    /** Our MachineConfigs of this pool, which its rendered config must no longer hold. */
    readonly machineConfigs: readonly string[];
    readonly kubeconfig: string;
    readonly context?: string;
    readonly timeoutMs: number;
    readonly pollMs: number;
}

const isTrue = (pool: PoolObject, type: string): boolean =>
    (pool.status?.conditions ?? []).some(c => c.type === type && c.status === "True");

/**
 * Done when the pool is gone, or renders without our MachineConfigs, its status is for its current
 * generation and names that same rendered config, Updated with every machine, and none of its
 * nodes is told to run or runs a layered image (our MachineOSConfig's).
 */
export function evaluateRevert(
    pool: PoolObject | undefined,
    nodes: readonly PoolNode[] | undefined,
    req: Pick<RevertRequest, "pool" | "machineConfigs">,
): PollStep<string> {
    if (pool === undefined) return { done: "gone", line: `pool ${req.pool} is gone: nothing to wait for` };
    const spec = pool.spec?.configuration;
    const ours = (spec?.source ?? []).map(s => s.name ?? "").filter(n => req.machineConfigs.includes(n));
    if (ours.length > 0)
        return { waiting: `pool ${req.pool}: waiting for the MCO to render it without ${ours.join(", ")}` };
    const generation = pool.metadata?.generation;
    const observed = pool.status?.observedGeneration;
    if (generation !== undefined && (observed === undefined || observed < generation)) {
        return { waiting: `pool ${req.pool}: waiting for the MCO to observe generation ${generation}` };
    }
    const s = pool.status ?? {};
    const counts = `${s.updatedMachineCount ?? 0}/${s.machineCount ?? 0} updated`;
    if (
        spec?.name === undefined ||
        s.configuration?.name !== spec.name ||
        !isTrue(pool, "Updated") ||
        isTrue(pool, "Updating") ||
        (s.updatedMachineCount ?? 0) !== (s.machineCount ?? 0)
    ) {
        return { waiting: `pool ${req.pool}: nodes moving back to ${spec?.name ?? "the pool's config"} (${counts})` };
    }
    const layered = (nodes ?? []).filter(n => {
        const a = n.metadata?.annotations ?? {};
        return (a[NODE_ANNOTATIONS.desiredImage] ?? "") !== "" || (a[NODE_ANNOTATIONS.currentImage] ?? "") !== "";
    });
    if (layered.length > 0) {
        return {
            waiting:
                `pool ${req.pool}: ${layered.map(n => n.metadata?.name ?? "?").join(", ")} still on a layered ` +
                `image`,
        };
    }
    return { done: spec.name, line: `pool ${req.pool} is back on ${spec.name} (${counts})` };
}

export async function waitForRevert(
    req: RevertRequest,
    reader: KubeReader,
    clock: Clock,
    log: (line: string) => void,
): Promise<string> {
    return pollUntil<string>(
        async () => {
            const pool = (await reader.get(`/apis/${MCO_API}/machineconfigpools/${encodeURIComponent(req.pool)}`)) as
                PoolObject | undefined;
            const selector =
                pool?.spec?.nodeSelector === undefined ? undefined : labelSelectorQuery(pool.spec.nodeSelector);
            const nodes =
                selector === undefined
                    ? undefined
                    : (
                          (await reader.get(`/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`)) as
                              { items?: PoolNode[] } | undefined
                      )?.items;
            return evaluateRevert(pool, nodes, req);
        },
        clock,
        destroyWaitOptions(
            req,
            log,
            `pool ${req.pool}`,
            minutes =>
                `pool ${req.pool} did not get back to its own config within ${minutes} minutes ` +
                "(rhcos-forge:rollout.timeoutMinutes); the pool's settings are kept",
        ),
    );
}

if (require.main === module) runWaitFromStdin(waitForRevert);
