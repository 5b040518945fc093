// Names of OpenShift objects and API groups rhcos-forge reads or writes, in one place: the
// modules that render, read or wait on them import these rather than repeat the strings.

/**
 * The release's driver-toolkit ImageStream (openshift/driver-toolkit
 * manifests/01-openshift-imagestream.yaml, release-4.16 … release-4.22): namespace openshift,
 * tag latest; image.stages[].base "driver-toolkit" asks for it.
 */
export const DRIVER_TOOLKIT_NAMESPACE = "openshift";
export const DRIVER_TOOLKIT_IMAGESTREAM = "driver-toolkit";
export const DRIVER_TOOLKIT_TAG = "latest";
export const DRIVER_TOOLKIT_PATH =
    `/apis/image.openshift.io/v1/namespaces/${DRIVER_TOOLKIT_NAMESPACE}` +
    `/imagestreams/${DRIVER_TOOLKIT_IMAGESTREAM}`;
/** The value of image.stages[].base that asks for the cluster's driver-toolkit. */
export const DRIVER_TOOLKIT_BASE = "driver-toolkit";

/** The MCO's API group (openshift/api machineconfiguration/v1 and v1alpha1 register.go). */
export const MCO_GROUP = "machineconfiguration.openshift.io";
/** MachineConfig, MachineConfigPool and (from 4.19) MachineOSConfig. */
export const MCO_API = `${MCO_GROUP}/v1` as const;
/** An apiVersion of the MCO's group: `machineconfiguration.openshift.io/<version>`. */
export function mcoApiVersion(version: string): string {
    return `${MCO_GROUP}/${version}`;
}
export const MACHINE_CONFIG_KIND = "MachineConfig" as const;
export const MACHINE_CONFIG_POOL_KIND = "MachineConfigPool";
export const MACHINE_OS_CONFIG_KIND = "MachineOSConfig";
/** Where the MCO runs and looks for the secrets a MachineOSConfig names. */
export const MCO_NAMESPACE = "openshift-machine-config-operator";
/** The label a pool's machineConfigSelector matches a MachineConfig by. */
export const ROLE_LABEL = `${MCO_GROUP}/role`;

/**
 * What the MCO records on objects: the node's MachineConfig daemon and the node controller on a
 * Node, the build controller on a pool (current-machine-os-build) and a MachineOSConfig (rebuild).
 */
export const MCO_ANNOTATIONS = {
    current: `${MCO_GROUP}/currentConfig`,
    desired: `${MCO_GROUP}/desiredConfig`,
    state: `${MCO_GROUP}/state`,
    reason: `${MCO_GROUP}/reason`,
    currentImage: `${MCO_GROUP}/currentImage`,
    desiredImage: `${MCO_GROUP}/desiredImage`,
    currentBuild: `${MCO_GROUP}/current-machine-os-build`,
    rebuild: `${MCO_GROUP}/rebuild`,
} as const;

/** The label on every object rhcos-forge declares on the cluster. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "rhcos-forge";
/** The labels every declared object carries (a fresh object each call: callers may add to it). */
export function managedLabels(): Record<string, string> {
    return { [MANAGED_BY_LABEL]: MANAGED_BY };
}
