// Stages that delete pushed images from the registry: retention after a rollout
// (image.retention) and cleanup on destroy (image.retention.deleteOnDestroy).
import * as pulumi from "@pulumi/pulumi";
import { HostHandle } from "../host/step";
import { ImageRetention, RegistryCleanup } from "../image/imageRetention";
import { OsImageRollout } from "../rollout/osImageRollout";
import { PipelineContext, registryAccess } from "./context";
import { Rolled } from "./outputs";

/**
 * image.retention: once every pool reports the rollout done, the images this host pushed
 * beyond the newest `keep` are deleted; the refs the stack points at are protected.
 */
export function retainImages(
    ctx: PipelineContext,
    host: HostHandle,
    refs: pulumi.Output<string>[],
    rolled: Rolled,
): void {
    const c = ctx.config;
    // parseStackConfig allows retention only where the rollout is waited for.
    if (!c.image.retention.enabled || ctx.wait === undefined || !(rolled instanceof OsImageRollout)) return;
    const done = rolled.done;
    new ImageRetention("image-retention", {
        host,
        repository: c.image.repository,
        keep: c.image.retention.keep,
        protect: refs.map(r => pulumi.all([r, done]).apply(([ref]) => ref)),
        ...registryAccess(c),
    });
}

/**
 * On destroy, the images this host pushed go only with image.retention.deleteOnDestroy, and
 * only after the MachineConfigs: everything reading the image ref depends on the cleanup.
 */
export function registryCleanup(ctx: PipelineContext, host: HostHandle, after: pulumi.Resource): RegistryCleanup {
    const c = ctx.config;
    return new RegistryCleanup(
        "image-cleanup",
        {
            host,
            repository: c.image.repository,
            deleteOnDestroy: c.image.retention.deleteOnDestroy,
            ...registryAccess(c),
        },
        { dependsOn: [after] },
    );
}
