// The release gate: a layered image must be built on the RHCOS the cluster itself ships
// (`baseOSContainerImage` of the machine-config-osimageurl ConfigMap, see clusterBaseImage.ts).
// The OpenShift layering docs require "the same base RHCOS image installed on the rest of your
// cluster"; an image on an older base pins its nodes to an old OS across a cluster upgrade (pools
// with an osImageURL override get no OS update from the upgrade), one on a newer or foreign base
// runs an RHCOS the cluster's kubelet and MCO were not released with.

export interface ReleaseGateInput {
    /** The base the image was built FROM, `repo@sha256:…`. */
    readonly imageBase: string;
    /** The cluster's current baseOSContainerImage, `repo@sha256:…`. */
    readonly clusterBase: string;
    /** rhcos-forge:image.allowBaseMismatch */
    readonly allowMismatch: boolean;
}

export type ReleaseGateResult =
    { readonly ok: true; readonly warning?: string } | { readonly ok: false; readonly message: string };

/**
 * Compares by digest: the same content can be referenced from a mirror registry (an
 * ImageDigestMirrorSet rewrites pulls by digest), so the repository may differ legitimately.
 */
function digestOf(ref: string): string | undefined {
    return /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1];
}

export function checkReleaseGate(input: ReleaseGateInput): ReleaseGateResult {
    const image = digestOf(input.imageBase);
    const cluster = digestOf(input.clusterBase);
    if (image === undefined) return { ok: false, message: `image base ${input.imageBase} is not pinned by digest` };
    if (cluster === undefined)
        return { ok: false, message: `cluster baseOSContainerImage ${input.clusterBase} is not pinned by digest` };
    if (image === cluster) return { ok: true };
    const what = `image base ${input.imageBase} is not the cluster's current baseOSContainerImage ${input.clusterBase}`;
    if (input.allowMismatch) {
        return { ok: true, warning: `${what}; rolling out anyway because rhcos-forge:image.allowBaseMismatch is true` };
    }
    return {
        ok: false,
        message:
            `refusing to roll out: ${what} (nodes would leave the RHCOS this cluster release ships). ` +
            ("Build on the cluster's base with rhcos-forge:image.base=cluster, or set " +
                "rhcos-forge:image.allowBaseMismatch=true to roll out anyway."),
    };
}

export class ReleaseGateError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ReleaseGateError";
    }
}

/** Returns `imageRef` when the gate passes (reporting a tolerated mismatch), throws otherwise. */
export function gateImageRef(imageRef: string, input: ReleaseGateInput, warn: (message: string) => void): string {
    const result = checkReleaseGate(input);
    if (!result.ok) throw new ReleaseGateError(result.message);
    if (result.warning !== undefined) warn(result.warning);
    return imageRef;
}
