// ReleaseImage: a custom OpenShift release carrying the built OS (`oc adm release new`): the
// from-release with its OS component (`rhel-coreos`, RELEASES[v].osImageComponents) replaced by
// the built image, any other component overrides, and extra manifests in /release-manifests with
// the CVO annotations they need. Built on the build host by release-new.sh; the release id (a
// content hash of the inputs) is the push tag, so equal inputs never build twice.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "../image/registryAccess";
import { HostHandle, scriptStep } from "../host/step";
import {
    ManifestObject,
    OsComponent,
    ReleaseResult,
    releaseId,
    renderOverrides,
    renderReleaseBundle,
    renderReleaseManifests,
    validateReleaseResult,
} from "./payload";

/** registryAuth pulls the from-release and pushes the new one. */
export interface ReleaseImageArgs extends RegistryAccessArgs {
    /** The build host (it needs `oc`; podman too when there are manifests). */
    readonly host: HostHandle;
    /** Release to start from, `repo@sha256:…`. */
    readonly from: string;
    /** Registry repository the release is pushed to. */
    readonly repository: string;
    /** Release name (`--name`); the from-release's when unset. */
    readonly name?: string;
    /** The built OS, `repo@sha256:…`, and the component it replaces. */
    readonly osImage: pulumi.Input<string>;
    readonly osComponent: OsComponent;
    /** Other component overrides: name → `repo@sha256:…`. */
    readonly overrides: Readonly<Record<string, string>>;
    /** Objects added to the payload. */
    readonly manifests: readonly ManifestObject[];
}

export class ReleaseImage extends pulumi.ComponentResource {
    /** `repo@sha256:…` of the custom release. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:…`. */
    public readonly digest: pulumi.Output<string>;
    /** The release's version (its name). */
    public readonly version: pulumi.Output<string>;
    /** The payload manifests added, as rendered (annotations included). */
    public readonly manifests: pulumi.Output<string[]>;

    constructor(name: string, args: ReleaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:release:ReleaseImage", name, {}, opts);
        const files = renderReleaseManifests(args.manifests);
        const overrides = pulumi
            .output(args.osImage)
            .apply(os => renderOverrides(args.osComponent, os, args.overrides));
        const id = overrides.apply(o =>
            releaseId({
                from: args.from,
                repository: args.repository,
                name: args.name,
                overrides: o,
                manifests: files,
            }),
        );
        const bundle = pulumi.secret(pulumi.output(args.registryAuth).apply(auth => renderReleaseBundle(files, auth)));

        const made = scriptStep(
            name,
            "new",
            args.host,
            {
                scripts: [
                    {
                        script: "release-new.sh",
                        env: {
                            RF_FROM_RELEASE: args.from,
                            RF_RELEASE_REPO: args.repository,
                            RF_RELEASE_ID: id,
                            RF_RELEASE_NAME: args.name ?? "",
                            RF_OVERRIDES: overrides.apply(o => o.join(" ")),
                            RF_OS_COMPONENT: args.osComponent,
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: bundle,
                triggers: [id],
                validate: r => validateReleaseResult(r as ReleaseResult, args.repository),
            },
            { parent: this },
        );
        const result = made.result;
        this.ref = result.apply(r => r.ref);
        this.digest = result.apply(r => r.digest);
        this.version = result.apply(r => r.version);
        this.manifests = pulumi.output(files.map(f => f.name));
        this.registerOutputs({ ref: this.ref, digest: this.digest, version: this.version, manifests: this.manifests });
    }
}
