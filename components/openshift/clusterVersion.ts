// ClusterVersion: how rhcos-forge asks the CVO to move the cluster to a custom release
// (rollout.method release). Pure rendering, no Pulumi types.
import { DIGEST_REF } from "./pullspec";

export const CLUSTER_VERSION_API = "config.openshift.io/v1";
/** The cluster's one ClusterVersion, `version`, as the API server serves it. */
export const CLUSTER_VERSION_PATH = `/apis/${CLUSTER_VERSION_API}/clusterversions/version`;

export interface DesiredUpdate {
    readonly image: string;
    readonly version: string;
    readonly force: boolean;
}

/**
 * What `oc adm upgrade --to-image <image> --allow-explicit-upgrade [--force]` writes into
 * ClusterVersion `spec.desiredUpdate`: the image by digest and an empty version (the CVO reads the
 * version from the payload). A custom payload carries no Red Hat signature, so the CVO accepts it
 * only with force. `version`: what `oc adm upgrade --to <version>` writes beside the image it
 * resolved from the cluster's offered updates (cluster.upgrade).
 */
export function renderDesiredUpdate(image: string, force: boolean, version = ""): DesiredUpdate {
    if (!DIGEST_REF.test(image))
        throw new Error(`desiredUpdate.image must be a release image pinned by digest, got ${JSON.stringify(image)}`);
    return { image, version, force };
}

/**
 * The patch's metadata, which depends on nothing: a patch resource needs `metadata.name` known in
 * preview, when the release image is not built yet (the kubernetes provider refuses an unknown one).
 */
export const CLUSTER_VERSION_PATCH_METADATA: {
    readonly name: string;
    readonly annotations: Readonly<Record<string, string>>;
} = {
    name: "version",
    annotations: {
        "pulumi.com/patchFieldManager": "rhcos-forge",
        // `oc adm upgrade` owns desiredUpdate once someone used it: take the fields over.
        "pulumi.com/patchForce": "true",
    },
};

export interface ClusterVersionPatchHead {
    apiVersion: string;
    kind: string;
    metadata: { name: string; annotations: Record<string, string> };
}

/** Everything of the patch but its spec: known in a preview, before the release image is. */
export function clusterVersionPatchHead(): ClusterVersionPatchHead {
    return {
        apiVersion: CLUSTER_VERSION_API,
        kind: "ClusterVersion",
        metadata: {
            name: CLUSTER_VERSION_PATCH_METADATA.name,
            annotations: { ...CLUSTER_VERSION_PATCH_METADATA.annotations },
        },
    };
}

/**
 * The server-side-apply patch of ClusterVersion `version`; fields other than desiredUpdate stay the
 * cluster's. The release method and cluster.upgrade both write it.
 */
export function renderClusterVersionPatch(
    image: string,
    force: boolean,
    version = "",
): ClusterVersionPatchHead & { spec: { desiredUpdate: DesiredUpdate } } {
    return { ...clusterVersionPatchHead(), spec: { desiredUpdate: renderDesiredUpdate(image, force, version) } };
}
