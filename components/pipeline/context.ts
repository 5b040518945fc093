// What every stage of the pipeline shares, built once from the parsed config: the cluster
// providers, the cluster's own base image, the rollout wait and the program's cluster access.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ParsedStack } from "../config/checked";
import { BuildHost } from "../host/buildHost";
import { ClusterBaseImage } from "../image/clusterBaseImage";
import { RegistryAccessArgs } from "../image/registryAccess";
import { RepoMirror } from "../mirror/repoMirror";
import { ClusterAccess, KubeReader } from "../rollout/kubeApi";
import { RolloutWaitArgs, rolloutWait } from "../rollout/osImageRollout";

export interface PipelineDeps {
    /** How rollout waits reach the cluster; undefined: nothing is waited for. */
    readonly clusterAccess?: ClusterAccess;
}

export interface PipelineContext<C extends ParsedStack = ParsedStack> {
    /** The stack config as parseStackConfig returned it (narrowed per stage where a stage needs it). */
    readonly config: C;
    readonly deps: PipelineDeps;
    /** Where manifests go: the cluster (kubeconfig), or YAML files (cluster.renderTo) for GitOps. */
    readonly clusterWriter: k8s.Provider;
    /**
     * The cluster's own RHCOS (its baseOSContainerImage): the build's base with image.base
     * "cluster", and the release gate's reference otherwise; read through the kubeconfig, so
     * only a stack that has one can ask for it.
     */
    clusterBase(kubeconfig: string): pulumi.Output<string>;
    /**
     * Pools roll one after another, each waiting for the previous one to finish updating;
     * undefined when manifests are only rendered (nothing to wait for).
     */
    readonly wait?: RolloutWaitArgs;
}

/** The same context for a stage that needs the config narrowed (a guard of config/checked.ts). */
export function narrowed<C extends ParsedStack>(ctx: PipelineContext, config: C): PipelineContext<C> {
    return { ...ctx, config };
}

/** A config secret as a Pulumi secret; unset stays unset. */
export function secretOf(value: string | undefined): pulumi.Output<string> | undefined {
    return value === undefined ? undefined : pulumi.secret(value);
}

/** Where a build-host stack builds its image: the build host and the RPM mirror on it. */
export interface BuildPlace {
    readonly host: BuildHost;
    readonly repoMirror: RepoMirror;
}

/** How the stack's steps reach the image registry: its auth (a secret) and image.tlsVerify. */
export function registryAccess(c: ParsedStack): RegistryAccessArgs {
    return { registryAuth: secretOf(c.registryAuth), tlsVerify: c.image.tlsVerify };
}

/** A reader of the cluster through `kubeconfig`, for `what` (a feature of the config that reads the cluster). */
export function clusterReader(ctx: PipelineContext, kubeconfig: string, what: string): KubeReader {
    const access = ctx.deps.clusterAccess;
    if (access === undefined) throw new Error(`${what} reads the cluster, but the program was given no cluster access`);
    return access.connect(kubeconfig, ctx.config.cluster.context);
}

export function pipelineContext(c: ParsedStack, deps: PipelineDeps): PipelineContext {
    // The cluster is read through the kubeconfig, once: the provider and the cluster's base.
    let read: { provider: k8s.Provider; base: pulumi.Output<string> } | undefined;
    const readCluster = (kubeconfig: string): { provider: k8s.Provider; base: pulumi.Output<string> } => {
        if (read === undefined) {
            const provider = new k8s.Provider("cluster-reader", {
                kubeconfig: pulumi.secret(kubeconfig),
                context: c.cluster.context,
            });
            read = { provider, base: new ClusterBaseImage("base", { provider }).ref };
        }
        return read;
    };
    const wait = rolloutWait(c, deps.clusterAccess);
    return {
        config: c,
        deps,
        clusterWriter: clusterWriter(c, readCluster),
        clusterBase: kubeconfig => readCluster(kubeconfig).base,
        wait,
    };
}

/** Writing goes to the cluster through the kubeconfig, or renders YAML (cluster.renderTo) for GitOps. */
function clusterWriter(c: ParsedStack, readCluster: (kubeconfig: string) => { provider: k8s.Provider }): k8s.Provider {
    const render = (dir: string) => new k8s.Provider("cluster-render", { renderYamlToDirectory: dir });
    // Without a kubeconfig the parser accepts only a stack that renders.
    if (c.kubeconfig === undefined) return render(c.cluster.renderTo);
    const { provider } = readCluster(c.kubeconfig);
    return c.cluster.renderTo === undefined ? provider : render(c.cluster.renderTo);
}
