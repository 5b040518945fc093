// ReleaseRollout (rollout.method release): the whole cluster moves to the custom release, the way
// `oc adm upgrade --to-image <release@digest> --allow-explicit-upgrade --force` does it: a
// server-side-apply patch of ClusterVersion `version` spec.desiredUpdate. The program then waits
// until the CVO reports the release Completed (not in preview, not in GitOps render mode).
//
// `pulumi destroy` cannot undo this: OpenShift does not downgrade. The patch is retained on delete
// (the cluster stays on the release) and a local command says so when the stack is destroyed.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterAccess } from "./kubeApi";
import { CLUSTER_VERSION_PATH, clusterVersionPatchHead, renderClusterVersionPatch } from "../openshift/clusterVersion";
import { ClusterVersionObject, waitForClusterVersion } from "./clusterVersionWait";
import { shellQuote } from "../shell";

export interface ReleaseRolloutArgs {
    /** The cluster (a kubeconfig provider, or one rendering YAML for GitOps). */
    readonly provider: k8s.Provider;
    /** The release, `repo@sha256:…`. */
    readonly releaseImage: pulumi.Input<string>;
    /** desiredUpdate.force: needed for a release without a Red Hat signature. */
    readonly force: boolean;
    /** Poll the cluster until it runs the release; omitted in GitOps render mode. */
    readonly wait?: {
        readonly kubeconfig: pulumi.Input<string>;
        readonly context?: string;
        readonly timeoutMinutes: number;
        readonly access?: ClusterAccess;
    };
}

/** The message `pulumi destroy` prints; the cluster is left on the release. */
export function destroyNotice(image: string): string {
    return (
        `rhcos-forge: pulumi destroy leaves the cluster on release ${image}: OpenShift cannot be downgraded, ` +
        ("so ClusterVersion is not changed. To move on, roll out another release (or oc adm upgrade --to-image " +
            "<release@sha256:…> --allow-explicit-upgrade).")
    );
}

export class ReleaseRollout extends pulumi.ComponentResource {
    /** "release". */
    public readonly method: pulumi.Output<string>;
    /** The release the cluster is told to run. */
    public readonly releaseImage: pulumi.Output<string>;
    /** The version the cluster reported once updated; empty when not waited for. */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, args: ReleaseRolloutArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:rollout:ReleaseRollout", name, {}, opts);
        // Only the spec waits for the release: with the metadata an Output too, it would be unknown in
        // preview and the provider refuses a patch without a known metadata.name.
        const spec = pulumi.output(args.releaseImage).apply(image => renderClusterVersionPatch(image, args.force).spec);
        const cv = new k8s.apiextensions.CustomResourcePatch(
            `${name}-clusterversion`,
            { ...clusterVersionPatchHead(), spec },
            { parent: this, provider: args.provider, retainOnDelete: true },
        );

        // Runs nothing on create; on destroy it prints why the cluster is left as it is.
        const notice = new command.local.Command(
            `${name}-destroy-notice`,
            {
                create: "true",
                delete: pulumi
                    .output(args.releaseImage)
                    .apply(image => `printf '%s\\n' ${shellQuote(destroyNotice(image))} >&2`),
                interpreter: ["/bin/sh", "-c"],
                logging: "stderr",
                addPreviousOutputInEnv: false,
                // It prints nothing secret; every command's outputs are secret all the same, so the
                // state holds no command output in plain text and the rule needs no exceptions.
            },
            { parent: this, dependsOn: [cv], additionalSecretOutputs: ["stdout", "stderr"] },
        );

        const wait = args.wait;
        const waited =
            wait === undefined
                ? pulumi.output("")
                : pulumi.unsecret(
                      pulumi
                          .all([cv.id, notice.id, wait.kubeconfig, args.releaseImage])
                          .apply(async ([, , kubeconfig, image]) => {
                              const access = wait.access;
                              if (pulumi.runtime.isDryRun() || access === undefined) return "";
                              const reader = access.connect(kubeconfig, wait.context);
                              return waitForClusterVersion(
                                  image,
                                  async () =>
                                      (await reader.get(CLUSTER_VERSION_PATH)) as ClusterVersionObject | undefined,
                                  access.clock,
                                  {
                                      timeoutMs: wait.timeoutMinutes * 60_000,
                                      pollMs: Math.max(access.pollMs, 1),
                                      log: message => pulumi.log.info(message, this),
                                  },
                              );
                          }),
                  );

        this.method = pulumi.output("release");
        this.releaseImage = pulumi.output(args.releaseImage);
        this.version = waited;
        this.registerOutputs({ method: this.method, releaseImage: this.releaseImage, version: this.version });
    }
}
