// The OpenShift releases rhcos-forge targets. What differs between them (API versions, CRD
// schemas, allowlists) is in the one table of releases.ts, keyed on these values.

export const OPENSHIFT_VERSIONS = ["4.16", "4.17", "4.18", "4.19", "4.20", "4.21", "4.22"] as const;
export type OpenShiftVersion = (typeof OPENSHIFT_VERSIONS)[number];
