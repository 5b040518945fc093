// Stage: the layered image (LayeredImage) built on the build host from image.base, gated against
// the cluster's RHCOS, signed, then rolled out; the stack outputs of a podman build.
import * as pulumi from "@pulumi/pulumi";
import { HostBuiltStack, basedOnCluster, buildsOnDriverToolkit, registersBuildHost } from "../config/checked";
import { gateImageRef } from "../image/baseGate";
import { DriverToolkitImage } from "../image/driverToolkit";
import { LayeredImage } from "../image/layeredImage";
import { LayeringDialect, layeringDialect } from "../openshift/releases";
import { OpenShiftVersion } from "../openshift/versions";
import { BuildPlace, PipelineContext, clusterReader, registryAccess } from "./context";
import { StageOutputs, buildHostOutputs, mirrorOutputs } from "./outputs";
import { registryCleanup, retainImages } from "./registry";
import { rolloutStage } from "./rollout";
import { signImage, trustPolicy } from "./signing";
import { upgradeTargetStage } from "./upgrade";

export function layeredImageStage(ctx: PipelineContext<HostBuiltStack>, place: BuildPlace): StageOutputs {
    const { host, repoMirror } = place;
    const c = ctx.config;
    // cluster.upgrade: built FROM the target release's rhel-coreos (the parser requires base cluster).
    const upgrade = upgradeTargetStage(ctx, host.handle);
    const layered = new LayeredImage("image", {
        host: host.handle,
        base:
            upgrade !== undefined
                ? upgrade.osImage
                : basedOnCluster(c)
                  ? ctx.clusterBase(c.kubeconfig)
                  : pulumi.output(c.image.base),
        repository: c.image.repository,
        spec: { ...c.image, dialect: imageDialect(c) },
        driverToolkit: driverToolkit(ctx),
        // Known in a first preview, so it shows the Containerfile; the build still waits for
        // the sync through mirrorRevision.
        repos: repoMirror.plannedBuildRepos,
        secretFiles: c.image.files.filter(f => f.secret).map(f => f.path),
        replaceRepo: c.mirror.packageSet.packages.length > 0 ? c.mirror.packageSet.id : undefined,
        mirrorRevision: repoMirror.revision,
        buildSecrets: repoMirror.buildSecrets,
        entitledHost: registersBuildHost(c),
        buildArgs: c.image.buildArgs,
        ...registryAccess(c),
    });
    const cleanup = registryCleanup(ctx, host.handle, layered);
    const pushed = pulumi.all([layered.ref, cleanup.listed]).apply(([ref]) => ref);
    const signed = signImage(ctx, host.handle, pushed);
    // Release gate: the MachineConfig never points at an image built on another RHCOS than the
    // cluster's (known in preview too: the base is config or a read, so preview fails early).
    // Without a kubeconfig (GitOps render only) there is no cluster base to compare with.
    // With cluster.upgrade the gate's reference is the RHCOS the cluster will run: the target's.
    const imageRef =
        c.kubeconfig === undefined
            ? signed.ref
            : pulumi
                  .all([signed.ref, layered.base, upgrade?.osImage ?? ctx.clusterBase(c.kubeconfig)])
                  .apply(([ref, imageBase, current]) =>
                      gateImageRef(
                          ref,
                          { imageBase, clusterBase: current, allowMismatch: c.image.allowBaseMismatch },
                          m => pulumi.log.warn(m),
                      ),
                  );
    // A release carries the built image as its OS whatever its base; the gate guards MachineConfigs.
    const rolledOut = rolloutStage(ctx, host.handle, signed.ref, trustPolicy(ctx, signed.signing, imageRef), upgrade);
    retainImages(ctx, host.handle, [signed.ref, imageRef], rolledOut.rolled);
    return {
        image: {
            ref: signed.ref,
            digest: layered.digest,
            base: layered.base,
            packages: layered.packages,
            sbom: layered.sbom,
        },
        containerfile: layered.containerfile,
        mirror: mirrorOutputs(repoMirror),
        buildHost: buildHostOutputs(host),
        ...rolledOut,
        signing: signed.signing,
    };
}

/**
 * image.stages[].base driver-toolkit: the cluster release's driver-toolkit, read through the
 * kubeconfig when the program runs (the ImageStream is the release's, never the stack's).
 */
function driverToolkit(ctx: PipelineContext): pulumi.Output<string> | undefined {
    const c = ctx.config;
    if (!buildsOnDriverToolkit(c)) return undefined;
    const reader = clusterReader(ctx, c.kubeconfig, "image.stages[].base driver-toolkit");
    return new DriverToolkitImage("driver-toolkit", { reader }).ref;
}

/**
 * The Containerfile dialect of the stack: image.dialect, or the one of its OpenShift release
 * (components/openshift/releases.ts).
 */
export function imageDialect(cfg: {
    image: { dialect?: LayeringDialect };
    cluster: { openshiftVersion: OpenShiftVersion };
}): LayeringDialect {
    return cfg.image.dialect ?? layeringDialect(cfg.cluster.openshiftVersion);
}
