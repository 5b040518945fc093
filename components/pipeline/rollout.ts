// Stage: the rollout of an image built on the build host: a ClusterVersion update to the custom
// release (rollout.method release) or MachineConfigs pointing at the image (machineconfig).
import * as pulumi from "@pulumi/pulumi";
import { HostBuiltStack, rollsOutRelease } from "../config/checked";
import { HostHandle } from "../host/step";
import { ReleaseImage } from "../release/releaseImage";
import { OsImageRollout } from "../rollout/osImageRollout";
import { ReleaseRollout } from "../rollout/releaseRollout";
import { PipelineContext } from "./context";
import { StageOutputs } from "./outputs";
import { releaseImageStage } from "./release";
import { UpgradeTarget, clusterUpgradeStage } from "./upgrade";

/**
 * The custom release (rhcos-forge:release) carrying `osImage`, and the rollout: a ClusterVersion
 * update to that release or MachineConfigs pointing at `imageRef`.
 */
export function rolloutStage(
    ctx: PipelineContext<HostBuiltStack>,
    host: HostHandle,
    osImage: pulumi.Output<string>,
    imageRef: pulumi.Output<string>,
    upgrade?: UpgradeTarget,
): Pick<StageOutputs, "rolled" | "release"> {
    const c = ctx.config;
    const released = (rel: ReleaseImage): StageOutputs["release"] => ({
        ref: rel.ref,
        digest: rel.digest,
        version: rel.version,
    });
    if (rollsOutRelease(c)) {
        const rel = releaseImageStage(ctx, c.release, host, osImage);
        const upgrade = new ReleaseRollout("rollout", {
            provider: ctx.clusterWriter,
            releaseImage: rel.ref,
            force: c.rollout.force,
            wait: ctx.wait,
        });
        return { rolled: { method: upgrade.method, pools: pulumi.output([]) }, release: released(rel) };
    }
    // Any stack may publish a release; only method release rolls it out.
    const release = c.release === undefined ? undefined : released(releaseImageStage(ctx, c.release, host, osImage));
    // cluster.upgrade: the MachineConfigs change only once the cluster runs the target release.
    const upgraded = upgrade === undefined ? undefined : clusterUpgradeStage(ctx, upgrade, imageRef);
    const rolled = new OsImageRollout("rollout", {
        provider: ctx.clusterWriter,
        imageRef: upgraded?.imageRef ?? imageRef,
        pools: c.rollout.pools,
        wait: ctx.wait,
        pausedForUpgrade: upgraded !== undefined,
    });
    return { rolled, release };
}
