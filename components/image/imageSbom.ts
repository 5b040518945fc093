// ImageSbom: the SPDX 2.3 SBOM of an image pushed by another step (image.builder cosa), made by
// sbom-image.sh with the same query and document as a layered build's (lib.sh rf_rpm_list,
// rf_sbom_push) and attached to the image in the registry (`repo:sha256-<hex>.sbom`, subject: the
// image). Its origin is the OS config commit the image was built from. A step of its own after
// the push, re-run when the digest or the source changes; with `recordAs` it also records the
// push as this host's, so retention and deleteOnDestroy cover cosa images too.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "./registryAccess";
import { renderAuthBundle } from "../bundle";
import { HostHandle, scriptStep } from "../host/step";

/** The SPDX 2.3 SBOM of the built image, an OCI artifact in its repository (subject: the image). */
export interface SbomRef {
    /** `repo@sha256:…` of the artifact manifest. */
    readonly ref: string;
    readonly digest: string;
    /** `repo:sha256-<image hex>.sbom`, cosign's tag convention (no referrers API needed). */
    readonly tag: string;
    /** RPMs listed. */
    readonly packages: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The SBOM reported for `repository@digest` must be an attachment of exactly that image. */
export function validateSbomRef(
    sbom: SbomRef | undefined,
    repository: string,
    digest: string,
    imageRef: string,
): SbomRef {
    if (
        sbom === undefined ||
        !DIGEST.test(sbom.digest) ||
        sbom.ref !== `${repository}@${sbom.digest}` ||
        sbom.tag !== `${repository}:${digest.replace(":", "-")}.sbom` ||
        !Number.isInteger(sbom.packages)
    ) {
        throw new Error(`build reported no usable SBOM for ${imageRef}: ${JSON.stringify(sbom)}`);
    }
    return sbom;
}

export interface ImageSbomArgs extends RegistryAccessArgs {
    readonly host: HostHandle;
    /** The pushed image, `repo@sha256:…`. */
    readonly ref: pulumi.Input<string>;
    /** What it was built from, `<git url>@<commit>`. */
    readonly source?: pulumi.Input<string>;
    /**
     * The build id the image was pushed as, when the step before pushed it from this host: it is
     * recorded where retention (prune-images.sh) finds what this host pushed.
     */
    readonly recordAs?: pulumi.Input<string>;
}

export class ImageSbom extends pulumi.ComponentResource {
    /** The SBOM artifact in the image's repository. */
    public readonly sbom: pulumi.Output<SbomRef>;

    constructor(name: string, args: ImageSbomArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:ImageSbom", name, {}, opts);
        const ref = pulumi.output(args.ref);
        const source = pulumi.output(args.source ?? "");
        const bundle = pulumi.secret(pulumi.output(args.registryAuth).apply(renderAuthBundle));
        const step = scriptStep(
            name,
            "sbom",
            args.host,
            {
                scripts: [
                    {
                        script: "sbom-image.sh",
                        env: {
                            RF_IMAGE_REF: ref,
                            RF_SBOM_SOURCE: source,
                            RF_RECORD_BUILD: pulumi.output(args.recordAs ?? ""),
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: bundle,
                triggers: [ref, source],
                validate: r => r as SbomRef,
            },
            { parent: this },
        );
        this.sbom = pulumi.all([step.result, ref]).apply(([r, image]) => {
            const [repository, digest] = image.split("@") as [string, string];
            return validateSbomRef(r, repository, digest, image);
        });
        this.registerOutputs({ sbom: this.sbom });
    }
}
