// ImageTrustPolicy: the cluster's nodes verify the signatures of images from the image's
// repository (a ClusterImagePolicy; see openshift/clusterImagePolicy.ts for what the MCO renders
// from it), declared before the MachineConfigs that point nodes at a signed image.
//
// What enforces it on a node: the MCD rebases with `rpm-ostree rebase
// ostree-unverified-registry:<osImageURL>` (machine-config-operator pkg/daemon/rpm-ostree.go,
// RebaseLayered). "unverified" is ostree-rs-ext's SignatureSource::ContainerPolicyAllowInsecure:
// the only difference from `ostree-image-signed:` (ContainerPolicy) is that the latter refuses a
// policy.json whose *default* is insecureAcceptAnything (ostree-rs-ext
// lib/src/container/store.rs, "refusing usage"). Both fetch through skopeo's
// experimental-image-proxy, whose OpenImage evaluates /etc/containers/policy.json for the image
// (skopeo cmd/skopeo/proxy.go, IsRunningImageAllowed), so the sigstoreSigned requirement the
// ClusterImagePolicy puts on this repository's scope is enforced on the rebase, while the RHCOS
// default (insecureAcceptAnything) still applies to everything else.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { renderClusterImagePolicy, renderImagePolicyMachineConfig } from "../openshift/clusterImagePolicy";
import { renderNodePolicy } from "../sigstore/signing";

export interface ImageTrustPolicyArgs {
    readonly provider: k8s.Provider;
    /** Selects the API: v1 from 4.20, v1alpha1 (TechPreviewNoUpgrade) before. */
    readonly openshiftVersion: string;
    /** The image repository nodes verify (the scope). */
    readonly repository: string;
    /** SPKI PEM public key images must be signed by. */
    readonly publicKey: pulumi.Input<string>;
    /**
     * image.signing.machineConfigPolicy: these pools get a MachineConfig writing the policy files
     * instead of a ClusterImagePolicy (clusters without the API).
     */
    readonly machineConfigPools?: readonly string[];
}

export class ImageTrustPolicy extends pulumi.ComponentResource {
    /** The ClusterImagePolicy's name (or the MachineConfigs' names, comma-separated). */
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: ImageTrustPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:rollout:ImageTrustPolicy", name, {}, opts);
        if (args.machineConfigPools !== undefined) {
            const files = pulumi.output(args.publicKey).apply(key => renderNodePolicy(args.repository, key));
            const mcs = args.machineConfigPools.map(pool => {
                const { apiVersion, kind, metadata } = renderImagePolicyMachineConfig(pool, args.repository, {
                    policyJson: "",
                    registriesD: "",
                });
                return new k8s.apiextensions.CustomResource(
                    `${name}-${pool}-machineconfig`,
                    {
                        apiVersion,
                        kind,
                        metadata,
                        spec: files.apply(f => renderImagePolicyMachineConfig(pool, args.repository, f).spec),
                    },
                    { parent: this, provider: args.provider },
                );
            });
            this.name = pulumi.all(mcs.map(mc => mc.metadata.name)).apply(names => names.join(","));
            this.registerOutputs({ name: this.name });
            return;
        }
        // Name, kind and API are known in preview (a key change updates, never replaces, the policy).
        const shape = renderClusterImagePolicy(args.openshiftVersion, args.repository, "-----BEGIN PUBLIC KEY-----");
        const spec = pulumi
            .output(args.publicKey)
            .apply(key => renderClusterImagePolicy(args.openshiftVersion, args.repository, key).spec);
        const policy = new k8s.apiextensions.CustomResource(
            `${name}-clusterimagepolicy`,
            {
                apiVersion: shape.apiVersion,
                kind: shape.kind,
                metadata: shape.metadata,
                spec,
            },
            { parent: this, provider: args.provider },
        );
        this.name = policy.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
