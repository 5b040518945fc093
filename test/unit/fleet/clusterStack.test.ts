// A cluster stack (rhcos-forge:image.from, take image) under mocks: it reads the image stack's
// outputs through a StackReference, declares no build host, mirror or build, and rolls the
// source's digest out pool by pool, exporting it as finished once every pool reported done.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { parseStack } from "../../../components/config/parse";
import { ClusterStackOutputs, buildClusterStack } from "../../../components/fleet/clusterStack";
import { CLUSTER_BASE, installMocks, reads, registrations, settle, valueOf } from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { BUILT_REF, SOURCE, clusterStackConfig, nameAndImage, sourceOutputs } from "./fleetStack";

const digest = BUILT_REF.split("@")[1];
installMocks({
    stackOutputs: {
        [SOURCE]: sourceOutputs(BUILT_REF, { image: { packages: { added: ["htop"], removed: [], changed: [] } } }),
    },
});
const cluster = installFakeCluster();
pulumi.runtime.setAllConfig(clusterStackConfig(), ["rhcos-forge:kubeconfig"]);

let out: ClusterStackOutputs;
before(async () => {
    const parsed = parseStack(pulumi.runtime.allConfig());
    assert.equal(parsed.kind, "cluster");
    if (parsed.kind !== "cluster") return;
    out = await buildClusterStack(parsed.config, { clusterAccess: cluster.access });
    await valueOf(out.rollout.pools);
    await valueOf(out.rollout.finished ?? pulumi.output(undefined));
    await settle();
});

it("reads the source through a StackReference and builds nothing", () => {
    assert.deepEqual(
        reads.filter(r => r.type === "pulumi:pulumi:StackReference").map(r => r.id),
        [SOURCE],
    );
    const types = new Set(registrations.map(r => r.type));
    for (const t of types)
        assert.ok(
            !/^(command:remote:|digitalocean:)|:(LayeredImage|BuildHost|RepoMirror|CosaBuild|ReleaseImage)$/.test(t),
            `registered ${t}`,
        );
    // Local commands are only the destroy-time waits (nodeRelease.ts, poolRevert.ts), never a build.
    for (const r of registrations.filter(r => r.type === "command:local:Command"))
        assert.match(String(r.inputs.delete), /nodeRelease|poolRevert/);
});

it("points every pool's MachineConfig at the source's digest, canary first", () => {
    const mcs = registrations.filter(r => r.type.endsWith(":MachineConfig"));
    assert.deepEqual(mcs.map(nameAndImage), [
        ["99-canary-rhcos-forge-os-image", BUILT_REF],
        ["99-worker-rhcos-forge-os-image", BUILT_REF],
    ]);
    // The worker pool started only once the canary reported done.
    assert.ok(
        (cluster.doneAt.get("canary") ?? Infinity) <= registrations.indexOf(mcs[1]),
        "worker's MachineConfig registered after the canary finished",
    );
});

it("exports the image and, once every pool is done, rollout.finished", async () => {
    assert.deepEqual(await valueOf(out.image), {
        ref: BUILT_REF,
        digest,
        base: CLUSTER_BASE,
        packages: { added: ["htop"], removed: [], changed: [] },
    });
    assert.deepEqual(await valueOf(out.rollout.finished ?? pulumi.output(undefined)), {
        ref: BUILT_REF,
        digest,
        base: CLUSTER_BASE,
    });
    assert.ok(cluster.doneAt.has("worker"));
    assert.equal(await valueOf(out.source.state), "ready");
});
