// rhcos-forge: stack config → build host → RPM mirror → layered image → digest → rollout.
// This file only reads config (once, before any resource exists), wires components and exports
// the stack outputs other stacks read through StackReference; keep the output names stable.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildHost } from "./components/buildHost";
import { ClusterBaseImage } from "./components/clusterBaseImage";
import { parseStackConfig } from "./components/config";
import { LayeredImage } from "./components/layeredImage";
import { OsImageRollout } from "./components/osImageRollout";
import { RepoMirror } from "./components/repoMirror";

const cfg = parseStackConfig(pulumi.runtime.allConfig());
const secret = (value: string | undefined): pulumi.Output<string> | undefined =>
    value === undefined ? undefined : pulumi.secret(value);

const host = new BuildHost("build", {
    config: cfg.buildHost,
    sshPrivateKey: secret(cfg.sshPrivateKey),
    mirrorPort: cfg.mirror.port,
    buildAddress: cfg.mirror.buildAddress,
});

const repoMirror = new RepoMirror("mirror", {
    host: host.handle,
    config: cfg.mirror,
    passwords: pulumi.secret(cfg.mirrorPasswords),
});

// Reading the cluster needs a kubeconfig; writing can instead render YAML for GitOps.
const clusterReader = cfg.kubeconfig === undefined ? undefined : new k8s.Provider("cluster-reader", {
    kubeconfig: pulumi.secret(cfg.kubeconfig),
    context: cfg.cluster.context,
});
const clusterWriter = cfg.cluster.renderTo !== undefined
    ? new k8s.Provider("cluster-render", { renderYamlToDirectory: cfg.cluster.renderTo })
    : clusterReader;
// parseStackConfig guarantees a kubeconfig wherever the cluster is read or applied to.
const requireCluster = (provider: k8s.Provider | undefined): k8s.Provider => {
    if (provider === undefined) throw new Error("rhcos-forge:kubeconfig is required");
    return provider;
};

const base = cfg.image.base === "cluster"
    ? new ClusterBaseImage("base", { provider: requireCluster(clusterReader) }).ref
    : pulumi.output(cfg.image.base);

const layered = new LayeredImage("image", {
    host: host.handle,
    base,
    repository: cfg.image.repository,
    spec: cfg.image,
    repos: repoMirror.buildRepos,
    replaceRepo: cfg.mirror.packageSet.packages.length > 0 ? cfg.mirror.packageSet.id : undefined,
    mirrorRevision: repoMirror.revision,
    registryAuth: secret(cfg.registryAuth),
    buildArgs: cfg.image.buildArgs,
    tlsVerify: cfg.image.tlsVerify,
});

const rolled = new OsImageRollout("rollout", {
    provider: requireCluster(clusterWriter),
    imageRef: layered.ref,
    pools: cfg.rollout.pools,
});

export const image = { ref: layered.ref, digest: layered.digest, base: layered.base, packages: layered.packages };
export const containerfile = layered.containerfile;
export const mirror = { baseUrl: repoMirror.baseUrl, repos: repoMirror.repos, repoFile: repoMirror.repoFile };
export const buildHost = { address: host.address, provider: host.provider };
export const rollout = { method: rolled.method, pools: rolled.pools };
