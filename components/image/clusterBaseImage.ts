// ClusterBaseImage: the base RHCOS image the cluster itself runs, read from the MCO's ConfigMap
// `machine-config-osimageurl` (key `baseOSContainerImage`). Building FROM it keeps the layered
// image on the cluster's RHCOS, and a cluster upgrade changes it, which rebuilds the image: pools
// with an osImageURL override do not get OS updates from the upgrade itself.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DIGEST_REF } from "../openshift/pullspec";

export const OSIMAGEURL_CONFIGMAP = "openshift-machine-config-operator/machine-config-osimageurl";
export const BASE_IMAGE_KEY = "baseOSContainerImage";

export interface ClusterBaseImageArgs {
    /** The cluster to read from. */
    readonly provider: k8s.Provider;
}

export function baseFromConfigMap(data: Record<string, string> | undefined): string {
    const value = data?.[BASE_IMAGE_KEY];
    if (value === undefined) throw new Error(`ConfigMap ${OSIMAGEURL_CONFIGMAP} has no ${BASE_IMAGE_KEY}`);
    if (!DIGEST_REF.test(value))
        throw new Error(`${OSIMAGEURL_CONFIGMAP} ${BASE_IMAGE_KEY} is not pinned by digest: ${value}`);
    return value;
}

export class ClusterBaseImage extends pulumi.ComponentResource {
    /** The cluster's base RHCOS image, `repo@sha256:…`. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ClusterBaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:ClusterBaseImage", name, {}, opts);
        const cm = k8s.core.v1.ConfigMap.get(`${name}-osimageurl`, OSIMAGEURL_CONFIGMAP, {
            parent: this,
            provider: args.provider,
        });
        this.ref = cm.data.apply(baseFromConfigMap);
        this.registerOutputs({ ref: this.ref });
    }
}
