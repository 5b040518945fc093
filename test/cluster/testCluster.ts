// One test cluster: the API server (apiServer.ts), the objects an OpenShift cluster owns
// (seed.ts) and the MCO simulator (mcoSimulator.ts) watching it, plus what the e2e tests ask of
// them: who wrote what (the audit log), snapshots of the objects rhcos-forge touches, and a stack
// config pointed at the cluster.
import { readFileSync, writeFileSync } from "node:fs";
import * as yaml from "js-yaml";
import { Env } from "../../dev/proc";
import { ApiServer, AuditEvent, WRITE_VERBS, startApiServer } from "./apiServer";
import { KubeObject } from "./kube";
import {
    McoControllers,
    installControllerCrds,
    mcoControllersBinary,
    seedControllerConfig,
    seedScheduler,
    startMcoControllers,
} from "./mcoControllers";
import { McoSimulator } from "./mcoSimulator";
import { MCO_API, SEED_MANAGER, Seeded, seedCluster, seedMachineConfigOperator } from "./seed";
import { waitFor } from "../../dev/proc";

/**
 * Requests that are not rhcos-forge's: the simulator's and the tests' own clients (rf-test/<manager>)
 * and the cluster's own components (the API server's leases and endpoints, the garbage collector).
 */
const NOT_RHCOS_FORGE = /^(rf-test|kube-apiserver|kube-controller-manager|rf-mco-controllers)\//;

export interface TestCluster {
    readonly api: ApiServer;
    readonly seeded: Seeded;
    readonly sim: McoSimulator;
    /** The real render, node and drain controllers, when the cluster runs them. */
    readonly controllers?: McoControllers;
    /**
     * Requests by anyone but the tests and the simulator (rhcos-forge: the provider and the waits),
     * from audit index `from`.
     */
    foreign(from?: number): AuditEvent[];
    /** Writes among those. */
    foreignWrites(from?: number): AuditEvent[];
    /** The audit log's length now (an index for `foreign`). */
    auditMark(): number;
    /** name → resourceVersion of every MachineConfig (but rendered ones), pool, node and MachineOSConfig. */
    snapshot(): Promise<Record<string, string>>;
    stop(): Promise<void>;
}

export interface TestClusterOptions {
    /** ../shared/crds/<release> */
    readonly release: string;
    /** The cluster's baseOSContainerImage. */
    readonly baseImage: string;
    readonly machineOSApi?: "v1" | "v1alpha1";
    readonly name?: string;
    /**
     * "upstream": the real render, node and drain controllers of machine-config-operator
     * release-4.21 (mcoControllers.ts) run, and the simulator plays only the daemon, the build and
     * the CVO. "simulated": the simulator plays all of the MCO (the 4.16 v1alpha1 cluster).
     */
    readonly controllers?: "upstream" | "simulated";
    /** The worker nodes (default: seed.ts's four). */
    readonly workers?: readonly string[];
    /** Seed the machine-config ClusterOperator (seed.ts seedMachineConfigOperator), for upgrades. */
    readonly clusterOperator?: boolean;
    /** An image's config labels, for the node readiness double (mcoSimulator.ts BREAKS_NODE). */
    readonly imageLabels?: (image: string) => Promise<Record<string, string>>;
}

export async function startTestCluster(env: Env, opts: TestClusterOptions): Promise<TestCluster> {
    const upstream = opts.controllers === "upstream";
    // Built before the API server starts (minutes the first time on a machine).
    const binary = upstream ? await mcoControllersBinary() : undefined;
    const api = await startApiServer(env, opts.name ?? "apiserver");
    const seedClient = api.clientAs(SEED_MANAGER);
    let controllers: McoControllers | undefined;
    const seeded = await seedCluster(seedClient, {
        release: opts.release,
        baseImage: opts.baseImage,
        ...(opts.workers === undefined ? {} : { workers: opts.workers }),
        ...(binary === undefined
            ? {}
            : {
                  controllerVersion: binary.versions.hash,
                  beforeNodes: async () => {
                      await installControllerCrds(seedClient, binary.crdDir);
                      const cm = await seedClient.mustGet(
                          `/api/v1/namespaces/openshift-machine-config-operator/configmaps/machine-config-osimageurl`,
                      );
                      await seedControllerConfig(seedClient, {
                          versions: binary.versions,
                          baseImage: cm.data?.baseOSContainerImage ?? opts.baseImage,
                          extensionsImage: cm.data?.baseOSExtensionsContainerImage ?? "",
                          releaseVersion: cm.data?.releaseVersion ?? "",
                      });
                      await seedScheduler(seedClient);
                      controllers = startMcoControllers(
                          env,
                          binary,
                          api.kubeconfigPath,
                          `${opts.name ?? "apiserver"}-mco-controllers`,
                      );
                  },
                  // What a node that booted its pool's rendered config carries (seed.ts nodeAnnotations).
                  nodeAnnotations: async (role: "master" | "worker") => {
                      let rendered = "";
                      await waitFor(
                          `the render controller renders pool ${role}`,
                          async () => {
                              const pool = await seedClient.mustGet(`/apis/${MCO_API}/machineconfigpools/${role}`);
                              rendered = (pool.spec?.configuration as { name?: string } | undefined)?.name ?? "";
                              return rendered !== "";
                          },
                          120_000,
                      ).catch((e: unknown) => {
                          throw new Error(`${String(e)}; controllers' log:\n${controllers?.log().slice(-4000) ?? ""}`);
                      });
                      return {
                          "machineconfiguration.openshift.io/currentConfig": rendered,
                          "machineconfiguration.openshift.io/desiredConfig": rendered,
                          "machineconfiguration.openshift.io/state": "Done",
                          "machineconfiguration.openshift.io/reason": "",
                          "machineconfiguration.openshift.io/desiredDrain": `uncordon-${rendered}`,
                          "machineconfiguration.openshift.io/lastAppliedDrain": `uncordon-${rendered}`,
                      };
                  },
              }),
    });
    if (opts.clusterOperator === true) await seedMachineConfigOperator(seedClient);
    const foreign = (from = 0): AuditEvent[] =>
        api
            .auditEvents()
            .slice(from)
            .filter(e => !NOT_RHCOS_FORGE.test(e.userAgent ?? ""));
    const sim = new McoSimulator(api.clientAs("machine-config-controller"), {
        controllers: upstream ? "upstream" : "simulated",
        machineOSApi: opts.machineOSApi,
        imageLabels: opts.imageLabels,
        // The CVO steps once per read of ClusterVersion by rhcos-forge (the provider or the wait).
        clusterVersionReads: sinceMs =>
            foreign().filter(
                e =>
                    e.verb === "get" &&
                    e.objectRef?.resource === "clusterversions" &&
                    e.objectRef.name === "version" &&
                    Date.parse(e.requestReceivedTimestamp ?? e.stageTimestamp ?? "") > sinceMs,
            ).length,
    });
    await sim.start();
    await sim.settled().catch((e: unknown) => {
        throw new Error(`${String(e)}; controllers' log:\n${controllers?.log().slice(-4000) ?? ""}`);
    });
    const mos =
        opts.machineOSApi === undefined
            ? undefined
            : `/apis/machineconfiguration.openshift.io/${opts.machineOSApi}/machineosconfigs`;
    return {
        api,
        seeded,
        sim,
        controllers,
        foreign,
        foreignWrites: from => foreign(from).filter(e => WRITE_VERBS.has(e.verb)),
        auditMark: () => api.auditEvents().length,
        async snapshot() {
            const out: Record<string, string> = {};
            const add = (kind: string, items: KubeObject[]): void => {
                for (const o of items)
                    if (!o.metadata.name.startsWith("rendered-"))
                        out[`${kind}/${o.metadata.name}`] = o.metadata.resourceVersion ?? "";
            };
            add("MachineConfig", (await api.client.list(`/apis/${MCO_API}/machineconfigs`)).items);
            add("MachineConfigPool", (await api.client.list(`/apis/${MCO_API}/machineconfigpools`)).items);
            add("Node", (await api.client.list("/api/v1/nodes")).items);
            if (mos !== undefined) add("MachineOSConfig", (await api.client.list(mos)).items);
            return out;
        },
        async stop() {
            await sim.stop();
            await controllers?.stop();
            await api.stop();
        },
    };
}

type StackFile = { encryptionsalt?: string; config: Record<string, Record<string, unknown> | string | unknown> };

/**
 * Points a stack file written by the e2e setup (GitOps render mode) at the cluster instead: no
 * renderTo, so the kubeconfig (a secret set separately) is applied to and waited on. `edit` gets
 * the `rhcos-forge:*` sections to change in place.
 */
export function pointAtCluster(
    configFile: string,
    edit: (c: Record<string, Record<string, unknown>>) => void = () => undefined,
): void {
    const doc = yaml.load(readFileSync(configFile, "utf8")) as StackFile;
    const c = doc.config as Record<string, Record<string, unknown>>;
    const cluster = { ...(c["rhcos-forge:cluster"] ?? {}) };
    delete cluster.renderTo;
    c["rhcos-forge:cluster"] = cluster;
    edit(c);
    writeFileSync(
        configFile,
        `# Generated for the e2e cluster tests; do not commit.\n${yaml.dump(doc, { lineWidth: 120 })}`,
    );
}
