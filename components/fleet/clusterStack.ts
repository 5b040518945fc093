// A cluster stack (rhcos-forge:image.from): no build host, mirror or build. It reads the image
// another stack hands on (StackImage), checks it with the same base gate against its own
// cluster's RHCOS (image/baseGate.ts) and rolls it out with the same OsImageRollout a building
// stack uses, so its preview shows the same MachineConfig diff: `osImageURL: <old> => <new>`.
//
// A promotion ring (image.from.take finished) whose source has not finished plans nothing: every
// pool's MachineConfig is declared again with the image it names on the cluster now, so the
// engine sees no change, and the stack says why (pulumi.log.warn). The previous digest is read
// from the cluster, not from this stack's state: the MachineConfig is what the nodes follow, and a
// hand edit or a reverted pool is then kept as it is rather than put back.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterStackConfig } from "../config/clusterStack";
import { Take } from "../config/fleet";
import { gateImageRef } from "../image/baseGate";
import { ClusterBaseImage } from "../image/clusterBaseImage";
import { currentPoolImage } from "../rollout/healthGate";
import { ClusterAccess } from "../rollout/kubeApi";
import { OsImageRollout, PoolRollout, rolloutWait } from "../rollout/osImageRollout";
import { SourceImage, keptImages } from "./source";
import { StackImage } from "./stackImage";

/** What a stack has finished rolling out: set only once every pool reported done. */
export interface FinishedImage {
    readonly ref: string;
    readonly digest: string;
    readonly base: string;
}

/** The stack outputs of a cluster stack; `rollout.finished` is what the next ring reads. */
export interface ClusterStackOutputs {
    readonly image: pulumi.Output<{ ref: string; digest: string; base: string; packages?: unknown }>;
    readonly source: { stack: string; take: Take; state: pulumi.Output<string>; reason?: string };
    readonly rollout: {
        method: pulumi.Output<string>;
        pools: pulumi.Output<PoolRollout[]>;
        finished?: pulumi.Output<FinishedImage | undefined>;
    };
}

export interface ClusterStackDeps {
    /** How the program reads the cluster (previous MachineConfigs, pool waits); undefined: not at all. */
    readonly clusterAccess?: ClusterAccess;
}

/**
 * `image` once `done` resolves, where the rollout is waited for (and no pool is paused: a paused
 * pool is not waited for); in a preview it is what a successful up will export. Rendered
 * manifests (GitOps) finish nothing this program can see.
 */
export function finishedImage(
    waited: boolean,
    done: pulumi.Output<boolean>,
    image: pulumi.Input<FinishedImage | undefined>,
): pulumi.Output<FinishedImage | undefined> | undefined {
    if (!waited) return undefined;
    return pulumi
        .all([done, image])
        .apply(([, img]) => (img === undefined ? undefined : { ref: img.ref, digest: img.digest, base: img.base }));
}

/** The osImageURL each pool's MachineConfig names on the cluster now (undefined: none yet). */
async function currentImages(
    access: ClusterAccess,
    kubeconfig: string,
    context: string | undefined,
    pools: readonly string[],
): Promise<Record<string, string | undefined>> {
    const reader = access.connect(kubeconfig, context);
    return Object.fromEntries(
        await Promise.all(pools.map(async pool => [pool, await currentPoolImage(reader, pool)] as const)),
    );
}

export async function buildClusterStack(c: ClusterStackConfig, deps: ClusterStackDeps): Promise<ClusterStackOutputs> {
    const reader =
        c.kubeconfig === undefined
            ? undefined
            : new k8s.Provider("cluster-reader", {
                  kubeconfig: pulumi.secret(c.kubeconfig),
                  context: c.cluster.context,
              });
    const writer =
        c.cluster.renderTo !== undefined
            ? new k8s.Provider("cluster-render", { renderYamlToDirectory: c.cluster.renderTo })
            : reader;
    // parseStack guarantees a kubeconfig unless manifests are only rendered.
    if (writer === undefined) throw new Error("rhcos-forge:kubeconfig is required");
    const wait = rolloutWait(c, deps.clusterAccess);
    const { stack, take } = c.image.from;
    const source = new StackImage("source", { stack, take });
    const verdict = await source.read();
    const clusterBase = reader === undefined ? undefined : new ClusterBaseImage("base", { provider: reader }).ref;
    const pools = c.rollout.pools;

    if (verdict.state === "ready") {
        const img = verdict.image;
        pulumi.log.info(
            `${stack} hands on ${img.ref} ` +
                `(${take === "finished" ? "finished rolling out there" : "its built image"}); pools ` +
                `${pools.map(p => p.name).join(", ")} move to ${img.digest} in this order`,
        );
        // The same release gate a building stack has: never a MachineConfig naming an image built
        // on another RHCOS than this cluster's (known in preview: both sides are reads).
        const imageRef =
            clusterBase === undefined
                ? pulumi.output(img.ref)
                : clusterBase.apply(current =>
                      gateImageRef(
                          img.ref,
                          { imageBase: img.base, clusterBase: current, allowMismatch: c.image.allowBaseMismatch },
                          m => pulumi.log.warn(m),
                      ),
                  );
        const rolled = new OsImageRollout("rollout", { provider: writer, imageRef, pools, wait });
        return {
            image: pulumi.output(image(img)),
            source: { stack, take, state: pulumi.output("ready") },
            rollout: {
                method: rolled.method,
                pools: rolled.pools,
                finished: finishedImage(
                    wait?.access !== undefined && !pools.some(p => p.paused),
                    rolled.done,
                    image(img),
                ),
            },
        };
    }

    // The source has not finished: keep what each pool runs.
    if (wait?.access === undefined || c.kubeconfig === undefined) {
        throw new Error(
            `${verdict.reason}; with rhcos-forge:cluster.renderTo this stack cannot read which image its ` +
                `pools' MachineConfigs name now, and rendering none would remove them, so it renders nothing: run ` +
                `it again once ${stack} has finished`,
        );
    }
    const current = await currentImages(
        wait.access,
        c.kubeconfig,
        c.cluster.context,
        pools.map(p => p.name),
    );
    const { kept, without } = keptImages(current);
    const keptPools = pools.filter(p => kept[p.name] !== undefined);
    const keeping =
        keptPools.length > 0
            ? `Pools ${keptPools.map(p => `${p.name} keep ${kept[p.name]}`).join(", ")}`
            : "No pool has an image yet";
    const waiting =
        without.length > 0 ? `; pools ${without.join(", ")} are left as they are until ${stack} finishes` : "";
    pulumi.log.warn(`${verdict.reason}: nothing to roll out. ${keeping}${waiting}.`);
    const rolled =
        keptPools.length === 0
            ? undefined
            : new OsImageRollout("rollout", { provider: writer, imageRefs: kept, pools: keptPools, wait });
    const refs = [...new Set(Object.values(kept))];
    // One image on every pool is what this stack finished before; anything else is not finished.
    const same = refs.length === 1 && without.length === 0 ? refs[0] : undefined;
    const held =
        same === undefined ? undefined : clusterBase?.apply(base => ({ ref: same, digest: same.split("@")[1], base }));
    return {
        image: pulumi.output(held ?? { ref: "", digest: "", base: "" }),
        source: { stack, take, state: pulumi.output("unfinished"), reason: verdict.reason },
        rollout: {
            method: pulumi.output("machineconfig"),
            pools: rolled?.pools ?? pulumi.output([]),
            finished:
                rolled === undefined || held === undefined
                    ? undefined
                    : finishedImage(!pools.some(p => p.paused), rolled.done, held),
        },
    };
}

function image(img: SourceImage): { ref: string; digest: string; base: string; packages?: unknown } {
    return {
        ref: img.ref,
        digest: img.digest,
        base: img.base,
        ...(img.packages === undefined ? {} : { packages: img.packages }),
    };
}
