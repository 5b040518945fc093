// What an OpenShift cluster owns that rhcos-forge reads or patches, installed on the test API
// server: the CRDs of one OpenShift release (../shared/crds/<release>/, openshift/api's
// generated manifests, INDEX.tsv lists them), the MCO namespace, the machine-config-osimageurl
// ConfigMap, the MCO's own `master` and `worker` MachineConfigPools with the selectors of
// openshift/machine-config-operator manifests/{master,worker}.machineconfigpool.yaml, the base
// MachineConfigs those pools render from, Nodes, and ClusterVersion `version`.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as yaml from "js-yaml";
import { REPO_ROOT, run, waitFor } from "../../dev/proc";
import { KubeClient, KubeObject } from "./kube";

/** CI lays shared/ beside the clone; RF_CRD_DIR overrides. */
export const CRD_ROOT = process.env.RF_CRD_DIR ?? resolve(REPO_ROOT, "..", "shared", "crds");

export const MCO_API = "machineconfiguration.openshift.io/v1";
export const MCO_NAMESPACE = "openshift-machine-config-operator";
export const ROLE_LABEL = "machineconfiguration.openshift.io/role";
/** The field manager the seed writes with: the cluster's installer / operators. */
export const SEED_MANAGER = "cluster-version-operator";

export interface SeedOptions {
    /** ../shared/crds/<release>, e.g. "release-4.19". */
    readonly release: string;
    /** The cluster's RHCOS, `repo@sha256:…` (ConfigMap baseOSContainerImage). */
    readonly baseImage: string;
    /** Worker nodes (master-0..2 are always there). */
    readonly workers?: readonly string[];
    /** The version ClusterVersion reports as current. */
    readonly version?: string;
    /** The release image ClusterVersion reports as current. */
    readonly releaseImage?: string;
    /**
     * The `generated-by-controller-version` the MCO-generated MachineConfigs carry: the real render
     * controller renders only those stamped with its own version.Hash (render_controller.go
     * generateRenderedMachineConfig); the simulator ignores it.
     */
    readonly controllerVersion?: string;
    /** Runs once the objects but the nodes exist (the real controllers start here). */
    readonly beforeNodes?: () => Promise<void>;
    /**
     * Annotations a node of `role` is created with. With the real controllers these are what the
     * installer leaves on a node that booted its pool's rendered config (the Machine Config Server
     * serves them in the node's Ignition, machine-config-daemon firstboot writes them):
     * currentConfig = desiredConfig = the pool's rendered config, state Done.
     */
    readonly nodeAnnotations?: (role: "master" | "worker") => Promise<Record<string, string>>;
}

export interface Seeded {
    readonly workers: readonly string[];
    readonly masters: readonly string[];
    /** Labels every worker starts with (besides its role), which rhcos-forge must leave alone. */
    readonly workerLabels: (node: string) => Record<string, string>;
    /** The CRDs installed: `<plural>.<group>` → served versions. */
    readonly crds: Record<string, string[]>;
}

interface Crd extends KubeObject {
    spec: {
        group: string;
        names: { plural: string; kind: string };
        versions: { name: string; served: boolean }[];
    } & Record<string, unknown>;
    status?: { conditions?: { type: string; status: string }[] };
}

/** Installs every CRD of the release and waits until the API serves each. */
export async function installCrds(client: KubeClient, release: string): Promise<Record<string, string[]>> {
    return installCrdDir(client, join(CRD_ROOT, release));
}

/**
 * Installs the CRD manifests of a directory (those already there are left alone with
 * `skipExisting`) and waits until the API serves each; returns name → served versions.
 */
export async function installCrdDir(
    client: KubeClient,
    dir: string,
    opts: { readonly skipExisting?: boolean } = {},
): Promise<Record<string, string[]>> {
    const crds: Record<string, string[]> = {};
    for (const file of readdirSync(dir)
        .filter(f => f.endsWith(".yaml"))
        .sort()) {
        const crd = yaml.load(readFileSync(join(dir, file), "utf8")) as Crd;
        if (
            opts.skipExisting &&
            (await client.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)) !==
                undefined
        )
            continue;
        await client.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        crds[crd.metadata.name] = crd.spec.versions.filter(v => v.served).map(v => v.name);
    }
    for (const name of Object.keys(crds)) {
        await waitEstablished(client, name);
    }
    return crds;
}

/** The MCO's pool as its manifests declare it (labels and selectors are the real ones). */
export function mcoPool(role: "master" | "worker"): KubeObject {
    const labels: Record<string, string> = {
        "machineconfiguration.openshift.io/mco-built-in": "",
        [`pools.operator.machineconfiguration.openshift.io/${role}`]: "",
    };
    if (role === "master") labels["operator.machineconfiguration.openshift.io/required-for-upgrade"] = "";
    return {
        apiVersion: MCO_API,
        kind: "MachineConfigPool",
        metadata: { name: role, labels },
        spec: {
            machineConfigSelector: { matchLabels: { [ROLE_LABEL]: role } },
            nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${role}`]: "" } },
        },
    };
}

/** The MachineConfigs the MCO generates for a role (content trimmed to an Ignition stub). */
function baseMachineConfigs(role: "master" | "worker", controllerVersion: string): KubeObject[] {
    return ["00", "01-container-runtime", "01-kubelet"].map(prefix => {
        const [num, ...rest] = prefix.split("-");
        const name = [num, role, ...rest].join("-");
        return {
            apiVersion: MCO_API,
            kind: "MachineConfig",
            metadata: {
                name,
                labels: { [ROLE_LABEL]: role },
                annotations: { "machineconfiguration.openshift.io/generated-by-controller-version": controllerVersion },
            },
            spec: { config: { ignition: { version: "3.5.0" } } },
        };
    });
}

function node(name: string, labels: Record<string, string>, annotations: Record<string, string>): KubeObject {
    return { apiVersion: "v1", kind: "Node", metadata: { name, labels, annotations } };
}

const T0 = "2026-01-01T00:00:00Z";

export async function seedCluster(client: KubeClient, opts: SeedOptions): Promise<Seeded> {
    const crds = await installCrds(client, opts.release);
    const workers = opts.workers ?? ["worker-0", "worker-1", "worker-2", "worker-3"];
    const masters = ["master-0", "master-1", "master-2"];
    const version = opts.version ?? "4.19.10";
    const releaseImage = opts.releaseImage ?? `quay.io/openshift-release-dev/ocp-release@sha256:${"1".repeat(64)}`;

    await client.create("/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: MCO_NAMESPACE },
    });
    await client.create(`/api/v1/namespaces/${MCO_NAMESPACE}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "machine-config-osimageurl", namespace: MCO_NAMESPACE },
        data: {
            releaseVersion: version,
            baseOSContainerImage: opts.baseImage,
            baseOSExtensionsContainerImage: opts.baseImage.replace(/@sha256:.*$/, `@sha256:${"e".repeat(64)}`),
            osImageURL: "",
        },
    });
    for (const role of ["master", "worker"] as const) {
        await client.create(`/apis/${MCO_API}/machineconfigpools`, mcoPool(role));
        for (const mc of baseMachineConfigs(role, opts.controllerVersion ?? "rf-e2e"))
            await client.create(`/apis/${MCO_API}/machineconfigs`, mc);
    }

    const common = (name: string): Record<string, string> => ({
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "node.openshift.io/os_id": "rhcos",
    });
    const workerLabels = (name: string): Record<string, string> => ({
        ...common(name),
        "node-role.kubernetes.io/worker": "",
        "topology.kubernetes.io/zone": `zone-${name.slice(-1)}`,
        "example.com/team": "payments",
    });
    await opts.beforeNodes?.();
    const masterAnnotations = (await opts.nodeAnnotations?.("master")) ?? {};
    for (const m of masters) {
        await client.create(
            "/api/v1/nodes",
            node(
                m,
                { ...common(m), "node-role.kubernetes.io/master": "", "node-role.kubernetes.io/control-plane": "" },
                masterAnnotations,
            ),
        );
    }
    const workerAnnotations = (await opts.nodeAnnotations?.("worker")) ?? {};
    for (const w of workers) await client.create("/api/v1/nodes", node(w, workerLabels(w), workerAnnotations));
    for (const n of [...masters, ...workers]) {
        const live = await client.mustGet(`/api/v1/nodes/${n}`);
        await client.update(`/api/v1/nodes/${n}/status`, {
            ...live,
            status: {
                conditions: [
                    {
                        type: "Ready",
                        status: "True",
                        reason: "KubeletReady",
                        message: "kubelet is posting ready status",
                        lastHeartbeatTime: T0,
                        lastTransitionTime: T0,
                    },
                ],
                nodeInfo: {
                    architecture: "amd64",
                    bootID: "",
                    containerRuntimeVersion: "cri-o://1.32.0",
                    kernelVersion: "5.14.0-570.el9.x86_64",
                    kubeProxyVersion: "",
                    kubeletVersion: "v1.32.5",
                    machineID: "",
                    operatingSystem: "linux",
                    osImage: "Red Hat Enterprise Linux CoreOS 9.6",
                    systemUUID: "",
                },
            },
        });
    }

    const cvPath = "/apis/config.openshift.io/v1/clusterversions";
    const cv = await client.create(cvPath, {
        apiVersion: "config.openshift.io/v1",
        kind: "ClusterVersion",
        metadata: { name: "version" },
        spec: {
            clusterID: "6a0ab6a8-3a2c-4f5e-9a44-5b0d9d6f1a3e",
            channel: `stable-${version.split(".").slice(0, 2).join(".")}`,
        },
    });
    await client.update(`${cvPath}/version/status`, {
        ...cv,
        status: {
            desired: { image: releaseImage, version },
            history: [
                {
                    state: "Completed",
                    image: releaseImage,
                    version,
                    startedTime: T0,
                    completionTime: T0,
                    verified: true,
                },
            ],
            observedGeneration: cv.metadata.generation ?? 1,
            versionHash: "rf-e2e-seed",
            availableUpdates: null,
            conditions: [
                { type: "Available", status: "True", lastTransitionTime: T0, message: `Done applying ${version}` },
                { type: "Failing", status: "False", lastTransitionTime: T0 },
                {
                    type: "Progressing",
                    status: "False",
                    lastTransitionTime: T0,
                    message: `Cluster version is ${version}`,
                },
                {
                    type: "ReleaseAccepted",
                    status: "True",
                    lastTransitionTime: T0,
                    reason: "PayloadLoaded",
                    message: `Payload loaded version="${version}" image="${releaseImage}"`,
                },
            ],
        },
    });
    return { workers, masters, workerLabels, crds };
}

/**
 * TEST ONLY: the ImageStream `openshift/driver-toolkit` as a release installs it
 * (openshift/driver-toolkit manifests/01-openshift-imagestream.yaml, its placeholder rewritten to
 * `pullspec` as `oc adm release new` does). On OpenShift ImageStreams are served by the
 * aggregated openshift-apiserver, not by a CRD, and ../shared/crds has none; here a CRD of the
 * same group, version, kind and plural (its schema left open) lets the API server store one,
 * which is all the program reads (a GET of the object). Returns the object's path.
 */
export async function seedDriverToolkit(client: KubeClient, pullspec: string): Promise<string> {
    const name = "imagestreams.image.openshift.io";
    if ((await client.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)) === undefined) {
        await client.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name },
            spec: {
                group: "image.openshift.io",
                scope: "Namespaced",
                names: {
                    plural: "imagestreams",
                    singular: "imagestream",
                    kind: "ImageStream",
                    listKind: "ImageStreamList",
                },
                versions: [
                    {
                        name: "v1",
                        served: true,
                        storage: true,
                        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
                    },
                ],
            },
        });
        await waitEstablished(client, name);
    }
    if ((await client.get("/api/v1/namespaces/openshift")) === undefined) {
        await client.create("/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "openshift" },
        });
    }
    const tag = (tagName: string) => ({
        name: tagName,
        importPolicy: { scheduled: true, importMode: "PreserveOriginal" },
        from: { kind: "DockerImage", name: pullspec },
    });
    await client.create("/apis/image.openshift.io/v1/namespaces/openshift/imagestreams", {
        apiVersion: "image.openshift.io/v1",
        kind: "ImageStream",
        metadata: { namespace: "openshift", name: "driver-toolkit" },
        spec: { tags: [tag("latest"), tag("419.96.202510140000-0")] },
    });
    return "/apis/image.openshift.io/v1/namespaces/openshift/imagestreams/driver-toolkit";
}

/** openshift/api's ClusterOperator CRD, as vendored in the MCO source the controllers are built from. */
const MCO_TARBALL = resolve(REPO_ROOT, "..", "shared", "upstream", "machine-config-operator-release-4.21.tar.gz");
const CLUSTER_OPERATOR_CRD =
    "machine-config-operator-release-4.21/vendor/github.com/openshift/api/config/v1/zz_generated.crd" +
    "-manifests/0000_00_cluster-version-operator_01_clusteroperators.crd.yaml";

/**
 * The ClusterOperator `machine-config` as the MCO declares it (install/0000_80_machine-config_00_clusteroperator.yaml)
 * with the version it reports in status.versions (name "operator"): the CVO waits for it during an
 * update, and so does rhcos-forge's cluster.upgrade. The CRD comes from the MCO's vendored openshift/api.
 */
export async function seedMachineConfigOperator(client: KubeClient): Promise<void> {
    const crd = yaml.load((await run("tar", ["xzf", MCO_TARBALL, "-O", CLUSTER_OPERATOR_CRD])).stdout) as Crd;
    await client.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    await waitFor(
        `CRD ${crd.metadata.name} established`,
        async () => {
            const got = await client.mustGet<Crd>(
                `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
            );
            return (got.status?.conditions ?? []).some(c => c.type === "Established" && c.status === "True");
        },
        60_000,
    );
    const cm = await client.mustGet(`/api/v1/namespaces/${MCO_NAMESPACE}/configmaps/machine-config-osimageurl`);
    const version = cm.data?.releaseVersion ?? "";
    const path = "/apis/config.openshift.io/v1/clusteroperators";
    const co = await client.create(path, {
        apiVersion: "config.openshift.io/v1",
        kind: "ClusterOperator",
        metadata: { name: "machine-config" },
        spec: {},
    });
    await client.update(`${path}/machine-config/status`, {
        ...co,
        status: {
            versions: [{ name: "operator", version }],
            conditions: [
                {
                    type: "Available",
                    status: "True",
                    lastTransitionTime: T0,
                    message: `Cluster has deployed [{operator ${version}}]`,
                },
                {
                    type: "Progressing",
                    status: "False",
                    lastTransitionTime: T0,
                    message: `Cluster version is ${version}`,
                },
                { type: "Degraded", status: "False", lastTransitionTime: T0 },
            ],
        },
    });
}

/** Waits until the API server serves the CRD `name` (condition Established). */
async function waitEstablished(client: KubeClient, name: string): Promise<void> {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    await waitFor(
        `CRD ${name} established`,
        async () =>
            ((await client.mustGet<Crd>(path)).status?.conditions ?? []).some(
                c => c.type === "Established" && c.status === "True",
            ),
        60_000,
    );
}
