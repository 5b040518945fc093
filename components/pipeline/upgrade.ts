// Stage: rhcos-forge:cluster.upgrade (docs/fleet.md, "Upgrades with one drain and reboot per
// node"). The target release (by digest, or a version the cluster is offered), its rhel-coreos
// read on the build host, and the ClusterUpgrade that pauses the pools, updates the control plane
// and hands the image on to the pools' MachineConfigs once it runs the release.
import * as pulumi from "@pulumi/pulumi";
import { HostBuiltStack } from "../config/checked";
import { UpgradeConfig, upgradeStepProblem } from "../config/fleet";
import { HostHandle } from "../host/step";
import { ReleaseOsImage } from "../release/releaseOsImage";
import { ClusterUpgrade } from "../rollout/clusterUpgrade";
import { CLUSTER_VERSION_PATH } from "../openshift/clusterVersion";
import { UpgradeClusterVersion, releaseForVersion } from "../rollout/upgradeSteps";
import { PipelineContext, secretOf } from "./context";

/** The release an upgrade moves to, and the OS image its payload names. */
export interface UpgradeTarget {
    readonly config: UpgradeConfig;
    /** `repo@sha256:…` */
    readonly release: pulumi.Output<string>;
    /** The release's rhel-coreos, `repo@sha256:…`: the layered image's base. */
    readonly osImage: pulumi.Output<string>;
    /** cluster.upgrade.version, or the version the payload names. */
    readonly version: pulumi.Output<string>;
}

/** The upgrade's target, read before the build (the build's base is its rhel-coreos). */
export function upgradeTargetStage(ctx: PipelineContext<HostBuiltStack>, host: HostHandle): UpgradeTarget | undefined {
    const c = ctx.config;
    const up = c.cluster.upgrade;
    if (up === undefined) return undefined;
    const release = up.image !== undefined ? pulumi.output(up.image) : versionRelease(ctx, up.version ?? "");
    const os = new ReleaseOsImage("upgrade-release", {
        host,
        release,
        component: "rhel-coreos",
        registryAuth: secretOf(c.registryAuth),
        tlsVerify: c.image.tlsVerify,
    });
    return {
        config: up,
        release,
        osImage: os.image,
        version: up.version !== undefined ? pulumi.output(up.version) : os.version,
    };
}

/**
 * A version target resolves through the cluster: the release ClusterVersion offers for it
 * (upgradeSteps.ts releaseForVersion), read when the program starts, previews included.
 */
function versionRelease(ctx: PipelineContext<HostBuiltStack>, version: string): pulumi.Output<string> {
    const c = ctx.config;
    const access = ctx.deps.clusterAccess;
    if (c.kubeconfig === undefined || access === undefined)
        throw new Error(
            "rhcos-forge:cluster.upgrade.version reads the cluster's offered updates, but the program was " +
                "given no cluster access",
        );
    return pulumi.unsecret(
        pulumi
            .secret(c.kubeconfig)
            .apply(async kubeconfig =>
                releaseForVersion(
                    (await access.connect(kubeconfig, c.cluster.context).get(CLUSTER_VERSION_PATH)) as
                        UpgradeClusterVersion | undefined,
                    version,
                ),
            ),
    );
}

/** The control plane update between the build and the pools' MachineConfigs. */
export function clusterUpgradeStage(
    ctx: PipelineContext<HostBuiltStack>,
    target: UpgradeTarget,
    image: pulumi.Output<string>,
): ClusterUpgrade {
    const c = ctx.config;
    // The parser refuses cluster.upgrade without a kubeconfig or with renderTo.
    if (ctx.wait === undefined) throw new Error("rhcos-forge:cluster.upgrade needs a cluster to wait on");
    return new ClusterUpgrade("upgrade", {
        provider: ctx.clusterWriter,
        release: target.release,
        version: target.version,
        checkVersion: version => upgradeStepProblem(c.cluster.openshiftVersion, version, target.config.eus),
        pools: c.rollout.pools.map(p => p.name),
        image,
        wait: ctx.wait,
    });
}
