// Pure rendering and checking of on-cluster layering objects (MachineOSConfig and the registry
// secrets it names), no Pulumi types, so config.ts, the component and the CRD tests share them.
//
// The API moved between releases (openshift/api, machineconfiguration/v1alpha1 → v1; which release
// serves which is RELEASES[v].machineOSConfigApi in releases.ts):
//   4.16, 4.17  v1alpha1, TechPreviewNoUpgrade only: spec.buildInputs{...}, spec.buildOutputs,
//               imageBuilderType PodImageBuilder, renderedImagePushspec, status.currentImagePullspec
//   4.18+       v1: flat spec, imageBuilderType Job, renderedImagePushSpec, at most 4 containerFile
//               entries of at most 4096 characters, status.currentImagePullSpec
// The JSON schema in ../shared/crds/ is checked by the tests; the CEL rules it cannot express
// (x-kubernetes-validations) are re-implemented here and enforced as config errors.
import { KubeObject } from "./machineConfig";
import { MACHINE_OS_CONFIG_KIND, MCO_API, MCO_NAMESPACE, managedLabels, mcoApiVersion } from "./names";
import { MachineOSConfigApi, RELEASES } from "./releases";
import type { OpenShiftVersion } from "./versions";

export const CONTAINERFILE_ARCHES = ["NoArch", "AMD64", "ARM64", "PPC64LE", "S390X"] as const;
export type ContainerfileArch = (typeof CONTAINERFILE_ARCHES)[number];

/** v1 `containerFile[].content` maxLength; v1alpha1 has none, but one limit keeps stacks portable. */
export const MAX_CONTAINERFILE_CHARS = 4096;
/** v1 `containerFile` maxItems (v1alpha1 allows 7). */
export const MAX_CONTAINERFILE_ENTRIES = 4;

/** The push secret (`renderedImagePushSecret`), also used as the base image pull secret. */
export const PUSH_SECRET = "rhcos-forge-registry-push";
/**
 * v1alpha1 `buildOutputs.currentImagePullSecret`: the secret nodes pull the built image with. The
 * docs want it distinct from the push secret; both come from rhcos-forge:registryAuth.
 */
export const PULL_SECRET = "rhcos-forge-registry-pull";

export type { MachineOSConfigApi };

export function machineOSConfigApi(version: OpenShiftVersion): MachineOSConfigApi {
    return RELEASES[version].machineOSConfigApi;
}

export function machineOSConfigApiVersion(version: OpenShiftVersion): string {
    return mcoApiVersion(machineOSConfigApi(version));
}

/**
 * The tag each pool's build is pushed to. One tag per pool: pools render different configs, so
 * their builds differ, and a shared tag would let one pool's push overwrite another's.
 */
export function renderedImagePushSpec(repository: string, pool: string): string {
    return `${repository}:${pool}`;
}

// CEL rules from the CRDs, as JavaScript regular expressions (RE2 `matches` with ^…$ anchors).
const V1_PUSH_SPEC =
    /^([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(:[0-9]{2,5})?(\/[a-zA-Z0-9_-]{1,61})*\/[a-zA-Z0-9_.-]+:[a-zA-Z0-9._-]+$/;
const SVC_PUSH_SPEC = /^[^.]+\.[^.]+\.svc:\d+\/[^/]+\/[^/]+:[^/]+$/;
const V1ALPHA1_TAG = /^([a-zA-Z0-9-./:])+$/;
const V1ALPHA1_NAME = /^([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(:[0-9]{2,5})?\/([a-zA-Z0-9_-]{0,61}\/)?[a-zA-Z0-9_.-]*?$/;

/**
 * Checks a rendered-image push spec the way the API server's CEL rules will, so a bad registry
 * repository fails at config time instead of as a rejected object halfway through `pulumi up`.
 * Returns what is wrong, or undefined.
 */
export function checkRenderedImagePushSpec(version: OpenShiftVersion, spec: string): string | undefined {
    if (spec.length < 1 || spec.length > 447) return "must give a push spec of 1 to 447 characters";
    if (SVC_PUSH_SPEC.test(spec)) return undefined;
    if (machineOSConfigApi(version) === "v1") {
        return V1_PUSH_SPEC.test(spec)
            ? undefined
            : "must be a repository on a registry host whose name contains a dot (MachineOSConfig " +
                  "renderedImagePushSpec is <host.with.dot>[:port]/<path>:<tag>, or an in-cluster " +
                  "<svc>.<ns>.svc:<port>/<ns>/<name>:<tag>)";
    }
    const parts = spec.split(":");
    if (parts.length === 2 && V1ALPHA1_TAG.test(parts[1]) && V1ALPHA1_NAME.test(parts[0])) return undefined;
    return (
        "must be a repository on a registry host whose name contains a dot, with no port and at most two path " +
        "segments (v1alpha1 renderedImagePushspec allows exactly one ':' unless the host is an in-cluster " +
        "<svc>.<ns>.svc:<port>)"
    );
}

/** The v1 CEL rule on the object itself: one MachineOSConfig per pool, named after it. */
export function checkMachineOSConfigName(obj: KubeObject): string | undefined {
    if (obj.apiVersion !== MCO_API) return undefined;
    const pool = (obj.spec.machineConfigPool as { name?: string } | undefined)?.name;
    return obj.metadata.name === pool
        ? undefined
        : `MachineOSConfig ${JSON.stringify(obj.metadata.name)} must be named after its pool ${JSON.stringify(pool)}`;
}

/** Checks a rendered Containerfile against the containerFile limits; returns what is wrong. */
export function checkContainerfile(content: string): string | undefined {
    return content.length <= MAX_CONTAINERFILE_CHARS
        ? undefined
        : `renders an on-cluster Containerfile of ${content.length} characters; a MachineOSConfig containerFile ` +
              `entry holds at most ${MAX_CONTAINERFILE_CHARS} (move large files into a MachineConfig or shrink ` +
              `them)`;
}

export interface MachineOSConfigSpec {
    readonly version: OpenShiftVersion;
    readonly pool: string;
    /** `<repository>:<tag>`, checked with checkRenderedImagePushSpec. */
    readonly pushSpec: string;
    /** The on-cluster Containerfile (`FROM configs AS final`). */
    readonly containerfile: string;
    readonly arch: ContainerfileArch;
}

/** v1alpha1 spells architectures in lower case and has no "NoArch". */
const V1ALPHA1_ARCH: Record<ContainerfileArch, string> = {
    NoArch: "noarch",
    AMD64: "amd64",
    ARM64: "arm64",
    PPC64LE: "ppc64le",
    S390X: "s390x",
};

export function renderMachineOSConfig(spec: MachineOSConfigSpec): KubeObject {
    const problem = checkRenderedImagePushSpec(spec.version, spec.pushSpec) ?? checkContainerfile(spec.containerfile);
    if (problem !== undefined) throw new Error(`MachineOSConfig ${spec.pool}: ${spec.pushSpec} ${problem}`);
    const metadata = { name: spec.pool, labels: managedLabels() };
    if (machineOSConfigApi(spec.version) === "v1alpha1") {
        return {
            apiVersion: machineOSConfigApiVersion(spec.version),
            kind: MACHINE_OS_CONFIG_KIND,
            metadata,
            spec: {
                machineConfigPool: { name: spec.pool },
                buildInputs: {
                    imageBuilder: { imageBuilderType: "PodImageBuilder" },
                    baseImagePullSecret: { name: PUSH_SECRET },
                    renderedImagePushspec: spec.pushSpec,
                    renderedImagePushSecret: { name: PUSH_SECRET },
                    containerFile: [{ containerfileArch: V1ALPHA1_ARCH[spec.arch], content: spec.containerfile }],
                },
                buildOutputs: { currentImagePullSecret: { name: PULL_SECRET } },
            },
        };
    }
    // v1 has no currentImagePullSecret: nodes pull with the cluster's global pull secret, which
    // must therefore hold credentials for image.repository.
    const obj: KubeObject = {
        apiVersion: machineOSConfigApiVersion(spec.version),
        kind: MACHINE_OS_CONFIG_KIND,
        metadata,
        spec: {
            machineConfigPool: { name: spec.pool },
            imageBuilder: { imageBuilderType: "Job" },
            renderedImagePushSpec: spec.pushSpec,
            renderedImagePushSecret: { name: PUSH_SECRET },
            baseImagePullSecret: { name: PUSH_SECRET },
            containerFile: [{ containerfileArch: spec.arch, content: spec.containerfile }],
        },
    };
    const nameProblem = checkMachineOSConfigName(obj);
    if (nameProblem !== undefined) throw new Error(nameProblem);
    return obj;
}

/** A kubernetes.io/dockerconfigjson Secret's shape; its data (registryAuth) is added as a secret. */
export function registrySecretMetadata(name: string): {
    name: string;
    namespace: string;
    labels: Record<string, string>;
} {
    return { name, namespace: MCO_NAMESPACE, labels: managedLabels() };
}

/** The digested image a MachineOSConfig reports, under the field name of its API version. */
export function currentImageOf(
    api: MachineOSConfigApi,
    status: Record<string, unknown> | undefined,
): string | undefined {
    const value = status?.[api === "v1" ? "currentImagePullSpec" : "currentImagePullspec"];
    return typeof value === "string" && value !== "" ? value : undefined;
}
