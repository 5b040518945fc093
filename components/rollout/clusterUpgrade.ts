// ClusterUpgrade (rhcos-forge:cluster.upgrade): OpenShift's "Control Plane Only update" with our
// image, so each layered node drains and reboots once per upgrade instead of twice:
//   1. (pipeline/image.ts) the layered image is built FROM the target release's rhel-coreos, read
//      from its payload on the build host (release/releaseOsImage.ts), before anything changes;
//   2. the layered pools are paused (MachineConfigPool spec.paused): the MCO's node controller
//      gives a paused pool's nodes no new desiredConfig (openshift/machine-config-operator
//      pkg/controller/node/node_controller.go syncMachineConfigPool: `if pool.Spec.Paused { …
//      return ctrl.syncStatusOnly(pool) }`), while the render controller still renders it;
//   3. ClusterVersion spec.desiredUpdate is set to the release (openshift/api config/v1
//      types_cluster_version.go Update: image and version);
//   4. the program waits until ClusterVersion reports the release Completed and the
//      machine-config ClusterOperator reports its version;
//   5. then (OsImageRollout, `pausedForUpgrade`) each pool, canary first: its MachineConfig's
//      osImageURL becomes the new image, the MCO renders it, the pool is unpaused and waited for,
//      with its health gates.
// Without the pause, the new release's MachineConfigs reach an unpaused layered pool on the old
// image, and the rebuild after the upgrade moves it again (docs/UsingLayering.md: an overridden
// osImageURL is not upgraded; "you will need to rebuild and apply a new custom layered image
// following the upgrade"). openshift-docs updating/updating_a_cluster/control-plane-only-update.adoc
// is the documented pause / update / unpause order. Nothing is paused, set or waited for in a
// preview: the preview logs the plan. `pulumi destroy` leaves the cluster on the release (no
// downgrades): the ClusterVersion patch is retained on delete.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_VERSION_PATH, clusterVersionPatchHead, renderClusterVersionPatch } from "../openshift/clusterVersion";
import { ClusterVersionObject, waitForClusterVersion } from "./clusterVersionWait";
import { RolloutWaitArgs } from "./osImageRollout";
import {
    UpgradeClusterVersion,
    alreadyOn,
    setPoolPaused,
    upgradePlan,
    waitForMachineConfigOperator,
} from "./upgradeSteps";

export interface ClusterUpgradeArgs {
    /** The cluster (a kubeconfig provider). */
    readonly provider: k8s.Provider;
    /** The target release, `repo@sha256:…`. */
    readonly release: pulumi.Input<string>;
    /** The target's version as the payload names it (empty: whatever ClusterVersion reports once done). */
    readonly version: pulumi.Input<string>;
    /** Refuses a target version the update paths do not allow (checked before anything is paused). */
    readonly checkVersion?: (version: string) => string | undefined;
    /** The layered pools, in rollout order. */
    readonly pools: readonly string[];
    /** The image built FROM the target's rhel-coreos: nothing is paused before it exists. */
    readonly image: pulumi.Input<string>;
    /** How to reach and wait on the cluster. */
    readonly wait: RolloutWaitArgs;
}

export class ClusterUpgrade extends pulumi.ComponentResource {
    /** The image, once the cluster runs the release (known at once in a preview). */
    public readonly imageRef: pulumi.Output<string>;
    /** The release the cluster is told to run. */
    public readonly release: pulumi.Output<string>;
    /** The version ClusterVersion reported once updated; empty when not waited for. */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, args: ClusterUpgradeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:rollout:ClusterUpgrade", name, {}, opts);
        const wait = args.wait;
        const access = wait.access;
        const release = pulumi.output(args.release);
        const log = (line: string): void => {
            void pulumi.log.info(line, this);
        };
        const reader = (kubeconfig: string) => access?.connect(kubeconfig, wait.context);

        // Where the cluster stands, read when the program starts: a cluster already on the
        // release (a re-run) is neither paused nor waited for again.
        const already = pulumi.unsecret(
            pulumi.all([wait.kubeconfig, release]).apply(async ([kubeconfig, rel]) => {
                const api = reader(kubeconfig);
                if (api === undefined) return false;
                const on = alreadyOn((await api.get(CLUSTER_VERSION_PATH)) as UpgradeClusterVersion | undefined, rel);
                if (pulumi.runtime.isDryRun())
                    for (const line of upgradePlan({ target: rel, pools: args.pools, already: on })) log(line);
                return on;
            }),
        );

        // Pauses once the image exists (so a failed build changes nothing on the cluster).
        const paused = pulumi.unsecret(
            pulumi
                .all([args.image, wait.kubeconfig, release, args.version, already])
                .apply(async ([, kubeconfig, rel, version, on]) => {
                    const api = reader(kubeconfig);
                    if (pulumi.runtime.isDryRun() || api === undefined || on) return true;
                    const problem = version === "" ? undefined : args.checkVersion?.(version);
                    if (problem !== undefined)
                        throw new Error(
                            `rhcos-forge:cluster.upgrade.image is release ${version} (${rel}), which ` +
                                `${problem}; nothing was changed on the cluster`,
                        );
                    for (const pool of args.pools) {
                        await setPoolPaused(api, pool, true);
                        log(
                            `cluster.upgrade: paused pool ${pool} (its nodes get no new desiredConfig until ` +
                                `it is unpaused)`,
                        );
                    }
                    return true;
                }),
        );

        // Only the spec waits: the provider refuses a patch without a known metadata.name.
        const cv = new k8s.apiextensions.CustomResourcePatch(
            `${name}-clusterversion`,
            {
                ...clusterVersionPatchHead(),
                spec: pulumi
                    .all([release, args.version, paused])
                    .apply(([image, version]) => renderClusterVersionPatch(image, false, version).spec),
            },
            { parent: this, provider: args.provider, retainOnDelete: true },
        );

        const waited = pulumi.unsecret(
            pulumi
                .all([cv.id, wait.kubeconfig, release, args.version, already])
                .apply(async ([, kubeconfig, rel, version, on]) => {
                    const api = reader(kubeconfig);
                    if (pulumi.runtime.isDryRun() || api === undefined || access === undefined) return "";
                    const timing = { timeoutMs: wait.timeoutMinutes * 60_000, pollMs: Math.max(access.pollMs, 1), log };
                    const reached = on
                        ? version
                        : await waitForClusterVersion(
                              rel,
                              async () => (await api.get(CLUSTER_VERSION_PATH)) as ClusterVersionObject | undefined,
                              access.clock,
                              timing,
                          );
                    const target = reached === "" ? version : reached;
                    if (!on && target !== "") await waitForMachineConfigOperator(api, target, access.clock, timing);
                    return target;
                }),
        );

        this.release = release;
        this.version = waited;
        this.imageRef = pulumi.all([args.image, waited]).apply(([image]) => image);
        this.registerOutputs({ release: this.release, version: this.version, imageRef: this.imageRef });
    }
}
