// The OpenShift releases rhcos-forge targets. What differs between them (API versions, CRD
// schemas, allowlists) is keyed on these values in the modules beside this one.

export const OPENSHIFT_VERSIONS = ["4.16", "4.17", "4.18", "4.19"] as const;
export type OpenShiftVersion = (typeof OPENSHIFT_VERSIONS)[number];
