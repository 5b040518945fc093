// End to end against a real API server and the real MCO controllers (see clusterKit.ts): on-cluster
// layering (MachineOSConfig), its content, the release method, GitOps render mode applied with
// server-side apply, the MachineOSConfig CEL rules and the driver-toolkit ImageStream.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { ConfigError, parseStackConfig } from "../../components/config/parse";
import { checkMachineOSConfigName, renderMachineOSConfig } from "../../components/openshift/machineOsConfig";
import { OpenShiftVersion } from "../../components/openshift/versions";
import { REPO_ROOT } from "../../dev/proc";
import { Stack, openStack } from "../../dev/pulumiCli";
import { KubeClient, KubeError, KubeObject } from "../cluster/kube";
import { REBUILD } from "../cluster/mcoSimulator";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { MCO_NAMESPACE, seedDriverToolkit } from "../cluster/seed";
import { TestCluster, pointAtCluster, startTestCluster } from "../cluster/testCluster";
import { PASSPHRASE, assertStateHoldsNoSecrets, ROLLOUT_TIMEOUT_MINUTES } from "./setup";
import * as kit from "./clusterKit";

kit.useCluster();

interface Mosc extends KubeObject {
    spec?: Record<string, unknown>;
    status?: { currentImagePullSpec?: string; currentImagePullspec?: string };
}
interface Mosb extends KubeObject {
    spec?: { machineOSConfig?: { name?: string } };
    status?: {
        digestedImagePushSpec?: string;
        finalImagePullspec?: string;
        conditions?: { type: string; status: string }[];
    };
}

/** The image the pool's succeeded MachineOSBuilds report (the newest last), as the server has them. */
async function builtImages(client: KubeClient, api: "v1" | "v1alpha1", pool: string): Promise<string[]> {
    const list = await client.list<Mosb>(`/apis/machineconfiguration.openshift.io/${api}/machineosbuilds`);
    return list.items
        .filter(
            b =>
                b.spec?.machineOSConfig?.name === pool &&
                (b.status?.conditions ?? []).some(c => c.type === "Succeeded" && c.status === "True"),
        )
        .map(b => b.status?.digestedImagePushSpec ?? b.status?.finalImagePullspec ?? "");
}

describe("on-cluster layering against the API server (MachineOSConfig v1, OpenShift 4.21 CRDs)", () => {
    const moscPath = (pool: string): string => `/apis/machineconfiguration.openshift.io/v1/machineosconfigs/${pool}`;

    it("up: the server accepts v1 MachineOSConfigs, the MCO builds each pool, image.ref is its digest", async () => {
        kit.configureOnCluster("4.21", [{ name: "canary", nodes: [kit.CANARY_NODE] }, { name: "worker" }]);
        const from = kit.cluster.sim.record.length;
        await kit.pulumi(["up", "--yes"]);
        await kit.cluster.sim.settled();
        for (const pool of ["canary", "worker"]) {
            const mosc = await kit.cluster.api.client.mustGet<Mosc>(moscPath(pool));
            assert.equal(mosc.apiVersion, "machineconfiguration.openshift.io/v1");
            assert.equal(mosc.spec?.renderedImagePushSpec, `${kit.ONCLUSTER_REPO}:${pool}`);
        }
        const secret = await kit.cluster.api.client.mustGet(
            `/api/v1/namespaces/${MCO_NAMESPACE}/secrets/rhcos-forge-registry-push`,
        );
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        const [workerImage] = await builtImages(kit.cluster.api.client, "v1", "worker");
        const [canaryImage] = await builtImages(kit.cluster.api.client, "v1", "canary");
        assert.match(workerImage, new RegExp(`^${kit.ONCLUSTER_REPO.replace(/\./g, "\\.")}@sha256:[a-f0-9]{64}$`));
        assert.equal(
            (await kit.e2e.outputs()).image.ref,
            workerImage,
            "image.ref is the last pool's build, as the server reports it",
        );
        assert.equal(kit.cluster.sim.nodeUpdates(kit.CANARY_NODE, from).at(-1)?.summary.toImage, canaryImage);
        for (const n of ["worker-1", "worker-2", "worker-3"])
            assert.equal(kit.cluster.sim.nodeUpdates(n, from).at(-1)?.summary.toImage, workerImage);
        const seen = kit.cluster.sim.record.slice(from);
        const canaryDone = kit.first(
            seen,
            e =>
                e.kind === "MachineConfigPool" &&
                e.name === "canary" &&
                String((e.summary.messages as Record<string, string>).Updated ?? "").includes(canaryImage),
            "the canary pool Updated with its image",
        );
        const workerMosc = kit.first(
            seen,
            e => e.kind === "MachineOSConfig" && e.name === "worker",
            "the worker MachineOSConfig",
        );
        assert.ok(canaryDone.rv < workerMosc.rv, "the worker MachineOSConfig came after the canary pool was updated");
    });

    it("a failed build stops the rollout with the build's message; worker's MachineOSConfig is untouched", async () => {
        const message = "error: build failed: RUN rpm-ostree install no-such-rpm: exit status 1";
        kit.cluster.sim.failBuilds("canary", message);
        const worker = await kit.cluster.api.client.mustGet<Mosc>(moscPath("worker"));
        kit.configureOnCluster(
            "4.21",
            [{ name: "canary", nodes: [kit.CANARY_NODE] }, { name: "worker" }],
            ["htop", "no-such-rpm"],
        );
        const res = await kit
            .pulumi(["up", "--yes"], { check: false })
            .finally(() => kit.cluster.sim.succeedBuilds("canary"));
        assert.notEqual(res.code, 0);
        assert.match(
            res.out,
            new RegExp(
                `MachineOSBuild canary-[a-f0-9]+ for pool canary is Failed \\(BuildFailed\\): ` +
                    `${message.replace(/[()]/g, "\\$&")}`,
            ),
        );
        assert.equal(
            (await kit.cluster.api.client.mustGet<Mosc>(moscPath("worker"))).metadata.generation,
            worker.metadata.generation,
            "the worker MachineOSConfig kept its spec",
        );
    });

    it("destroy removes the MachineOSConfigs, push secret, pool and label; nodes are back on RHCOS", async () => {
        await assertStateHoldsNoSecrets(kit.e2e, kit.STACK, [kit.cluster.api.kubeconfig, kit.e2e.services.authJson]);
        const from = kit.cluster.sim.record.length;
        await kit.pulumi(["destroy", "--yes"]);
        await kit.cluster.sim.settled();
        for (const pool of ["canary", "worker"])
            assert.equal(await kit.cluster.api.client.get(moscPath(pool)), undefined);
        assert.equal(
            await kit.cluster.api.client.get(`/api/v1/namespaces/${MCO_NAMESPACE}/secrets/rhcos-forge-registry-push`),
            undefined,
        );
        assert.equal(await kit.cluster.api.client.get(kit.poolPath("canary")), undefined);
        assert.deepEqual(
            (await kit.cluster.api.client.mustGet(`/api/v1/nodes/${kit.CANARY_NODE}`)).metadata.labels,
            kit.cluster.seeded.workerLabels(kit.CANARY_NODE),
        );
        for (const n of kit.cluster.seeded.workers)
            assert.equal(
                kit.cluster.sim.nodeUpdates(n, from).at(-1)?.summary.toImage,
                kit.e2e.services.baseRef,
                `${n} is back on base`,
            );
    });
});

describe("on-cluster content: the build host's mirror for on-cluster builds (4.21)", () => {
    const KEY =
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBe2eOnClusterContentKey\n-----END PGP PUBLIC KEY BLOCK-----\n";
    let keys: http.Server;
    let keyUrl = "";
    const moscPath = (pool: string): string => `/apis/machineconfiguration.openshift.io/v1/machineosconfigs/${pool}`;
    const cmPath = `/api/v1/namespaces/${MCO_NAMESPACE}/configmaps/etc-yum-repos-d`;
    const gpgPath = `/api/v1/namespaces/${MCO_NAMESPACE}/secrets/etc-pki-rpm-gpg`;

    before(async () => {
        // The stack's mirror port was picked free but is not held until the mirror serves: never take it.
        const stackFile = yaml.load(readFileSync(kit.e2e.stack.configFile, "utf8")) as {
            config: Record<string, { port?: number }>;
        };
        const mirrorPort = stackFile.config["rhcos-forge:mirror"]?.port;
        for (;;) {
            keys = http.createServer((req, res) => {
                res.writeHead(req.url === "/RPM-GPG-KEY-fixtures" ? 200 : 404);
                res.end(req.url === "/RPM-GPG-KEY-fixtures" ? KEY : "");
            });
            await new Promise<void>(resolve => keys.listen(0, "127.0.0.1", resolve));
            if ((keys.address() as AddressInfo).port !== mirrorPort) break;
            keys.close();
        }
        keyUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/RPM-GPG-KEY-fixtures`;
    });
    after(() => {
        keys?.close();
    });

    /** On-cluster layering that keeps the local stack's mirror (the fixtures repo), with a key. */
    function configure(newestOnly: boolean): void {
        kit.e2e.configure({
            rollout: {
                method: "machineosconfig",
                pools: [{ name: "worker" }],
                timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
            },
        });
        pointAtCluster(kit.e2e.stack.configFile, c => {
            c["rhcos-forge:cluster"] = { ...c["rhcos-forge:cluster"], openshiftVersion: "4.21" };
            const mirror = c["rhcos-forge:mirror"] as { repos: Record<string, unknown>[] };
            c["rhcos-forge:mirror"] = {
                ...mirror,
                newestOnly,
                repos: mirror.repos.map(r => ({ ...r, gpgkey: keyUrl })),
                packageSet: { id: "rhcos-forge-extras", packages: [] },
            };
            const image = c["rhcos-forge:image"];
            c["rhcos-forge:image"] = {
                base: "cluster",
                repository: kit.ONCLUSTER_REPO,
                packages: ["htop"],
                files: image.files,
                labels: image.labels,
            };
        });
    }

    it("up creates etc-yum-repos-d and etc-pki-rpm-gpg; a new mirror revision makes the MCO rebuild", async () => {
        configure(true);
        const from = kit.cluster.sim.record.length;
        await kit.pulumi(["up", "--yes"]);
        await kit.cluster.sim.settled();
        const outputs = await kit.e2e.outputs();
        const cm = await kit.cluster.api.client.mustGet<KubeObject & { data?: Record<string, string> }>(cmPath);
        const repoFile = cm.data?.["rhcos-forge-mirror.repo"] ?? "";
        assert.ok(repoFile.includes(`baseurl=${outputs.mirror.repos.fixtures}`), repoFile);
        assert.match(repoFile, /\ngpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-rhcos-forge-fixtures\n/);
        const gpg = await kit.cluster.api.client.mustGet<KubeObject & { data?: Record<string, string> }>(gpgPath);
        assert.equal(Buffer.from(gpg.data?.["RPM-GPG-KEY-rhcos-forge-fixtures"] ?? "", "base64").toString(), KEY);
        const seen = kit.cluster.sim.record
            .slice(from)
            .filter(e => e.kind === "MachineOSConfig" && e.name === "worker");
        const first = seen.find(e => typeof e.summary.rebuild === "string")?.summary.rebuild as string | undefined;
        assert.match(first ?? "", /^[0-9a-f]{64}$/, "the MachineOSConfig arrived with the rebuild annotation");
        assert.equal(
            (await kit.cluster.api.client.mustGet<Mosc>(moscPath("worker"))).metadata.annotations?.[REBUILD],
            undefined,
            "the MCO deleted it after the build",
        );
        const before = await builtImages(kit.cluster.api.client, "v1", "worker");
        assert.equal(before.length, 1);

        // A new mirror revision (newestOnly is part of it) re-syncs, and the annotation comes back with a new value.
        configure(false);
        const again = kit.cluster.sim.record.length;
        await kit.pulumi(["up", "--yes"]);
        await kit.cluster.sim.settled();
        const next = kit.cluster.sim.record
            .slice(again)
            .find(e => e.kind === "MachineOSConfig" && e.name === "worker" && typeof e.summary.rebuild === "string")
            ?.summary.rebuild;
        assert.match(String(next), /^[0-9a-f]{64}$/);
        assert.notEqual(next, first, "a new content revision");
        const after = await builtImages(kit.cluster.api.client, "v1", "worker");
        const rebuilt = after.filter(i => !before.includes(i));
        assert.equal(rebuilt.length, 1, "the MCO built the pool again");
        assert.equal((await kit.e2e.outputs()).image.ref, rebuilt[0], "image.ref is the rebuilt image");

        // Unchanged inputs: no patch, so no annotation and no build.
        const quiet = kit.cluster.sim.record.length;
        await kit.pulumi(["up", "--yes"]);
        await kit.cluster.sim.settled();
        assert.ok(
            !kit.cluster.sim.record
                .slice(quiet)
                .some(e => e.kind === "MachineOSConfig" && typeof e.summary.rebuild === "string"),
        );
        assert.equal((await builtImages(kit.cluster.api.client, "v1", "worker")).length, 2);
    });

    it("destroy removes the ConfigMap and the key Secret", async () => {
        await assertStateHoldsNoSecrets(kit.e2e, kit.STACK, [kit.cluster.api.kubeconfig, kit.e2e.services.authJson]);
        await kit.pulumi(["destroy", "--yes"]);
        await kit.cluster.sim.settled();
        assert.equal(await kit.cluster.api.client.get(cmPath), undefined);
        assert.equal(await kit.cluster.api.client.get(gpgPath), undefined);
        assert.equal(await kit.cluster.api.client.get(moscPath("worker")), undefined);
    });
});

describe("rollout.method release against the API server", () => {
    let stack: Stack;

    before(async () => {
        // `oc adm release new` is the recording stand-in of the host tests (there is no oc here);
        // everything after it, the ClusterVersion patch and the wait, is real.
        const bin = kit.e2e.env.mkdir("fake-oc");
        symlinkSync(join(REPO_ROOT, "test", "host", "release-fake-tools.sh"), join(bin, "oc"));
        mkdirSync(kit.e2e.env.path("fake-oc-state"), { recursive: true });
        stack = await openStack(
            kit.e2e.env.path("state"),
            kit.STACK,
            kit.e2e.stack.configFile,
            {
                ...kit.e2e.engine,
                PATH: `${bin}:${kit.e2e.engine.PATH ?? ""}`,
                FAKE_LOG: kit.e2e.env.path("fake-oc.log"),
                FAKE_STATE: kit.e2e.env.path("fake-oc-state"),
            },
            PASSPHRASE,
        );
    });

    it("the ClusterVersion patch lands with force; the wait follows the simulated progress to Completed", async () => {
        kit.e2e.configure({
            rollout: { method: "release", pools: [], allowMaster: true, timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES },
        });
        pointAtCluster(kit.e2e.stack.configFile, c => {
            c["rhcos-forge:release"] = {
                from: `quay.io/openshift-release-dev/ocp-release@sha256:${"1".repeat(64)}`,
                repository: `${kit.e2e.services.registry.host}/rhcos-forge/release`,
                tlsVerify: false,
            };
        });
        const from = kit.cluster.sim.record.length;
        const cf = ["--stack", kit.STACK, "--config-file", kit.e2e.stack.configFile];
        const res = await stack.pulumi(["up", "--yes", ...cf]);
        kit.engineOutput.push(res.stdout, res.stderr);
        await kit.cluster.sim.settled();
        const release = (
            JSON.parse(
                (await stack.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", kit.STACK])).stdout,
            ) as { release: { ref: string } }
        ).release.ref;
        const cv = await kit.cluster.api.client.mustGet("/apis/config.openshift.io/v1/clusterversions/version");
        assert.deepEqual(cv.spec?.desiredUpdate, { image: release, version: "", force: true });
        assert.equal(
            cv.spec?.clusterID,
            "6a0ab6a8-3a2c-4f5e-9a44-5b0d9d6f1a3e",
            "the patch left the cluster's own fields alone",
        );
        const owners = (cv.metadata.managedFields ?? [])
            .filter(m => JSON.stringify(m.fieldsV1 ?? {}).includes("f:desiredUpdate"))
            .map(m => m.manager);
        assert.deepEqual(owners, ["rhcos-forge"]);
        // Each step the simulated CVO took (one per read) shows in the wait's log, in order.
        const steps = kit.cluster.sim
            .events("ClusterVersion")
            .filter(e => e.seq >= from)
            .map(e => e.summary.progressing as string | undefined)
            .filter((m): m is string => m !== undefined && m.startsWith("Working towards"));
        assert.ok(steps.length >= 3, JSON.stringify(steps));
        let at = 0;
        for (const step of new Set(steps)) {
            const i = res.stdout.indexOf(step, at);
            assert.ok(i >= 0, `the wait logged "${step}" after the previous step`);
            at = i;
        }
        assert.match(res.stdout.slice(at), /cluster updated to \S+ \(/);
        const latest = kit.cluster.sim.events("ClusterVersion").at(-1)?.summary.latest as {
            state: string;
            image: string;
        };
        assert.deepEqual(latest.state, "Completed");
        assert.equal(latest.image, release);
    });

    it("destroy leaves the cluster on the release and says so", async () => {
        assert.ok((await assertStateHoldsNoSecrets(kit.e2e, kit.STACK, [kit.cluster.api.kubeconfig])) >= 2);
        const cf = ["--stack", kit.STACK, "--config-file", kit.e2e.stack.configFile];
        const res = await stack.pulumi(["destroy", "--yes", ...cf]);
        kit.engineOutput.push(res.stdout, res.stderr);
        assert.match(res.stdout + res.stderr, /leaves the cluster on release/);
        const cv = await kit.cluster.api.client.mustGet("/apis/config.openshift.io/v1/clusterversions/version");
        assert.equal((cv.spec?.desiredUpdate as { force?: boolean } | undefined)?.force, true);
    });
});

describe("GitOps render mode, applied to the server", () => {
    it("the rendered directory server-side applies onto the worker pool, which keeps its selectors", async () => {
        kit.e2e.configure({
            rollout: {
                pools: [
                    { name: "canary", nodes: [kit.CANARY_NODE], maxUnavailable: 1 },
                    { name: "worker", maxUnavailable: "50%" },
                ],
            },
        });
        await kit.pulumi(["up", "--yes"]);
        const before = await kit.cluster.api.client.mustGet(kit.poolPath("worker"));
        const gitops = kit.cluster.api.clientAs("gitops");
        const applied: string[] = [];
        for (const dir of ["0-crd", "1-manifest"]) {
            const path = join(kit.e2e.manifests, dir);
            let files: string[] = [];
            try {
                files = readdirSync(path).sort();
            } catch {
                continue;
            }
            for (const f of files) {
                for (const doc of yaml.loadAll(readFileSync(join(path, f), "utf8")) as KubeObject[]) {
                    if (!doc) continue;
                    await gitops
                        .patch(resourcePath(doc), "apply", JSON.stringify(doc), { force: true })
                        .catch((e: unknown) => {
                            throw new Error(
                                `applying ${f} (${doc.kind} ${doc.metadata.name}): ` +
                                    `${String(e)}\n${readFileSync(join(path, f), "utf8")}`,
                            );
                        });
                    applied.push(`${doc.kind}/${doc.metadata.name}`);
                }
            }
        }
        assert.ok(
            applied.includes("MachineConfigPool/worker") || applied.some(a => a.startsWith("MachineConfigPool")),
            applied.join(", "),
        );
        await kit.cluster.sim.settled();
        const worker = await kit.cluster.api.client.mustGet(kit.poolPath("worker"));
        assert.deepEqual(worker.spec?.machineConfigSelector, before.spec?.machineConfigSelector);
        assert.deepEqual(worker.spec?.nodeSelector, { matchLabels: { "node-role.kubernetes.io/worker": "" } });
        assert.deepEqual(worker.spec?.machineConfigSelector, {
            matchLabels: { "machineconfiguration.openshift.io/role": "worker" },
        });
        assert.equal(worker.spec?.maxUnavailable, "50%");
        assert.deepEqual(worker.metadata.labels, before.metadata.labels, "the MCO's labels on its pool stay");
        const ref = (await kit.e2e.outputs()).image.ref;
        for (const pool of ["canary", "worker"])
            assert.equal(
                (await kit.cluster.api.client.mustGet<kit.Mc>(kit.mcPath(kit.MC(pool)))).spec?.osImageURL,
                ref,
            );
        for (const n of kit.cluster.seeded.workers)
            assert.equal(
                kit.cluster.sim.nodeUpdates(n).at(-1)?.summary.toImage,
                ref,
                `${n} runs the image the GitOps apply rolled out`,
            );
        await kit.pulumi(["destroy", "--yes"]);
    });
});

/** Where an object lives in the API (the kinds rhcos-forge renders). */
function resourcePath(o: KubeObject): string {
    const plural: Record<string, string> = {
        MachineConfig: "machineconfigs",
        MachineConfigPool: "machineconfigpools",
        MachineOSConfig: "machineosconfigs",
        Node: "nodes",
        Secret: "secrets",
        ClusterVersion: "clusterversions",
    };
    const kind = o.kind ?? "";
    const p = plural[kind];
    if (p === undefined) throw new Error(`no API path known for kind ${kind}`);
    const base = o.apiVersion === "v1" ? "/api/v1" : `/apis/${o.apiVersion}`;
    const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : "";
    return `${base}${ns}/${p}/${o.metadata.name}`;
}

/** The stack config problems parseStackConfig reports for an on-cluster stack with `repository`. */
function configProblems(version: OpenShiftVersion, repository: string, pool = "worker"): string[] {
    const values: Record<string, unknown> = {
        buildHost: { provider: "local" },
        image: { base: "cluster", repository },
        cluster: { openshiftVersion: version },
        rollout: { method: "machineosconfig", pools: [{ name: pool }] },
        registryAuth: JSON.stringify({ auths: {} }),
        kubeconfig: "apiVersion: v1\nkind: Config\n",
    };
    try {
        parseStackConfig(
            Object.fromEntries(
                Object.entries(values).map(([k, v]) => [
                    `rhcos-forge:${k}`,
                    typeof v === "string" ? v : JSON.stringify(v),
                ]),
            ),
        );
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems.filter(p => p.startsWith("rhcos-forge:image.repository"));
    }
}

/** The MachineOSConfig rhcos-forge would render, with the push spec set as given. */
function machineOSConfig(version: OpenShiftVersion, pool: string, pushSpec: string, name = pool): KubeObject {
    const obj = renderMachineOSConfig({
        version,
        pool,
        pushSpec: `registry.example.com/org/node:${pool}`,
        containerfile: "FROM configs AS final\n",
        arch: "NoArch",
    });
    const spec = JSON.parse(JSON.stringify(obj.spec)) as Record<string, Record<string, unknown>>;
    if (version === "4.16" || version === "4.17") spec.buildInputs.renderedImagePushspec = pushSpec;
    else (spec as Record<string, unknown>).renderedImagePushSpec = pushSpec;
    return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { ...obj.metadata, name }, spec };
}

/** The server's verdict on creating it (dry run): undefined when accepted, else its message. */
async function serverVerdict(client: KubeClient, obj: KubeObject): Promise<string | undefined> {
    const path = `/apis/${obj.apiVersion}/machineosconfigs?dryRun=All`;
    try {
        await client.request("POST", path, obj).then(r => {
            if (r.status >= 300) throw new KubeError("POST", path, r.status, r.body);
        });
        return undefined;
    } catch (e) {
        if (e instanceof KubeError) return e.reason;
        throw e;
    }
}

/**
 * Each CEL rule (and length limit) of the MachineOSConfig CRD that the config check re-implements,
 * with push specs on both sides of it. For every case the config check and the API server must
 * agree, and a refusal must be for the same rule: `server` is what the server's message names.
 */
const PUSH_SPEC_CASES: {
    version: OpenShiftVersion;
    repository: string;
    ok: boolean;
    server?: RegExp;
    config?: RegExp;
}[] = [
    // v1: host with a dot, optional port, any depth of path, a tag; or an in-cluster .svc registry.
    { version: "4.21", repository: "quay.io/org/node", ok: true },
    { version: "4.21", repository: "registry.example.com:5000/a/b/c/node", ok: true },
    { version: "4.21", repository: "127.0.0.1:5000/rhcos-forge/node", ok: true },
    { version: "4.21", repository: "image-registry.openshift-image-registry.svc:5000/openshift/node", ok: true },
    {
        version: "4.21",
        repository: "localhost:5000/org/node",
        ok: false,
        server: new RegExp(
            [
                String.raw`spec\.renderedImagePushSpec: Invalid value.*`,
                String.raw`the OCI Image name should follow the host\[:port\]\[\/namespace\]\/name format`,
            ].join(""),
        ),
        config: /registry host whose name contains a dot.*renderedImagePushSpec/,
    },
    {
        version: "4.21",
        repository: "node",
        ok: false,
        server: /spec\.renderedImagePushSpec: Invalid value/,
        config: /registry host whose name contains a dot/,
    },
    {
        version: "4.21",
        repository: `quay.io/org/${"n".repeat(440)}`,
        ok: false,
        server: /spec\.renderedImagePushSpec: Too long: may not be (more than|longer than) 447/,
        config: /1 to 447 characters/,
    },
    // v1alpha1: exactly one ':' (so no port) and at most one namespace, unless .svc.
    { version: "4.16", repository: "quay.io/org/node", ok: true },
    { version: "4.16", repository: "image-registry.openshift-image-registry.svc:5000/openshift/node", ok: true },
    {
        version: "4.16",
        repository: "registry.example.com:5000/org/node",
        ok: false,
        server: /spec\.buildInputs\.renderedImagePushspec: Invalid value.*must end with a valid :<tag>/,
        config: /exactly one ':'/,
    },
    {
        version: "4.16",
        repository: "quay.io/a/b/node",
        ok: false,
        server: /spec\.buildInputs\.renderedImagePushspec: Invalid value.*host\[:port\]\[\/namespace\]\/name format/,
        config: /at most two path segments/,
    },
    {
        version: "4.16",
        repository: "localhost/org/node",
        ok: false,
        server: /spec\.buildInputs\.renderedImagePushspec: Invalid value/,
        config: /registry host whose name contains a dot/,
    },
];

describe("the MachineOSConfig CEL rules: the config check and the API server agree", () => {
    let v1alpha1: TestCluster;

    before(async () => {
        v1alpha1 = await startTestCluster(kit.e2e.env, {
            release: "release-4.16",
            baseImage: kit.e2e.services.baseRef,
            machineOSApi: "v1alpha1",
            name: "apiserver-416",
        });
    });
    after(async () => {
        await v1alpha1?.stop();
    });

    for (const c of PUSH_SPEC_CASES) {
        const shown =
            c.repository.length > 80 ? `${c.repository.slice(0, 40)}… (${c.repository.length} chars)` : c.repository;
        it(`${c.version} ${shown}: ${c.ok ? "accepted" : "refused"} by both`, async () => {
            const client = c.version === "4.16" ? v1alpha1.api.client : kit.cluster.api.client;
            const problems = configProblems(c.version, c.repository);
            const server = await serverVerdict(client, machineOSConfig(c.version, "worker", `${c.repository}:worker`));
            assert.equal(problems.length === 0, c.ok, `config check: ${problems.join("; ") || "accepted"}`);
            assert.equal(server === undefined, c.ok, `API server: ${server ?? "accepted"}`);
            if (!c.ok) {
                assert.match(server ?? "", c.server ?? /$^/);
                assert.match(problems.join("; "), c.config ?? /$^/);
            }
        });
    }

    it("v1: a MachineOSConfig named other than its pool is refused by both, for the same rule", async () => {
        const obj = machineOSConfig("4.21", "worker", "quay.io/org/node:worker", "not-worker");
        const server = await serverVerdict(kit.cluster.api.client, obj);
        assert.match(server ?? "accepted", /MachineOSConfig name must match the referenced MachineConfigPool name/);
        const rendered = {
            apiVersion: obj.apiVersion ?? "",
            kind: obj.kind ?? "",
            metadata: obj.metadata,
            spec: obj.spec ?? {},
        };
        assert.match(
            checkMachineOSConfigName(rendered) ?? "accepted",
            /MachineOSConfig "not-worker" must be named after its pool "worker"/,
        );
    });

    it("v1: a Containerfile over 4096 characters is refused by both", async () => {
        const long = `FROM configs AS final\nRUN echo ${"x".repeat(4100)}\n`;
        const obj = machineOSConfig("4.21", "worker", "quay.io/org/node:worker");
        (obj.spec as { containerFile: { content: string }[] }).containerFile[0].content = long;
        assert.match(
            (await serverVerdict(kit.cluster.api.client, obj)) ?? "accepted",
            /spec\.containerFile\[0\]\.content: Too long: may not be (more than|longer than) 4096/,
        );
        assert.throws(
            () =>
                renderMachineOSConfig({
                    version: "4.21",
                    pool: "worker",
                    pushSpec: "quay.io/org/node:worker",
                    containerfile: long,
                    arch: "NoArch",
                }),
            /holds at most 4096/,
        );
    });

    it("v1alpha1 (4.16 CRDs): up creates a MachineOSConfig the server accepts; image.ref is the build's", async () => {
        await kit.e2e.stack.setSecret("rhcos-forge:kubeconfig", v1alpha1.api.kubeconfig);
        kit.configureOnCluster("4.16", [{ name: "worker" }]);
        await kit.pulumi(["up", "--yes"]);
        await v1alpha1.sim.settled();
        const mosc = await v1alpha1.api.client.mustGet<Mosc>(
            "/apis/machineconfiguration.openshift.io/v1alpha1/machineosconfigs/worker",
        );
        assert.equal(
            (mosc.spec?.buildInputs as { renderedImagePushspec?: string }).renderedImagePushspec,
            `${kit.ONCLUSTER_REPO}:worker`,
        );
        const [image] = await builtImages(v1alpha1.api.client, "v1alpha1", "worker");
        assert.equal((await kit.e2e.outputs()).image.ref, image);
        assert.equal(mosc.status?.currentImagePullspec, image);
        await kit.pulumi(["destroy", "--yes"]);
        await kit.e2e.stack.setSecret("rhcos-forge:kubeconfig", kit.cluster.api.kubeconfig);
    });
});

describe("a driver-toolkit builder stage reads the cluster's ImageStream", () => {
    // Preview only: the build is not run, the stage's FROM is what the program read.
    const dtk = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"d7".repeat(32)}`;
    let isPath = "";

    before(async () => {
        isPath = await seedDriverToolkit(kit.cluster.api.clientAs("cluster-version-operator"), dtk);
        kit.configureMachineConfig({
            stages: [{ name: "kmod", base: "driver-toolkit", steps: [{ run: ["make -C /build/simple-kmod all"] }] }],
            steps: [
                { kernelModules: [{ name: "simple_kmod", stage: "kmod", path: "/build/simple-kmod/simple-kmod.ko" }] },
            ],
        });
    });

    it("preview builds the stage FROM the ImageStream's latest tag by digest; it never writes the stream", async () => {
        const mark = kit.cluster.auditMark();
        const res = await kit.pulumi(["preview", "--diff"]);
        assert.ok(res.out.includes(`FROM ${dtk} AS kmod`), res.out.slice(-4000));
        assert.ok(!res.out.includes("driver-toolkit AS kmod"));
        assert.ok(
            kit.cluster
                .foreign(mark)
                .some(
                    e =>
                        e.verb === "get" &&
                        e.objectRef?.resource === "imagestreams" &&
                        e.objectRef.name === "driver-toolkit",
                ),
            "the program read the ImageStream through the kubeconfig",
        );
        const writes = kit.cluster.foreignWrites(mark).filter(e => e.objectRef?.resource === "imagestreams");
        assert.deepEqual(
            writes.map(e => `${e.verb} ${e.requestURI}`),
            [],
            "the ImageStream is read, never written",
        );
    });

    it("a tag-only latest tag fails the preview with the ImageStream named and what to do", async () => {
        await kit.cluster.api.clientAs("kubectl-edit").patch(isPath, "json", [
            {
                op: "replace",
                path: "/spec/tags/0/from/name",
                value: "quay.io/openshift/origin-driver-toolkit:latest",
            },
        ]);
        const res = await kit.pulumi(["preview", "--diff"], { check: false });
        assert.notEqual(res.code, 0);
        assert.match(
            res.out,
            new RegExp(
                [
                    String.raw`ImageStream openshift\/driver-toolkit tag latest points at `,
                    String.raw`quay\.io\/openshift\/origin-driver-toolkit:latest, which is not pinned by digest`,
                ].join(""),
            ),
        );
        assert.match(res.out, /pin the stage's base by digest instead of "driver-toolkit"/);
    });

    after(() => kit.configureMachineConfig());
});

kit.secretsSuite();
