// Stage: image.builder cosa, a full OS build with coreos-assembler (CosaBuild) instead of a
// layered image, with the same SBOM, signing and rollout as a layered build.
import * as pulumi from "@pulumi/pulumi";
import { HostBuiltStack } from "../config/checked";
import { CosaConfig } from "../config/schema";
import { CosaBuild } from "../image/cosaBuild";
import { ImageSbom } from "../image/imageSbom";
import { BuildPlace, PipelineContext, registryAccess } from "./context";
import { StageOutputs, buildHostOutputs, mirrorOutputs } from "./outputs";
import { registryCleanup, retainImages } from "./registry";
import { rolloutStage } from "./rollout";
import { signImage, trustPolicy } from "./signing";

export function cosaStage(ctx: PipelineContext<HostBuiltStack>, cosa: CosaConfig, place: BuildPlace): StageOutputs {
    const { host, repoMirror } = place;
    const c = ctx.config;
    const built = new CosaBuild("image", {
        host: host.handle,
        container: cosa.container,
        config: { url: cosa.config, branch: cosa.branch, commit: cosa.commit, variant: cosa.variant },
        repository: c.image.repository,
        repos: repoMirror.buildRepos,
        mirrorRevision: repoMirror.revision,
        artifacts: cosa.artifacts,
        mirrorDir: `${c.buildHost.workDir}/mirror`,
        mirrorBaseUrl: repoMirror.baseUrl,
        mirrorCredentials: repoMirror.credentials,
        ...registryAccess(c),
    });
    // The same SBOM a layered build attaches, from the pushed image's rpmdb, the config
    // commit as its origin; signing and the rollout wait for it, as they wait for a build.
    const sbom = new ImageSbom("image-sbom", {
        host: host.handle,
        ref: built.ref,
        source: built.configCommit.apply(commit => `${cosa.config}@${commit}`),
        recordAs: built.buildId.apply(id => `cosa-${id}`),
        ...registryAccess(c),
    });
    const cleanup = registryCleanup(ctx, host.handle, sbom);
    const signed = signImage(
        ctx,
        host.handle,
        pulumi.all([built.ref, sbom.sbom, cleanup.listed]).apply(([ref]) => ref),
    );
    const rolledOut = rolloutStage(ctx, host.handle, signed.ref, trustPolicy(ctx, signed.signing, signed.ref));
    retainImages(ctx, host.handle, [signed.ref], rolledOut.rolled);
    return {
        image: { ref: signed.ref, digest: built.digest, base: pulumi.output(""), sbom: sbom.sbom },
        containerfile: pulumi.output(""),
        mirror: mirrorOutputs(repoMirror),
        buildHost: buildHostOutputs(host),
        ...rolledOut,
        cosa: { buildId: built.buildId, configCommit: built.configCommit, artifacts: built.artifacts },
        signing: signed.signing,
    };
}
