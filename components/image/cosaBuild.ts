// CosaBuild: a full OS build with coreos-assembler on the build host (image.builder cosa):
// `cosa init` of the config repo, the mirror's repos injected, `cosa fetch`, `cosa build`,
// optional day-0 media (`cosa osbuild metal|metal4k|live`) published from the mirror's HTTP
// server, and the build's OCI archive pushed with skopeo → a digest (cosa push-container cannot
// take a registry with a port: see cosa-build.sh). The script keeps per-step stamps on the host, so
// a run reruns only the steps whose inputs changed; the Pulumi trigger is the inputs' hash.
import * as pulumi from "@pulumi/pulumi";
import { RegistryAccessArgs } from "./registryAccess";
import {
    ARTIFACTS_DIR,
    CosaPlatform,
    CosaResult,
    PublishedArtifact,
    cosaRevision,
    publishedArtifacts,
    renderCosaBundle,
    renderCosaRepoFile,
    validateCosaResult,
} from "./cosaInputs";
import { HostHandle, scriptStep } from "../host/step";
import { MirrorCredentials } from "../mirror/mirrorAuth";
import { MirrorRepo } from "../mirror/repoFiles";

/** registryAuth pulls coreos-assembler and pushes; tlsVerify covers the push and reading the pushed digest back. */
export interface CosaBuildArgs extends RegistryAccessArgs {
    /** The build host; it needs /dev/kvm. */
    readonly host: HostHandle;
    /** coreos-assembler image, `repo@sha256:…`. */
    readonly container: string;
    /** Config git URL, branch, optional commit and variant (`cosa init`). */
    readonly config: {
        readonly url: string;
        readonly branch: string;
        readonly commit?: string;
        readonly variant?: string;
    };
    /** Registry repository the OS container is pushed to (tag: the cosa build id). */
    readonly repository: string;
    /** Mirror repos as the build host reaches them; written into the config checkout. */
    readonly repos: pulumi.Input<MirrorRepo[]>;
    /** Mirror revision: a re-synced mirror refetches and rebuilds. */
    readonly mirrorRevision?: pulumi.Input<string>;
    /** Day-0 media to build and publish. */
    readonly artifacts: readonly CosaPlatform[];
    /** The mirror's served root on the host (media go under `artifacts/`) and its URL. */
    readonly mirrorDir: string;
    readonly mirrorBaseUrl: pulumi.Input<string>;
    /** The mirror's basic auth (mirror.auth basic), written into the repo file; a secret. */
    readonly mirrorCredentials?: pulumi.Input<MirrorCredentials>;
}

export class CosaBuild extends pulumi.ComponentResource {
    /** `repo@sha256:…` of the pushed OS container. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:…`. */
    public readonly digest: pulumi.Output<string>;
    /** The cosa build id (also the pushed tag). */
    public readonly buildId: pulumi.Output<string>;
    /** The config commit the build was made from. */
    public readonly configCommit: pulumi.Output<string>;
    /** Published day-0 media: URL, sha256, size. */
    public readonly artifacts: pulumi.Output<PublishedArtifact[]>;

    constructor(name: string, args: CosaBuildArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:image:CosaBuild", name, {}, opts);
        // The revision hashes the file without the password (a rotated password rebuilds nothing);
        // the bundle carries it with.
        const repoFile = pulumi.output(args.repos).apply(repos => renderCosaRepoFile(repos));
        const repoFileWithAuth = pulumi.secret(
            pulumi
                .all([args.repos, args.mirrorCredentials])
                .apply(([repos, creds]) => renderCosaRepoFile(repos, creds?.password)),
        );
        const revision = pulumi.all([repoFile, args.mirrorRevision]).apply(([text, mirrorRevision]) =>
            cosaRevision({
                container: args.container,
                configUrl: args.config.url,
                branch: args.config.branch,
                commit: args.config.commit,
                variant: args.config.variant,
                repoFile: text,
                repository: args.repository,
                artifacts: args.artifacts,
                mirrorRevision,
            }),
        );
        // The bundle carries the registry auth: secret as a whole.
        const bundle = pulumi.secret(
            pulumi.all([repoFileWithAuth, args.registryAuth]).apply(([text, auth]) => renderCosaBundle(text, auth)),
        );

        const build = scriptStep(
            name,
            "build",
            args.host,
            {
                scripts: [
                    {
                        script: "cosa-build.sh",
                        env: {
                            RF_COSA_CONTAINER: args.container,
                            RF_COSA_DIR: `${args.host.workDir}/cosa`,
                            RF_COSA_CONFIG_URL: args.config.url,
                            RF_COSA_BRANCH: args.config.branch,
                            RF_COSA_COMMIT: args.config.commit ?? "",
                            RF_COSA_VARIANT: args.config.variant ?? "",
                            RF_IMAGE_REPO: args.repository,
                            RF_COSA_ARTIFACTS: args.artifacts.join(" "),
                            RF_ARTIFACTS_DIR: `${args.mirrorDir}/${ARTIFACTS_DIR}`,
                            RF_TLS_VERIFY: String(args.tlsVerify ?? true),
                        },
                    },
                ],
                stdin: bundle,
                triggers: [revision],
                validate: r => validateCosaResult(r as CosaResult, args.repository, args.artifacts),
            },
            { parent: this },
        );
        const result = build.result;
        this.ref = result.apply(r => r.ref);
        this.digest = result.apply(r => r.digest);
        this.buildId = result.apply(r => r.buildId);
        this.configCommit = result.apply(r => r.configCommit);
        this.artifacts = pulumi
            .all([result, args.mirrorBaseUrl])
            .apply(([r, base]) => publishedArtifacts(base, r.artifacts));
        this.registerOutputs({
            ref: this.ref,
            digest: this.digest,
            buildId: this.buildId,
            configCommit: this.configCommit,
            artifacts: this.artifacts,
        });
    }
}
