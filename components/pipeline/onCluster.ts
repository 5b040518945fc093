// Stage: rollout.method machineosconfig, the MCO builds the image on the cluster from a
// MachineOSConfig per pool. No image is built here; a build host and mirror exist only for
// mirror content (the on-cluster build installs from the mirror).
import * as pulumi from "@pulumi/pulumi";
import { OnClusterStack } from "../config/checked";
import { needsBuildHost } from "../config/buildHost";
import { renderOnClusterContainerfile } from "../image/containerfile";
import { RepoMirror } from "../mirror/repoMirror";
import { OnClusterRepo, onClusterContentRevision } from "../openshift/onClusterContent";
import { OnClusterContentArgs, OsImageRollout } from "../rollout/osImageRollout";
import { contentHash } from "../shell";
import { buildHostStage } from "./buildHost";
import { PipelineContext } from "./context";
import { clusterEntitlement, repoMirrorStage } from "./mirror";
import { StageOutputs, buildHostOutputs, mirrorOutputs } from "./outputs";

export function onClusterStage(ctx: PipelineContext<OnClusterStack>): StageOutputs {
    const c = ctx.config;
    const containerfile = renderOnClusterContainerfile(c.image);
    const host = needsBuildHost(c) ? buildHostStage(ctx) : undefined;
    const repoMirror = host === undefined ? undefined : repoMirrorStage(ctx, host);
    const rolled = new OsImageRollout("rollout", {
        provider: ctx.clusterWriter,
        pools: c.rollout.pools,
        method: "machineosconfig",
        onCluster: {
            openshiftVersion: c.cluster.openshiftVersion,
            repository: c.image.repository,
            containerfile,
            arch: c.rollout.containerfileArch,
            registryAuth: pulumi.secret(c.registryAuth),
            content: repoMirror === undefined ? undefined : onClusterContent(ctx, repoMirror),
        },
        wait: ctx.wait,
    });
    // Without a wait (preview, GitOps render) no build has reported a digest yet: ref and digest
    // are then empty rather than the push tag, since consumers of image.ref may boot nodes from it.
    const ref = rolled.image.apply(i => i ?? "");
    return {
        image: {
            ref,
            digest: ref.apply(r => r.split("@")[1] ?? ""),
            base: c.kubeconfig === undefined ? pulumi.output("cluster") : ctx.clusterBase(c.kubeconfig),
        },
        containerfile: pulumi.output(containerfile),
        mirror: mirrorOutputs(repoMirror),
        buildHost: buildHostOutputs(host),
        rolled,
    };
}

/**
 * A repo's GPG public key, fetched from its gpgkey URL when the program runs: the on-cluster
 * build reads keys only from the etc-pki-rpm-gpg Secret (it may have no route to the key's host).
 */
export async function fetchGpgKey(id: string, url: string): Promise<string> {
    const where = `rhcos-forge:mirror.repos ${JSON.stringify(id)} gpgkey ${url}`;
    let text: string;
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        text = await res.text();
    } catch (err) {
        throw new Error(
            `${where}: could not fetch the key for the on-cluster build's etc-pki-rpm-gpg Secret ` +
                `(${(err as Error).message})`,
        );
    }
    if (!text.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
        throw new Error(`${where} is not an armored PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)`);
    return text;
}

/**
 * The on-cluster build's repos: the mirror's at the build host's address (the cluster reaches
 * it there, through the firewall rhcos-forge:cluster.egressCidrs opens), then the entitled
 * `fetch: build` repos at their upstream; each repo's GPG key fetched from its gpgkey URL.
 */
function onClusterContent(ctx: PipelineContext<OnClusterStack>, repoMirror: RepoMirror): OnClusterContentArgs {
    const c = ctx.config;
    const gpg = new Map(c.mirror.repos.map(r => [r.id, r]));
    const mirrored = [
        ...c.mirror.repos.filter(r => r.fetch !== "build").map(r => r.id),
        ...(c.mirror.packageSet.packages.length > 0 ? [c.mirror.packageSet.id] : []),
    ];
    const direct = c.mirror.repos.filter(r => r.fetch === "build");
    const keys = Promise.all(
        c.mirror.repos.flatMap(r =>
            r.gpgkey === undefined ? [] : [fetchGpgKey(r.id, r.gpgkey).then(key => [r.id, key] as const)],
        ),
    ).then((entries): Record<string, string> => Object.fromEntries(entries));
    const repos = pulumi.all([repoMirror.repos, keys]).apply(([urls, key]): OnClusterRepo[] => [
        // A package set is our own download: no signed upstream, no key (RepoMirror does the same).
        ...mirrored.map(id => ({ id, url: urls[id], gpgcheck: gpg.get(id)?.gpgcheck ?? false, gpgKey: key[id] })),
        ...direct.map(r => ({ id: r.id, url: r.baseurl, gpgcheck: r.gpgcheck, gpgKey: key[r.id], entitled: true })),
    ]);
    const entitled = direct.some(r => r.entitlement === "cluster");
    // What the mirror serves, from config (RepoMirror hashes the same keys for its re-syncs),
    // and the keys: known in a preview (see OnClusterContentArgs.revision).
    const mirrorContent = contentHash({
        repos: c.mirror.repos,
        packageSet: c.mirror.packageSet.packages.length > 0 ? c.mirror.packageSet : null,
        newestOnly: c.mirror.newestOnly,
    });
    const revision = keys.then(key =>
        onClusterContentRevision(mirrorContent, [
            ...mirrored.map(id => ({ id, gpgcheck: gpg.get(id)?.gpgcheck ?? false, gpgKey: key[id] })),
            ...direct.map(r => ({ id: r.id, gpgcheck: r.gpgcheck, gpgKey: key[r.id], entitled: true })),
        ]),
    );
    return {
        repos,
        gpgKeys: c.mirror.repos.some(r => r.gpgkey !== undefined),
        revision,
        mirrorReady: repoMirror.revision,
        entitlement: entitled ? clusterEntitlement(ctx) : undefined,
        // The mirror's basic auth (mirror.auth basic): the MCO mounts etc-yum-repos-d only as a
        // ConfigMap (buildrequestopts.go getOptionalConfigMap, release-4.19..4.22), so the
        // password is in the repo text there; the ConfigMap's data is a secret in the state.
        credentials: repoMirror.credentials,
    };
}
