// Pure rendering of the OpenShift objects rhcos-forge declares (plain objects, no Pulumi types),
// so the same functions feed the resources, the golden files and the CRD schema tests.

import {
    MACHINE_CONFIG_KIND,
    MACHINE_CONFIG_POOL_KIND,
    MCO_API,
    MCO_NAMESPACE,
    ROLE_LABEL,
    managedLabels,
} from "./names";

export { MCO_API, MCO_NAMESPACE, ROLE_LABEL };
/**
 * On each rollout MachineConfig: the pool it is for. A custom pool's machineConfigSelector leaves
 * out the worker pool's one (see renderMachineConfigPool).
 */
export const POOL_LABEL = "rhcos-forge.io/pool";

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
}

/** A pool as rhcos-forge declares it (rhcos-forge:rollout.pools[] carries these fields). */
export interface PoolSpec {
    readonly name: string;
    readonly maxUnavailable: number | string;
    readonly paused: boolean;
}

export const isBuiltinPool = (pool: string): boolean => pool === "worker" || pool === "master";

/**
 * The MCO merges MachineConfigs sorted by name and the last osImageURL wins; custom-pool configs
 * are merged after the worker ones. `99-<pool>-rhcos-forge-os-image` sorts after the MCO's own
 * `00-`/`01-` configs and the usual `99-<pool>-…` ones, so ours wins on purpose. The name predates
 * the node extras it now also carries; it is kept because renaming replaces the object on every
 * existing cluster for no change on the nodes.
 */
export function machineConfigName(pool: string): string {
    return `99-${pool}-rhcos-forge-os-image`;
}

export function nodeRoleLabel(pool: string): string {
    return `node-role.kubernetes.io/${pool}`;
}

// The RHCOS extensions the MCO installs (MachineConfig `extensions`) differ per release: see
// EXTENSIONS and RELEASES[v].extensions in releases.ts.
export const KERNEL_TYPES = ["default", "realtime", "64k-pages"] as const;
export type KernelType = (typeof KERNEL_TYPES)[number];

/** Everything rhcos-forge sets on one pool's nodes. */
export interface NodeSettings {
    /** The image nodes boot (absent for on-cluster layering, where the MCO sets it). */
    readonly osImageURL?: string;
    readonly extensions?: readonly string[];
    readonly kernelType?: KernelType;
    readonly kernelArguments?: readonly string[];
}

/** True when the settings put anything in a MachineConfig. */
export function hasNodeSettings(s: NodeSettings): boolean {
    return Object.keys(machineConfigSpec(s)).length > 0;
}

/**
 * Only what is set is written. `kernelType: default` is left out rather than written: ours sorts
 * last, so an explicit default would silently override another MachineConfig's realtime kernel
 * (a PerformanceProfile's, say), while leaving it out lets the pool fall back to the default.
 */
function machineConfigSpec(s: NodeSettings): Record<string, unknown> {
    const spec: Record<string, unknown> = {};
    if (s.osImageURL !== undefined) spec.osImageURL = s.osImageURL;
    if (s.extensions !== undefined && s.extensions.length > 0) spec.extensions = [...s.extensions];
    if (s.kernelType !== undefined && s.kernelType !== "default") spec.kernelType = s.kernelType;
    if (s.kernelArguments !== undefined && s.kernelArguments.length > 0) spec.kernelArguments = [...s.kernelArguments];
    return spec;
}

/**
 * ONE MachineConfig per pool carries the image and the node extras together: every
 * MachineConfig change renders a new config and drains and reboots each node, so settings split
 * over several objects could cost several reboots per `pulumi up`; in one object the MCO sees one
 * change.
 */
export function renderMachineConfig(pool: string, settings: NodeSettings | string): KubeObject {
    const s: NodeSettings = typeof settings === "string" ? { osImageURL: settings } : settings;
    return {
        apiVersion: MCO_API,
        kind: MACHINE_CONFIG_KIND,
        metadata: {
            name: machineConfigName(pool),
            labels: { [ROLE_LABEL]: pool, [POOL_LABEL]: pool, ...managedLabels() },
        },
        spec: machineConfigSpec(s),
    };
}

/**
 * A custom pool as the MCO docs define one: it inherits the worker MachineConfigs plus its own,
 * and selects nodes by their `node-role.kubernetes.io/<pool>` label; but not the worker pool's
 * rollout MachineConfig (POOL_LABEL=worker). That one carries the same image and the worker
 * pool's node extras, which the custom pool's own MachineConfig already sets for its nodes:
 * inherited, it would re-render the custom pool when the worker stage lands (kernelArguments and
 * extensions append across MachineConfigs, so [nosmt] twice) and reboot its nodes a second time
 * in one `up`. The render controller lists a pool's MachineConfigs with
 * metav1.LabelSelectorAsSelector(pool.Spec.MachineConfigSelector) (every expression ANDed; NotIn
 * matches a MachineConfig without the label) (openshift/machine-config-operator
 * pkg/controller/render/render_controller.go syncMachineConfigPool), and merges them with the
 * worker role's first and the arguments appended (pkg/controller/common/helpers.go
 * MergeMachineConfigs).
 */
export function renderMachineConfigPool(pool: PoolSpec): KubeObject {
    return {
        apiVersion: MCO_API,
        kind: MACHINE_CONFIG_POOL_KIND,
        metadata: { name: pool.name, labels: managedLabels() },
        spec: {
            machineConfigSelector: {
                matchExpressions: [
                    { key: ROLE_LABEL, operator: "In", values: ["worker", pool.name] },
                    { key: POOL_LABEL, operator: "NotIn", values: ["worker"] },
                ],
            },
            nodeSelector: { matchLabels: { [nodeRoleLabel(pool.name)]: "" } },
            maxUnavailable: pool.maxUnavailable,
            paused: pool.paused,
        },
    };
}

/** The fields rhcos-forge manages on a built-in pool (worker), applied as a patch. */
export function renderPoolSettings(pool: PoolSpec): { maxUnavailable: number | string; paused: boolean } {
    return { maxUnavailable: pool.maxUnavailable, paused: pool.paused };
}
