// rhcos-forge: stack config → build host → RPM mirror → layered image → digest → rollout.
// This file only reads config (once, before any resource exists), wires components and exports
// the stack outputs other stacks read through StackReference; keep the output names stable.
//
// With rollout.method machineosconfig the MCO builds on the cluster: no build host, mirror or
// image build exist, and the outputs keep their shape (image.ref is the digest the last pool's
// build reported, empty until one has; mirror and buildHost are empty, provider "cluster").
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildHost } from "./components/host/buildHost";
import { ClusterBaseImage } from "./components/image/clusterBaseImage";
import { StackConfig } from "./components/config/schema";
import { parseStackConfig } from "./components/config/parse";
import { renderOnClusterContainerfile } from "./components/image/containerfile";
import { CosaBuild } from "./components/image/cosaBuild";
import { PublishedArtifact } from "./components/image/cosaInputs";
import { HostHandle } from "./components/host/step";
import { LayeredImage, PackageDiff } from "./components/image/layeredImage";
import { OsImageRollout, RolloutWaitArgs } from "./components/rollout/osImageRollout";
import { gateImageRef } from "./components/image/baseGate";
import { ReleaseImage } from "./components/release/releaseImage";
import { ManifestObject } from "./components/release/payload";
import { ReleaseRollout } from "./components/rollout/releaseRollout";
import { RepoMirror } from "./components/mirror/repoMirror";

const cfg = parseStackConfig(pulumi.runtime.allConfig());
const secret = (value: string | undefined): pulumi.Output<string> | undefined =>
    value === undefined ? undefined : pulumi.secret(value);

// Reading the cluster needs a kubeconfig; writing can instead render YAML for GitOps.
const clusterReader = cfg.kubeconfig === undefined ? undefined : new k8s.Provider("cluster-reader", {
    kubeconfig: pulumi.secret(cfg.kubeconfig),
    context: cfg.cluster.context,
});
const clusterWriter = cfg.cluster.renderTo !== undefined
    ? new k8s.Provider("cluster-render", { renderYamlToDirectory: cfg.cluster.renderTo })
    : clusterReader;
// parseStackConfig guarantees a kubeconfig wherever the cluster is read or applied to.
const required = <T>(value: T | undefined, key: string): T => {
    if (value === undefined) throw new Error(`${key} is required`);
    return value;
};
const requireCluster = (provider: k8s.Provider | undefined): k8s.Provider => required(provider, "rhcos-forge:kubeconfig");

// The cluster's own RHCOS: the build's base with image.base "cluster", and the release gate's
// reference otherwise. Without a kubeconfig (GitOps render only) there is nothing to read.
const clusterBase = clusterReader === undefined ? undefined : new ClusterBaseImage("base", { provider: clusterReader }).ref;

// Pools roll one after another, each waiting for the previous one to finish updating; there is
// nothing to wait for when manifests are only rendered.
const wait: RolloutWaitArgs | undefined = cfg.cluster.renderTo === undefined && cfg.kubeconfig !== undefined
    ? { kubeconfig: pulumi.secret(cfg.kubeconfig), context: cfg.cluster.context, timeoutMinutes: cfg.rollout.timeoutMinutes }
    : undefined;

interface Outputs {
    image: { ref: pulumi.Output<string>; digest: pulumi.Output<string>; base: pulumi.Output<string>; packages?: pulumi.Output<PackageDiff> };
    containerfile: pulumi.Output<string>;
    mirror: { baseUrl: pulumi.Output<string>; repos: pulumi.Output<Record<string, string>>; repoFile: pulumi.Output<string> };
    buildHost: { address: pulumi.Output<string>; provider: string };
    rolled: Rolled;
    release?: { ref: pulumi.Output<string>; digest: pulumi.Output<string>; version: pulumi.Output<string> };
    cosa?: { buildId: pulumi.Output<string>; configCommit: pulumi.Output<string>; artifacts: pulumi.Output<PublishedArtifact[]> };
}

type Rolled = Pick<OsImageRollout, "method" | "pools">;

/**
 * The custom release (rhcos-forge:release) carrying `osImage`, and the rollout: a ClusterVersion
 * update to that release (rollout.method release) or MachineConfigs pointing at `imageRef`.
 */
function rollOut(c: StackConfig, host: HostHandle, osImage: pulumi.Output<string>, imageRef: pulumi.Output<string>): Pick<Outputs, "rolled" | "release"> {
    const rel = c.release === undefined ? undefined : new ReleaseImage("release", {
        host,
        from: c.release.from,
        repository: c.release.repository,
        name: c.release.name,
        osImage,
        osComponent: c.release.osComponent,
        overrides: c.release.overrides,
        manifests: c.release.manifests as ManifestObject[],
        registryAuth: secret(c.registryAuth),
        tlsVerify: c.release.tlsVerify,
    });
    const release = rel === undefined ? undefined : { ref: rel.ref, digest: rel.digest, version: rel.version };
    if (c.rollout.method === "release") {
        // parseStackConfig requires rhcos-forge:release for this method.
        const upgrade = new ReleaseRollout("rollout", {
            provider: requireCluster(clusterWriter),
            releaseImage: required(rel, "rhcos-forge:release").ref,
            force: c.rollout.force,
            wait,
        });
        return { rolled: { method: upgrade.method, pools: pulumi.output([]) }, release };
    }
    const rolled = new OsImageRollout("rollout", { provider: requireCluster(clusterWriter), imageRef, pools: c.rollout.pools, wait });
    return { rolled, release };
}

/** image.builder cosa: a full OS build with coreos-assembler instead of a layered image. */
function withCosa(c: StackConfig, host: BuildHost, repoMirror: RepoMirror): Outputs {
    const cosaCfg = required(c.image.cosa, "rhcos-forge:image.cosa");
    const built = new CosaBuild("image", {
        host: host.handle,
        container: cosaCfg.container,
        config: { url: cosaCfg.config, branch: cosaCfg.branch, commit: cosaCfg.commit, variant: cosaCfg.variant },
        repository: c.image.repository,
        repos: repoMirror.buildRepos,
        mirrorRevision: repoMirror.revision,
        artifacts: cosaCfg.artifacts,
        mirrorDir: `${c.buildHost.workDir}/mirror`,
        mirrorBaseUrl: repoMirror.baseUrl,
        registryAuth: secret(c.registryAuth),
    });
    return {
        image: { ref: built.ref, digest: built.digest, base: pulumi.output("") },
        containerfile: pulumi.output(""),
        mirror: { baseUrl: repoMirror.baseUrl, repos: repoMirror.repos, repoFile: repoMirror.repoFile },
        buildHost: { address: host.address, provider: host.provider },
        ...rollOut(c, host.handle, built.ref, built.ref),
        cosa: { buildId: built.buildId, configCommit: built.configCommit, artifacts: built.artifacts },
    };
}

function outOfCluster(c: StackConfig): Outputs {
    const host = new BuildHost("build", {
        config: c.buildHost,
        sshPrivateKey: secret(c.sshPrivateKey),
        mirrorPort: c.mirror.port,
        buildAddress: c.mirror.buildAddress,
    });
    const repoMirror = new RepoMirror("mirror", {
        host: host.handle,
        config: c.mirror,
        passwords: pulumi.secret(c.mirrorPasswords),
    });
    if (c.image.builder === "cosa") return withCosa(c, host, repoMirror);
    // parseStackConfig guarantees a kubeconfig, hence clusterBase, for image.base "cluster".
    const base = c.image.base === "cluster" ? required(clusterBase, "rhcos-forge:kubeconfig") : pulumi.output(c.image.base);
    const layered = new LayeredImage("image", {
        host: host.handle,
        base,
        repository: c.image.repository,
        spec: c.image,
        repos: repoMirror.buildRepos,
        replaceRepo: c.mirror.packageSet.packages.length > 0 ? c.mirror.packageSet.id : undefined,
        mirrorRevision: repoMirror.revision,
        registryAuth: secret(c.registryAuth),
        buildArgs: c.image.buildArgs,
        tlsVerify: c.image.tlsVerify,
    });
    // Release gate: the MachineConfig never points at an image built on another RHCOS than the
    // cluster's (known in preview too: the base is config or a read, so preview fails early).
    const imageRef = clusterBase === undefined ? layered.ref
        : pulumi.all([layered.ref, layered.base, clusterBase]).apply(([ref, imageBase, current]) =>
            gateImageRef(ref, { imageBase, clusterBase: current, allowMismatch: c.image.allowBaseMismatch }, m => pulumi.log.warn(m)));
    return {
        image: { ref: layered.ref, digest: layered.digest, base: layered.base, packages: layered.packages },
        containerfile: layered.containerfile,
        mirror: { baseUrl: repoMirror.baseUrl, repos: repoMirror.repos, repoFile: repoMirror.repoFile },
        buildHost: { address: host.address, provider: host.provider },
        // A release carries the built image as its OS whatever its base; the gate guards MachineConfigs.
        ...rollOut(c, host.handle, layered.ref, imageRef),
    };
}

function onCluster(c: StackConfig): Outputs {
    const containerfile = renderOnClusterContainerfile(c.image);
    const rolled = new OsImageRollout("rollout", {
        provider: requireCluster(clusterWriter),
        pools: c.rollout.pools,
        method: "machineosconfig",
        onCluster: {
            openshiftVersion: c.cluster.openshiftVersion,
            repository: c.image.repository,
            containerfile,
            arch: c.rollout.containerfileArch,
            // parseStackConfig requires registryAuth for this method.
            registryAuth: pulumi.secret(required(c.registryAuth, "rhcos-forge:registryAuth")),
        },
        wait,
    });
    // Without a wait (preview, GitOps render) no build has reported a digest yet: ref and digest
    // are then empty rather than the push tag, since consumers of image.ref may boot nodes from it.
    const ref = rolled.image.apply(i => i ?? "");
    return {
        image: { ref, digest: ref.apply(r => r.split("@")[1] ?? ""), base: clusterBase ?? pulumi.output("cluster") },
        containerfile: pulumi.output(containerfile),
        mirror: { baseUrl: pulumi.output(""), repos: pulumi.output<Record<string, string>>({}), repoFile: pulumi.output("") },
        buildHost: { address: pulumi.output(""), provider: "cluster" },
        rolled,
    };
}

const out = cfg.rollout.method === "machineosconfig" ? onCluster(cfg) : outOfCluster(cfg);

export const image = out.image;
export const containerfile = out.containerfile;
export const mirror = out.mirror;
export const buildHost = out.buildHost;
export const rollout = { method: out.rolled.method, pools: out.rolled.pools };
// Only with rhcos-forge:release / image.builder cosa (undefined outputs are not exported).
export const release = out.release;
export const cosa = out.cosa;
