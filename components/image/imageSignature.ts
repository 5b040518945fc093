// ImageSignature: a sigstore signature for a pushed image, stored in the registry beside it
// (sign-image.sh), by the stack's signing key.
//
// A step of its own, after the build: it re-runs when the digest or the key changes (the trigger
// is the public key's fingerprint, never the key), so a new key re-signs the same image without a
// rebuild, and the build id keeps ignoring keys and credentials. `ref` comes out of this step: a
// signing failure fails it, and nothing that reads `ref` (the MachineConfigs) changes.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "./registryAccess";
import { HostHandle, scriptStep } from "../host/step";
import { SigningKeyInfo, renderSignBundle, signatureTag } from "../sigstore/signing";

export interface SignResult {
    readonly ref: string;
    readonly digest: string;
    readonly signature: string;
    readonly signatureDigest: string;
    readonly keySha256: string;
    readonly signed: boolean;
}

export interface ImageSignatureArgs extends RegistryAccessArgs {
    readonly host: HostHandle;
    /** The pushed image, `repo@sha256:…`. */
    readonly ref: pulumi.Input<string>;
    /** The decrypted signing key (inspectSigningKey); a secret. */
    readonly key: pulumi.Input<SigningKeyInfo>;
}

/** The result must be about the image asked for and made with the key asked for. */
export function validateSignResult(result: SignResult, ref: string, keySha256: string): SignResult {
    const digest = ref.split("@")[1] ?? "";
    if (result.ref !== ref || result.digest !== digest)
        throw new Error(`sign step reported ${JSON.stringify(result.ref)}, expected ${ref}`);
    if (result.keySha256 !== keySha256) throw new Error("sign step signed with another key than the configured one");
    const repo = ref.split("@")[0];
    if (result.signature !== `${repo}:${signatureTag(digest)}`)
        throw new Error(`sign step reported signature ${JSON.stringify(result.signature)}`);
    if (!/^sha256:[a-f0-9]{64}$/.test(result.signatureDigest))
        throw new Error(`sign step reported an invalid signature digest ${JSON.stringify(result.signatureDigest)}`);
    return result;
}

export class ImageSignature extends pulumi.ComponentResource {
    /** `repo@sha256:…`, known only once the signature is in the registry. */
    public readonly ref: pulumi.Output<string>;
    /** `repo:sha256-<hex>.sig`: where the signatures of `ref` are. */
    public readonly signature: pulumi.Output<string>;
    /** SPKI PEM public key nodes verify with (not secret). */
    public readonly publicKey: pulumi.Output<string>;
    /** sha256 of the public key's DER. */
    public readonly keySha256: pulumi.Output<string>;

    constructor(name: string, args: ImageSignatureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:ImageSignature", name, {}, opts);
        const key = pulumi.output(args.key);
        // Only the public half leaves the secret: it is what nodes are told to trust.
        const publicKey = pulumi.unsecret(key.apply(k => k.publicKey));
        const keySha256 = pulumi.unsecret(key.apply(k => k.fingerprint));
        const bundle = pulumi.secret(
            pulumi.all([key, args.registryAuth]).apply(([k, auth]) => renderSignBundle(k, auth)),
        );
        const ref = pulumi.output(args.ref);
        const step = scriptStep(
            name,
            "sign",
            args.host,
            {
                scripts: [
                    {
                        script: "sign-image.sh",
                        env: { RF_IMAGE_REF: ref, RF_TLS_VERIFY: String(args.tlsVerify ?? true) },
                    },
                ],
                stdin: bundle,
                triggers: [ref, keySha256],
                validate: r => r as SignResult,
            },
            { parent: this },
        );
        const result = pulumi
            .all([step.result, ref, keySha256])
            .apply(([r, expected, sha]) => validateSignResult(r, expected, sha));
        this.ref = result.apply(r => r.ref);
        this.signature = result.apply(r => r.signature);
        this.publicKey = publicKey;
        this.keySha256 = keySha256;
        this.registerOutputs({
            ref: this.ref,
            signature: this.signature,
            publicKey: this.publicKey,
            keySha256: this.keySha256,
        });
    }
}
