// What differs between the OpenShift releases rhcos-forge targets, in ONE table: a row per minor
// version. Other modules read their per-release facts from RELEASES instead of comparing version
// strings, so supporting a new release is adding a row here (and its CRDs to ../shared/crds/).
// Pure data, no Pulumi types.
import { MCO_ANNOTATIONS } from "./names";
import { OPENSHIFT_VERSIONS, type OpenShiftVersion } from "./versions";

/**
 * Every extension name the MCO of some supported release knows, in the order of the MCO's own
 * list (each release's list below is a subsequence of it). The schema accepts only these names;
 * whether a name exists on the stack's release is checked against RELEASES[v].extensions.
 */
export const EXTENSIONS = [
    "two-node-ha",
    "wasm",
    "ipsec",
    "usbguard",
    "kerberos",
    "kernel-devel",
    "sandboxed-containers",
    "sysstat",
] as const;
export type Extension = (typeof EXTENSIONS)[number];

export type MachineOSConfigApi = "v1" | "v1alpha1";

/**
 * How a layered Containerfile changes packages: `rpm-ostree` (rpm-ostree install / override, each
 * RUN closed by `ostree container commit`, the form of openshift/rhcos-image-layering-examples) or
 * `dnf` (dnf install … && dnf clean all, and a final `bootc container lint`, the bootc image-mode
 * form).
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
    /**
     * Release components that carry a node OS image: the OS entries of the MCO's
     * install/image-references on the release branch (the `-extensions` images are not OS images).
     * The first is the one nodes boot by default. rhcos-forge:release.osComponent must be one of
     * these: `oc adm release new` keeps any other name only until it prunes tags no operator's
     * image-references names, so the release would ship the stock OS.
     */
    readonly osImageComponents: readonly OsImageComponent[];
    /**
     * `cosa init --variant` values of openshift/os on the release branch whose manifest includes
     * packages-openshift.yaml (kubelet, CRI-O, …), and the variant used when none is given (what
     * manifest.yaml links to). Empty from 4.20: openshift/os is no longer a cosa config there but a
     * Containerfile layered on the base coreos/rhel-coreos-config builds, which has no OpenShift
     * components in any variant.
     */
    readonly cosaVariants: { readonly openshift: readonly string[]; readonly default?: string };
    /**
     * On-cluster builds (MachineOSConfig): the optional objects the build controller mounts into
     * the build when they exist in the MCO namespace, and what rebuilds the image when they change.
     */
    readonly onCluster: OnClusterContentFacts;
}

/** Release component names that carry the node OS in some supported release. */
export const OS_IMAGE_COMPONENTS = ["rhel-coreos", "rhel-coreos-10"] as const;
export type OsImageComponent = (typeof OS_IMAGE_COMPONENTS)[number];

export function isOsImageComponent(name: string): name is OsImageComponent {
    return (OS_IMAGE_COMPONENTS as readonly string[]).includes(name);
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
    rebuildAnnotation: MCO_ANNOTATIONS.rebuild,
    layeredPoolIgnores: ["kernelType"],
};
const ON_CLUSTER_420: OnClusterContentFacts = { ...ON_CLUSTER_418, layeredPoolIgnores: [] };

// SupportedExtensions() per branch of openshift/machine-config-operator, read at these heads:
//   release-4.16 7327bb2359dd, release-4.17 3bdd678e83da:
//     wasm ipsec usbguard kerberos kernel-devel sandboxed-containers
//   release-4.18 f313997e0ba8: + sysstat
//   release-4.19 1a6905d980fd, release-4.20 afed09939d80, release-4.21 db84d8368ef7: + two-node-ha
//   release-4.22 9027c94cde45: wasm removed (commit 28f9c7246 "MCO-2088: Remove wasm extension")
// The layering dialect was read from the on-cluster build template at the same heads.
const EXT_416: readonly Extension[] = ["wasm", "ipsec", "usbguard", "kerberos", "kernel-devel", "sandboxed-containers"];
const EXT_418: readonly Extension[] = [...EXT_416, "sysstat"];
const EXT_419: readonly Extension[] = ["two-node-ha", ...EXT_418];
const EXT_422: readonly Extension[] = EXT_419.filter(e => e !== "wasm");

// OS components per branch of openshift/machine-config-operator install/image-references, read at
// the heads above: rhel-coreos (+ rhel-coreos-extensions) on release-4.16 … release-4.20;
// release-4.21 and release-4.22 add rhel-coreos-10 (+ rhel-coreos-10-extensions, commit 0e931a686
// "Add rhel-10-coreos{,-extensions} to image-references"). machine-os-content is on none of them.
const OS_416: readonly OsImageComponent[] = ["rhel-coreos"];
const OS_421: readonly OsImageComponent[] = ["rhel-coreos", "rhel-coreos-10"];

// cosa variants per branch of openshift/os, read at release-4.16 bb86a5cf163e, release-4.17
// 894f839b2ca0, release-4.18 e221971a4bbf, release-4.19 48a00b3b0213: the manifest-<variant>.yaml
// files that include packages-openshift.yaml, and README.md "Variants" ("rhel-9.6: … without
// OpenShift components", "ocp-rhel-9.6: … including OpenShift components", "The default variant
// is …"). On 4.16 rhel-9.4 and c9s still include them; the rhel-9.x/c9s/c10s variants of 4.17+
// do not. release-4.20 ee943c37e640 README.md: the manifests moved to coreos/rhel-coreos-config,
// which produces "a base image containing only RHEL/CentOS Stream content".
export const RELEASES: Readonly<Record<OpenShiftVersion, OpenShiftRelease>> = {
    "4.16": {
        machineOSConfigApi: "v1alpha1",
        extensions: EXT_416,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_416,
        cosaVariants: { openshift: ["rhel-9.4", "c9s"], default: "rhel-9.4" },
        onCluster: ON_CLUSTER_416,
    },
    "4.17": {
        machineOSConfigApi: "v1alpha1",
        extensions: EXT_416,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_416,
        cosaVariants: { openshift: ["ocp-rhel-9.4", "okd-c9s"], default: "ocp-rhel-9.4" },
        onCluster: ON_CLUSTER_416,
    },
    "4.18": {
        machineOSConfigApi: "v1",
        extensions: EXT_418,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_416,
        cosaVariants: { openshift: ["ocp-rhel-9.4", "ocp-rhel-9.6", "okd-c9s"], default: "ocp-rhel-9.4" },
        onCluster: ON_CLUSTER_418,
    },
    "4.19": {
        machineOSConfigApi: "v1",
        extensions: EXT_419,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_416,
        cosaVariants: { openshift: ["ocp-rhel-9.6"], default: "ocp-rhel-9.6" },
        onCluster: ON_CLUSTER_418,
    },
    "4.20": {
        machineOSConfigApi: "v1",
        extensions: EXT_419,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_416,
        cosaVariants: { openshift: [] },
        onCluster: ON_CLUSTER_420,
    },
    "4.21": {
        machineOSConfigApi: "v1",
        extensions: EXT_419,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_421,
        cosaVariants: { openshift: [] },
        onCluster: ON_CLUSTER_420,
    },
    "4.22": {
        machineOSConfigApi: "v1",
        extensions: EXT_422,
        layeringDialect: "rpm-ostree",
        osImageComponents: OS_421,
        cosaVariants: { openshift: [] },
        onCluster: ON_CLUSTER_420,
    },
};

/** The extensions of one release, in the MCO's order. */
export function supportedExtensions(version: OpenShiftVersion): readonly Extension[] {
    return RELEASES[version].extensions;
}

/** The Containerfile dialect of one release's RHCOS (see OpenShiftRelease.layeringDialect). */
export function layeringDialect(version: OpenShiftVersion): LayeringDialect {
    return RELEASES[version].layeringDialect;
}

/**
 * The release a cosa config branch belongs to: `release-4.N` names it (openshift/os branches are
 * named so); any other branch (a fork's) is taken to be for the cluster's release.
 */
export function cosaBranchRelease(branch: string, clusterVersion: OpenShiftVersion): OpenShiftVersion {
    const m = /^release-(4\.[0-9]+)$/.exec(branch);
    const named = OPENSHIFT_VERSIONS.find(v => v === m?.[1]);
    return named ?? clusterVersion;
}
