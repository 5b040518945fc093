// What a cluster stack reads from the stack rhcos-forge:image.from names, as pure logic: the
// output contract (docs/fleet.md, "The output contract") checked value by value, and the choice
// between the source's built image and what it has finished rolling out (a promotion ring).
import { Take } from "../config/fleet";
import { DIGEST_REF } from "../openshift/pullspec";

/** An image as stacks hand it on: where nodes boot it from and the RHCOS it was built FROM. */
export interface SourceImage {
    /** `repo@sha256:…`, the ref a MachineConfig names. */
    readonly ref: string;
    /** `sha256:…`, the digest of ref. */
    readonly digest: string;
    /** `repo@sha256:…`, the base RHCOS the image was built FROM (the base gate compares it). */
    readonly base: string;
    /** The package diff against the base, where the source reports one. */
    readonly packages?: unknown;
}

export type SourceVerdict =
    | { readonly state: "ready"; readonly image: SourceImage }
    | { readonly state: "unfinished"; readonly reason: string };

/** Thrown when the source's outputs break the contract: the stack cannot roll out anything from it. */
export class SourceContractError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SourceContractError";
    }
}

/** The image a source output describes, or the reason it does not fit the contract. */
export function checkSourceImage(value: unknown, where: string): SourceImage {
    if (value === null || typeof value !== "object")
        throw new SourceContractError(`${where} is not an object {ref, digest, base}`);
    const v = value as Record<string, unknown>;
    const ref = typeof v.ref === "string" ? v.ref : "";
    const digest = typeof v.digest === "string" ? v.digest : "";
    const base = typeof v.base === "string" ? v.base : "";
    // Nodes boot only images by digest (openshift/pullspec.ts): a tag could move under the MachineConfig.
    if (!DIGEST_REF.test(ref))
        throw new SourceContractError(
            `${where}.ref ${JSON.stringify(ref)} is not an image pinned by digest (repo@sha256:<64 hex>)`,
        );
    if (!ref.endsWith(`@${digest}`))
        throw new SourceContractError(
            `${where}.digest ${JSON.stringify(digest)} is not the digest of ${where}.ref ${ref}`,
        );
    // Without a base by digest the base gate has nothing to compare with this cluster's RHCOS
    // (an on-cluster build reports "cluster"; a cosa build reports none).
    if (!DIGEST_REF.test(base))
        throw new SourceContractError(
            `${where}.base ${JSON.stringify(base)} is not a base image pinned by digest: the base gate cannot ` +
                `check it against this cluster's RHCOS`,
        );
    return { ref, digest, base, ...(v.packages === undefined ? {} : { packages: v.packages }) };
}

/**
 * The image this stack may roll out. `take: image` reads the source's `image` output (what an image
 * stack built); `take: finished` reads its `rollout.finished`, which a stack exports only once every
 * one of its pools reported done, so a ring never gets an image its source has not finished.
 */
export function resolveSource(
    stack: string,
    take: Take,
    outputs: { image?: unknown; rollout?: unknown },
): SourceVerdict {
    if (take === "image") {
        if (outputs.image === undefined)
            throw new SourceContractError(
                `stack ${stack} has no output "image" (has it been deployed? is it an rhcos-forge stack?)`,
            );
        return { state: "ready", image: checkSourceImage(outputs.image, `${stack} image`) };
    }
    const rollout = outputs.rollout as { finished?: unknown } | undefined;
    if (rollout === undefined)
        throw new SourceContractError(
            `stack ${stack} has no output "rollout" (has it been deployed? is it an rhcos-forge stack?)`,
        );
    if (rollout.finished === undefined || rollout.finished === null) {
        return {
            state: "unfinished",
            reason:
                `stack ${stack} has not finished rolling out an image (its rollout.finished is unset until every ` +
                `one of its pools reported done)`,
        };
    }
    return { state: "ready", image: checkSourceImage(rollout.finished, `${stack} rollout.finished`) };
}

/**
 * While the source has not finished, each pool keeps the image its MachineConfig names now (read
 * from the cluster): re-declared unchanged, the MachineConfig shows no diff and no node moves.
 * A pool without one yet is left out: declaring it would roll it an image nobody finished.
 */
export function keptImages(current: Readonly<Record<string, string | undefined>>): {
    kept: Record<string, string>;
    without: string[];
} {
    const kept: Record<string, string> = {};
    const without: string[] = [];
    for (const [pool, ref] of Object.entries(current)) {
        if (ref !== undefined && DIGEST_REF.test(ref)) kept[pool] = ref;
        else without.push(pool);
    }
    return { kept, without };
}
