// OsImageRollout: the image and the node extras reach a pool's nodes through ONE MachineConfig per
// pool (osImageURL, extensions, kernelType, kernelArguments), so each node drains and reboots once
// per change. Two methods:
//   machineconfig    the image is built elsewhere (LayeredImage) and set as osImageURL
//                    (OpenShift "out-of-cluster layering");
//   machineosconfig  one MachineOSConfig per pool; the MCO builds the on-cluster Containerfile,
//                    pushes it with the push secret and rolls it out ("on-cluster layering").
// Custom pools get their MachineConfigPool and node labels. Nodes join a custom pool only once it
// carries our MachineConfig (or MachineOSConfig), so each node updates once, into the image. They
// leave it the way the MCO documents for removing a custom pool, on `pulumi destroy` and when a
// node or pool leaves the config: the node's label goes first, then a wait until the worker pool
// has taken the node back (nodeRelease.ts, the delete step of a local command), and only then the
// pool's MachineConfig and the pool. Reverting the pool in place first would update its nodes
// twice (back to the pool's own config, then into the worker pool's).
//
// Staged rollout: pools go in the order given, and pool N+1's MachineConfig / MachineOSConfig is
// registered only after pool N has finished updating (see `waitForPool`). The mechanism is an
// Output used as `dependsOn`: it resolves after polling the API in an apply, so the engine holds
// pool N+1 back, and it also carries pool N's objects as dependencies, so the order is visible in
// the graph and destroy runs in reverse. The provider's `pulumi.com/waitFor` annotation cannot
// express this wait, because:
//   - it awaits the object it is set on, when that object changes; the change is the
//     MachineConfig, which has no status, while the MachineConfigPool does not change at all;
//   - worker and master are the MCO's pools, managed with a CustomResourcePatch, and Patch
//     resources skip await logic altogether (pulumi/pulumi-kubernetes#2455);
//   - right after a MachineConfig changes the pool still reports Updated=True about its previous
//     config; a JSONPath on conditions cannot tell that from "updated to ours", which needs the
//     rendered config compared with what we set (poolWait.ts evaluatePool).
// No wait happens in preview, in render (GitOps) mode (no `wait` args) or for a paused pool.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nodeProgramCommand } from "../shell";
import { OpenShiftVersion } from "../openshift/versions";
import { ClusterAccess, KubeReader, readFailingNodes, readPoolObservation, watchPool } from "./kubeApi";
import {
    GateNode,
    GateResult,
    HealthCheck,
    bootedUnhealthy,
    currentPoolImage,
    mcoSkipsNode,
    revertPool,
    runPoolGate,
} from "./healthGate";
import {
    ContainerfileArch,
    PULL_SECRET,
    PUSH_SECRET,
    machineOSConfigApi,
    registrySecretMetadata,
    renderMachineOSConfig,
    renderedImagePushSpec,
} from "../openshift/machineOsConfig";
import {
    NodeSettings,
    PoolSpec,
    hasNodeSettings,
    isBuiltinPool,
    machineConfigName,
    nodeRoleLabel,
    renderMachineConfig,
    renderMachineConfigPool,
    renderPoolSettings,
} from "../openshift/machineConfig";
import {
    MirrorCredentials,
    OnClusterRepo,
    RPM_GPG_SECRET,
    YUM_REPOS_CONFIGMAP,
    renderEntitlementSecret,
    renderRpmGpgSecret,
    renderYumReposConfigMap,
} from "../openshift/onClusterContent";
import {
    MACHINE_CONFIG_KIND,
    MACHINE_CONFIG_POOL_KIND,
    MCO_API,
    MCO_NAMESPACE,
    managedLabels,
} from "../openshift/names";
import { RELEASES } from "../openshift/releases";
import { ReleaseRequest } from "./nodeRelease";
import { RevertRequest } from "./poolRevert";
import { PoolObservation, PoolRolloutError, PoolTarget, waitForPool, waitForRender } from "./poolWait";
import { setPoolPaused } from "./upgradeSteps";

export type RolloutMethod = "machineconfig" | "machineosconfig";

export interface OnClusterArgs {
    /** Selects the MachineOSConfig API (v1alpha1 before 4.18). */
    readonly openshiftVersion: OpenShiftVersion;
    /** Registry repository each pool's build is pushed to (tag: the pool's name). */
    readonly repository: string;
    /** The on-cluster Containerfile (`FROM configs AS final`). */
    readonly containerfile: string;
    readonly arch: ContainerfileArch;
    /** containers auth.json for the push (and pull) secrets; a secret. */
    readonly registryAuth: pulumi.Input<string>;
    /** RPM content the build installs from (the build host's mirror); none when unset. */
    readonly content?: OnClusterContentArgs;
}

/** The on-cluster build's repos (openshift/onClusterContent.ts renders the objects). */
export interface OnClusterContentArgs {
    /** Repos in .repo order, URLs as the cluster reaches them, GPG keys as text. */
    readonly repos: pulumi.Input<OnClusterRepo[]>;
    /** Whether any repo has a GPG key (config, known in preview): only then is etc-pki-rpm-gpg created. */
    readonly gpgKeys: boolean;
    /**
     * The content revision (openshift/onClusterContent.ts onClusterContentRevision), from config
     * and keys only, so it is known in a preview: a rebuild annotation unknown there makes the
     * provider plan to replace the MachineOSConfig, which takes the pool off its image.
     */
    readonly revision: pulumi.Input<string>;
    /** Resolves once the mirror has synced; the repo ConfigMap (and so every build) waits for it. */
    readonly mirrorReady: pulumi.Input<unknown>;
    /** Basic-auth of the mirror; secrets. The ConfigMap carrying them is then secret in the state. */
    readonly credentials?: pulumi.Input<MirrorCredentials>;
    /** The cluster's entitlement, copied for entitled repos where the MCO does not (4.16, 4.17); a secret. */
    readonly entitlement?: pulumi.Input<{ sslclientcert: string; sslclientkey: string }>;
}

/** One pool of the rollout, in order, canary first (rhcos-forge:rollout.pools[] satisfies it). */
export interface RolloutPool extends PoolSpec, Omit<NodeSettings, "osImageURL"> {
    /** Nodes labelled into this custom pool (none for the built-in worker and master pools). */
    readonly nodes: readonly string[];
    /** After the pool is Updated, how long its nodes must stay Ready without pressure (healthGate.ts). */
    readonly soakMinutes?: number;
    /** A Job on the pool's nodes that must succeed before the next pool starts (healthGate.ts). */
    readonly healthCheck?: HealthCheck;
}

export interface RolloutWaitArgs {
    /** kubeconfig to poll pool status with; a secret. */
    readonly kubeconfig: pulumi.Input<string>;
    /** kubeconfig context. */
    readonly context?: string;
    /** How long one pool may take. */
    readonly timeoutMinutes: number;
    /** How to reach the cluster; undefined where there is none to reach (nothing is waited for). */
    readonly access?: ClusterAccess;
}

/** The cluster side of a stack's config that decides whether and how a rollout is waited for. */
export interface RolloutWaitSettings {
    readonly kubeconfig?: string;
    readonly cluster: { readonly renderTo?: string; readonly context?: string };
    readonly rollout: { readonly timeoutMinutes: number };
}

/** How a rollout is waited for; undefined where manifests are only rendered (GitOps) or no kubeconfig is given. */
export function rolloutWait(c: RolloutWaitSettings, access: ClusterAccess | undefined): RolloutWaitArgs | undefined {
    if (c.cluster.renderTo !== undefined || c.kubeconfig === undefined) return undefined;
    const { context } = c.cluster;
    return { kubeconfig: pulumi.secret(c.kubeconfig), context, timeoutMinutes: c.rollout.timeoutMinutes, access };
}

export interface OsImageRolloutArgs {
    /** The cluster (a kubeconfig provider, or one rendering YAML for GitOps). */
    readonly provider: k8s.Provider;
    /** machineconfig: the image every pool boots, `repo@sha256:…`. */
    readonly imageRef?: pulumi.Input<string>;
    /** machineconfig: a pool's own image instead of imageRef (a ring keeping each pool's current one). */
    readonly imageRefs?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Pools in rollout order. */
    readonly pools: readonly RolloutPool[];
    /** Default machineconfig. */
    readonly method?: RolloutMethod;
    /** Required for machineosconfig. */
    readonly onCluster?: OnClusterArgs;
    /** Wait for each pool before starting the next; leave out in render (GitOps) mode. */
    readonly wait?: RolloutWaitArgs;
    /**
     * The pools were paused for a cluster upgrade (clusterUpgrade.ts): each is unpaused only once
     * the MCO has rendered its MachineConfig with the new image, so its nodes get one new
     * desiredConfig (the release's changes and the image together), then waited for as usual.
     */
    readonly pausedForUpgrade?: boolean;
}

export interface PoolRollout {
    readonly name: string;
    /** The MachineConfig carrying the image (machineconfig) or the node extras. */
    readonly machineConfig?: string;
    /** machineosconfig: the MachineOSConfig building the pool's image. */
    readonly machineOSConfig?: string;
}

/**
 * The objects rhcos-forge creates (its MachineConfigs, custom pools, MachineOSConfigs) are its own
 * whole: a field someone changed by hand (`oc edit` takes the field for its own field manager) is
 * drift that the next `pulumi up --refresh` puts back. Without force, server-side apply refuses with
 * a field conflict and the rollout stops there, preview included.
 */
function ownedWhole<M extends { annotations?: Record<string, string> }>(metadata: M): M {
    return { ...metadata, annotations: { ...metadata.annotations, "pulumi.com/patchForce": "true" } };
}

export class OsImageRollout extends pulumi.ComponentResource {
    /** How the image reaches nodes. */
    public readonly method: pulumi.Output<string>;
    /** Each pool and the objects that carry the image to it. */
    public readonly pools: pulumi.Output<PoolRollout[]>;
    /**
     * machineconfig: the image rolled out. machineosconfig: the digest the last pool's build
     * reported once it rolled out, or undefined when there was no wait (preview, render mode).
     */
    public readonly image: pulumi.Output<string | undefined>;
    /** Resolves once the last pool has finished updating (at once when nothing is waited for). */
    public readonly done: pulumi.Output<boolean>;

    constructor(name: string, args: OsImageRolloutArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:rollout:OsImageRollout", name, {}, opts);
        const provider = args.provider;
        const method = args.method ?? "machineconfig";
        if (
            method === "machineconfig" &&
            args.imageRef === undefined &&
            args.pools.some(p => args.imageRefs?.[p.name] === undefined)
        )
            throw new Error(`${name}: machineconfig needs imageRef`);
        const onCluster = method === "machineosconfig" ? args.onCluster : undefined;
        if (method === "machineosconfig" && onCluster === undefined)
            throw new Error(`${name}: machineosconfig needs onCluster`);

        // The MCO reads the secrets a MachineOSConfig names from its own namespace.
        const secrets: pulumi.Resource[] = [];
        if (onCluster !== undefined) {
            const names =
                machineOSConfigApi(onCluster.openshiftVersion) === "v1alpha1"
                    ? [PUSH_SECRET, PULL_SECRET]
                    : [PUSH_SECRET];
            for (const secretName of names) {
                secrets.push(
                    new k8s.core.v1.Secret(
                        `${name}-${secretName}`,
                        {
                            metadata: registrySecretMetadata(secretName),
                            type: "kubernetes.io/dockerconfigjson",
                            stringData: { ".dockerconfigjson": pulumi.secret(onCluster.registryAuth) },
                        },
                        { parent: this, provider },
                    ),
                );
            }
        }

        const content =
            onCluster?.content === undefined
                ? undefined
                : this.declareContent(name, onCluster.openshiftVersion, onCluster.content, provider);
        if (content !== undefined) secrets.push(...content.objects);

        const results: PoolRollout[] = [];
        let previous: pulumi.Output<pulumi.Resource> | undefined;
        let lastImage: pulumi.Output<string | undefined> = pulumi.output(args.imageRef);
        for (const pool of args.pools) {
            const prefix = `${name}-${pool.name}`;
            const imageRef = args.imageRefs?.[pool.name] ?? args.imageRef;
            const gate = previous === undefined ? [] : [previous];
            const poolResource = this.declarePool(prefix, pool, provider);
            // Deleted after our MachineConfig / MachineOSConfig and before the pool (or its patch):
            // destroy returns only once the pool is back on a config without them (poolRevert.ts).
            const revert =
                args.wait?.access === undefined
                    ? undefined
                    : this.revertOnRemoval(
                          prefix,
                          pool,
                          args.wait,
                          args.wait.access,
                          poolResource,
                          onCluster === undefined ||
                              hasNodeSettings({
                                  extensions: pool.extensions,
                                  kernelType: pool.kernelType,
                                  kernelArguments: pool.kernelArguments,
                              }),
                      );
            const base = revert === undefined ? [poolResource] : [poolResource, revert];
            const extras: NodeSettings = {
                extensions: pool.extensions,
                kernelType: pool.kernelType,
                kernelArguments: pool.kernelArguments,
            };

            let mc: k8s.apiextensions.CustomResource | undefined;
            if (onCluster === undefined || hasNodeSettings(extras)) {
                // Name and labels never wait for the image: were they unknown in preview, the
                // engine would plan a replacement, and deleting our MachineConfig even briefly
                // sends every node of the pool back to base RHCOS.
                //
                // The spec is a known object whose osImageURL alone waits for the build. Were the
                // whole spec one Output (unknown in preview until the build ran), the kubernetes
                // provider would get it as one Computed value, which propMapToUnstructured keeps as a
                // resource.Computed struct, not a map (pulumi-kubernetes provider/pkg/provider/
                // provider.go:2656; MapRepl, sdk/go/common/resource/properties.go:617). Diff's merge
                // patch (inputPatch, provider.go:2440) then nulls every key of the old spec, and
                // convertPatchToDiff reports each as DELETE (addPatchValueToDiff, provider.go:2864-2890):
                // its computed special case (provider.go:2881) looks at the leaf's own new input,
                // which is missing when the new parent is not a map. The engine
                // prints a DELETE as `- osImageURL: "<old digest>"` (pulumi pkg/engine/detailedDiff.go
                // addDiff, pkg/backend/display/object_diff.go printDelete). With a known spec the new
                // leaf is Computed, the provider reports UPDATE, and the preview reads
                // `~ osImageURL: "<old digest>" => [unknown]`: the digest the build is about to push.
                const { metadata, spec: knownSpec } = renderMachineConfig(pool.name, extras);
                const spec: Record<string, pulumi.Input<unknown>> = onCluster === undefined
                    ? { ...knownSpec, osImageURL: imageRef }
                    : knownSpec;
                mc = new k8s.apiextensions.CustomResource(
                    `${prefix}-machineconfig`,
                    {
                        apiVersion: MCO_API,
                        kind: MACHINE_CONFIG_KIND,
                        metadata: ownedWhole(metadata),
                        spec,
                    },
                    { parent: this, provider, dependsOn: [...base, ...gate] },
                );
            }

            let mosc: k8s.apiextensions.CustomResource | undefined;
            if (onCluster !== undefined) {
                const obj = renderMachineOSConfig({
                    version: onCluster.openshiftVersion,
                    pool: pool.name,
                    pushSpec: renderedImagePushSpec(onCluster.repository, pool.name),
                    containerfile: onCluster.containerfile,
                    arch: onCluster.arch,
                });
                // After the node extras, so the first build already includes them (an extras
                // change alone is a new rendered config, hence a second build and reboot).
                // The rebuild annotation carries the content revision: a new mirror sync or new
                // repo objects change it, and the MCO rebuilds (openshift/onClusterContent.ts).
                // Only the value waits for the revision: were the annotations map one Output
                // (unknown in preview), the provider would see metadata change shape and replace
                // the MachineOSConfig (delete + create), which takes the pool off its image.
                const owned = ownedWhole(obj.metadata);
                const rebuildKey = RELEASES[onCluster.openshiftVersion].onCluster.rebuildAnnotation;
                const metadata =
                    content === undefined || rebuildKey === undefined
                        ? owned
                        : { ...owned, annotations: { ...owned.annotations, [rebuildKey]: content.revision } };
                mosc = new k8s.apiextensions.CustomResource(
                    `${prefix}-machineosconfig`,
                    {
                        apiVersion: obj.apiVersion,
                        kind: obj.kind,
                        metadata,
                        spec: obj.spec,
                    },
                    { parent: this, provider, dependsOn: [...base, ...secrets, ...(mc ? [mc] : []), ...gate] },
                );
            }
            const target: PoolTarget = {
                pool: pool.name,
                machineConfig: mc === undefined ? undefined : machineConfigName(pool.name),
                settings: extras,
                onCluster:
                    onCluster === undefined
                        ? undefined
                        : {
                              api: machineOSConfigApi(onCluster.openshiftVersion),
                              ...(content === undefined
                                  ? {}
                                  : {
                                        rebuildAnnotation:
                                            RELEASES[onCluster.openshiftVersion].onCluster.rebuildAnnotation,
                                    }),
                          },
            };
            // Nodes join a custom pool only once its rendered config carries what we set: joined
            // earlier, they would update into the pool's plain config, then again into the image.
            // Creating our MachineConfig is not enough: the MCO renders it about 5 s later.
            const rendered =
                mc === undefined || pool.nodes.length === 0
                    ? undefined
                    : this.waitForRender(target, pool, mc, args, onCluster === undefined ? imageRef : undefined);
            const labels = this.labelNodes(prefix, pool, provider, args.wait, [
                poolResource,
                ...(mc ? [mc] : []),
                ...(mosc ? [mosc] : []),
                ...(rendered ? [rendered] : []),
            ]);

            const rolled: pulumi.Resource[] = [...(mc ? [mc] : []), ...(mosc ? [mosc] : []), ...labels];
            const waited = this.waitForPool(target, pool, rolled, args, onCluster === undefined ? imageRef : undefined);
            // Resolves to one of pool N's objects once pool N is done; as an Output it also
            // carries all of them (and the wait) as dependencies of whatever lists it in dependsOn.
            previous = waited.apply(() => rolled[0]);
            if (onCluster !== undefined) lastImage = waited.apply(w => w.image);
            results.push({
                name: pool.name,
                ...(mc ? { machineConfig: machineConfigName(pool.name) } : {}),
                ...(mosc ? { machineOSConfig: pool.name } : {}),
            });
        }

        this.method = pulumi.output(method);
        this.pools = pulumi.output(results);
        this.image = lastImage;
        this.done = previous === undefined ? pulumi.output(true) : previous.apply(() => true);
        this.registerOutputs({ method: this.method, pools: this.pools, image: this.image });
    }

    /**
     * The objects the MCO's build controller mounts into every on-cluster build when they exist in
     * its namespace (names per release in openshift/releases.ts), and the content revision.
     */
    private declareContent(
        name: string,
        version: OpenShiftVersion,
        args: OnClusterContentArgs,
        provider: k8s.Provider,
    ): { objects: pulumi.Resource[]; revision: pulumi.Output<string> } {
        const repos = pulumi.output(args.repos);
        const objects: pulumi.Resource[] = [];
        const configMap =
            args.credentials === undefined
                ? repos.apply(r => renderYumReposConfigMap(r))
                : pulumi.all([repos, args.credentials]).apply(([r, cred]) => renderYumReposConfigMap(r, cred));
        // With credentials the repo file holds the mirror's password: secret in the state, and
        // `data` is a secret output too (the provider would otherwise store what it read back).
        const synced = pulumi.all([configMap, args.mirrorReady]).apply(([cm]) => cm.data ?? {});
        const data = args.credentials === undefined ? synced : pulumi.secret(synced);
        objects.push(
            new k8s.core.v1.ConfigMap(
                `${name}-etc-yum-repos-d`,
                {
                    metadata: { name: YUM_REPOS_CONFIGMAP, namespace: MCO_NAMESPACE, labels: managedLabels() },
                    data,
                },
                { parent: this, provider, additionalSecretOutputs: args.credentials === undefined ? [] : ["data"] },
            ),
        );
        // Only with keys: an existing Secret is mounted over the build's whole /etc/pki/rpm-gpg.
        // Public keys, but a Secret's data is stored secret like any other.
        if (args.gpgKeys) {
            const gpg = repos.apply(r => renderRpmGpgSecret(r));
            objects.push(
                new k8s.core.v1.Secret(
                    `${name}-etc-pki-rpm-gpg`,
                    {
                        metadata: { name: RPM_GPG_SECRET, namespace: MCO_NAMESPACE, labels: managedLabels() },
                        type: "Opaque",
                        stringData: pulumi.secret(gpg.apply(s => s?.stringData ?? {})),
                    },
                    { parent: this, provider, additionalSecretOutputs: ["data", "stringData"] },
                ),
            );
        }
        const facts = RELEASES[version].onCluster;
        if (args.entitlement !== undefined && !facts.mcoClonesEntitlement) {
            const ent = pulumi.output(args.entitlement).apply(cert => renderEntitlementSecret(version, "", cert));
            objects.push(
                new k8s.core.v1.Secret(
                    `${name}-etc-pki-entitlement`,
                    {
                        metadata: {
                            name: facts.entitlementSecret.name,
                            namespace: MCO_NAMESPACE,
                            labels: managedLabels(),
                        },
                        type: "Opaque",
                        stringData: pulumi.secret(ent.apply(s => s?.stringData ?? {})),
                    },
                    { parent: this, provider, additionalSecretOutputs: ["data", "stringData"] },
                ),
            );
        }
        if (RELEASES[version].onCluster.rebuildAnnotation === undefined) {
            pulumi.log.warn(
                `OpenShift ${version}: the MCO has no rebuild annotation, so a change of the mirror's content ` +
                    `reaches the on-cluster image only with the pool's next rendered-config change (OpenShift ` +
                    `4.18+ rebuilds on it)`,
                this,
            );
        }
        // The revision is a hash of public content; unsecret so the MachineOSConfig's diff stays visible.
        const revision = pulumi.unsecret(pulumi.output(args.revision));
        return { objects, revision };
    }

    /** The pool itself: a patch of the fields we manage on worker/master, a new custom pool otherwise. */
    private declarePool(prefix: string, pool: RolloutPool, provider: k8s.Provider): pulumi.Resource {
        if (isBuiltinPool(pool.name)) {
            // The MCO owns worker/master: patch only the fields we manage.
            return new k8s.apiextensions.CustomResourcePatch(
                `${prefix}-pool`,
                {
                    apiVersion: MCO_API,
                    kind: MACHINE_CONFIG_POOL_KIND,
                    metadata: { name: pool.name, annotations: { "pulumi.com/patchFieldManager": "rhcos-forge" } },
                    spec: renderPoolSettings(pool),
                },
                { parent: this, provider },
            );
        }
        const mcp = renderMachineConfigPool(pool);
        return new k8s.apiextensions.CustomResource(
            `${prefix}-pool`,
            {
                apiVersion: mcp.apiVersion,
                kind: mcp.kind,
                metadata: ownedWhole(mcp.metadata),
                spec: mcp.spec,
            },
            { parent: this, provider },
        );
    }

    /**
     * Nodes are the cluster's: label them with a patch so destroy only removes our label. With a
     * cluster to wait on, each label depends on a release step whose delete (run after the label's)
     * waits for the worker pool to take the node back, before `after` (the pool's objects) go.
     */
    private labelNodes(
        prefix: string,
        pool: RolloutPool,
        provider: k8s.Provider,
        wait: RolloutWaitArgs | undefined,
        after: pulumi.Input<pulumi.Resource>[],
    ): pulumi.Resource[] {
        return pool.nodes.map(node => {
            const release =
                wait === undefined || wait.access === undefined
                    ? undefined
                    : this.releaseOnRemoval(prefix, pool, node, wait, wait.access, after);
            return new k8s.core.v1.NodePatch(
                `${prefix}-node-${node}`,
                {
                    metadata: {
                        name: node,
                        labels: { [nodeRoleLabel(pool.name)]: "" },
                        annotations: { "pulumi.com/patchFieldManager": "rhcos-forge" },
                    },
                },
                { parent: this, provider, dependsOn: release === undefined ? after : [release] },
            );
        });
    }

    /**
     * Does nothing on create; its delete runs nodeRelease.ts, which waits until the node runs a
     * config of another pool. `pulumi destroy` does not run the program, so the request travels
     * in the command's stdin (a secret: it holds the kubeconfig) and the script path is relative
     * to the project directory the engine runs commands in.
     */
    private releaseOnRemoval(
        prefix: string,
        pool: RolloutPool,
        node: string,
        wait: RolloutWaitArgs,
        access: ClusterAccess,
        after: pulumi.Input<pulumi.Resource>[],
    ): command.local.Command {
        const request = pulumi.output(wait.kubeconfig).apply(kubeconfig =>
            JSON.stringify({
                pool: pool.name,
                node,
                kubeconfig,
                context: wait.context,
                timeoutMs: wait.timeoutMinutes * 60_000,
                pollMs: access.pollMs,
            } satisfies ReleaseRequest),
        );
        return new command.local.Command(
            `${prefix}-release-${node}`,
            {
                create: "true",
                delete: nodeProgramCommand(__dirname, "nodeRelease"),
                stdin: pulumi.secret(request),
                interpreter: ["/bin/sh", "-c"],
                logging: "stderr",
                addPreviousOutputInEnv: false,
                // Its output is nodeRelease.ts's progress, next to the kubeconfig it reads on stdin.
            },
            { parent: this, dependsOn: after, additionalSecretOutputs: ["stdout", "stderr"] },
        );
    }

    /**
     * Does nothing on create; its delete runs poolRevert.ts, which waits until the pool renders
     * without our MachineConfig and is Updated with every node on it (and off any layered image).
     */
    private revertOnRemoval(
        prefix: string,
        pool: RolloutPool,
        wait: RolloutWaitArgs,
        access: ClusterAccess,
        poolResource: pulumi.Resource,
        hasMachineConfig: boolean,
    ): command.local.Command {
        const request = pulumi.output(wait.kubeconfig).apply(kubeconfig =>
            JSON.stringify({
                pool: pool.name,
                machineConfigs: hasMachineConfig ? [machineConfigName(pool.name)] : [],
                kubeconfig,
                context: wait.context,
                timeoutMs: wait.timeoutMinutes * 60_000,
                pollMs: access.pollMs,
            } satisfies RevertRequest),
        );
        return new command.local.Command(
            `${prefix}-revert`,
            {
                create: "true",
                delete: nodeProgramCommand(__dirname, "poolRevert"),
                stdin: pulumi.secret(request),
                interpreter: ["/bin/sh", "-c"],
                logging: "stderr",
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: [poolResource], additionalSecretOutputs: ["stdout", "stderr"] },
        );
    }

    /**
     * Resolves to `mc` once the pool's rendered config holds it with our settings (evaluateRender),
     * at once in preview, render mode or without a cluster to read. Unsecreted like waitForPool's.
     */
    private waitForRender(
        target: PoolTarget,
        pool: RolloutPool,
        mc: pulumi.CustomResource,
        args: OsImageRolloutArgs,
        imageRef: pulumi.Input<string> | undefined,
    ): pulumi.Output<pulumi.Resource> {
        const wait = args.wait;
        if (wait === undefined) return pulumi.output<pulumi.Resource>(mc);
        const done = pulumi.all([mc.id, wait.kubeconfig, imageRef]).apply(async ([, kubeconfig, ref]) => {
            const access = wait.access;
            if (pulumi.runtime.isDryRun() || access === undefined || pool.paused) return true;
            const reader = access.connect(kubeconfig, wait.context);
            const t = ref === undefined ? target : { ...target, settings: { ...target.settings, osImageURL: ref } };
            const changes = watchPool(reader, pool.name);
            try {
                await waitForRender(t, () => readPoolObservation(reader, pool.name, t.onCluster?.api), access.clock, {
                    timeoutMs: wait.timeoutMinutes * 60_000,
                    pollMs: access.pollMs,
                    log: message => pulumi.log.info(message, this),
                    wake: changes.wake,
                });
            } finally {
                changes.stop();
            }
            return true;
        });
        return pulumi.unsecret(done).apply(() => mc as pulumi.Resource);
    }

    /**
     * Resolves once the pool has rolled out what `rolled` declared (see the file comment for why
     * this is an apply and not `pulumi.com/waitFor`). The result is unsecreted: it depends on the
     * kubeconfig only to read, and holds nothing secret, and a secret here would turn the next
     * pool's MachineConfig into a secret, hiding its diff in previews.
     */
    private waitForPool(
        target: PoolTarget,
        pool: RolloutPool,
        rolled: pulumi.Resource[],
        args: OsImageRolloutArgs,
        imageRef: pulumi.Input<string> | undefined,
    ): pulumi.Output<{ image?: string }> {
        const wait = args.wait;
        if (wait === undefined) return pulumi.output({});
        // Read when the program starts, before the engine applies this change (it waits for the
        // image build, the pool before it, ...): the nodes failing now fail about an older config.
        const before = pulumi.output(wait.kubeconfig).apply(async kubeconfig => {
            const access = wait.access;
            if (pulumi.runtime.isDryRun() || access === undefined) return [] as [string, string][];
            try {
                return [...(await readFailingNodes(access.connect(kubeconfig, wait.context), pool.name))];
            } catch {
                return undefined; // unreadable now: the wait's first read stands in
            }
        });
        // The image a failing health gate goes back to: what the pool's MachineConfig names before
        // this update (read now, before the engine applies it; none: the release's own RHCOS).
        const gated = imageRef !== undefined && ((pool.soakMinutes ?? 0) > 0 || pool.healthCheck !== undefined);
        const previousImage = !gated
            ? pulumi.output<string | null>(null)
            : pulumi.output(wait.kubeconfig).apply(async kubeconfig => {
                  const access = wait.access;
                  if (pulumi.runtime.isDryRun() || access === undefined) return null;
                  return (await currentPoolImage(access.connect(kubeconfig, wait.context), pool.name)) ?? null;
              });
        const ids = rolled.map(r => (r as pulumi.CustomResource).id);
        const waited = pulumi
            .all([pulumi.all(ids), wait.kubeconfig, imageRef, before, previousImage])
            .apply(async ([, kubeconfig, ref, failing, previous]) => {
                const access = wait.access;
                if (pulumi.runtime.isDryRun() || access === undefined) return {};
                if (pool.paused) {
                    pulumi.log.info(
                        `pool ${pool.name} is paused (rhcos-forge:rollout.pools[].paused): not waiting for ` +
                            `it; the next pool starts now`,
                        this,
                    );
                    return {};
                }
                const reader = access.connect(kubeconfig, wait.context);
                const t = ref === undefined ? target : { ...target, settings: { ...target.settings, osImageURL: ref } };
                // The pool's watch wakes the wait as soon as it changes: the next pool starts within a
                // read of this one reporting Updated, not up to a poll interval later.
                const changes = watchPool(reader, pool.name);
                try {
                    const options = {
                        timeoutMs: wait.timeoutMinutes * 60_000,
                        pollMs: access.pollMs,
                        log: (message: string) => pulumi.log.info(message, this),
                        wake: changes.wake,
                        ...(failing === undefined ? {} : { baseline: new Map(failing) }),
                    };
                    if (args.pausedForUpgrade === true) {
                        // Unpaused before the render, the node controller would move the nodes to the
                        // new release's config on the old image first: a second drain and reboot.
                        await waitForRender(
                            t,
                            () => readPoolObservation(reader, pool.name, t.onCluster?.api),
                            access.clock,
                            options,
                        );
                        await setPoolPaused(reader, pool.name, false);
                        pulumi.log.info(`cluster.upgrade: pool ${pool.name} renders the new image; unpaused`, this);
                    }
                    // A gated pool's node that boots the image and goes NotReady fails the gate now: the
                    // pool would never report Updated (healthGate.ts bootedUnhealthy).
                    let unhealthy: { node: string; message: string } | undefined;
                    const observe = async (): Promise<PoolObservation> => {
                        const obs = await readPoolObservation(reader, pool.name, t.onCluster?.api);
                        // Only nodes on a rendered config that carries this image: a node NotReady on
                        // the pool's previous config is not this change's failure.
                        unhealthy =
                            gated && obs.desiredRendered?.spec?.osImageURL === ref ? bootedUnhealthy(obs) : undefined;
                        if (unhealthy !== undefined) throw new PoolRolloutError(unhealthy.message);
                        return obs;
                    };
                    let done: Awaited<ReturnType<typeof waitForPool>>;
                    try {
                        done = await waitForPool(t, observe, access.clock, options);
                    } catch (e) {
                        if (unhealthy !== undefined && ref !== undefined) {
                            await this.failGate(reader, access, pool, t, previous, options, {
                                ok: false,
                                node: unhealthy.node,
                                check: "node readiness",
                                message: unhealthy.message,
                            });
                        }
                        throw e;
                    }
                    if (gated && ref !== undefined)
                        await this.healthGate(reader, access, pool, t, ref, previous, options);
                    return done.image === undefined ? {} : { image: done.image };
                } finally {
                    changes.stop();
                }
            });
        return pulumi.unsecret(waited);
    }

    /**
     * healthGate.ts: soak and health check once the pool is Updated. On failure the pool's
     * MachineConfig goes back to `previous` (null: the release's own RHCOS), the pool is waited
     * for again, and the error names the node and the check; the next pool never starts.
     */
    private async healthGate(
        reader: KubeReader,
        access: ClusterAccess,
        pool: RolloutPool,
        target: PoolTarget,
        ref: string,
        previous: string | null,
        options: Parameters<typeof waitForPool>[3],
    ): Promise<void> {
        const result = await runPoolGate(
            reader,
            { pool: pool.name, soakMinutes: pool.soakMinutes ?? 0, healthCheck: pool.healthCheck },
            access.clock,
            {
                pollMs: access.pollMs,
                log: options.log,
                runId: (ref.split("@sha256:")[1] ?? "").slice(0, 12),
            },
        );
        if (result.ok) return;
        await this.failGate(reader, access, pool, target, previous, options, result);
    }

    /** Points the pool back at `previous`, waits for it, and fails naming the node and the check. */
    private async failGate(
        reader: KubeReader,
        access: ClusterAccess,
        pool: RolloutPool,
        target: PoolTarget,
        previous: string | null,
        options: Parameters<typeof waitForPool>[3],
        result: Extract<GateResult, { ok: false }>,
    ): Promise<never> {
        const what =
            `pool ${pool.name} failed its health gate: ` +
            `${result.check}${result.node === undefined ? "" : ` on node ${result.node}`}: ${result.message}`;
        pulumi.log.error(
            `${what}; pointing its MachineConfig back at ${previous ?? "the release's RHCOS (no osImageURL)"}`,
            this,
        );
        await revertPool(reader, pool.name, previous);
        const back = { ...target, settings: { ...target.settings, osImageURL: previous ?? undefined } };
        const observe = (): Promise<PoolObservation> => readPoolObservation(reader, pool.name);
        const again =
            "The stack's state still names the new image: fix the image or the check, then run `pulumi up " +
            "--refresh` (the refresh sees the reverted MachineConfig and rolls again).";
        const node =
            result.node === undefined
                ? undefined
                : ((await reader.get(`/api/v1/nodes/${encodeURIComponent(result.node)}`)) as GateNode | undefined);
        const skipped = node === undefined ? undefined : mcoSkipsNode(node);
        if (skipped !== undefined) {
            // The MCO hands no config to such a node, the previous one included: waiting for the
            // pool would only time out. The revert still holds every other node of the pool.
            await waitForRender(back, observe, access.clock, options);
            throw new Error(
                `${what}. Its MachineConfig points back at ${previous ?? "the release's RHCOS"} and the pools ` +
                    `after it were not touched, ` +
                    (`but the MCO does not update a node that ${skipped} (openshift/machine-config-operator ` +
                        `pkg/controller/node/node_controller.go getAllCandidateMachines, `) +
                    (`LayeredNodeState.CheckNodeReady): node ${result.node} stays on the new image until it is ` +
                        `Ready again (boot its previous deployment from the console, `) +
                    `\`rpm-ostree rollback\`), then the MCO moves it back. ${again}`,
            );
        }
        await waitForPool(back, observe, access.clock, options);
        throw new Error(
            `${what}. The pool is back on ${previous ?? "the release's RHCOS"}; the pools after it were not ` +
                `touched. ${again}`,
        );
    }
}
