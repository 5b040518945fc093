// ImageRetention: after a successful rollout, the images this build host pushed to the
// repository beyond the newest `keep` are deleted by digest with their signatures and SBOMs
// (prune-images.sh). The digests the stack points at are protected; an image the host did not
// push is never touched; a registry that refuses deletes gives a warning, not a failure.
// ImageRetention has no delete command: `pulumi destroy` deletes images only through
// RegistryCleanup, and only with image.retention.deleteOnDestroy.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "./registryAccess";
import { renderAuthBundle } from "../bundle";
import { HostHandle, scriptStep } from "../host/step";

export interface PruneResult {
    readonly kept: string[];
    readonly deleted: string[];
    readonly refused: string[];
    readonly warnings: string[];
}

export interface ImageRetentionArgs extends RegistryAccessArgs {
    readonly host: HostHandle;
    readonly repository: string;
    readonly keep: number;
    /** `repo@sha256:…` refs never deleted; resolve only once the rollout has finished. */
    readonly protect: pulumi.Input<string>[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A protected digest is never reported deleted; every list holds digests only. */
export function validatePruneResult(result: PruneResult, protect: readonly string[]): PruneResult {
    for (const key of ["kept", "deleted", "refused"] as const) {
        if (!Array.isArray(result[key]) || !result[key].every(d => DIGEST.test(d)))
            throw new Error(`prune step reported a bad ${key} list`);
    }
    const hit = result.deleted.find(d => protect.includes(d));
    if (hit !== undefined) throw new Error(`prune step deleted ${hit}, which the stack still points at`);
    return result;
}

export class ImageRetention extends pulumi.ComponentResource {
    public readonly result: pulumi.Output<PruneResult>;

    constructor(name: string, args: ImageRetentionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:ImageRetention", name, {}, opts);
        const protect = pulumi
            .all(args.protect)
            .apply(refs => [...new Set(refs.map(r => r.split("@")[1] ?? ""))].sort());
        const bundle = pulumi.secret(pulumi.output(args.registryAuth).apply(renderAuthBundle));
        const step = scriptStep(
            name,
            "prune",
            args.host,
            {
                scripts: [
                    {
                        script: "prune-images.sh",
                        env: {
                            RF_IMAGE_REPO: args.repository,
                            RF_KEEP: String(args.keep),
                            RF_PROTECT: protect.apply(p => p.join(" ")),
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: bundle,
                triggers: [protect, args.keep],
                validate: r => r as PruneResult,
            },
            { parent: this },
        );
        this.result = pulumi.all([step.result, protect]).apply(([r, p]) => {
            const checked = validatePruneResult(r, p);
            for (const w of checked.warnings) pulumi.log.warn(`image retention: ${w}`, this);
            return checked;
        });
        this.registerOutputs({ result: this.result });
    }
}

export interface RegistryCleanupArgs extends RegistryAccessArgs {
    readonly host: HostHandle;
    readonly repository: string;
    /** image.retention.deleteOnDestroy: the delete command deletes (`destroy`) or only lists (`list`). */
    readonly deleteOnDestroy: boolean;
}

/**
 * The destroy-time side of retention: a step whose create only lists the images this host pushed
 * to the repository and whose delete, on `pulumi destroy`, deletes them all with their signatures
 * and SBOMs (prune-images.sh RF_MODE destroy) when deleteOnDestroy is set. It exists whatever the
 * flag, and is never replaced (inPlace), so turning the flag off, editing the script or changing
 * the auth updates its delete command in place instead of running it. The pipeline makes the
 * MachineConfigs depend on it, so on destroy it runs after they are gone and before the host.
 */
export class RegistryCleanup extends pulumi.ComponentResource {
    /** The images of ours the create saw (not secret). */
    public readonly listed: pulumi.Output<PruneResult>;

    constructor(name: string, args: RegistryCleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:RegistryCleanup", name, {}, opts);
        const bundle = pulumi.secret(pulumi.output(args.registryAuth).apply(renderAuthBundle));
        const env = { RF_IMAGE_REPO: args.repository, RF_TLS_VERIFY: String(args.tlsVerify ?? true) };
        const step = scriptStep(
            name,
            "registry",
            args.host,
            {
                scripts: [{ script: "prune-images.sh", env: { ...env, RF_MODE: "list" } }],
                stdin: bundle,
                triggers: [],
                inPlace: true,
                onDelete: {
                    script: "prune-images.sh",
                    env: { ...env, RF_MODE: args.deleteOnDestroy ? "destroy" : "list" },
                },
                validate: r => validatePruneResult(r as PruneResult, []),
            },
            { parent: this },
        );
        this.listed = step.result;
        this.registerOutputs({ listed: this.listed });
    }
}
