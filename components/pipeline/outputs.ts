// The stack outputs: what the stages return, folded into the shape other stacks read.
import * as pulumi from "@pulumi/pulumi";
import { PublishedArtifact } from "../image/cosaInputs";
import { SbomRef } from "../image/imageSbom";
import { PackageDiff } from "../image/layeredImage";
import { FinishedImage, finishedImage } from "../fleet/clusterStack";
import { OsImageRollout } from "../rollout/osImageRollout";

/**
 * The stack outputs other stacks read through StackReference; keep the names stable. `release`
 * and `cosa` exist only where the stack produces them (rhcos-forge:release, image.builder cosa).
 */
export interface StackOutputs {
    readonly image: {
        ref: pulumi.Output<string>;
        digest: pulumi.Output<string>;
        base: pulumi.Output<string>;
        packages?: pulumi.Output<PackageDiff>;
        sbom?: pulumi.Output<SbomRef>;
    };
    readonly containerfile: pulumi.Output<string>;
    readonly mirror: {
        baseUrl: pulumi.Output<string>;
        repos: pulumi.Output<Record<string, string>>;
        repoFile: pulumi.Output<string>;
    };
    readonly buildHost: { address: pulumi.Output<string>; provider: string };
    /**
     * `finished`: what every pool has finished rolling out (machineconfig, waited for); the next
     * promotion ring reads it (docs/fleet.md).
     */
    readonly rollout: {
        method: pulumi.Output<string>;
        pools: OsImageRollout["pools"];
        finished?: pulumi.Output<FinishedImage | undefined>;
    };
    readonly release?: { ref: pulumi.Output<string>; digest: pulumi.Output<string>; version: pulumi.Output<string> };
    readonly cosa?: {
        buildId: pulumi.Output<string>;
        configCommit: pulumi.Output<string>;
        artifacts: pulumi.Output<PublishedArtifact[]>;
    };
    /** Only with image.signing.enabled: the key nodes verify with and where the signature is. */
    readonly signing?: {
        publicKey: pulumi.Output<string>;
        keySha256: pulumi.Output<string>;
        signature: pulumi.Output<string>;
    };
}

/** What rolled the image out: the method and the pools it updated (none for a release update). */
export type Rolled = Pick<OsImageRollout, "method" | "pools">;

/** What a build stage returns before the rollout is folded into the stack outputs. */
export type StageOutputs = Omit<StackOutputs, "rollout"> & { readonly rolled: Rolled };

/**
 * The stack outputs of a stage: the rollout folded in, and nothing undefined exported.
 * `waited`: the MachineConfig rollout is waited for, so rollout.finished can say it finished.
 */
export function stackOutputs(out: StageOutputs, waited: boolean): StackOutputs {
    const { rolled, release, cosa, signing, ...always } = out;
    // A ring reading this stack (image.from take finished) gets the image only once every pool is done.
    const finished = !(rolled instanceof OsImageRollout)
        ? undefined
        : finishedImage(
              waited,
              rolled.done,
              pulumi
                  .all([always.image.ref, always.image.digest, always.image.base])
                  .apply(([ref, digest, base]) => ({ ref, digest, base })),
          );
    return {
        ...always,
        rollout: { method: rolled.method, pools: rolled.pools, ...(finished === undefined ? {} : { finished }) },
        ...(release === undefined ? {} : { release }),
        ...(cosa === undefined ? {} : { cosa }),
        ...(signing === undefined ? {} : { signing }),
    };
}

/** The mirror's outputs; empty where the stack has no mirror (on-cluster builds without repos). */
export function mirrorOutputs(mirror?: {
    baseUrl: pulumi.Output<string>;
    repos: pulumi.Output<Record<string, string>>;
    repoFile: pulumi.Output<string>;
}): StackOutputs["mirror"] {
    if (mirror === undefined)
        return {
            baseUrl: pulumi.output(""),
            repos: pulumi.output<Record<string, string>>({}),
            repoFile: pulumi.output(""),
        };
    return { baseUrl: mirror.baseUrl, repos: mirror.repos, repoFile: mirror.repoFile };
}

/** The build host's outputs; provider "cluster" where the stack has none. */
export function buildHostOutputs(host?: {
    address: pulumi.Output<string>;
    provider: string;
}): StackOutputs["buildHost"] {
    return host === undefined
        ? { address: pulumi.output(""), provider: "cluster" }
        : { address: host.address, provider: host.provider };
}
