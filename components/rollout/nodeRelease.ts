// Taking a node out of a custom pool the way the MCO documents it: remove the node's role label,
// wait until the worker pool has taken the node back (it runs a config of another pool, Done),
// and only then delete the pool's MachineConfig and the pool. Deleting the MachineConfig while
// the node is still in the pool would make the MCO re-render the pool and update the node in place
// first (a reboot when the pool has a MachineConfig of its own besides ours), then move it to the
// worker pool (another reboot); deleting the pool with the node still in it leaves the node on a
// rendered config nothing owns.
//
// `pulumi destroy` does not run the program, so the wait is the delete step of a
// command:local:Command that runs this file (shell.ts nodeProgramCommand: under tsx from source,
// plain node from the compiled package) with its request, kubeconfig included, on stdin. Its
// progress goes to stderr; it never prints the kubeconfig.
import { Clock, PollStep, pollUntil } from "./poll";
import { destroyWaitOptions, runWaitFromStdin } from "./stdinWait";
import { KubeReader } from "./kubeApi";
import { MCO_ANNOTATIONS, MCO_API } from "../openshift/names";
import type { PoolObject } from "./poolWait";

/** What the node's MachineConfig daemon and the node controller record on the Node. */
export const NODE_ANNOTATIONS = MCO_ANNOTATIONS;

export interface NodeObject {
    readonly metadata?: {
        readonly name?: string;
        readonly labels?: Record<string, string>;
        readonly annotations?: Record<string, string>;
    };
}

export interface ReleaseRequest {
    /** The custom pool the node leaves. */
    readonly pool: string;
    readonly node: string;
    readonly kubeconfig: string;
    readonly context?: string;
    readonly timeoutMs: number;
    readonly pollMs: number;
}

/**
 * The node has left `pool` when it no longer carries the pool's role label and runs, Done, a
 * rendered config that is not the pool's (`rendered-<pool>-<hash>` is how the render controller
 * names a pool's configs) and the image it was told to (on-cluster layering). A node the MCO does
 * not manage (no desiredConfig) or that is gone has nothing to wait for.
 */
export function evaluateRelease(node: NodeObject | undefined, pool: string, roleLabel: string): PollStep<string> {
    const name = node?.metadata?.name ?? "?";
    if (node === undefined) return { done: "gone", line: `node ${name} is gone: nothing to wait for` };
    const labels = node.metadata?.labels ?? {};
    if (Object.prototype.hasOwnProperty.call(labels, roleLabel)) {
        return { waiting: `node ${name} still has ${roleLabel}; waiting for its removal` };
    }
    const a = node.metadata?.annotations ?? {};
    const desired = a[NODE_ANNOTATIONS.desired];
    if (desired === undefined)
        return { done: "unmanaged", line: `node ${name} is not managed by the MCO: nothing to wait for` };
    const state = a[NODE_ANNOTATIONS.state] ?? "?";
    if (desired.startsWith(`rendered-${pool}-`)) {
        return {
            waiting:
                `node ${name}: waiting for the MCO to move it out of pool ${pool} (desiredConfig ${desired}, ` +
                `state ${state})`,
        };
    }
    const current = a[NODE_ANNOTATIONS.current];
    const imageDone = (a[NODE_ANNOTATIONS.currentImage] ?? "") === (a[NODE_ANNOTATIONS.desiredImage] ?? "");
    if (current !== desired || !imageDone || state !== "Done") {
        return { waiting: `node ${name}: moving to ${desired} (currentConfig ${current ?? "?"}, state ${state})` };
    }
    return { done: desired, line: `node ${name} left pool ${pool}: it runs ${desired}` };
}

/** The pool a rendered config belongs to: the render controller names them rendered-<pool>-<hash>. */
export function poolOfRendered(rendered: string): string | undefined {
    return /^rendered-(.+)-[0-9a-f]+$/.exec(rendered)?.[1];
}

/**
 * Once the node runs the other pool's config, that pool must also report it: Updated for that
 * rendered config with every machine, the node among them. The node controller recomputes pool
 * status about 5 s after a node changes (openshift/machine-config-operator pkg/controller/node/
 * node_controller.go updateDelay), and until then the pool still counts the node as updating.
 */
export function evaluateDestination(pool: PoolObject | undefined, rendered: string, node: string): PollStep<string> {
    const name = poolOfRendered(rendered) ?? "?";
    if (pool === undefined) return { done: rendered, line: `node ${node} runs ${rendered}; pool ${name} is gone` };
    const s = pool.status ?? {};
    const updated = (s.conditions ?? []).some(c => c.type === "Updated" && c.status === "True");
    if (
        s.configuration?.name !== rendered ||
        !updated ||
        (s.updatedMachineCount ?? 0) !== (s.machineCount ?? 0) ||
        (pool.metadata?.generation !== undefined && s.observedGeneration !== pool.metadata.generation)
    ) {
        return {
            waiting:
                `node ${node} runs ${rendered}; waiting for pool ${name} to report it Updated ` +
                `(${s.updatedMachineCount ?? 0}/${s.machineCount ?? 0} updated)`,
        };
    }
    return { done: rendered, line: `node ${node} left for pool ${name}, which is Updated on ${rendered}` };
}

export async function waitForNodeRelease(
    req: ReleaseRequest,
    reader: KubeReader,
    clock: Clock,
    log: (line: string) => void,
): Promise<string> {
    const roleLabel = `node-role.kubernetes.io/${req.pool}`;
    return pollUntil<string>(
        async () => {
            const node = (await reader.get(`/api/v1/nodes/${encodeURIComponent(req.node)}`)) as NodeObject | undefined;
            const step = evaluateRelease(
                node === undefined ? undefined : { ...node, metadata: { ...node.metadata, name: req.node } },
                req.pool,
                roleLabel,
            );
            if (!("done" in step) || !step.done.startsWith("rendered-")) return step;
            const dest = poolOfRendered(step.done);
            const pool =
                dest === undefined
                    ? undefined
                    : ((await reader.get(`/apis/${MCO_API}/machineconfigpools/${encodeURIComponent(dest)}`)) as
                          PoolObject | undefined);
            return evaluateDestination(pool, step.done, req.node);
        },
        clock,
        destroyWaitOptions(
            req,
            log,
            `node ${req.node}`,
            minutes =>
                `node ${req.node} did not leave pool ${req.pool} within ${minutes} minutes ` +
                "(rhcos-forge:rollout.timeoutMinutes); the pool's MachineConfig and the pool are kept",
        ),
    );
}

if (require.main === module) runWaitFromStdin(waitForNodeRelease);
