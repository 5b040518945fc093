// LayeredImage: Containerfile → `podman build` on the build host → `podman push` → a digest.
//
// The build id is a content hash of the Containerfile, context, base and mirror revision: equal
// inputs never rebuild, any changed input does. A failed build fails the step, so no output and
// nothing downstream (the MachineConfig) changes. Each build also pushes the image's SPDX SBOM
// (build-image.sh, step "sbom") and reports its digest; the package diff stays beside it.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "./registryAccess";
import { buildId, renderBundle } from "./buildInputs";
import { describeImage, descriptionEnvironment } from "./description";
import { DIGEST_REF } from "../openshift/pullspec";
import { ImageSpec, RenderedImage, renderContainerfile } from "./containerfile";
import { resolveStageBases } from "./driverToolkit";
import { sourceReader } from "./sources";
import { HostHandle, scriptStep } from "../host/step";
import { SbomRef, validateSbomRef } from "./imageSbom";
import { MirrorRepo } from "../mirror/repoFiles";

export interface PackageChange {
    readonly name: string;
    readonly from: string;
    readonly to: string;
}

/** What changed between the base and the built image, for a reviewer before nodes reboot. */
export interface PackageDiff {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: PackageChange[];
}

export interface BuildResult {
    readonly ref: string;
    readonly digest: string;
    readonly base: string;
    readonly tag: string;
    readonly packages: PackageDiff;
    readonly sbom: SbomRef;
}

/** registryAuth pulls the base and pushes; tlsVerify covers pull, push and inspect. */
export interface LayeredImageArgs extends RegistryAccessArgs {
    /** The build host. */
    readonly host: HostHandle;
    /** Base image by digest (from config, or the cluster's baseOSContainerImage). */
    readonly base: pulumi.Input<string>;
    /** Registry repository to push to (no tag, no digest). */
    readonly repository: string;
    /** The declarative image spec, minus the base. */
    readonly spec: Omit<ImageSpec, "base">;
    /** The cluster's driver-toolkit by digest, for stages whose base is "driver-toolkit" (./driverToolkit.ts). */
    readonly driverToolkit?: pulumi.Input<string>;
    /**
     * Mirror repos as build containers reach them. May be known before the mirror synced (so a
     * first preview shows the Containerfile): the build waits for the sync through mirrorRevision.
     */
    readonly repos: pulumi.Input<MirrorRepo[]>;
    /** Image paths of image.files marked secret: previews show their hash only. */
    readonly secretFiles?: readonly string[];
    /** Repo that package names in `spec.replace` come from. */
    readonly replaceRepo?: string;
    /** Mirror revision: a re-synced mirror rebuilds; known only once the mirror synced. */
    readonly mirrorRevision?: pulumi.Input<string>;
    /**
     * Build secrets (id → content) the installing RUNs mount: the TLS files of `fetch: build`
     * repos; secrets. They reach the host in the stdin bundle and are not part of the build id.
     */
    readonly buildSecrets?: pulumi.Input<Record<string, string>>;
    /** The build host is registered with subscription-manager: installing RUNs remove redhat.repo. */
    readonly entitledHost?: boolean;
    /** Extra `podman build` flags. */
    readonly buildArgs?: readonly string[];
}

/** Rejects anything but `<repository>@sha256:<hex>`: a node must never boot a tag. */
export function validateBuildResult(result: BuildResult, repository: string): BuildResult {
    if (!/^sha256:[a-f0-9]{64}$/.test(result.digest))
        throw new Error(`build reported an invalid digest ${JSON.stringify(result.digest)}`);
    if (result.ref !== `${repository}@${result.digest}` || !DIGEST_REF.test(result.ref)) {
        throw new Error(`build reported ref ${JSON.stringify(result.ref)}, expected ${repository}@${result.digest}`);
    }
    validateSbomRef(result.sbom as SbomRef | undefined, repository, result.digest, result.ref);
    return result;
}

export class LayeredImage extends pulumi.ComponentResource {
    /** `repo@sha256:…`: what a MachineConfig's osImageURL points at. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:…`. */
    public readonly digest: pulumi.Output<string>;
    /** The base image the build started FROM. */
    public readonly base: pulumi.Output<string>;
    /** The rendered Containerfile, shown in previews. */
    public readonly containerfile: pulumi.Output<string>;
    /** Content hash of the build's inputs; also the pushed tag. */
    public readonly buildId: pulumi.Output<string>;
    /** Packages added, removed and changed against the base. */
    public readonly packages: pulumi.Output<PackageDiff>;
    /** The image's SPDX SBOM in the registry. */
    public readonly sbom: pulumi.Output<SbomRef>;

    constructor(name: string, args: LayeredImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:LayeredImage", name, {}, opts);
        // The spec as built: every stage FROM a digest (a driver-toolkit stage FROM the cluster's).
        const spec: pulumi.Output<Omit<ImageSpec, "base">> = pulumi
            .output(args.driverToolkit)
            .apply(toolkit => ({ ...args.spec, stages: resolveStageBases(args.spec.stages ?? [], toolkit) }));
        const rendered: pulumi.Output<RenderedImage> = pulumi
            .all([args.base, args.repos, spec])
            .apply(([base, repos, s]) =>
                renderContainerfile(
                    { ...s, base },
                    {
                        repos,
                        replaceRepo: args.replaceRepo,
                        readSource: sourceReader(),
                        entitledHost: args.entitledHost,
                    },
                ),
            );
        const id = pulumi.all([rendered, args.base, args.mirrorRevision]).apply(([r, base, mirrorRevision]) =>
            buildId({
                containerfile: r.containerfile,
                context: r.context,
                base,
                repository: args.repository,
                mirrorRevision,
            }),
        );
        // The bundle may hold the registry auth and file contents: secret as a whole.
        const bundle = pulumi.secret(
            pulumi
                .all([rendered, args.registryAuth, args.buildSecrets ?? {}])
                .apply(([r, auth, secrets]) => renderBundle(r.containerfile, r.context, auth, secrets)),
        );

        const build = scriptStep(
            name,
            "build",
            args.host,
            {
                scripts: [
                    {
                        script: "build-image.sh",
                        env: {
                            RF_BUILD_ID: id,
                            RF_BASE_IMAGE: args.base,
                            RF_IMAGE_REPO: args.repository,
                            RF_PODMAN_BUILD_ARGS: (args.buildArgs ?? []).join(" "),
                            // Keys the layers of the RUNs that read the mirror (containerfile.ts
                            // MIRROR_REVISION_ARG); already part of the build id.
                            RF_MIRROR_REVISION: pulumi.output(args.mirrorRevision ?? ""),
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: bundle,
                triggers: [id],
                // What `pulumi preview --diff` lists: base, packages, files (text or hash), units,
                // Containerfile, on the `<name>-build-description` record, which runs nothing: a
                // change to it alone neither replaces nor re-runs the build (description.ts).
                describe: pulumi
                    .all([rendered, args.base, spec])
                    .apply(([r, base, s]) =>
                        descriptionEnvironment(describeImage({ ...s, base }, r, args.secretFiles ?? [])),
                    ),
                validate: r => validateBuildResult(r as BuildResult, args.repository),
            },
            { parent: this },
        );
        const result = build.result;
        this.ref = result.apply(r => r.ref);
        this.digest = result.apply(r => r.digest);
        this.base = pulumi.output(args.base);
        this.containerfile = rendered.apply(r => r.containerfile);
        this.buildId = id;
        this.packages = result.apply(r => r.packages);
        this.sbom = result.apply(r => r.sbom);
        this.registerOutputs({
            ref: this.ref,
            digest: this.digest,
            base: this.base,
            containerfile: this.containerfile,
            buildId: this.buildId,
            packages: this.packages,
            sbom: this.sbom,
        });
    }
}
