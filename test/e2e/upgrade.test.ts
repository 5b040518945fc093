// rhcos-forge:cluster.upgrade and a failing health gate end to end, with the real engine, a real
// API server and the MCO's real render, node and drain controllers (test/cluster/). The CVO, the
// node daemons and the kubelet's Ready are the test doubles of test/cluster/mcoSimulator.ts.
//
// The target release is a real payload-format image in the loopback registry: its
// /release-manifests/image-references names a rhel-coreos (the fixture base with one more label)
// that the build host reads with release-os-image.sh. The stack at 4.19.10 with canary + worker on
// image X is upgraded to that release: the test watches the Nodes itself and counts, per layered
// node, how often the node controller changed its desiredConfig (the masters, unpaused and without
// our image, show that the release alone re-renders a pool). Then an image labelled to break its
// nodes' Ready (what a broken driver does) fails the canary's gate: the canary's MachineConfig goes
// back to the image it had, worker is never touched, `pulumi up` fails naming the node and the
// check, and the node returns to that image once it is Ready again. Last, for comparison, the naive
// path: an upgrade by hand without pausing, then `up` rebuilding FROM the new base.
// Asserts on what the API server stored and on the stack's outputs, never on timings.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushArgs } from "../../dev/baseImage";
import { run } from "../../dev/proc";
import { KubeObject } from "../cluster/kube";
import { BREAKS_NODE } from "../cluster/mcoSimulator";
import { MCO_API } from "../cluster/seed";
import { TestCluster, pointAtCluster } from "../cluster/testCluster";
import { E2e, assertStateHoldsNoSecrets, setUpE2e, startUpstreamCluster, ROLLOUT_TIMEOUT_MINUTES } from "./setup";

const STACK = "e2e-upgrade";
const CANARY_NODE = "worker-0";
const TARGET_VERSION = "4.19.11";
/** The release of the naive comparison. */
const NAIVE_VERSION = "4.19.12";
const DESIRED = "machineconfiguration.openshift.io/desiredConfig";
const mcPath = (pool: string): string => `/apis/${MCO_API}/machineconfigs/99-${pool}-rhcos-forge-os-image`;
const poolPath = (pool: string): string => `/apis/${MCO_API}/machineconfigpools/${pool}`;
interface Mc extends KubeObject {
    spec?: { osImageURL?: string };
}

let e2e: E2e;
let cluster: TestCluster;
let authFile = "";
/** The target release and the rhel-coreos its payload names. */
let release = "";
let releaseOs = "";

/** Builds `context` with podman and pushes it to the loopback registry; returns repo@sha256:…. */
async function pushImage(context: string, remote: string): Promise<string> {
    const local = `localhost/rf-e2e-upgrade/${remote.split("/").pop() ?? "x"}`;
    await run("podman", ["build", "--tls-verify=false", "--authfile", authFile, "-t", local, context], {
        timeoutMs: 5 * 60_000,
    });
    const digestFile = join(context, "..", `${remote.replace(/[^a-z0-9]+/gi, "-")}.digest`);
    await run("podman", pushArgs(authFile, digestFile, local, remote));
    const digest = (await run("cat", [digestFile])).stdout.trim();
    return `${remote.replace(/:[^:/]+$/, "")}@${digest}`;
}

/** A release's rhel-coreos (the fixture base, relabelled) and a payload naming it: [release, rhel-coreos]. */
async function makeRelease(version: string): Promise<[string, string]> {
    const host = e2e.services.registry.host;
    const os = e2e.env.mkdir("upgrade", version, "rhel-coreos");
    writeFileSync(
        join(os, "Containerfile"),
        `FROM ${e2e.services.baseRef}\nLABEL io.rhcos-forge.e2e/release=${version}\n`,
    );
    const osImage = await pushImage(os, `${host}/fixtures/fake-rhcos:${version}`);
    const payload = e2e.env.mkdir("upgrade", version, "release");
    mkdirSync(join(payload, "release-manifests"));
    // What `oc adm release new` writes: the ImageStream of components and the release metadata.
    writeFileSync(
        join(payload, "release-manifests", "image-references"),
        JSON.stringify({
            kind: "ImageStream",
            apiVersion: "image.openshift.io/v1",
            metadata: { name: version },
            spec: { tags: [{ name: "rhel-coreos", from: { kind: "DockerImage", name: osImage } }] },
        }),
    );
    writeFileSync(
        join(payload, "release-manifests", "release-metadata"),
        JSON.stringify({ kind: "cincinnati-metadata-v0", version }),
    );
    writeFileSync(join(payload, "Containerfile"), "FROM scratch\nCOPY release-manifests/ /release-manifests/\n");
    return [await pushImage(payload, `${host}/fixtures/ocp-release:${version}`), osImage];
}

/** An image's config labels, as any registry client reads them (skopeo). */
async function imageLabels(image: string): Promise<Record<string, string>> {
    const res = await run("skopeo", ["inspect", "--tls-verify=false", "--authfile", authFile, `docker://${image}`]);
    return (JSON.parse(res.stdout) as { Labels?: Record<string, string> | null }).Labels ?? {};
}

function configure(
    image: Record<string, unknown>,
    canary: Record<string, unknown> = {},
    upgrade?: Record<string, unknown>,
): void {
    e2e.configure({
        image: { base: "cluster", ...image },
        rollout: {
            pools: [
                { name: "canary", nodes: [CANARY_NODE], maxUnavailable: 1, ...canary },
                { name: "worker", maxUnavailable: "50%" },
            ],
            timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
        },
    });
    pointAtCluster(e2e.stack.configFile, c => {
        if (upgrade !== undefined) c["rhcos-forge:cluster"] = { ...c["rhcos-forge:cluster"], upgrade };
    });
}

async function up(check = true): Promise<{ code: number; out: string }> {
    const res = await e2e.run(["up", "--yes", "--skip-preview"], { check });
    return { code: res.code, out: res.stdout + res.stderr };
}

/** Every change of each node's desiredConfig annotation, seen by the test's own watch of Nodes. */
async function watchDesired(): Promise<{ counts: Map<string, string[]>; stop(): void }> {
    const client = cluster.api.client;
    const list = await client.list<KubeObject>("/api/v1/nodes");
    const last = new Map(list.items.map(n => [n.metadata.name, n.metadata.annotations?.[DESIRED]]));
    const counts = new Map<string, string[]>();
    const w = client.watch<KubeObject>("/api/v1/nodes", list.metadata.resourceVersion, e => {
        if (e.type !== "MODIFIED") return;
        const name = e.object.metadata.name;
        const now = e.object.metadata.annotations?.[DESIRED];
        if (now !== last.get(name)) counts.set(name, [...(counts.get(name) ?? []), now ?? ""]);
        last.set(name, now);
    });
    return { counts, stop: () => w.stop() };
}

before(async () => {
    e2e = await setUpE2e(STACK);
    authFile = e2e.env.path("upgrade-auth.json");
    writeFileSync(authFile, e2e.services.authJson, { mode: 0o600 });
    [release, releaseOs] = await makeRelease(TARGET_VERSION);
    cluster = await startUpstreamCluster(e2e, { clusterOperator: true, imageLabels });
});
after(async () => {
    await cluster?.stop();
    await e2e?.env.teardown();
});

describe("cluster.upgrade: one desiredConfig change per layered node", () => {
    let x = "";
    let y = "";

    it("the stack at 4.19.10 rolls image X to canary and worker", async () => {
        configure({});
        await up();
        await cluster.sim.settled();
        x = (await e2e.outputs()).image.ref;
        for (const pool of ["canary", "worker"])
            assert.equal((await cluster.api.client.mustGet<Mc>(mcPath(pool))).spec?.osImageURL, x, pool);
    });

    // MachineConfigs on the image built FROM the release's rhel-coreos; each layered node moved once.
    it("cluster.upgrade by digest: target reached, pools unpaused, image FROM its RHCOS, nodes move once", async () => {
        await cluster.sim.registerRelease(release, { version: TARGET_VERSION, osImage: releaseOs });
        configure({}, {}, { image: release });
        const watch = await watchDesired();
        const mark = cluster.sim.record.length;
        const res = await up();
        await cluster.sim.settled();
        watch.stop();

        const cv = await cluster.api.client.mustGet("/apis/config.openshift.io/v1/clusterversions/version");
        const latest = (cv.status as { history: { image: string; version: string; state: string }[] }).history[0];
        assert.deepEqual(
            { image: latest.image, version: latest.version, state: latest.state },
            { image: release, version: TARGET_VERSION, state: "Completed" },
        );
        const out = await e2e.outputs();
        y = out.image.ref;
        assert.notEqual(y, x, "a new image");
        assert.equal(out.image.base, releaseOs, "built FROM the target release's rhel-coreos");
        for (const pool of ["canary", "worker"]) {
            assert.equal(
                (await cluster.api.client.mustGet<Mc>(mcPath(pool))).spec?.osImageURL,
                y,
                `${pool} MachineConfig`,
            );
            assert.notEqual(
                (await cluster.api.client.mustGet(poolPath(pool))).spec?.paused,
                true,
                `${pool} is unpaused`,
            );
        }
        const layered = cluster.seeded.workers;
        const counts = Object.fromEntries(layered.map(n => [n, watch.counts.get(n)?.length ?? 0]));
        const masters = Object.fromEntries(cluster.seeded.masters.map(n => [n, watch.counts.get(n)?.length ?? 0]));
        process.stderr.write(
            `# desiredConfig changes during the upgrade: layered ${JSON.stringify(counts)}; masters ` +
                `(unpaused, no override) ${JSON.stringify(masters)}\n`,
        );
        assert.deepEqual(
            counts,
            Object.fromEntries(layered.map(n => [n, 1])),
            "each layered node got exactly one new desiredConfig",
        );
        // The double's own record agrees with the test's watch.
        assert.deepEqual(Object.fromEntries(layered.map(n => [n, cluster.sim.desiredChanges(n, mark).length])), counts);
        // The release alone re-rendered the unpaused master pool: without the pause the layered
        // pools would have moved for it too, before the new image.
        for (const m of cluster.seeded.masters) assert.ok((masters[m] ?? 0) >= 1, `${m} moved with the release`);
        assert.match(res.out, /paused pool canary/);
        assert.ok((await assertStateHoldsNoSecrets(e2e, STACK, [cluster.api.kubeconfig])) >= 1);
    });

    // The canary's MachineConfig points back at the image it had.
    it("a canary image breaking Ready is reverted; worker untouched; up fails naming node and check", async () => {
        const workerBefore = (await cluster.api.client.mustGet<Mc>(mcPath("worker"))).metadata.resourceVersion;
        configure(
            { labels: { [BREAKS_NODE]: "container runtime network not ready: the new NIC driver did not load" } },
            { soakMinutes: 1 },
            { image: release },
        );
        // Not settled here: the canary pool cannot finish while its node is NotReady.
        const res = await up(false);
        assert.notEqual(res.code, 0, "up fails");
        assert.match(
            res.out,
            new RegExp(
                `pool canary failed its health gate: node readiness on node ${CANARY_NODE}: node ` +
                    `${CANARY_NODE} is NotReady \\(container runtime network not ready`,
            ),
        );
        assert.match(res.out, /the MCO does not update a node that is NotReady/);
        assert.equal(
            (await cluster.api.client.mustGet<Mc>(mcPath("canary"))).spec?.osImageURL,
            y,
            "canary MachineConfig back on the previous image",
        );
        const canaryPool = await cluster.api.client.mustGet(poolPath("canary"));
        const target = (canaryPool.spec as { configuration?: { name?: string } }).configuration?.name ?? "";
        assert.equal(cluster.sim.contentOf(target)?.osImageURL, y, "the canary pool renders the previous image");
        const worker = await cluster.api.client.mustGet<Mc>(mcPath("worker"));
        assert.equal(worker.spec?.osImageURL, y);
        assert.equal(worker.metadata.resourceVersion, workerBefore, "worker's MachineConfig never changed");

        // The MCO gives a NotReady node no config (node_controller.go getAllCandidateMachines):
        // once the administrator brings it back, the MCO itself moves it to the previous image.
        const stuck = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        assert.notEqual(
            cluster.sim.contentOf(stuck.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] ?? "")
                ?.osImageURL,
            y,
            "still on the broken image",
        );
        await cluster.sim.restoreNode(CANARY_NODE);
        await cluster.sim.settled();
        const node = await cluster.api.client.mustGet(`/api/v1/nodes/${CANARY_NODE}`);
        const current = node.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] ?? "";
        assert.equal(current, target, "the canary node runs the pool's reverted config");
        assert.equal(cluster.sim.contentOf(current)?.osImageURL, y, "on the previous image");
        const ready = ((node.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find(
            c => c.type === "Ready",
        );
        assert.equal(ready?.status, "True", "and Ready");
        assert.equal(
            (await cluster.api.client.mustGet<Mc>(mcPath("worker"))).metadata.resourceVersion,
            workerBefore,
            "worker's MachineConfig still never changed",
        );
    });

    // The naive path: upgrade by hand without pausing, then `up` rebuilds FROM the new base.
    it("for comparison, the naive path moves each layered node twice", async () => {
        const [naive, naiveOs] = await makeRelease(NAIVE_VERSION);
        await cluster.sim.registerRelease(naive, { version: NAIVE_VERSION, osImage: naiveOs });
        configure({});
        const watch = await watchDesired();
        // `oc adm upgrade --to-image`, then watching ClusterVersion as an administrator does (the
        // CVO double steps once per read by anyone but the tests' own clients).
        const kubectl = (args: string[]) => run("kubectl", ["--kubeconfig", cluster.api.kubeconfigPath, ...args]);
        await kubectl([
            "patch",
            "clusterversion",
            "version",
            "--type",
            "merge",
            "-p",
            JSON.stringify({ spec: { desiredUpdate: { image: naive, version: NAIVE_VERSION, force: false } } }),
        ]);
        for (let i = 0; i < 120; i++) {
            const cv = JSON.parse((await kubectl(["get", "clusterversion", "version", "-o", "json"])).stdout) as {
                status: { history: { image: string; state: string }[] };
            };
            if (cv.status.history[0]?.image === naive && cv.status.history[0].state === "Completed") break;
            await new Promise(r => setTimeout(r, 1000));
        }
        await cluster.sim.settled();
        const afterRelease = Object.fromEntries(cluster.seeded.workers.map(n => [n, watch.counts.get(n)?.length ?? 0]));
        await up();
        await cluster.sim.settled();
        watch.stop();
        assert.equal((await e2e.outputs()).image.base, naiveOs, "rebuilt FROM the new release's rhel-coreos");
        const counts = Object.fromEntries(cluster.seeded.workers.map(n => [n, watch.counts.get(n)?.length ?? 0]));
        process.stderr.write(
            `# naive path: desiredConfig changes after the release alone ${JSON.stringify(afterRelease)}; ` +
                `after the rebuild ${JSON.stringify(counts)}\n`,
        );
        assert.deepEqual(
            afterRelease,
            Object.fromEntries(cluster.seeded.workers.map(n => [n, 1])),
            "the release alone moved every layered node (still on the old image)",
        );
        assert.deepEqual(
            counts,
            Object.fromEntries(cluster.seeded.workers.map(n => [n, 2])),
            "and the rebuild moved each again",
        );
    });
});
