// Stages around the pushed image's signature: signing it (image.signing) and declaring the
// policy nodes verify it with.
import * as pulumi from "@pulumi/pulumi";
import { signsImages } from "../config/checked";
import { HostHandle } from "../host/step";
import { ImageSignature } from "../image/imageSignature";
import { inspectSigningKey } from "../sigstore/signing";
import { ImageTrustPolicy } from "../rollout/imageTrustPolicy";
import { PipelineContext, registryAccess } from "./context";
import { StackOutputs } from "./outputs";

export interface Signed {
    /** The image ref, known only once the image is signed (when it is signed at all). */
    readonly ref: pulumi.Output<string>;
    readonly signing?: StackOutputs["signing"];
}

/**
 * image.signing: a signature step after the push; the ref it returns is known only once the
 * image is signed, so a signing failure changes no MachineConfig.
 */
export function signImage(ctx: PipelineContext, host: HostHandle, ref: pulumi.Output<string>): Signed {
    const c = ctx.config;
    if (!signsImages(c)) return { ref };
    // parseStackConfig checked that the passphrase opens the key.
    const key = inspectSigningKey(c.signingKey, c.signingPassphrase);
    const signature = new ImageSignature("image-signature", {
        host,
        ref,
        key: pulumi.secret(key),
        ...registryAccess(c),
    });
    return {
        ref: signature.ref,
        signing: { publicKey: signature.publicKey, keySha256: signature.keySha256, signature: signature.signature },
    };
}

/**
 * The ClusterImagePolicy for image.repository (image.signing.clusterPolicy), or the policy
 * MachineConfigs (image.signing.machineConfigPolicy), declared before the MachineConfigs that
 * point at the image: the returned ref carries the policy as a dependency.
 */
export function trustPolicy(
    ctx: PipelineContext,
    signing: StackOutputs["signing"],
    imageRef: pulumi.Output<string>,
): pulumi.Output<string> {
    const c = ctx.config;
    if (signing === undefined || !(c.image.signing.clusterPolicy || c.image.signing.machineConfigPolicy))
        return imageRef;
    const policy = new ImageTrustPolicy("image-trust", {
        provider: ctx.clusterWriter,
        openshiftVersion: c.cluster.openshiftVersion,
        repository: c.image.repository,
        publicKey: signing.publicKey,
        machineConfigPools: c.image.signing.machineConfigPolicy ? c.rollout.pools.map(p => p.name) : undefined,
    });
    return pulumi.all([imageRef, policy.name]).apply(([ref]) => ref);
}
