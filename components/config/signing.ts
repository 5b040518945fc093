// Config of image signing (rhcos-forge:image.signing, rhcos-forge:signingKey,
// rhcos-forge:signingPassphrase) and its cross-field checks; schema.ts includes both.
import { z } from "zod";
import { checkPolicyScope } from "../openshift/clusterImagePolicy";
import { inspectSigningKey } from "../sigstore/signing";

export const signingSchema = z
    .object({
        enabled: z
            .boolean()
            .default(false)
            .describe(
                "Sign every pushed image with rhcos-forge:signingKey (a sigstore signature stored beside it " +
                    "in the registry) and make nodes verify it.",
            ),
        clusterPolicy: z
            .boolean()
            .default(true)
            .describe(
                "Declare a ClusterImagePolicy for image.repository (config.openshift.io v1 from 4.20; " +
                    "v1alpha1 before, which needs the TechPreviewNoUpgrade feature set): nodes refuse images of " +
                    "the repository not signed by the key.",
            ),
        machineConfigPolicy: z
            .boolean()
            .default(false)
            .describe(
                "Instead of a ClusterImagePolicy (set image.signing.clusterPolicy false), a MachineConfig per " +
                    "pool (98-<pool>-rhcos-forge-image-policy) writing policy.json (the MCO's default plus a " +
                    "sigstoreSigned entry for image.repository only) and a registries.d drop-in: for clusters " +
                    "without the ClusterImagePolicy API. Where the MCO renders its own policy.json " +
                    "(99-<pool>-generated-registries) that one wins.",
            ),
    })
    .strict()
    .default({})
    .describe("Image signing and node verification.");

export const signingSecrets = {
    signingKey: z
        .string()
        .includes("PRIVATE KEY", { message: "must be an encrypted cosign/sigstore private key (PEM)" })
        .optional()
        .describe(
            "Secret. Encrypted sigstore private key (cosign format) image.signing signs with; `npm run " +
                "signing-key` makes one.",
        ),
    signingPassphrase: z
        .string()
        .min(1, "must not be empty")
        .optional()
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
        issue(
            ["image", "signing", "enabled"],
            "must be false with rhcos-forge:rollout.method machineosconfig (the MCO builds and pushes on the " +
                "cluster; there is no build host to sign on)",
        );
        return;
    }
    if (cfg.signingKey === undefined)
        issue(
            ["signingKey"],
            "is required with rhcos-forge:image.signing.enabled (set it with --secret; `npm run signing-key` " +
                "makes one)",
        );
    if (cfg.signingPassphrase === undefined)
        issue(["signingPassphrase"], "is required with rhcos-forge:image.signing.enabled (set it with --secret)");
    if (cfg.signingKey !== undefined && cfg.signingPassphrase !== undefined) {
        try {
            inspectSigningKey(cfg.signingKey, cfg.signingPassphrase);
        } catch (e) {
            issue(["signingKey"], `cannot be used: ${(e as Error).message}`);
        }
    }
    if (signing.machineConfigPolicy && signing.clusterPolicy) {
        issue(
            ["image", "signing", "machineConfigPolicy"],
            "needs rhcos-forge:image.signing.clusterPolicy false (both would list the repository in " +
                "registries.d twice, which containers/image refuses)",
        );
    }
    if (signing.machineConfigPolicy && cfg.rollout.method !== "machineconfig") {
        issue(
            ["image", "signing", "machineConfigPolicy"],
            "needs rhcos-forge:rollout.method machineconfig (the policy goes to the pools the image is rolled out to)",
        );
    }
    if (signing.clusterPolicy) {
        const problem = checkPolicyScope(cfg.image.repository);
        if (problem !== undefined)
            issue(["image", "repository"], `${problem} (or set rhcos-forge:image.signing.clusterPolicy false)`);
    }
}

export const retentionSchema = z
    .object({
        enabled: z
            .boolean()
            .default(false)
            .describe(
                "After a successful rollout, delete from image.repository the images this build host pushed " +
                    "beyond the newest image.retention.keep (with their signatures and SBOMs); never the " +
                    "rolled-out digest, never an image it did not push.",
            ),
        keep: z
            .number({ invalid_type_error: "must be a whole number >= 1" })
            .int("must be a whole number >= 1")
            .min(1, "must be at least 1 (the rolled-out image is always kept)")
            .max(1000)
            .default(5)
            .describe("How many of the newest pushed images retention keeps."),
        deleteOnDestroy: z
            .boolean()
            .default(false)
            .describe(
                "On `pulumi destroy`, delete from image.repository every image this build host pushed (by " +
                    "digest, with its signatures and SBOM), after the MachineConfigs are gone; never an image it " +
                    "did not push. False keeps them. A registry that refuses deletes gives a warning.",
            ),
    })
    .strict()
    .default({})
    .describe("Registry retention of the pushed images.");

interface RetentionInputs {
    readonly image: { readonly retention: z.output<typeof retentionSchema>; readonly builder: string };
    readonly rollout: { readonly method: string };
    readonly cluster: { readonly renderTo?: string };
    readonly kubeconfig?: string;
}

/** Retention runs only after a rollout it can see finish; deletes on destroy need the build records. */
export function checkRetention(
    cfg: RetentionInputs,
    issue: (path: (string | number)[], message: string) => void,
): void {
    if (cfg.image.retention.deleteOnDestroy && cfg.rollout.method === "machineosconfig") {
        issue(
            ["image", "retention", "deleteOnDestroy"],
            "needs a rollout.method other than machineosconfig (it deletes what this build host's builds " +
                "recorded pushing; on-cluster builds push from the cluster)",
        );
    }
    if (!cfg.image.retention.enabled) return;
    if (cfg.rollout.method !== "machineconfig") {
        issue(
            ["image", "retention", "enabled"],
            "needs rhcos-forge:rollout.method machineconfig (the rollout it waits for before deleting)",
        );
    }
    if (cfg.cluster.renderTo !== undefined || cfg.kubeconfig === undefined) {
        issue(
            ["image", "retention", "enabled"],
            "needs rhcos-forge:kubeconfig and no cluster.renderTo: images are deleted only after the pools " +
                "report the rollout done",
        );
    }
}
