// DriverToolkitImage: the driver-toolkit image of the cluster's release (`image.stages[].base:
// driver-toolkit`), the image out-of-tree kernel modules are built in against the release's
// RHCOS kernel (kernel-devel of the same kernel; the loading-kernel-module example of
// openshift/rhcos-image-layering-examples builds FROM it).
//
// Where the cluster keeps it: the release payload carries the ImageStream `driver-toolkit` in
// namespace `openshift` whose tag `latest` is `from: {kind: DockerImage, name:
// example.com/image-reference-placeholder:driver-toolkit}` (openshift/driver-toolkit
// manifests/01-openshift-imagestream.yaml, identical on release-4.16 … release-4.22, heads
// 1d5732f0209b … 7aa4007a8601), and `oc adm release new` rewrites that placeholder to the
// payload's own `driver-toolkit` pullspec, by digest (openshift/oc
// pkg/cli/admin/release/image_mapper.go, loadImageStreamTransforms + NewImageMapper). So
// spec.tags[latest].from.name is the release's driver-toolkit by digest; anything else (no
// ImageStream, no such tag, a tag-only name someone put there) is refused rather than followed.
//
// Read with a plain GET through the kubeconfig when the program runs, as the cluster's
// entitlement is (../mirror/clusterEntitlement.ts): the ImageStream is the release's object, and
// rhcos-forge only reads it; it is never a resource of the stack.
import * as pulumi from "@pulumi/pulumi";
import { DIGEST_REF } from "../openshift/pullspec";

import {
    DRIVER_TOOLKIT_BASE,
    DRIVER_TOOLKIT_IMAGESTREAM,
    DRIVER_TOOLKIT_NAMESPACE,
    DRIVER_TOOLKIT_PATH,
    DRIVER_TOOLKIT_TAG,
} from "../openshift/names";

export {
    DRIVER_TOOLKIT_BASE,
    DRIVER_TOOLKIT_IMAGESTREAM,
    DRIVER_TOOLKIT_NAMESPACE,
    DRIVER_TOOLKIT_PATH,
    DRIVER_TOOLKIT_TAG,
};

/** What reading the ImageStream needs: a GET returning the object, undefined on 404 (kubeApi's KubeReader). */
export interface ObjectReader {
    get(path: string): Promise<unknown>;
}

const where = `ImageStream ${DRIVER_TOOLKIT_NAMESPACE}/${DRIVER_TOOLKIT_IMAGESTREAM}`;
const pin =
    'pin the stage\'s base by digest instead of "driver-toolkit" (`oc adm release info ' +
    "--image-for=driver-toolkit <the cluster's release>`)";

interface ImageStreamTag {
    name?: unknown;
    from?: { kind?: unknown; name?: unknown } | null;
}

/** The driver-toolkit pullspec of the ImageStream object; throws naming what is wrong. */
export function driverToolkitFromImageStream(obj: unknown): string {
    if (obj === undefined || obj === null) {
        throw new Error(
            `${where} does not exist: the cluster's release has no driver-toolkit ImageStream to read; ${pin}`,
        );
    }
    const tags = (obj as { spec?: { tags?: unknown } }).spec?.tags;
    const tag = Array.isArray(tags) ? (tags as ImageStreamTag[]).find(t => t?.name === DRIVER_TOOLKIT_TAG) : undefined;
    if (tag === undefined) throw new Error(`${where} has no tag ${DRIVER_TOOLKIT_TAG}; ${pin}`);
    const name = tag.from?.name;
    if (tag.from?.kind !== "DockerImage" || typeof name !== "string" || name === "") {
        throw new Error(
            `${where} tag ${DRIVER_TOOLKIT_TAG} does not point at an image (from.kind ` +
                `${JSON.stringify(tag.from?.kind)}); ${pin}`,
        );
    }
    // A tag moves: a module built against whatever it points at today may not match tomorrow's.
    if (!DIGEST_REF.test(name)) {
        throw new Error(
            `${where} tag ${DRIVER_TOOLKIT_TAG} points at ${name}, which is not pinned by digest ` +
                `(…@sha256:<64 hex>); ${pin}`,
        );
    }
    return name;
}

/** Reads the driver-toolkit pullspec from the cluster. */
export async function readDriverToolkit(reader: ObjectReader): Promise<string> {
    return driverToolkitFromImageStream(await reader.get(DRIVER_TOOLKIT_PATH));
}

export interface DriverToolkitImageArgs {
    /** Reads the cluster (through the stack's kubeconfig). */
    readonly reader: ObjectReader;
}

export class DriverToolkitImage extends pulumi.ComponentResource {
    /** The release's driver-toolkit, `repo@sha256:…`. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: DriverToolkitImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:DriverToolkitImage", name, {}, opts);
        this.ref = pulumi.output(readDriverToolkit(args.reader));
        this.registerOutputs({ ref: this.ref });
    }
}

/**
 * The stages with every `driver-toolkit` base replaced by `toolkit` (a digest); the stages are
 * returned unchanged when none asks for it.
 */
export function resolveStageBases<S extends { readonly base: string }>(
    stages: readonly S[],
    toolkit: string | undefined,
): S[] {
    return stages.map(s => {
        if (s.base !== DRIVER_TOOLKIT_BASE) return s;
        if (toolkit === undefined)
            throw new Error(
                `image stage base ${DRIVER_TOOLKIT_BASE} needs the cluster's driver-toolkit, which was not read`,
            );
        return { ...s, base: toolkit };
    });
}
