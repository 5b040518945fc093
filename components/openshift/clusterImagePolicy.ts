// ClusterImagePolicy: the object that makes every node verify the signatures of images from a
// scope (config.openshift.io; openshift/api config/v1/types_cluster_image_policy.go). The MCO's
// container-runtime-config controller renders it into each node's /etc/containers/policy.json (a
// `sigstoreSigned` requirement for the scope, merged into the policy the MCO renders from the
// cluster's image config) and /etc/containers/registries.d/sigstore-registries.yaml
// (use-sigstore-attachments for the scope): machine-config-operator
// pkg/controller/container-runtime-config/container_runtime_config_controller.go and helpers.go
// (updatePolicyJSON, policyItemFromSpec, generateSigstoreRegistriesdConfig).
//
// API per release (CRDs in /work/shared/crds): v1alpha1 in 4.16–4.19, served only with the
// TechPreviewNoUpgrade feature set; v1 (Default feature set) from 4.20.
//
// rhcos-forge never writes /etc/containers/policy.json with a MachineConfig instead: the MCO owns
// that file (it renders it for every pool from images.config.openshift.io: allowed/blocked
// registries, the release image's own scope, every ClusterImagePolicy), and a MachineConfig file
// replaces the whole file, dropping all of that.
import { createHash } from "crypto";

export type ClusterImagePolicyApi = "config.openshift.io/v1" | "config.openshift.io/v1alpha1";

/** The ClusterImagePolicy API a release serves: v1 from 4.20, v1alpha1 (Tech Preview) before. */
export function clusterImagePolicyApi(openshiftVersion: string): ClusterImagePolicyApi {
    const m = /^4\.([0-9]+)$/.exec(openshiftVersion);
    if (m === null) throw new Error(`not an OpenShift 4 minor version: ${JSON.stringify(openshiftVersion)}`);
    return Number(m[1]) >= 20 ? "config.openshift.io/v1" : "config.openshift.io/v1alpha1";
}

// The CEL rules on spec.scopes items (openshift/api config/v1 ClusterImagePolicySpec.Scopes, the
// same in v1alpha1): a fully qualified host (a dot) or localhost, then lower-case path components.
const SCOPE_HOST = /^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+(?::[0-9]+)?|localhost(?::[0-9]+)?)(?=\/|$)/;
const SCOPE_PATH = /^(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/;

/** Why `repository` cannot be a ClusterImagePolicy scope, or undefined when it can. */
export function checkPolicyScope(repository: string): string | undefined {
    const host = SCOPE_HOST.exec(repository);
    if (host === null || !SCOPE_PATH.test(repository.slice(host[0].length))) {
        return `${repository} cannot be a ClusterImagePolicy scope: the API server requires a registry host with a dot or localhost, then lower-case path components`;
    }
    if (repository.length > 512) return `${repository} is longer than the 512 characters a ClusterImagePolicy scope allows`;
    return undefined;
}

export interface ClusterImagePolicyObject {
    apiVersion: ClusterImagePolicyApi;
    kind: "ClusterImagePolicy";
    metadata: { name: string; labels: Record<string, string> };
    spec: {
        scopes: string[];
        policy: {
            rootOfTrust: { policyType: "PublicKey"; publicKey: { keyData: string } };
            signedIdentity: { matchPolicy: "MatchRepoDigestOrExact" };
        };
    };
}

/** One policy per repository: a stable name, so two image stacks on one cluster do not collide. */
export function clusterImagePolicyName(repository: string): string {
    return `rhcos-forge-${createHash("sha256").update(repository).digest("hex").slice(0, 12)}`;
}

/**
 * Nodes accept images of `repository` only with a sigstore signature by `publicKey` (SPKI PEM) whose
 * identity is in that repository (MatchRepoDigestOrExact: images are pulled by digest).
 */
export function renderClusterImagePolicy(openshiftVersion: string, repository: string, publicKey: string): ClusterImagePolicyObject {
    const problem = checkPolicyScope(repository);
    if (problem !== undefined) throw new Error(problem);
    if (!publicKey.startsWith("-----BEGIN PUBLIC KEY-----")) throw new Error("the signing public key must be an SPKI PEM (-----BEGIN PUBLIC KEY-----)");
    return {
        apiVersion: clusterImagePolicyApi(openshiftVersion),
        kind: "ClusterImagePolicy",
        metadata: { name: clusterImagePolicyName(repository), labels: { "app.kubernetes.io/managed-by": "rhcos-forge" } },
        spec: {
            scopes: [repository],
            policy: {
                rootOfTrust: { policyType: "PublicKey", publicKey: { keyData: Buffer.from(publicKey, "utf8").toString("base64") } },
                signedIdentity: { matchPolicy: "MatchRepoDigestOrExact" },
            },
        },
    };
}
