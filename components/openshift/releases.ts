// What differs between the OpenShift releases rhcos-forge targets, in ONE table: a row per minor
// version. Other modules read their per-release facts from RELEASES instead of comparing version
// strings, so supporting a new release is adding a row here (and its CRDs to ../shared/crds/).
// Pure data, no Pulumi types.
import type { OpenShiftVersion } from "./versions";

/**
 * Every extension name the MCO of some supported release knows, in the order of the MCO's own
 * list (each release's list below is a subsequence of it). The schema accepts only these names;
 * whether a name exists on the stack's release is checked against RELEASES[v].extensions.
 */
export const EXTENSIONS = [
    "two-node-ha", "wasm", "ipsec", "usbguard", "kerberos", "kernel-devel", "sandboxed-containers", "sysstat",
] as const;
export type Extension = (typeof EXTENSIONS)[number];

export type MachineOSConfigApi = "v1" | "v1alpha1";

/**
 * How a layered Containerfile changes packages: `rpm-ostree` (rpm-ostree install / override, each
 * RUN closed by `ostree container commit`, the form of openshift/rhcos-image-layering-examples) or `dnf` (dnf install … && dnf clean all, and a final
 * `bootc container lint`, the bootc image-mode form).
 */
export type LayeringDialect = "rpm-ostree" | "dnf";

export interface OpenShiftRelease {
    /**
     * The MachineOSConfig API served (openshift/api machineconfiguration/v1alpha1 → v1): v1alpha1,
     * TechPreviewNoUpgrade only, in 4.16 and 4.17; v1 from 4.18 (see the CRDs in
     * ../shared/crds/release-<v>/ and machineOsConfig.ts for how the two shapes differ).
     */
    readonly machineOSConfigApi: MachineOSConfigApi;
    /**
     * The MachineConfig `extensions` the release's MCO accepts: the keys of SupportedExtensions()
     * in openshift/machine-config-operator pkg/controller/common/helpers.go on the release branch.
     * The MCO refuses any other name ("invalid extensions found") and the pool degrades.
     */
    readonly extensions: readonly Extension[];
    /**
     * The Containerfile dialect rhcos-forge renders by default (image.dialect overrides it):
     * rpm-ostree on every supported release, because that is what OpenShift's own sources write
     * on each of them. The MCO's on-cluster build template closes its RUNs with `ostree container
     * commit` on release-4.16 … release-4.22 and installs extensions with `rpm-ostree install`
     * from release-4.18 (openshift/machine-config-operator
     * pkg/controller/build/assets/Containerfile.on-cluster-build-template on 4.16 and 4.17,
     * pkg/controller/build/buildrequest/assets/ from 4.18, read at the heads listed below the
     * table); from release-4.20 the same template also runs `dnf -y shell` for its kernel-type
     * swap, so dnf works inside a 4.20+ RHCOS build, but no file of release-4.16 … release-4.22
     * runs `bootc container lint`. The openshift-docs
     * on-cluster example (modules/coreos-layering-configuring-on.adoc at 113f7c9e) writes
     * `dnf install -y … && dnf clean all && ostree container commit`, still with the commit. So
     * the dnf dialect (no ostree commit, a final lint) is offered for bootc-style bases a stack
     * opts into with image.dialect: dnf, and is the default of no release.
     */
    readonly layeringDialect: LayeringDialect;
}

// SupportedExtensions() per branch of openshift/machine-config-operator, read at these heads:
//   release-4.16 7327bb2359dd, release-4.17 3bdd678e83da: wasm ipsec usbguard kerberos kernel-devel sandboxed-containers
//   release-4.18 f313997e0ba8: + sysstat
//   release-4.19 1a6905d980fd, release-4.20 afed09939d80, release-4.21 db84d8368ef7: + two-node-ha
//   release-4.22 9027c94cde45: wasm removed (commit 28f9c7246 "MCO-2088: Remove wasm extension")
// The layering dialect was read from the on-cluster build template at the same heads.
const EXT_416: readonly Extension[] = ["wasm", "ipsec", "usbguard", "kerberos", "kernel-devel", "sandboxed-containers"];
const EXT_418: readonly Extension[] = [...EXT_416, "sysstat"];
const EXT_419: readonly Extension[] = ["two-node-ha", ...EXT_418];
const EXT_422: readonly Extension[] = EXT_419.filter(e => e !== "wasm");

export const RELEASES: Readonly<Record<OpenShiftVersion, OpenShiftRelease>> = {
    "4.16": { machineOSConfigApi: "v1alpha1", extensions: EXT_416, layeringDialect: "rpm-ostree" },
    "4.17": { machineOSConfigApi: "v1alpha1", extensions: EXT_416, layeringDialect: "rpm-ostree" },
    "4.18": { machineOSConfigApi: "v1", extensions: EXT_418, layeringDialect: "rpm-ostree" },
    "4.19": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "rpm-ostree" },
    "4.20": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "rpm-ostree" },
    "4.21": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "rpm-ostree" },
    "4.22": { machineOSConfigApi: "v1", extensions: EXT_422, layeringDialect: "rpm-ostree" },
};

/** The extensions of one release, in the MCO's order. */
export function supportedExtensions(version: OpenShiftVersion): readonly Extension[] {
    return RELEASES[version].extensions;
}

/** The Containerfile dialect of one release's RHCOS (see OpenShiftRelease.layeringDialect). */
export function layeringDialect(version: OpenShiftVersion): LayeringDialect {
    return RELEASES[version].layeringDialect;
}
