// Pure rendering of the content an on-cluster build (MachineOSConfig) installs from: the
// `etc-yum-repos-d` ConfigMap pointing at the mirror, the `etc-pki-rpm-gpg` Secret with the repos'
// GPG keys, the entitlement Secret on releases whose MCO does not copy it, and the content
// revision that becomes the MachineOSConfig's rebuild annotation. No Pulumi types. Which names,
// kinds and mount points each release uses, with the upstream files, is in releases.ts
// (RELEASES[v].onCluster).
import { createHash } from "node:crypto";
import type { MirrorCredentials } from "../mirror/mirrorAuth";
import { MirrorRepo, renderRepoFile } from "../mirror/repoFiles";
import { MCO_NAMESPACE, managedLabels } from "./names";
import { RELEASES } from "./releases";
import type { OpenShiftVersion } from "./versions";

/** The ConfigMap the build controller mounts over the build's /etc/yum.repos.d (every release). */
export const YUM_REPOS_CONFIGMAP = "etc-yum-repos-d";
/** The Secret the build controller mounts over the build's /etc/pki/rpm-gpg (every release). */
export const RPM_GPG_SECRET = "etc-pki-rpm-gpg";
/** The key of the ConfigMap: the file name under /etc/yum.repos.d in the build. */
export const ON_CLUSTER_REPO_FILE = "rhcos-forge-mirror.repo";
/** Where the build sees the ConfigMap and the Secrets (envvolumemount.go / image_build_request.go). */
export const BUILD_GPG_DIR = "/etc/pki/rpm-gpg";
export const BUILD_ENTITLEMENT_DIR = "/etc/pki/entitlement";
/** The keys of openshift-config-managed/etc-pki-entitlement, which the MCO copies verbatim. */
export const ENTITLEMENT_FILES = { cert: "entitlement.pem", key: "entitlement-key.pem" } as const;

/** A core object (ConfigMap, Secret): no spec, data instead. */
export interface CoreObject {
    apiVersion: "v1";
    kind: "ConfigMap" | "Secret";
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    type?: string;
    data?: Record<string, string>;
    stringData?: Record<string, string>;
}

/** One repo an on-cluster build installs from. */
export interface OnClusterRepo {
    readonly id: string;
    /** The mirror's URL of the repo as the cluster reaches it, or (entitled) the upstream. */
    readonly url: string;
    readonly gpgcheck: boolean;
    /** The repo's armored GPG public key; it goes into etc-pki-rpm-gpg. */
    readonly gpgKey?: string;
    /**
     * Reached at its upstream with the cluster's entitlement, which the build finds under
     * /etc/pki/entitlement (the MCO's copy from 4.18, rhcos-forge's on 4.16/4.17).
     */
    readonly entitled?: boolean;
}

/** HTTP basic-auth of the mirror; secrets (its one shape is in mirror/mirrorAuth.ts). */
export type { MirrorCredentials };

/** The file name of a repo's key under /etc/pki/rpm-gpg (a valid Secret data key). */
export function gpgKeyFileName(id: string): string {
    return `RPM-GPG-KEY-rhcos-forge-${id}`;
}

function asMirrorRepo(r: OnClusterRepo): MirrorRepo {
    return {
        id: r.id,
        url: r.url,
        gpgcheck: r.gpgcheck,
        gpgkey: r.gpgKey === undefined ? undefined : `file://${BUILD_GPG_DIR}/${gpgKeyFileName(r.id)}`,
        ...(r.entitled
            ? {
                  tls: {
                      sslclientcert: `${BUILD_ENTITLEMENT_DIR}/${ENTITLEMENT_FILES.cert}`,
                      sslclientkey: `${BUILD_ENTITLEMENT_DIR}/${ENTITLEMENT_FILES.key}`,
                  },
                  // No build secret: the MCO mounts the entitlement; an empty list marks it an upstream.
                  mounts: [],
                  entitled: true,
              }
            : {}),
    };
}

/**
 * The .repo text of the build. The ConfigMap replaces the whole /etc/yum.repos.d of the build,
 * so it lists every repo the build installs from. Credentials (mirror basic-auth) go only into
 * the mirror's sections, never into an upstream's.
 */
export function renderOnClusterRepoFile(repos: readonly OnClusterRepo[], credentials?: MirrorCredentials): string {
    return repos
        .map(r => {
            const text = renderRepoFile([asMirrorRepo(r)]);
            return credentials === undefined || r.entitled
                ? text
                : `${text}username=${credentials.username}\npassword=${credentials.password}\n`;
        })
        .join("\n");
}

export function renderYumReposConfigMap(repos: readonly OnClusterRepo[], credentials?: MirrorCredentials): CoreObject {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: YUM_REPOS_CONFIGMAP, namespace: MCO_NAMESPACE, labels: managedLabels() },
        data: { [ON_CLUSTER_REPO_FILE]: renderOnClusterRepoFile(repos, credentials) },
    };
}

/** The repos' keys, one file each; undefined when no repo has one (the MCO then mounts nothing). */
export function renderRpmGpgSecret(repos: readonly OnClusterRepo[]): CoreObject | undefined {
    const keyed = repos.filter(r => r.gpgKey !== undefined);
    if (keyed.length === 0) return undefined;
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: RPM_GPG_SECRET, namespace: MCO_NAMESPACE, labels: managedLabels() },
        type: "Opaque",
        stringData: Object.fromEntries(keyed.map(r => [gpgKeyFileName(r.id), r.gpgKey as string])),
    };
}

/**
 * The entitlement Secret the build of `pool` mounts, for releases whose MCO does not copy it
 * from openshift-config-managed itself (4.16, 4.17); undefined where it does.
 */
export function renderEntitlementSecret(
    version: OpenShiftVersion,
    pool: string,
    cert: { readonly sslclientcert: string; readonly sslclientkey: string },
): CoreObject | undefined {
    const facts = RELEASES[version].onCluster;
    if (facts.mcoClonesEntitlement) return undefined;
    const name = facts.entitlementSecret.perPool
        ? `${facts.entitlementSecret.name}-${pool}`
        : facts.entitlementSecret.name;
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: MCO_NAMESPACE, labels: managedLabels() },
        type: "Opaque",
        stringData: { [ENTITLEMENT_FILES.cert]: cert.sslclientcert, [ENTITLEMENT_FILES.key]: cert.sslclientkey },
    };
}

/**
 * What decides the on-cluster build's content besides the MachineOSConfig's own spec: the
 * mirror's content revision and the repos and keys the build reads. Left out: credentials (a new
 * password changes what the build authenticates with, not what it installs) and the mirror's
 * address (a new build host serves the same content). Both also keep the revision computable from
 * config alone, known in a preview: a value that waits for another resource is unknown there.
 */
export function onClusterContentRevision(mirrorRevision: string, repos: readonly Omit<OnClusterRepo, "url">[]): string {
    const canonical = JSON.stringify({
        mirrorRevision,
        repos: repos.map(r => ({ id: r.id, gpgcheck: r.gpgcheck, entitled: r.entitled === true })),
        keys: renderRpmGpgSecret(repos.map(r => ({ ...r, url: "" })))?.stringData ?? {},
    });
    return createHash("sha256").update(canonical).digest("hex");
}

/**
 * The MachineOSConfig annotations that make the MCO rebuild when `revision` changes: the rebuild
 * annotation with the revision as its value. The MCO acts when the annotation appears and
 * deletes it after the build succeeded, so the next changed value (a patch that adds it again)
 * starts the next build. Empty on releases without the annotation (4.16, 4.17).
 */
export function rebuildAnnotations(version: OpenShiftVersion, revision: string): Record<string, string> {
    const key = RELEASES[version].onCluster.rebuildAnnotation;
    return key === undefined ? {} : { [key]: revision };
}
