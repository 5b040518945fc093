// rhcos-forge:cluster.upgrade in a preview: the plan is read and printed in order, and nothing is
// paused, patched or waited for (no write reaches the cluster, ClusterVersion is read once).
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { buildPipeline } from "../../../components/pipeline";
import { parseStackConfig } from "../../../components/config/parse";
import { upgradePlan } from "../../../components/rollout/upgradeSteps";
import { TEST_SECRETS, installMocks, settle } from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { loadStackConfig } from "../stackFile";
import { withAnswers } from "../fleet/fleetStack";

const RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${"7".repeat(64)}`;
const CV = "/apis/config.openshift.io/v1/clusterversions/version";

installMocks({ preview: true });
const cluster = installFakeCluster();
const sent: string[] = [];
const read: string[] = [];
const access = withAnswers(
    cluster.access,
    path => (
        read.push(path),
        path === CV
            ? {
                  status: {
                      history: [
                          {
                              image: `quay.io/openshift-release-dev/ocp-release@sha256:${"1".repeat(64)}`,
                              state: "Completed",
                              version: "4.19.10",
                          },
                      ],
                  },
              }
            : undefined
    ),
    async (method, path) => {
        sent.push(`${method} ${path}`);
        return {};
    },
);
const cfg = loadStackConfig("dev", TEST_SECRETS);
cfg["rhcos-forge:cluster"] = JSON.stringify({
    ...(JSON.parse(cfg["rhcos-forge:cluster"]) as Record<string, unknown>),
    upgrade: { image: RELEASE },
});
pulumi.runtime.setAllConfig(
    cfg,
    Object.keys(TEST_SECRETS).map(k => `rhcos-forge:${k}`),
);

before(async () => {
    buildPipeline(parseStackConfig(pulumi.runtime.allConfig()), { clusterAccess: access });
    for (let i = 0; i < 10; i++) await settle();
});

describe("cluster.upgrade in a preview", () => {
    it("writes nothing to the cluster and reads ClusterVersion only for the plan", () => {
        assert.deepEqual(sent, []);
        assert.equal(read.filter(p => p === CV).length, 1, `GETs: ${read.join("\n")}`);
        assert.ok(!read.some(p => p.includes("clusteroperators")), "no wait for the ClusterOperator");
    });

    it("prints the steps in the order they run", () => {
        const lines = upgradePlan({ target: RELEASE, pools: ["canary", "worker"], already: false });
        const order = [
            "rhel-coreos",
            "pause pool(s) canary, worker",
            "desiredUpdate",
            "ClusterOperator machine-config",
            "pool canary",
            "pool worker",
        ];
        const at = order.map(w => lines.findIndex(l => l.includes(w)));
        assert.ok(
            at.every(i => i >= 0),
            lines.join("\n"),
        );
        assert.deepEqual(
            [...at].sort((a, b) => a - b),
            at,
            lines.join("\n"),
        );
        assert.match(upgradePlan({ target: RELEASE, pools: ["canary"], already: true })[0], /already runs/);
    });
});
