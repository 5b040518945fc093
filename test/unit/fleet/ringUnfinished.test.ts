// A promotion ring whose source (staging) has not finished: prod plans nothing new. The canary,
// which already runs an older image, gets its MachineConfig declared again with that image (no
// change, no node moves); worker, which has none yet, is not declared at all; the stack says why.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { parseStack } from "../../../components/config/parse";
import { ClusterStackOutputs, buildClusterStack } from "../../../components/fleet/clusterStack";
import { installMocks, registrations, settle, valueOf } from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { BUILT_REF, clusterStackConfig, nameAndImage, sourceOutputs, withAnswers } from "./fleetStack";

const STAGING = "organization/rhcos-forge/staging";
const OLD = `quay.io/example-org/rhcos-forge@sha256:${"0".repeat(64)}`;
installMocks({ stackOutputs: { [STAGING]: sourceOutputs(BUILT_REF) } });
const cluster = installFakeCluster();
const gets: string[] = [];
const access = withAnswers(cluster.access, path => {
    gets.push(path);
    if (path.endsWith("/machineconfigs/99-canary-rhcos-forge-os-image")) return { spec: { osImageURL: OLD } };
    if (path.endsWith("/machineconfigs/99-worker-rhcos-forge-os-image")) return null;
    return undefined;
});
pulumi.runtime.setAllConfig(clusterStackConfig({ image: { from: { stack: STAGING } } }), ["rhcos-forge:kubeconfig"]);

const warnings: string[] = [];
let out: ClusterStackOutputs;
before(async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
        warnings.push(args.join(" "));
    };
    const parsed = parseStack(pulumi.runtime.allConfig());
    if (parsed.kind !== "cluster") throw new Error("not a cluster stack");
    out = await buildClusterStack(parsed.config, { clusterAccess: access });
    await valueOf(out.rollout.pools);
    await settle();
    console.warn = warn;
});

it("says why it rolls nothing out", () => {
    const said = warnings.join("\n");
    assert.match(said, /stack organization\/rhcos-forge\/staging has not finished rolling out an image/);
    assert.ok(said.includes(`canary keep ${OLD}`), said);
    assert.match(said, /pools worker are left as they are until organization\/rhcos-forge\/staging finishes/);
});

it("never names the unfinished digest; keeps the canary's image; declares nothing for worker", () => {
    const mcs = registrations.filter(r => r.type.endsWith(":MachineConfig"));
    assert.deepEqual(mcs.map(nameAndImage), [["99-canary-rhcos-forge-os-image", OLD]]);
    assert.ok(!JSON.stringify(registrations.map(r => r.inputs)).includes(BUILT_REF.split("@")[1]));
    assert.ok(gets.some(p => p.endsWith("/machineconfigs/99-canary-rhcos-forge-os-image")));
});

it("reports the source unfinished and claims nothing finished while a pool has no image", async () => {
    assert.equal(await valueOf(out.source.state), "unfinished");
    assert.equal(out.rollout.finished, undefined);
});
