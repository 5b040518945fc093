// Config of image signing (rhcos-forge:image.signing, rhcos-forge:signingKey,
// rhcos-forge:signingPassphrase) and its cross-field checks; schema.ts includes both.
import { z } from "zod";
import { checkPolicyScope } from "../openshift/clusterImagePolicy";
import { inspectSigningKey } from "../image/signing";

export const signingSchema = z.object({
    enabled: z.boolean().default(false)
        .describe("Sign every pushed image with rhcos-forge:signingKey (a sigstore signature stored beside it in the registry) and make nodes verify it."),
    clusterPolicy: z.boolean().default(true)
        .describe("Declare a ClusterImagePolicy for image.repository (config.openshift.io v1 from 4.20; v1alpha1 before, which needs the TechPreviewNoUpgrade feature set): nodes refuse images of the repository not signed by the key."),
}).strict().default({}).describe("Image signing and node verification.");

export const signingSecrets = {
    signingKey: z.string().includes("PRIVATE KEY", { message: "must be an encrypted cosign/sigstore private key (PEM)" }).optional()
        .describe("Secret. Encrypted sigstore private key (cosign format) image.signing signs with; `npm run signing-key` makes one."),
    signingPassphrase: z.string().min(1, "must not be empty").optional()
        .describe("Secret. Passphrase of rhcos-forge:signingKey."),
};

interface SigningInputs {
    readonly image: { readonly signing: z.output<typeof signingSchema>; readonly repository: string };
    readonly rollout: { readonly method: string };
    readonly signingKey?: string;
    readonly signingPassphrase?: string;
}

/** What image.signing needs, checked where the message can name the key to fix (never its value). */
export function checkSigning(cfg: SigningInputs, issue: (path: (string | number)[], message: string) => void): void {
    const signing = cfg.image.signing;
    if (!signing.enabled) {
        for (const key of ["signingKey", "signingPassphrase"] as const) {
            if (cfg[key] !== undefined) issue([key], "is set but rhcos-forge:image.signing.enabled is false");
        }
        return;
    }
    if (cfg.rollout.method === "machineosconfig") {
        issue(["image", "signing", "enabled"], "must be false with rhcos-forge:rollout.method machineosconfig (the MCO builds and pushes on the cluster; there is no build host to sign on)");
        return;
    }
    if (cfg.signingKey === undefined) issue(["signingKey"], "is required with rhcos-forge:image.signing.enabled (set it with --secret; `npm run signing-key` makes one)");
    if (cfg.signingPassphrase === undefined) issue(["signingPassphrase"], "is required with rhcos-forge:image.signing.enabled (set it with --secret)");
    if (cfg.signingKey !== undefined && cfg.signingPassphrase !== undefined) {
        try {
            inspectSigningKey(cfg.signingKey, cfg.signingPassphrase);
        } catch (e) {
            issue(["signingKey"], `cannot be used: ${(e as Error).message}`);
        }
    }
    if (signing.clusterPolicy) {
        const problem = checkPolicyScope(cfg.image.repository);
        if (problem !== undefined) issue(["image", "repository"], `${problem} (or set rhcos-forge:image.signing.clusterPolicy false)`);
    }
}
