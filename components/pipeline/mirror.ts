// Stage: the RPM mirror (RepoMirror) on the build host, and the cluster's entitlement
// certificate it may authenticate upstreams with.
import * as pulumi from "@pulumi/pulumi";
import { readsClusterEntitlement } from "../config/checked";
import { BuildHost } from "../host/buildHost";
import { readClusterEntitlement } from "../mirror/clusterEntitlement";
import { ClientCertificate } from "../mirror/repoFiles";
import { RepoMirror } from "../mirror/repoMirror";
import { PipelineContext, clusterReader, secretOf } from "./context";

export function repoMirrorStage(ctx: PipelineContext, host: BuildHost): RepoMirror {
    const c = ctx.config;
    const certified = Object.entries(c.mirrorClientCerts)
        .filter(([, v]) => v.sslclientcert !== undefined && v.sslclientkey !== undefined)
        .map(([id]) => id);
    return new RepoMirror("mirror", {
        host: host.handle,
        config: { ...c.mirror, bind: mirrorBind(ctx) },
        passwords: pulumi.secret(c.mirrorPasswords),
        clientCerts: pulumi.secret(c.mirrorClientCerts),
        clientCertIds: certified,
        entitlement: clusterEntitlement(ctx),
        password: secretOf(c.mirrorPassword),
        refresh: c.mirror.refresh,
    });
}

/**
 * Where the mirror listens. Builds on the host reach it at the host's build address (a
 * droplet's private IPv4 by default); an on-cluster build reaches it from the cluster, at the
 * droplet's public address, so there it listens on every interface unless mirror.bind says
 * otherwise (the firewall opens its port to allowedCidrs and cluster.egressCidrs only).
 */
function mirrorBind(ctx: PipelineContext): string | undefined {
    const c = ctx.config;
    if (
        c.mirror.bind !== undefined ||
        c.rollout.method !== "machineosconfig" ||
        c.buildHost.provider !== "digitalocean"
    )
        return c.mirror.bind;
    return "0.0.0.0";
}

/**
 * mirror.repos[].entitlement cluster: the cluster's entitlement certificate, read through the
 * kubeconfig when the program runs (never a resource in the state), as a secret.
 */
export function clusterEntitlement(ctx: PipelineContext): pulumi.Output<ClientCertificate> | undefined {
    const c = ctx.config;
    if (!readsClusterEntitlement(c)) return undefined;
    const reader = clusterReader(ctx, c.kubeconfig, "mirror.repos[].entitlement cluster");
    return pulumi.secret(pulumi.output(readClusterEntitlement(reader)));
}
