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
export const DRIVER_TOOLKIT_PATH = `/apis/image.openshift.io/v1/namespaces/${DRIVER_TOOLKIT_NAMESPACE}/imagestreams/${DRIVER_TOOLKIT_IMAGESTREAM}`;
/** The value of image.stages[].base that asks for the cluster's driver-toolkit. */
export const DRIVER_TOOLKIT_BASE = "driver-toolkit";
