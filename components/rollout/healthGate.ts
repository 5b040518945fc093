// The health gate after a pool reports Updated (rhcos-forge:rollout.pools[].soakMinutes and
// healthCheck, docs/fleet.md): for the soak, every node of the pool stays Ready and without
// memory, disk or PID pressure; then a Job pinned to the pool's nodes must succeed. A failing
// gate points the pool's MachineConfig back at the image it named before this update, waits for
// the pool to roll back, and fails naming the node and the check: the next pool never starts,
// because its MachineConfig waits on this pool's Output (osImageRollout.ts).
//
// Node conditions: Ready, MemoryPressure, DiskPressure, PIDPressure are the kubelet's
// (k8s.io/api core/v1 types.go NodeConditionType). Job status: status.succeeded counts pods that
// succeeded and a Job that has given up carries condition Failed=True (k8s.io/api batch/v1
// types.go JobConditionType). Nothing here runs in preview or render mode: the caller waits
// only where the pool wait does.
import { machineConfigName, MCO_API, nodeRoleLabel } from "../openshift/machineConfig";
import { MCO_ANNOTATIONS } from "../openshift/names";
import { KubeReader, readPoolNodes } from "./kubeApi";
import { Clock, errorText } from "./poll";

/** A pool's health check (rhcos-forge:rollout.pools[].healthCheck satisfies it). */
export interface HealthCheck {
    /** Container image of the check, by digest. */
    readonly image: string;
    /** Command and arguments (exec form); exit 0 passes. */
    readonly command: readonly string[];
    /** Namespace the Job runs in. */
    readonly namespace: string;
    /** How long the Job may take. */
    readonly timeoutMinutes: number;
}

interface Condition {
    readonly type?: string;
    readonly status?: string;
    readonly message?: string;
}
export interface GateNode {
    readonly metadata?: { readonly name?: string };
    readonly status?: { readonly conditions?: readonly Condition[] };
}
export interface GateJob {
    readonly status?: {
        readonly succeeded?: number;
        readonly failed?: number;
        readonly conditions?: readonly Condition[];
    };
}

export const PRESSURE = ["MemoryPressure", "DiskPressure", "PIDPressure"] as const;

/** Why a node fails the soak now, or undefined while it is healthy. */
export function nodeProblem(node: GateNode): string | undefined {
    const cond = (type: string) => node.status?.conditions?.find(c => c.type === type);
    const ready = cond("Ready");
    if (ready?.status !== "True") return `NotReady${ready?.message ? ` (${ready.message})` : ""}`;
    const pressed = PRESSURE.filter(p => cond(p)?.status === "True");
    return pressed.length === 0 ? undefined : pressed.join(", ");
}

/**
 * A node of the pool that finished its update (currentConfig = desiredConfig = the pool's rendered
 * config, state Done) and is not healthy now. The MCO counts an updated node only once it is Ready
 * too (openshift/machine-config-operator pkg/controller/node/status.go: allUpdated needs
 * readyMachineCount == machineCount, getReadyMachines), so a node whose new image breaks the
 * kubelet's Ready keeps the pool from ever reporting Updated: without this the wait would run into
 * its timeout instead of reverting. Checked during the pool wait of a gated pool.
 */
export function bootedUnhealthy(obs: {
    pool?: { spec?: { configuration?: { name?: string } } };
    nodes?: readonly unknown[];
}): { node: string; message: string } | undefined {
    const rendered = obs.pool?.spec?.configuration?.name;
    if (rendered === undefined) return undefined;
    for (const raw of obs.nodes ?? []) {
        const node = raw as GateNode & { metadata?: { annotations?: Record<string, string> } };
        const a = node.metadata?.annotations ?? {};
        if (
            a[MCO_ANNOTATIONS.current] !== rendered ||
            a[MCO_ANNOTATIONS.desired] !== rendered ||
            a[MCO_ANNOTATIONS.state] !== "Done"
        )
            continue;
        const problem = nodeProblem(node);
        const name = node.metadata?.name ?? "?";
        if (problem !== undefined)
            return { node: name, message: `node ${name} is ${problem} after booting ${rendered}` };
    }
    return undefined;
}

/**
 * Why the MCO's node controller gives this node no new config, or undefined when it would:
 * openshift/machine-config-operator pkg/controller/common/layered_node_state.go CheckNodeReady
 * (Ready not True, DiskPressure or NetworkUnavailable not False, unschedulable), used by
 * pkg/controller/node/node_controller.go getAllCandidateMachines. Such a node is not moved back by
 * a revert either. Memory and PID pressure do not count there.
 */
export function mcoSkipsNode(node: GateNode & { spec?: { unschedulable?: boolean } }): string | undefined {
    for (const c of node.status?.conditions ?? []) {
        if (c.type === "Ready" && c.status !== "True") return "is NotReady";
        if (c.type === "DiskPressure" && c.status !== "False") return "reports DiskPressure";
        if (c.type === "NetworkUnavailable" && c.status !== "False") return "reports NetworkUnavailable";
    }
    return node.spec?.unschedulable === true ? "is unschedulable" : undefined;
}

export type JobVerdict =
    | { readonly state: "running" }
    | { readonly state: "succeeded" }
    | { readonly state: "failed"; readonly message: string };

export function jobVerdict(job: GateJob | undefined): JobVerdict {
    if (job === undefined) return { state: "failed", message: "the Job is gone" };
    if ((job.status?.succeeded ?? 0) > 0) return { state: "succeeded" };
    const failed = job.status?.conditions?.find(c => c.type === "Failed" && c.status === "True");
    if (failed !== undefined) return { state: "failed", message: failed.message ?? "the Job failed" };
    return { state: "running" };
}

/** The check's Job: one pod, no retries, on the pool's nodes (the pool's role label), image by digest. */
export function renderHealthJob(pool: string, check: HealthCheck, name: string): Record<string, unknown> {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            namespace: check.namespace,
            labels: { "app.kubernetes.io/managed-by": "rhcos-forge", "rhcos-forge.io/health-check": pool },
        },
        spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: check.timeoutMinutes * 60,
            ttlSecondsAfterFinished: 24 * 3600,
            template: {
                spec: {
                    restartPolicy: "Never",
                    nodeSelector: { [nodeRoleLabel(pool)]: "" },
                    containers: [{ name: "check", image: check.image, command: [...check.command] }],
                },
            },
        },
    };
}

export interface PoolGate {
    readonly pool: string;
    readonly soakMinutes: number;
    readonly healthCheck?: HealthCheck;
}

export type GateResult =
    | { readonly ok: true }
    | { readonly ok: false; readonly node?: string; readonly check: string; readonly message: string };

export interface GateOptions {
    readonly pollMs: number;
    readonly log: (message: string) => void;
    /** Names the check's Job uniquely for this update (e.g. from the image digest). */
    readonly runId: string;
}

/** Soak, then the health check; the first failure ends the gate. */
export async function runPoolGate(
    api: KubeReader,
    gate: PoolGate,
    clock: Clock,
    opts: GateOptions,
): Promise<GateResult> {
    const until = clock.now() + gate.soakMinutes * 60_000;
    if (gate.soakMinutes > 0)
        opts.log(`pool ${gate.pool}: soaking ${gate.soakMinutes} min (every node Ready, no pressure)`);
    for (;;) {
        const nodes = await readPoolNodes<GateNode>(api, gate.pool);
        for (const node of nodes) {
            const problem = nodeProblem(node);
            if (problem !== undefined)
                return {
                    ok: false,
                    node: node.metadata?.name ?? "?",
                    check: "soak",
                    message: `node ${node.metadata?.name ?? "?"} is ${problem}`,
                };
        }
        const left = until - clock.now();
        if (left <= 0) break;
        await clock.sleep(Math.min(opts.pollMs, left));
    }
    const check = gate.healthCheck;
    if (check === undefined) return { ok: true };
    if (api.send === undefined) throw new Error("the health check creates a Job, but this cluster access cannot write");
    const name = `rhcos-forge-health-${gate.pool}-${opts.runId}`.slice(0, 63).replace(/-+$/, "");
    const path = `/apis/batch/v1/namespaces/${encodeURIComponent(check.namespace)}/jobs`;
    // A Job of the same name is this update's, from an earlier attempt: start it again.
    await api.send("DELETE", `${path}/${name}?propagationPolicy=Background`);
    await waitGone(api, `${path}/${name}`, clock, opts.pollMs);
    await api.send("POST", path, renderHealthJob(gate.pool, check, name));
    opts.log(`pool ${gate.pool}: health check Job ${check.namespace}/${name} (${check.command.join(" ")})`);
    const deadline = clock.now() + check.timeoutMinutes * 60_000;
    for (;;) {
        const verdict = jobVerdict((await api.get(`${path}/${name}`)) as GateJob | undefined);
        if (verdict.state === "succeeded") return { ok: true };
        const where = await jobNode(api, check.namespace, name);
        if (verdict.state === "failed")
            return {
                ok: false,
                node: where,
                check: `healthCheck Job ${check.namespace}/${name}`,
                message: verdict.message,
            };
        if (clock.now() >= deadline)
            return {
                ok: false,
                node: where,
                check: `healthCheck Job ${check.namespace}/${name}`,
                message: `did not succeed within ${check.timeoutMinutes} min`,
            };
        await clock.sleep(opts.pollMs);
    }
}

async function waitGone(api: KubeReader, path: string, clock: Clock, pollMs: number): Promise<void> {
    for (let i = 0; i < 600 && (await api.get(path)) !== undefined; i++) await clock.sleep(pollMs);
}

/** The node the check's pod ran on, for the failure message. */
async function jobNode(api: KubeReader, namespace: string, job: string): Promise<string | undefined> {
    try {
        const selector = encodeURIComponent(`job-name=${job}`);
        const pods = (await api.get(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${selector}`,
        )) as { items?: { spec?: { nodeName?: string } }[] } | undefined;
        return pods?.items?.[0]?.spec?.nodeName;
    } catch (e) {
        return `unknown (${errorText(e)})`;
    }
}

/**
 * Points the pool's MachineConfig back at `previous` (a merge patch of osImageURL only; null
 * removes it: the release's RHCOS).
 */
export async function revertPool(api: KubeReader, pool: string, previous: string | null): Promise<void> {
    if (api.send === undefined)
        throw new Error("reverting a pool patches its MachineConfig, but this cluster access cannot write");
    await api.send("PATCH", `/apis/${MCO_API}/machineconfigs/${encodeURIComponent(machineConfigName(pool))}`, {
        spec: { osImageURL: previous },
    });
}

/** The osImageURL the pool's MachineConfig names now (undefined: none). */
export async function currentPoolImage(api: KubeReader, pool: string): Promise<string | undefined> {
    const mc = (await api.get(`/apis/${MCO_API}/machineconfigs/${encodeURIComponent(machineConfigName(pool))}`)) as
        { spec?: { osImageURL?: string } } | undefined;
    return mc?.spec?.osImageURL;
}
