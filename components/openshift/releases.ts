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
     * The Containerfile dialect rhcos-forge renders by default (image.dialect overrides it).
     * rpm-ostree through 4.19, as every example of openshift/rhcos-image-layering-examples
     * writes it; dnf + `bootc container lint` from 4.20. NOTE: the 4.20 boundary is NOT verified
     * against the per-release OpenShift layering docs (they were not in reach when this row was
     * written); a stack that knows its release better sets image.dialect.
     */
    readonly layeringDialect: LayeringDialect;
    /**
     * On-cluster builds (MachineOSConfig): the optional objects the build controller mounts into
     * the build when they exist in the MCO namespace, and what rebuilds the image when they change.
     */
    readonly onCluster: OnClusterContentFacts;
}

/** A node setting of a MachineConfig that layered (MachineOSConfig) pools may not honour. */
export type NodeSetting = "extensions" | "kernelType";

export interface OnClusterContentFacts {
    /**
     * The Secret holding the entitlement the build mounts at /etc/pki/entitlement: a fixed name
     * (4.16, 4.17) or, from 4.18, one per pool (`<name>-<pool>`).
     */
    readonly entitlementSecret: { readonly name: string; readonly perPool: boolean };
    /**
     * Whether the MCO itself copies openshift-config-managed/etc-pki-entitlement to that Secret
     * for every layered pool; where it does not, rhcos-forge creates the copy.
     */
    readonly mcoClonesEntitlement: boolean;
    /**
     * The MachineOSConfig annotation whose appearance deletes the pool's current MachineOSBuild
     * and starts a new one; undefined where the release has none.
     */
    readonly rebuildAnnotation?: string;
    /**
     * Node settings of a layered pool that neither the build nor the node agent applies on this
     * release: the MCO renders them and reports the pool updated, and the nodes never get them.
     */
    readonly layeredPoolIgnores: readonly NodeSetting[];
}

// On-cluster build inputs, read in openshift/machine-config-operator on each release branch:
// - The build controller looks up, in openshift-machine-config-operator, the ConfigMap
//   `etc-yum-repos-d` and the Secret `etc-pki-rpm-gpg` (both names, and the kinds, the same on
//   every branch), mounted at /etc/yum.repos.d and /etc/pki/rpm-gpg and bind-mounted by
//   buildah-build.sh over those directories of the build (`--volume`): the ConfigMap's keys are
//   the .repo file names and REPLACE the image's /etc/yum.repos.d during the build, the Secret's
//   keys the key files. release-4.16/4.17 pkg/controller/build/build_controller.go
//   (prepareForBuild, getOptionalSecret/getOptionalConfigMap) and image_build_request.go;
//   release-4.18..4.22 pkg/controller/build/buildrequest/buildrequestopts.go (resolveEntitlements),
//   envvolumemount.go, constants/constants.go; assets/buildah-build.sh on every branch.
// - Entitlement: 4.16/4.17 mount the Secret `etc-pki-entitlement` of the MCO namespace and no code
//   copies it there (its only references are in pkg/controller/build). 4.18+ mount
//   `etc-pki-entitlement-<pool>`, which pkg/operator/sync.go reconcileSimpleContentAccessSecrets
//   clones from openshift-config-managed/etc-pki-entitlement for every layered pool.
// - Rebuild: 4.18+ constants.go RebuildMachineOSConfigAnnotationKey
//   "machineconfiguration.openshift.io/rebuild"; reconciler.go updateMachineOSConfig rebuilds
//   when a MachineOSConfig GAINS it (absent → present) and updateMachineOSConfigStatus deletes
//   it once the build succeeded. 4.16/4.17 have no such key (RebuildPoolLabel "rebuildImage" is
//   defined in pkg/controller/common but read nowhere but its own helper, DoARebuild, which no
//   controller calls).
// - Ignored node settings: pkg/daemon/update.go applyLayeredOSChanges returns before
//   switchKernel/applyExtensions when mcDiff.oclEnabled (4.18+; 4.16/4.17 have no oclEnabled and
//   apply both on the node). The build template (pkg/controller/build/buildrequest/assets/
//   Containerfile.on-cluster-build-template) installs ExtensionsPackages from 4.18 and switches
//   the kernel ({{if and .KernelType .KernelPackages}}) only from 4.20. So kernelType of a
//   layered pool is dropped on 4.18 and 4.19; nothing is dropped on 4.16/4.17 (node agent) or
//   4.20+ (build).
const ON_CLUSTER_416: OnClusterContentFacts = {
    entitlementSecret: { name: "etc-pki-entitlement", perPool: false },
    mcoClonesEntitlement: false,
    layeredPoolIgnores: [],
};
const ON_CLUSTER_418: OnClusterContentFacts = {
    entitlementSecret: { name: "etc-pki-entitlement", perPool: true },
    mcoClonesEntitlement: true,
    rebuildAnnotation: "machineconfiguration.openshift.io/rebuild",
    layeredPoolIgnores: ["kernelType"],
};
const ON_CLUSTER_420: OnClusterContentFacts = { ...ON_CLUSTER_418, layeredPoolIgnores: [] };

// SupportedExtensions() per branch of openshift/machine-config-operator, read at these heads:
//   release-4.16 7327bb2359dd, release-4.17 3bdd678e83da: wasm ipsec usbguard kerberos kernel-devel sandboxed-containers
//   release-4.18 f313997e0ba8: + sysstat
//   release-4.19 1a6905d980fd, release-4.20 afed09939d80, release-4.21 db84d8368ef7: + two-node-ha
//   release-4.22 9027c94cde45: wasm removed (commit 28f9c7246 "MCO-2088: Remove wasm extension")
const EXT_416: readonly Extension[] = ["wasm", "ipsec", "usbguard", "kerberos", "kernel-devel", "sandboxed-containers"];
const EXT_418: readonly Extension[] = [...EXT_416, "sysstat"];
const EXT_419: readonly Extension[] = ["two-node-ha", ...EXT_418];
const EXT_422: readonly Extension[] = EXT_419.filter(e => e !== "wasm");

export const RELEASES: Readonly<Record<OpenShiftVersion, OpenShiftRelease>> = {
    "4.16": { machineOSConfigApi: "v1alpha1", extensions: EXT_416, layeringDialect: "rpm-ostree", onCluster: ON_CLUSTER_416 },
    "4.17": { machineOSConfigApi: "v1alpha1", extensions: EXT_416, layeringDialect: "rpm-ostree", onCluster: ON_CLUSTER_416 },
    "4.18": { machineOSConfigApi: "v1", extensions: EXT_418, layeringDialect: "rpm-ostree", onCluster: ON_CLUSTER_418 },
    "4.19": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "rpm-ostree", onCluster: ON_CLUSTER_418 },
    "4.20": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "dnf", onCluster: ON_CLUSTER_420 },
    "4.21": { machineOSConfigApi: "v1", extensions: EXT_419, layeringDialect: "dnf", onCluster: ON_CLUSTER_420 },
    "4.22": { machineOSConfigApi: "v1", extensions: EXT_422, layeringDialect: "dnf", onCluster: ON_CLUSTER_420 },
};

/** The extensions of one release, in the MCO's order. */
export function supportedExtensions(version: OpenShiftVersion): readonly Extension[] {
    return RELEASES[version].extensions;
}

/** The Containerfile dialect of one release's RHCOS (see OpenShiftRelease.layeringDialect). */
export function layeringDialect(version: OpenShiftVersion): LayeringDialect {
    return RELEASES[version].layeringDialect;
}
