// The pipeline: stack config → build host → RPM mirror → layered image → digest → rollout.
// `buildPipeline` registers every resource of a stack from its parsed config and returns the stack
// outputs; index.ts calls it once with the live cluster access, tests with their own.
//
// With rollout.method machineosconfig the MCO builds on the cluster: no image build exists, and
// the outputs keep their shape (image.ref is the digest the last pool's build reported, empty
// until one has). A build host and mirror exist only for mirror.repos (the on-cluster build
// installs from the mirror); without them mirror and buildHost are empty, provider "cluster".
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, imageDialect, mirrorBindAddress, needsBuildHost } from "./config/schema";
import { OnClusterRepo, onClusterContentRevision } from "./openshift/onClusterContent";
import { contentHash } from "./shell";
import { BuildHost } from "./host/buildHost";
import { HostHandle } from "./host/step";
import { gateImageRef } from "./image/baseGate";
import { ClusterBaseImage } from "./image/clusterBaseImage";
import { DRIVER_TOOLKIT_BASE, DriverToolkitImage } from "./image/driverToolkit";
import { renderOnClusterContainerfile } from "./image/containerfile";
import { CosaBuild } from "./image/cosaBuild";
import { PublishedArtifact } from "./image/cosaInputs";
import { ImageRetention, RegistryCleanup } from "./image/imageRetention";
import { ImageSbom, SbomRef } from "./image/imageSbom";
import { ImageSignature } from "./image/imageSignature";
import { LayeredImage, PackageDiff } from "./image/layeredImage";
import { inspectSigningKey } from "./image/signing";
import { readClusterEntitlement } from "./mirror/clusterEntitlement";
import { ClientCertificate } from "./mirror/repoFiles";
import { RepoMirror } from "./mirror/repoMirror";
import { usesClusterEntitlement } from "./config/rhelContent";
import { isOsImageComponent } from "./openshift/releases";
import { ManifestObject } from "./release/payload";
import { ReleaseImage } from "./release/releaseImage";
import { ImageTrustPolicy } from "./rollout/imageTrustPolicy";
import { ClusterAccess } from "./rollout/kubeApi";
import { OnClusterContentArgs, OsImageRollout, RolloutWaitArgs } from "./rollout/osImageRollout";
import { ReleaseRollout } from "./rollout/releaseRollout";
import { FinishedImage, finishedImage } from "./fleet/clusterStack";

/**
 * The stack outputs other stacks read through StackReference; keep the names stable. `release`
 * and `cosa` exist only where the stack produces them (rhcos-forge:release, image.builder cosa).
 */
export interface StackOutputs {
    readonly image: { ref: pulumi.Output<string>; digest: pulumi.Output<string>; base: pulumi.Output<string>; packages?: pulumi.Output<PackageDiff>; sbom?: pulumi.Output<SbomRef> };
    readonly containerfile: pulumi.Output<string>;
    readonly mirror: { baseUrl: pulumi.Output<string>; repos: pulumi.Output<Record<string, string>>; repoFile: pulumi.Output<string> };
    readonly buildHost: { address: pulumi.Output<string>; provider: string };
    /** `finished`: what every pool has finished rolling out (machineconfig, waited for); the next promotion ring reads it (docs/fleet.md). */
    readonly rollout: { method: pulumi.Output<string>; pools: OsImageRollout["pools"]; finished?: pulumi.Output<FinishedImage | undefined> };
    readonly release?: { ref: pulumi.Output<string>; digest: pulumi.Output<string>; version: pulumi.Output<string> };
    readonly cosa?: { buildId: pulumi.Output<string>; configCommit: pulumi.Output<string>; artifacts: pulumi.Output<PublishedArtifact[]> };
    /** Only with image.signing.enabled: the key nodes verify with and where the signature is. */
    readonly signing?: { publicKey: pulumi.Output<string>; keySha256: pulumi.Output<string>; signature: pulumi.Output<string> };
}

type Rolled = Pick<OsImageRollout, "method" | "pools">;
/** What a stage wiring returns before the rollout is folded into the stack outputs. */
type Outputs = Omit<StackOutputs, "rollout"> & { readonly rolled: Rolled };

export interface PipelineDeps {
    /** How rollout waits reach the cluster; undefined: nothing is waited for. */
    readonly clusterAccess?: ClusterAccess;
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
        throw new Error(`${where}: could not fetch the key for the on-cluster build's etc-pki-rpm-gpg Secret (${(err as Error).message})`);
    }
    if (!text.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) throw new Error(`${where} is not an armored PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)`);
    return text;
}

export function buildPipeline(c: StackConfig, deps: PipelineDeps): StackOutputs {
    const secret = (value: string | undefined): pulumi.Output<string> | undefined =>
        value === undefined ? undefined : pulumi.secret(value);

    // Reading the cluster needs a kubeconfig; writing can instead render YAML for GitOps.
    const clusterReader = c.kubeconfig === undefined ? undefined : new k8s.Provider("cluster-reader", {
        kubeconfig: pulumi.secret(c.kubeconfig),
        context: c.cluster.context,
    });
    const clusterWriter = c.cluster.renderTo !== undefined
        ? new k8s.Provider("cluster-render", { renderYamlToDirectory: c.cluster.renderTo })
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
    const wait: RolloutWaitArgs | undefined = c.cluster.renderTo === undefined && c.kubeconfig !== undefined
        ? { kubeconfig: pulumi.secret(c.kubeconfig), context: c.cluster.context, timeoutMinutes: c.rollout.timeoutMinutes, access: deps.clusterAccess }
        : undefined;


    /**
     * image.signing: a signature step after the push; the ref it returns is known only once the
     * image is signed, so a signing failure changes no MachineConfig.
     */
    function signImage(c: StackConfig, host: HostHandle, ref: pulumi.Output<string>): { ref: pulumi.Output<string>; signing?: StackOutputs["signing"] } {
        if (!c.image.signing.enabled) return { ref };
        // parseStackConfig checked both are set and that the passphrase opens the key.
        const key = inspectSigningKey(required(c.signingKey, "rhcos-forge:signingKey"), required(c.signingPassphrase, "rhcos-forge:signingPassphrase"));
        const signature = new ImageSignature("image-signature", {
            host, ref, key: pulumi.secret(key), registryAuth: secret(c.registryAuth), tlsVerify: c.image.tlsVerify,
        });
        return { ref: signature.ref, signing: { publicKey: signature.publicKey, keySha256: signature.keySha256, signature: signature.signature } };
    }

    /**
     * The ClusterImagePolicy for image.repository (image.signing.clusterPolicy), or the policy
     * MachineConfigs (image.signing.machineConfigPolicy), declared before the MachineConfigs that
     * point at the image: the returned ref carries the policy as a dependency.
     */
    function trusted(c: StackConfig, signing: StackOutputs["signing"], imageRef: pulumi.Output<string>): pulumi.Output<string> {
        if (signing === undefined || !(c.image.signing.clusterPolicy || c.image.signing.machineConfigPolicy)) return imageRef;
        const policy = new ImageTrustPolicy("image-trust", {
            provider: requireCluster(clusterWriter),
            openshiftVersion: c.cluster.openshiftVersion,
            repository: c.image.repository,
            publicKey: signing.publicKey,
            machineConfigPools: c.image.signing.machineConfigPolicy ? c.rollout.pools.map(p => p.name) : undefined,
        });
        return pulumi.all([imageRef, policy.name]).apply(([ref]) => ref);
    }

    /**
     * image.retention: once every pool reports the rollout done, the images this host pushed
     * beyond the newest `keep` are deleted; the refs the stack points at are protected.
     */
    function retain(c: StackConfig, host: HostHandle, refs: pulumi.Output<string>[], rolled: Rolled): void {
        // parseStackConfig allows retention only where the rollout is waited for.
        if (!c.image.retention.enabled || wait === undefined || !(rolled instanceof OsImageRollout)) return;
        const done = rolled.done;
        new ImageRetention("image-retention", {
            host,
            repository: c.image.repository,
            keep: c.image.retention.keep,
            protect: refs.map(r => pulumi.all([r, done]).apply(([ref]) => ref)),
            registryAuth: secret(c.registryAuth),
            tlsVerify: c.image.tlsVerify,
        });
    }

    /**
     * On destroy, the images this host pushed go only with image.retention.deleteOnDestroy, and
     * only after the MachineConfigs: everything reading the image ref depends on the cleanup.
     */
    function registryCleanup(c: StackConfig, host: HostHandle, after: pulumi.Resource): RegistryCleanup {
        return new RegistryCleanup("image-cleanup", {
            host,
            repository: c.image.repository,
            deleteOnDestroy: c.image.retention.deleteOnDestroy,
            registryAuth: secret(c.registryAuth),
            tlsVerify: c.image.tlsVerify,
        }, { dependsOn: [after] });
    }

    /**
     * The custom release (rhcos-forge:release) carrying `osImage`, and the rollout: a ClusterVersion
     * update to that release (rollout.method release) or MachineConfigs pointing at `imageRef`.
     */
    function rollOut(c: StackConfig, host: HostHandle, osImage: pulumi.Output<string>, imageRef: pulumi.Output<string>): Pick<Outputs, "rolled" | "release"> {
        const osComponent = c.release?.osComponent ?? "rhel-coreos";
        // parseStackConfig refuses machine-os-content (no supported release has it).
        if (!isOsImageComponent(osComponent)) throw new Error(`rhcos-forge:release.osComponent ${osComponent} is not an OS component`);
        const rel = c.release === undefined ? undefined : new ReleaseImage("release", {
            host,
            from: c.release.from,
            repository: c.release.repository,
            name: c.release.name,
            osImage,
            osComponent,
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
            mirrorCredentials: repoMirror.credentials,
            registryAuth: secret(c.registryAuth),
            tlsVerify: c.image.tlsVerify,
        });
        // The same SBOM a layered build attaches, from the pushed image's rpmdb, the config
        // commit as its origin; signing and the rollout wait for it, as they wait for a build.
        const sbom = new ImageSbom("image-sbom", {
            host: host.handle,
            ref: built.ref,
            source: built.configCommit.apply(commit => `${cosaCfg.config}@${commit}`),
            recordAs: built.buildId.apply(id => `cosa-${id}`),
            registryAuth: secret(c.registryAuth),
            tlsVerify: c.image.tlsVerify,
        });
        const cleanup = registryCleanup(c, host.handle, sbom);
        const signed = signImage(c, host.handle, pulumi.all([built.ref, sbom.sbom, cleanup.listed]).apply(([ref]) => ref));
        const rolledOut = rollOut(c, host.handle, signed.ref, trusted(c, signed.signing, signed.ref));
        retain(c, host.handle, [signed.ref], rolledOut.rolled);
        return {
            image: { ref: signed.ref, digest: built.digest, base: pulumi.output(""), sbom: sbom.sbom },
            containerfile: pulumi.output(""),
            mirror: { baseUrl: repoMirror.baseUrl, repos: repoMirror.repos, repoFile: repoMirror.repoFile },
            buildHost: { address: host.address, provider: host.provider },
            ...rolledOut,
            cosa: { buildId: built.buildId, configCommit: built.configCommit, artifacts: built.artifacts },
            signing: signed.signing,
        };
    }

    /**
     * mirror.repos[].entitlement cluster: the cluster's entitlement certificate, read through the
     * kubeconfig when the program runs (never a resource in the state), as a secret.
     */
    function clusterEntitlement(c: StackConfig): pulumi.Output<ClientCertificate> | undefined {
        if (!usesClusterEntitlement(c)) return undefined;
        // parseStackConfig requires a kubeconfig for entitlement: cluster.
        const kubeconfig = required(c.kubeconfig, "rhcos-forge:kubeconfig");
        const access = deps.clusterAccess;
        if (access === undefined) throw new Error("mirror.repos[].entitlement cluster reads the cluster, but the program was given no cluster access");
        return pulumi.secret(pulumi.output(readClusterEntitlement(access.connect(kubeconfig, c.cluster.context))));
    }

    /**
     * image.stages[].base driver-toolkit: the cluster release's driver-toolkit, read through the
     * kubeconfig when the program runs (the ImageStream is the release's, never the stack's).
     */
    function driverToolkit(c: StackConfig): pulumi.Output<string> | undefined {
        if (!c.image.stages.some(s => s.base === DRIVER_TOOLKIT_BASE)) return undefined;
        // parseStackConfig requires a kubeconfig for a driver-toolkit stage.
        const kubeconfig = required(c.kubeconfig, "rhcos-forge:kubeconfig");
        const access = deps.clusterAccess;
        if (access === undefined) throw new Error("image.stages[].base driver-toolkit reads the cluster, but the program was given no cluster access");
        return new DriverToolkitImage("driver-toolkit", { reader: access.connect(kubeconfig, c.cluster.context) }).ref;
    }

    /**
     * Where the mirror listens. Builds on the host reach it at the host's build address (a
     * droplet's private IPv4 by default); an on-cluster build reaches it from the cluster, at the
     * droplet's public address, so there it listens on every interface unless mirror.bind says
     * otherwise (the firewall opens its port to allowedCidrs and cluster.egressCidrs only).
     */
    function onClusterMirrorBind(c: StackConfig): string | undefined {
        if (c.mirror.bind !== undefined || c.rollout.method !== "machineosconfig" || c.buildHost.provider !== "digitalocean") return c.mirror.bind;
        return "0.0.0.0";
    }

    /** The build host and its mirror, shared by builds on the host and (mirror only) on the cluster. */
    function hostAndMirror(c: StackConfig): { host: BuildHost; repoMirror: RepoMirror; registered: boolean } {
        const registered = c.buildHost.provider === "ssh" && c.buildHost.register;
        const host = new BuildHost("build", {
            config: c.buildHost,
            sshPrivateKey: secret(c.sshPrivateKey),
            // A mirror bound to loopback is reached by nothing outside the host: no firewall rule.
            mirrorPort: /^127\.|^::1$/.test(mirrorBindAddress(c) ?? "") ? undefined : c.mirror.port,
            buildAddress: c.mirror.buildAddress,
            mirrorCidrs: c.rollout.method === "machineosconfig" ? c.cluster.egressCidrs : undefined,
            needsKvm: c.image.builder === "cosa",
            // parseStackConfig requires both secrets with buildHost.register.
            subscription: registered
                ? { org: pulumi.secret(required(c.rhsmOrg, "rhcos-forge:rhsmOrg")), activationKey: pulumi.secret(required(c.rhsmActivationKey, "rhcos-forge:rhsmActivationKey")) }
                : undefined,
        });
        const certified = Object.entries(c.mirrorClientCerts).filter(([, v]) => v.sslclientcert !== undefined && v.sslclientkey !== undefined).map(([id]) => id);
        const repoMirror = new RepoMirror("mirror", {
            host: host.handle,
            config: { ...c.mirror, bind: onClusterMirrorBind(c) },
            passwords: pulumi.secret(c.mirrorPasswords),
            clientCerts: pulumi.secret(c.mirrorClientCerts),
            clientCertIds: certified,
            entitlement: clusterEntitlement(c),
            password: secret(c.mirrorPassword),
        });
        return { host, repoMirror, registered };
    }

    /**
     * The on-cluster build's repos: the mirror's at the build host's address (the cluster reaches
     * it there, through the firewall rhcos-forge:cluster.egressCidrs opens), then the entitled
     * `fetch: build` repos at their upstream; each repo's GPG key fetched from its gpgkey URL.
     */
    function onClusterContent(c: StackConfig, repoMirror: RepoMirror): OnClusterContentArgs {
        const gpg = new Map(c.mirror.repos.map(r => [r.id, r]));
        const mirrored = [...c.mirror.repos.filter(r => r.fetch !== "build").map(r => r.id), ...(c.mirror.packageSet.packages.length > 0 ? [c.mirror.packageSet.id] : [])];
        const direct = c.mirror.repos.filter(r => r.fetch === "build");
        const keys = Promise.all(c.mirror.repos.filter(r => r.gpgkey !== undefined).map(async r => [r.id, await fetchGpgKey(r.id, r.gpgkey as string)] as const))
            .then((entries): Record<string, string> => Object.fromEntries(entries));
        const repos = pulumi.all([repoMirror.repos, keys]).apply(([urls, key]): OnClusterRepo[] => [
            // A package set is our own download: no signed upstream, no key (RepoMirror does the same).
            ...mirrored.map(id => ({ id, url: urls[id], gpgcheck: gpg.get(id)?.gpgcheck ?? false, gpgKey: key[id] })),
            ...direct.map(r => ({ id: r.id, url: r.baseurl, gpgcheck: r.gpgcheck, gpgKey: key[r.id], entitled: true })),
        ]);
        const entitled = direct.some(r => r.entitlement === "cluster");
        // What the mirror serves, from config (RepoMirror hashes the same keys for its re-syncs),
        // and the keys: known in a preview (see OnClusterContentArgs.revision).
        const mirrorContent = contentHash({ repos: c.mirror.repos, packageSet: c.mirror.packageSet.packages.length > 0 ? c.mirror.packageSet : null, newestOnly: c.mirror.newestOnly });
        const revision = keys.then(key => onClusterContentRevision(mirrorContent, [
            ...mirrored.map(id => ({ id, gpgcheck: gpg.get(id)?.gpgcheck ?? false, gpgKey: key[id] })),
            ...direct.map(r => ({ id: r.id, gpgcheck: r.gpgcheck, gpgKey: key[r.id], entitled: true })),
        ]));
        return {
            repos,
            gpgKeys: c.mirror.repos.some(r => r.gpgkey !== undefined),
            revision,
            mirrorReady: repoMirror.revision,
            entitlement: entitled ? clusterEntitlement(c) : undefined,
            // The mirror's basic auth (mirror.auth basic): the MCO mounts etc-yum-repos-d only as a
            // ConfigMap (buildrequestopts.go getOptionalConfigMap, release-4.19..4.22), so the
            // password is in the repo text there; the ConfigMap's data is a secret in the state.
            credentials: repoMirror.credentials,
        };
    }

    function outOfCluster(c: StackConfig): Outputs {
        const { host, repoMirror, registered } = hostAndMirror(c);
        if (c.image.builder === "cosa") return withCosa(c, host, repoMirror);
        // parseStackConfig guarantees a kubeconfig, hence clusterBase, for image.base "cluster".
        const base = c.image.base === "cluster" ? required(clusterBase, "rhcos-forge:kubeconfig") : pulumi.output(c.image.base);
        const layered = new LayeredImage("image", {
            host: host.handle,
            base,
            repository: c.image.repository,
            spec: { ...c.image, dialect: imageDialect(c) },
            driverToolkit: driverToolkit(c),
            // Known in a first preview, so it shows the Containerfile; the build still waits for
            // the sync through mirrorRevision.
            repos: repoMirror.plannedBuildRepos,
            secretFiles: c.image.files.filter(f => f.secret).map(f => f.path),
            replaceRepo: c.mirror.packageSet.packages.length > 0 ? c.mirror.packageSet.id : undefined,
            mirrorRevision: repoMirror.revision,
            registryAuth: secret(c.registryAuth),
            buildSecrets: repoMirror.buildSecrets,
            entitledHost: registered,
            buildArgs: c.image.buildArgs,
            tlsVerify: c.image.tlsVerify,
        });
        const cleanup = registryCleanup(c, host.handle, layered);
        const pushed = pulumi.all([layered.ref, cleanup.listed]).apply(([ref]) => ref);
        const signed = signImage(c, host.handle, pushed);
        // Release gate: the MachineConfig never points at an image built on another RHCOS than the
        // cluster's (known in preview too: the base is config or a read, so preview fails early).
        const imageRef = clusterBase === undefined ? signed.ref
            : pulumi.all([signed.ref, layered.base, clusterBase]).apply(([ref, imageBase, current]) =>
                gateImageRef(ref, { imageBase, clusterBase: current, allowMismatch: c.image.allowBaseMismatch }, m => pulumi.log.warn(m)));
        // A release carries the built image as its OS whatever its base; the gate guards MachineConfigs.
        const rolledOut = rollOut(c, host.handle, signed.ref, trusted(c, signed.signing, imageRef));
        retain(c, host.handle, [signed.ref, imageRef], rolledOut.rolled);
        return {
            image: { ref: signed.ref, digest: layered.digest, base: layered.base, packages: layered.packages, sbom: layered.sbom },
            containerfile: layered.containerfile,
            mirror: { baseUrl: repoMirror.baseUrl, repos: repoMirror.repos, repoFile: repoMirror.repoFile },
            buildHost: { address: host.address, provider: host.provider },
            ...rolledOut,
            signing: signed.signing,
        };
    }

    function onCluster(c: StackConfig): Outputs {
        const containerfile = renderOnClusterContainerfile(c.image);
        const withMirror = needsBuildHost(c) ? hostAndMirror(c) : undefined;
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
                content: withMirror === undefined ? undefined : onClusterContent(c, withMirror.repoMirror),
            },
            wait,
        });
        // Without a wait (preview, GitOps render) no build has reported a digest yet: ref and digest
        // are then empty rather than the push tag, since consumers of image.ref may boot nodes from it.
        const ref = rolled.image.apply(i => i ?? "");
        return {
            image: { ref, digest: ref.apply(r => r.split("@")[1] ?? ""), base: clusterBase ?? pulumi.output("cluster") },
            containerfile: pulumi.output(containerfile),
            mirror: withMirror === undefined
                ? { baseUrl: pulumi.output(""), repos: pulumi.output<Record<string, string>>({}), repoFile: pulumi.output("") }
                : { baseUrl: withMirror.repoMirror.baseUrl, repos: withMirror.repoMirror.repos, repoFile: withMirror.repoMirror.repoFile },
            buildHost: withMirror === undefined
                ? { address: pulumi.output(""), provider: "cluster" }
                : { address: withMirror.host.address, provider: withMirror.host.provider },
            rolled,
        };
    }

    const out = c.rollout.method === "machineosconfig" ? onCluster(c) : outOfCluster(c);
    const { rolled, release, cosa, signing, ...always } = out;
    // A ring reading this stack (image.from take finished) gets the image only once every pool is done.
    const finished = c.rollout.method !== "machineconfig" || !(rolled instanceof OsImageRollout) ? undefined
        : finishedImage(wait?.access !== undefined, rolled.done, pulumi.all([always.image.ref, always.image.digest, always.image.base]).apply(([ref, digest, base]) => ({ ref, digest, base })));
    return {
        ...always,
        rollout: { method: rolled.method, pools: rolled.pools, ...(finished === undefined ? {} : { finished }) },
        ...(release === undefined ? {} : { release }),
        ...(cosa === undefined ? {} : { cosa }),
        ...(signing === undefined ? {} : { signing }),
    };
}
