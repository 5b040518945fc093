// The type parseStackConfig returns: the schema's output narrowed by what the cross-field checks
// (stackConfigSchema's superRefine) guarantee, so the pipeline never re-asserts a key the parser
// already required. Each guard below selects a narrowed member by the key the checks look at;
// the guard is the one place that says "this key implies that one" in the type system.
import { ClusterConfig, CosaConfig, ImageConfig, ReleaseConfig, RolloutConfig, StackConfig } from "./schema";
import { DRIVER_TOOLKIT_BASE } from "../openshift/names";
import { usesClusterEntitlement } from "./rhelContent";

/**
 * Where manifests go: a kubeconfig (applied, and the cluster read), or without one only
 * cluster.renderTo (GitOps render). The parser refuses a stack with neither.
 */
export type ClusterTarget =
    | { readonly kubeconfig: string }
    | { readonly kubeconfig?: undefined; readonly cluster: ClusterConfig & { readonly renderTo: string } };

/** rollout.method machineconfig: MachineConfigs pointing at the image built on the build host. */
export type MachineConfigStack = StackConfig & {
    readonly rollout: RolloutConfig & { readonly method: "machineconfig" };
};

/**
 * rollout.method machineosconfig: the MCO builds on the cluster from the cluster's base with
 * podman semantics; registryAuth becomes its push and pull secrets.
 */
export type MachineOsConfigStack = StackConfig & {
    readonly rollout: RolloutConfig & { readonly method: "machineosconfig" };
    readonly registryAuth: string;
    readonly image: ImageConfig & { readonly builder: "podman"; readonly base: "cluster" };
};

/** rollout.method release: a ClusterVersion update to the custom release rhcos-forge:release. */
export type ReleaseStack = StackConfig & {
    readonly rollout: RolloutConfig & { readonly method: "release" };
    readonly release: ReleaseConfig;
};

/** A parsed stack: one member per rollout method, each with its cluster target. */
export type ParsedStack = (MachineConfigStack | MachineOsConfigStack | ReleaseStack) & ClusterTarget;
/** A stack whose image is built on the build host (machineconfig or release). */
export type HostBuiltStack = Exclude<ParsedStack, MachineOsConfigStack>;
export type OnClusterStack = Extract<ParsedStack, MachineOsConfigStack>;

export function buildsOnCluster(c: ParsedStack): c is OnClusterStack {
    return c.rollout.method === "machineosconfig";
}

export function rollsOutRelease<C extends ParsedStack>(c: C): c is C & ReleaseStack {
    return c.rollout.method === "release";
}

/** image.builder cosa: the parser requires image.cosa. */
export function buildsWithCosa<C extends StackConfig>(
    c: C,
): c is C & { readonly image: ImageConfig & { readonly builder: "cosa"; readonly cosa: CosaConfig } } {
    return c.image.builder === "cosa";
}

/** image.signing.enabled: the parser requires the key and its passphrase (and that one opens the other). */
export function signsImages<C extends StackConfig>(
    c: C,
): c is C & { readonly signingKey: string; readonly signingPassphrase: string } {
    return c.image.signing.enabled;
}

/** buildHost.register (ssh): the parser requires rhsmOrg and rhsmActivationKey. */
export function registersBuildHost<C extends StackConfig>(
    c: C,
): c is C & { readonly rhsmOrg: string; readonly rhsmActivationKey: string } {
    return c.buildHost.provider === "ssh" && c.buildHost.register;
}

type WithKubeconfig = { readonly kubeconfig: string };

/** mirror.repos[].entitlement cluster: the parser requires a kubeconfig to read it with. */
export function readsClusterEntitlement<C extends StackConfig>(c: C): c is C & WithKubeconfig {
    return usesClusterEntitlement(c);
}

/** image.stages[].base driver-toolkit: the parser requires a kubeconfig to read it with. */
export function buildsOnDriverToolkit<C extends StackConfig>(c: C): c is C & WithKubeconfig {
    return c.image.stages.some(s => s.base === DRIVER_TOOLKIT_BASE);
}

/**
 * image.base cluster on a stack built on the build host with podman: the parser requires a
 * kubeconfig to read the cluster's base with (on-cluster builds need none: the MCO reads it).
 */
export function basedOnCluster<C extends HostBuiltStack>(c: C): c is C & WithKubeconfig {
    return c.image.builder === "podman" && c.image.base === "cluster";
}
