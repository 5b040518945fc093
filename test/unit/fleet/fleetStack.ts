// A cluster stack's config for the fleet tests: rhcos-forge:image.from and the cluster keys only,
// as the engine hands them to the program (structured values as JSON text).
import { ClusterAccess, KubeReader } from "../../../components/rollout/kubeApi";
import { CLUSTER_BASE, Registration, TEST_SECRETS } from "../harness";

export const SOURCE = "organization/rhcos-forge/image";
export const BUILT_REF = `quay.io/example-org/rhcos-forge@sha256:${"1".repeat(64)}`;

/** The outputs of a source stack that exports `ref` (on CLUSTER_BASE), as the mocks hand them to StackReference. */
export function sourceOutputs(ref: string, extra: { image?: object; rollout?: object } = {}): Record<string, unknown> {
    const image = { ref, digest: ref.split("@")[1], base: CLUSTER_BASE, ...extra.image };
    return { image, rollout: { method: "machineconfig", pools: [], ...extra.rollout } };
}

export function clusterStackConfig(extra: Record<string, unknown> = {}): Record<string, string> {
    const cfg: Record<string, unknown> = {
        image: { from: { stack: SOURCE, take: "image" } },
        cluster: { openshiftVersion: "4.19" },
        rollout: { pools: [{ name: "canary", nodes: ["worker-0"] }, { name: "worker" }] },
        kubeconfig: TEST_SECRETS.kubeconfig,
        ...extra,
    };
    return Object.fromEntries(
        Object.entries(cfg).map(([k, v]) => [`rhcos-forge:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

/**
 * The fake cluster's access with some reads answered first: `get` returns what the fake returns
 * unless `answer` does (`undefined` passes the read on; `null` answers "not found").
 */
export function withAnswers(
    access: ClusterAccess,
    answer: (path: string, inner: KubeReader) => Promise<unknown> | unknown,
    send?: KubeReader["send"],
): ClusterAccess {
    return {
        ...access,
        connect: (kubeconfig, context) => {
            const inner = access.connect(kubeconfig, context);
            return {
                async get(path: string) {
                    const got = await answer(path, inner);
                    return got === null ? undefined : (got ?? inner.get(path));
                },
                ...(send === undefined ? {} : { send }),
            };
        },
    };
}

/** [name, osImageURL] of a registered MachineConfig. */
export const nameAndImage = (m: Registration): [string, string] => [
    (m.inputs.metadata as { name: string }).name,
    (m.inputs.spec as { osImageURL: string }).osImageURL,
];
