// Stage: the custom release payload (rhcos-forge:release) carrying the built OS image.
import * as pulumi from "@pulumi/pulumi";
import { ReleaseConfig } from "../config/schema";
import { HostHandle } from "../host/step";
import { isOsImageComponent } from "../openshift/releases";
import { ManifestObject } from "../release/payload";
import { ReleaseImage } from "../release/releaseImage";
import { PipelineContext, secretOf } from "./context";

/** The custom release (rhcos-forge:release) carrying `osImage`. */
export function releaseImageStage(
    ctx: PipelineContext,
    release: ReleaseConfig,
    host: HostHandle,
    osImage: pulumi.Output<string>,
): ReleaseImage {
    const osComponent = release.osComponent;
    // parseStackConfig refuses machine-os-content (no supported release has it).
    if (!isOsImageComponent(osComponent))
        throw new Error(`rhcos-forge:release.osComponent ${osComponent} is not an OS component`);
    return new ReleaseImage("release", {
        host,
        from: release.from,
        repository: release.repository,
        name: release.name,
        osImage,
        osComponent,
        overrides: release.overrides,
        manifests: release.manifests as ManifestObject[],
        registryAuth: secretOf(ctx.config.registryAuth),
        tlsVerify: release.tlsVerify,
    });
}
