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
// The MCO owns /etc/containers/policy.json (it renders it for every pool from
// images.config.openshift.io: allowed/blocked registries, the release image's own scope, every
// ClusterImagePolicy), and a MachineConfig file replaces the whole file: so the ClusterImagePolicy
// is the default, and the MachineConfig at the end of this file only a fallback for clusters
// without the API, built so that it never overrides what the MCO renders.
import { createHash } from "crypto";
import { MACHINE_CONFIG_KIND, MCO_API, ROLE_LABEL, managedLabels } from "./names";

export type ClusterImagePolicyApi = "config.openshift.io/v1" | "config.openshift.io/v1alpha1";

/** The ClusterImagePolicy API a release serves: v1 from 4.20, v1alpha1 (Tech Preview) before. */
export function clusterImagePolicyApi(openshiftVersion: string): ClusterImagePolicyApi {
    const m = /^4\.([0-9]+)$/.exec(openshiftVersion);
    if (m === null) throw new Error(`not an OpenShift 4 minor version: ${JSON.stringify(openshiftVersion)}`);
    return Number(m[1]) >= 20 ? "config.openshift.io/v1" : "config.openshift.io/v1alpha1";
}

// The CEL rules on spec.scopes items (openshift/api config/v1 ClusterImagePolicySpec.Scopes, the
// same in v1alpha1): a fully qualified host (a dot) or localhost, then lower-case path components.
const SCOPE_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const SCOPE_HOST = new RegExp(
    String.raw`^(${SCOPE_LABEL}(?:\.${SCOPE_LABEL})+(?::[0-9]+)?|localhost(?::[0-9]+)?)(?=\/|$)`,
);
const SCOPE_PATH = /^(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/;

/** Why `repository` cannot be a ClusterImagePolicy scope, or undefined when it can. */
export function checkPolicyScope(repository: string): string | undefined {
    const host = SCOPE_HOST.exec(repository);
    if (host === null || !SCOPE_PATH.test(repository.slice(host[0].length))) {
        return (
            `${repository} cannot be a ClusterImagePolicy scope: the API server requires a registry host with a ` +
            `dot or localhost, then lower-case path components`
        );
    }
    if (repository.length > 512)
        return `${repository} is longer than the 512 characters a ClusterImagePolicy scope allows`;
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
export function renderClusterImagePolicy(
    openshiftVersion: string,
    repository: string,
    publicKey: string,
): ClusterImagePolicyObject {
    const problem = checkPolicyScope(repository);
    if (problem !== undefined) throw new Error(problem);
    if (!publicKey.startsWith("-----BEGIN PUBLIC KEY-----"))
        throw new Error("the signing public key must be an SPKI PEM (-----BEGIN PUBLIC KEY-----)");
    return {
        apiVersion: clusterImagePolicyApi(openshiftVersion),
        kind: "ClusterImagePolicy",
        metadata: { name: clusterImagePolicyName(repository), labels: managedLabels() },
        spec: {
            scopes: [repository],
            policy: {
                rootOfTrust: {
                    policyType: "PublicKey",
                    publicKey: { keyData: Buffer.from(publicKey, "utf8").toString("base64") },
                },
                signedIdentity: { matchPolicy: "MatchRepoDigestOrExact" },
            },
        },
    };
}

// ---------------------------------------------------------------- without the API: a MachineConfig
// image.signing.machineConfigPolicy, for a cluster that does not serve ClusterImagePolicy (4.16–
// 4.19 without TechPreviewNoUpgrade). It writes the two files the MCO would render from one:
// - /etc/containers/policy.json: the MCO's own default (templates/<role>/01-<role>-container-runtime/
//   _base/files/policy.yaml, release-4.16 … 4.19: insecureAcceptAnything by default, docker-daemon
//   accepted) plus a sigstoreSigned requirement for the repository only; every other registry keeps
//   the default. policy.json has no drop-in directory, so the file is whole; the name below sorts
//   before the MCO's `99-<pool>-generated-registries` (container_runtime_config_controller.go,
//   registriesConfigIgnition: written only when the cluster's image config blocks or allows
//   registries or a ClusterImagePolicy exists), so on such a cluster the MCO's file wins and the
//   cluster-wide settings are never replaced (nodes then do not verify this repository: use a
//   ClusterImagePolicy there).
// - a registries.d drop-in of its own for the repository (use-sigstore-attachments), beside the
//   MCO's sigstore-registries.yaml rather than replacing it.

/** Sorts after the MCO's 00-/01- configs, before `99-<pool>-generated-registries` and our os-image one. */
export function imagePolicyMachineConfigName(pool: string): string {
    return `98-${pool}-rhcos-forge-image-policy`;
}

/** The registries.d drop-in's path: one file per repository, never the MCO's own file. */
export function registriesDropInPath(repository: string): string {
    return `/etc/containers/registries.d/${clusterImagePolicyName(repository)}.yaml`;
}

export interface ImagePolicyMachineConfig {
    apiVersion: typeof MCO_API;
    kind: typeof MACHINE_CONFIG_KIND;
    metadata: { name: string; labels: Record<string, string> };
    spec: {
        config: {
            ignition: { version: string };
            storage: { files: { path: string; mode: number; overwrite: boolean; contents: { source: string } }[] };
        };
    };
}

const dataUrl = (text: string): string =>
    `data:text/plain;charset=utf-8;base64,${Buffer.from(text, "utf8").toString("base64")}`;

/**
 * The pool's MachineConfig carrying `files` (sigstore/signing.ts renderNodePolicy: the same files the
 * host tests verify with). Ignition 3.2.0: the MCO of 4.16 and later parses 3.1–3.4 and converts
 * (pkg/controller/common/helpers.go ParseAndConvertConfig).
 */
export function renderImagePolicyMachineConfig(
    pool: string,
    repository: string,
    files: { policyJson: string; registriesD: string },
): ImagePolicyMachineConfig {
    return {
        apiVersion: MCO_API,
        kind: MACHINE_CONFIG_KIND,
        metadata: {
            name: imagePolicyMachineConfigName(pool),
            labels: { [ROLE_LABEL]: pool, ...managedLabels() },
        },
        spec: {
            config: {
                ignition: { version: "3.2.0" },
                storage: {
                    files: [
                        {
                            path: "/etc/containers/policy.json",
                            mode: 0o644,
                            overwrite: true,
                            contents: { source: dataUrl(files.policyJson) },
                        },
                        {
                            path: registriesDropInPath(repository),
                            mode: 0o644,
                            overwrite: true,
                            contents: { source: dataUrl(files.registriesD) },
                        },
                    ],
                },
            },
        },
    };
}
