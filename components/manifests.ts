// Pure rendering of the OpenShift objects rhcos-forge declares (plain objects, no Pulumi types),
// so the same functions feed the resources, the golden files and the CRD schema tests.
import { PoolConfig } from "./config";

export const MCO_API = "machineconfiguration.openshift.io/v1";
export const ROLE_LABEL = "machineconfiguration.openshift.io/role";

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
}

export const isBuiltinPool = (pool: string): boolean => pool === "worker" || pool === "master";

/**
 * The MCO merges MachineConfigs sorted by name and the last osImageURL wins; custom-pool configs
 * are merged after the worker ones. `99-<pool>-rhcos-forge-os-image` sorts after the MCO's own
 * `00-`/`01-` configs and the usual `99-<pool>-…` ones, so ours wins on purpose.
 */
export function machineConfigName(pool: string): string {
    return `99-${pool}-rhcos-forge-os-image`;
}

export function nodeRoleLabel(pool: string): string {
    return `node-role.kubernetes.io/${pool}`;
}

export function renderMachineConfig(pool: string, osImageURL: string): KubeObject {
    return {
        apiVersion: MCO_API,
        kind: "MachineConfig",
        metadata: {
            name: machineConfigName(pool),
            labels: { [ROLE_LABEL]: pool, "app.kubernetes.io/managed-by": "rhcos-forge" },
        },
        spec: { osImageURL },
    };
}

/**
 * A custom pool as the MCO docs define one: it inherits every worker MachineConfig plus its own,
 * and selects nodes by their `node-role.kubernetes.io/<pool>` label.
 */
export function renderMachineConfigPool(pool: PoolConfig): KubeObject {
    return {
        apiVersion: MCO_API,
        kind: "MachineConfigPool",
        metadata: { name: pool.name, labels: { "app.kubernetes.io/managed-by": "rhcos-forge" } },
        spec: {
            machineConfigSelector: {
                matchExpressions: [{ key: ROLE_LABEL, operator: "In", values: ["worker", pool.name] }],
            },
            nodeSelector: { matchLabels: { [nodeRoleLabel(pool.name)]: "" } },
            maxUnavailable: pool.maxUnavailable,
            paused: pool.paused,
        },
    };
}

/** The fields rhcos-forge manages on a built-in pool (worker), applied as a patch. */
export function renderPoolSettings(pool: PoolConfig): { maxUnavailable: number | string; paused: boolean } {
    return { maxUnavailable: pool.maxUnavailable, paused: pool.paused };
}
