// A promotion ring: prod's image.from names staging, a cluster stack. Staging's image output is
// newer than what it finished; prod takes rollout.finished, the image staging finished on every pool.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { parseStack } from "../../../components/config/parse";
import { ClusterStackOutputs, buildClusterStack } from "../../../components/fleet/clusterStack";
import { CLUSTER_BASE, installMocks, registrations, settle, valueOf } from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { BUILT_REF, clusterStackConfig, sourceOutputs } from "./fleetStack";

const STAGING = "organization/rhcos-forge/staging";
const NEWER = `quay.io/example-org/rhcos-forge@sha256:${"2".repeat(64)}`;
const finished = { ref: BUILT_REF, digest: BUILT_REF.split("@")[1], base: CLUSTER_BASE };
installMocks({ stackOutputs: { [STAGING]: sourceOutputs(NEWER, { rollout: { finished } }) } });
const cluster = installFakeCluster();
pulumi.runtime.setAllConfig(clusterStackConfig({ image: { from: { stack: STAGING } } }), ["rhcos-forge:kubeconfig"]);

let out: ClusterStackOutputs;
before(async () => {
    const parsed = parseStack(pulumi.runtime.allConfig());
    if (parsed.kind !== "cluster") throw new Error("not a cluster stack");
    out = await buildClusterStack(parsed.config, { clusterAccess: cluster.access });
    await valueOf(out.rollout.pools);
    await settle();
});

it("rolls the digest staging finished, not staging's newer image", () => {
    const mcs = registrations.filter(r => r.type.endsWith(":MachineConfig"));
    assert.deepEqual(
        mcs.map(m => (m.inputs.spec as { osImageURL: string }).osImageURL),
        [BUILT_REF, BUILT_REF],
    );
});

it("hands the same digest on to the next ring once its own pools are done", async () => {
    assert.deepEqual(await valueOf(out.rollout.finished ?? pulumi.output(undefined)), finished);
});
