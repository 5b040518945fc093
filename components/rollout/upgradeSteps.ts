// The cluster side of rhcos-forge:cluster.upgrade (clusterUpgrade.ts wires it), as plain functions
// over a KubeReader: where the cluster stands, the version target's release, pausing and unpausing
// a pool, and the wait for the machine-config ClusterOperator. The procedure is OpenShift's
// "Control Plane Only update" (openshift-docs updating/updating_a_cluster/
// control-plane-only-update.adoc: pause the worker and custom pools, update, unpause) with our
// image set before the unpause, so each layered node gets one new desiredConfig.
import { MCO_API } from "../openshift/names";
import { CLUSTER_VERSION_API } from "../openshift/clusterVersion";
import type { ClusterVersionObject } from "./clusterVersionWait";
import { KubeReader } from "./kubeApi";
import { Clock, errorText, pollUntil } from "./poll";

/**
 * The MCO's ClusterOperator
 * (openshift/machine-config-operator install/0000_80_machine-config_00_clusteroperator.yaml).
 */
export const MCO_OPERATOR_PATH = `/apis/${CLUSTER_VERSION_API}/clusteroperators/machine-config`;

/** A release the CVO offers (openshift/api config/v1 types_cluster_version.go Release). */
interface Release {
    readonly version?: string;
    readonly image?: string;
}

export interface UpgradeClusterVersion extends ClusterVersionObject {
    readonly status?: ClusterVersionObject["status"] & {
        readonly availableUpdates?: readonly Release[] | null;
        readonly conditionalUpdates?: readonly { readonly release?: Release }[] | null;
    };
}

/** The cluster already runs the release: the newest history entry is it and Completed. */
export function alreadyOn(cv: UpgradeClusterVersion | undefined, image: string): boolean {
    const latest = cv?.status?.history?.[0];
    return latest?.image === image && latest.state === "Completed";
}

/**
 * The release image of a version target, from what the cluster is offered: status.availableUpdates,
 * then conditionalUpdates (openshift/api config/v1 types_cluster_version.go; `oc adm upgrade --to`
 * resolves the same way), or the release the cluster already completed. The CVO accepts a
 * version-only desiredUpdate only when it is one of these, so nothing else can be built FROM.
 */
export function releaseForVersion(cv: UpgradeClusterVersion | undefined, version: string): string {
    const latest = cv?.status?.history?.[0];
    if (latest?.version === version && latest.state === "Completed" && latest.image !== undefined) return latest.image;
    const offered = [
        ...(cv?.status?.availableUpdates ?? []),
        ...(cv?.status?.conditionalUpdates ?? []).map(c => c.release ?? {}),
    ];
    const hit = offered.find(r => r.version === version && r.image !== undefined);
    if (hit?.image !== undefined) return hit.image;
    const listed = offered.map(r => r.version).filter((v): v is string => v !== undefined);
    throw new Error(
        `rhcos-forge:cluster.upgrade.version ${version} is not an update the cluster offers (ClusterVersion ` +
            `status.availableUpdates and conditionalUpdates list ` +
            `${listed.length === 0 ? "none" : listed.join(", ")}); ` +
            "set rhcos-forge:cluster.upgrade.image to the release by digest instead",
    );
}

/** A pool's spec.paused, set with a merge patch (the field the control-plane-only update toggles). */
export async function setPoolPaused(api: KubeReader, pool: string, paused: boolean): Promise<void> {
    if (api.send === undefined)
        throw new Error(
            `${paused ? "pausing" : "unpausing"} pool ${pool} patches it, but this cluster access cannot write`,
        );
    const done = await api.send("PATCH", `/apis/${MCO_API}/machineconfigpools/${encodeURIComponent(pool)}`, {
        spec: { paused },
    });
    if (done === undefined) throw new Error(`pool ${pool} does not exist`);
}

interface OperatorObject {
    readonly status?: { readonly versions?: readonly { readonly name?: string; readonly version?: string }[] | null };
}

/** The version the ClusterOperator reports for itself (status.versions[name=operator]). */
export function operatorVersion(co: OperatorObject | undefined): string | undefined {
    return co?.status?.versions?.find(v => v.name === "operator")?.version;
}

/**
 * Waits until the machine-config ClusterOperator reports `version`: the MCO has rolled its new
 * controllers and templates out, so a pool unpaused now renders against the new release.
 */
export async function waitForMachineConfigOperator(
    api: KubeReader,
    version: string,
    clock: Clock,
    opts: { readonly timeoutMs: number; readonly pollMs: number; readonly log: (line: string) => void },
): Promise<void> {
    await pollUntil<true>(
        async () => {
            const reported = operatorVersion((await api.get(MCO_OPERATOR_PATH)) as OperatorObject | undefined);
            return reported === version
                ? { done: true, line: `ClusterOperator machine-config reports ${version}` }
                : {
                      waiting:
                          `ClusterOperator machine-config reports ${reported ?? "no version"}, waiting for ` +
                          `${version}`,
                  };
        },
        clock,
        {
            ...opts,
            heartbeatMs: 300_000,
            isFatal: () => false,
            readError: e => `cannot read ClusterOperator machine-config (${errorText(e)}); retrying`,
            timedOut: last =>
                new Error(
                    `ClusterOperator machine-config did not report ${version} within ` +
                        `${Math.round(opts.timeoutMs / 60_000)} minutes (rhcos-forge:rollout.timeoutMinutes); the ` +
                        `pools stay paused. Last: ${last}`,
                ),
        },
    );
}

/** What the upgrade will do, in order: the lines a preview prints. */
export function upgradePlan(p: { target: string; pools: readonly string[]; already: boolean }): string[] {
    if (p.already)
        return [
            `cluster.upgrade: the cluster already runs ${p.target}; the pools roll out the image built FROM ` +
                `its rhel-coreos as usual`,
        ];
    const pools = p.pools.join(", ");
    return [
        `cluster.upgrade to ${p.target}, in order:`,
        `  1. read the release's rhel-coreos on the build host and build the layered image FROM it`,
        `  2. pause pool(s) ${pools} (spec.paused: a paused pool gets no new desiredConfig)`,
        `  3. set ClusterVersion spec.desiredUpdate to ${p.target}`,
        `  4. wait for ClusterVersion to complete it and ClusterOperator machine-config to report its version`,
        ...p.pools.map(
            (pool, i) =>
                `  ${5 + i}. pool ${pool}: MachineConfig osImageURL -> the new image, wait for the render, ` +
                `unpause, wait for its nodes${i === 0 ? " (and its gates)" : ""}`,
        ),
    ];
}
