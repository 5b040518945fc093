// ReleaseOsImage: the OS image a release payload names (`rhel-coreos`), read on the build host with
// the registry credentials by release-os-image.sh: what `oc adm release info --image-for rhel-coreos`
// prints, the first step of openshift/machine-config-operator docs/UsingLayering.md. A cluster
// upgrade builds the layered image FROM it before anything on the cluster changes.
import * as pulumi from "@pulumi/pulumi";
import { renderAuthBundle } from "../bundle";
import { HostHandle, scriptStep } from "../host/step";
import { DIGEST_REF } from "../openshift/pullspec";
import { OsComponent } from "./payload";

export interface ReleaseOsImageArgs {
    /** The build host (podman, python3). */
    readonly host: HostHandle;
    /** The release, `repo@sha256:…`. */
    readonly release: pulumi.Input<string>;
    /** The component to read. */
    readonly component: OsComponent;
    /** containers auth.json to pull the release with; a secret. */
    readonly registryAuth?: pulumi.Input<string>;
    /** Verify TLS against the registry. */
    readonly tlsVerify?: boolean;
}

/** The result line of release-os-image.sh. */
export interface ReleaseOsImageResult {
    readonly release: string;
    readonly component: string;
    readonly image: string;
    readonly version: string;
}

/** The payload must name the component by digest, and the answer must be about the release asked. */
export function validateReleaseOsImage(
    result: ReleaseOsImageResult,
    release: string,
    component: string,
): ReleaseOsImageResult {
    if (result.release !== release || result.component !== component) {
        throw new Error(
            `release-os-image reported ${result.component} of ${result.release}, asked for ${component} of ${release}`,
        );
    }
    if (!DIGEST_REF.test(result.image))
        throw new Error(
            `release ${release} names ${component} as ${JSON.stringify(result.image)}, not an image pinned by digest`,
        );
    return result;
}

export class ReleaseOsImage extends pulumi.ComponentResource {
    /** The OS image, `repo@sha256:…`. */
    public readonly image: pulumi.Output<string>;
    /** The release's version (its release-metadata). */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, args: ReleaseOsImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:release:ReleaseOsImage", name, {}, opts);
        const release = pulumi.output(args.release);
        const read = scriptStep(
            name,
            "read",
            args.host,
            {
                scripts: [
                    {
                        script: "release-os-image.sh",
                        env: {
                            RF_RELEASE: release,
                            RF_OS_COMPONENT: args.component,
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: pulumi.secret(pulumi.output(args.registryAuth).apply(auth => renderAuthBundle(auth))),
                triggers: [release, args.component],
                validate: r => r as ReleaseOsImageResult,
            },
            { parent: this },
        );
        const checked = pulumi
            .all([read.result, release])
            .apply(([r, rel]) => validateReleaseOsImage(r, rel, args.component));
        this.image = checked.apply(r => r.image);
        this.version = checked.apply(r => r.version);
        this.registerOutputs({ image: this.image, version: this.version });
    }
}
