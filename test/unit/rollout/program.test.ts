// The dev stack with node extras on the canary, under mocks, against a fake cluster: one
// MachineConfig per pool carries image and extras, and the worker pool's MachineConfig is
// registered only after the canary pool reported every machine updated.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { loadStackConfig } from "../stackFile";

harness.installMocks();
const cluster = installFakeCluster();
const cfg = loadStackConfig("dev", harness.TEST_SECRETS);
const rollout = JSON.parse(cfg["rhcos-forge:rollout"]) as { pools: Record<string, unknown>[] };
rollout.pools[0] = {
    ...rollout.pools[0],
    extensions: ["usbguard"],
    kernelType: "realtime",
    kernelArguments: ["nosmt", "skew_tick=1"],
};
cfg["rhcos-forge:rollout"] = JSON.stringify({ ...rollout, timeoutMinutes: 5 });
harness.setStackConfig(cfg);

const MC = "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig";
let program: harness.Program;

before(async () => {
    program = await harness.runProgram({ access: cluster.access });
    for (let i = 0; i < 100 && harness.registrations.filter(r => r.type === MC).length < 2; i++) await harness.settle();
    await harness.settle();
});

describe("staged rollout of the dev stack", () => {
    it("puts image and node extras of a pool in its one MachineConfig", async () => {
        const ref = await harness.valueOf(program.image.ref);
        const canary = harness.find(MC, "rollout-canary-machineconfig").inputs as {
            metadata: { name: string };
            spec: Record<string, unknown>;
        };
        assert.equal(canary.metadata.name, "99-canary-rhcos-forge-os-image");
        assert.deepEqual(canary.spec, {
            osImageURL: ref,
            extensions: ["usbguard"],
            kernelType: "realtime",
            kernelArguments: ["nosmt", "skew_tick=1"],
        });
        const worker = harness.find(MC, "rollout-worker-machineconfig").inputs as { spec: Record<string, unknown> };
        assert.deepEqual(worker.spec, { osImageURL: ref });
        assert.equal(harness.registrations.filter(r => r.type === MC).length, 2, "one MachineConfig per pool");
        for (const r of harness.registrations.filter(r => r.type === MC)) validateAgainstCrd("release-4.19", r.inputs);
    });

    it("waits for the canary pool before registering the worker MachineConfig", () => {
        const canaryDone = cluster.doneAt.get("canary");
        assert.ok(canaryDone !== undefined, `canary was polled until done; GETs: ${cluster.gets.join(", ")}`);
        const index = (name: string) => harness.registrations.indexOf(harness.find(MC, name));
        assert.ok(index("rollout-canary-machineconfig") < canaryDone, "canary MachineConfig before its wait ended");
        assert.ok(
            index("rollout-worker-machineconfig") >= canaryDone,
            "worker MachineConfig only after the canary was updated",
        );
        const polls = cluster.gets.filter(p => p.endsWith("/machineconfigpools/canary")).length;
        assert.equal(polls, 3, "two updating reads, then updated");
        assert.ok(cluster.doneAt.has("worker"), "the last pool is waited for too");
    });

    it("records the order in the graph: worker MachineConfig depends on the canary's", () => {
        assert.ok(
            harness.dependsOnTransitively(
                harness.find(MC, "rollout-worker-machineconfig"),
                harness.find(MC, "rollout-canary-machineconfig"),
            ),
        );
        assert.ok(
            !harness.dependsOnTransitively(
                harness.find(MC, "rollout-canary-machineconfig"),
                harness.find(MC, "rollout-worker-machineconfig"),
            ),
        );
    });

    it("reads the rendered config the pool points at", () => {
        assert.ok(
            cluster.gets.includes("/apis/machineconfiguration.openshift.io/v1/machineconfigs/rendered-canary-new"),
        );
        assert.ok(
            !cluster.gets.some(p => p.includes("machineosconfigs")),
            "no on-cluster reads for the machineconfig method",
        );
    });

    it("takes each node out of the canary pool: label → worker pool wait → MachineConfig → pool", () => {
        const label = harness.registrations.find(
            r => r.type === "kubernetes:core/v1:NodePatch" && r.name.startsWith("rollout-canary-node-"),
        );
        assert.ok(label, "the canary pool labels a node");
        const node = label.name.replace("rollout-canary-node-", "");
        const release = harness.find("command:local:Command", `rollout-canary-release-${node}`);
        assert.deepEqual(
            [...release.additionalSecretOutputs].sort(),
            ["stderr", "stdout"],
            "its output (next to the kubeconfig on stdin) is stored secret",
        );
        const mc = harness.find(MC, "rollout-canary-machineconfig");
        const pool = harness.find(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPool",
            "rollout-canary-pool",
        );
        // Destroy runs in reverse dependency order.
        assert.ok(harness.dependsOnTransitively(label, release), "the label goes before the release wait");
        assert.ok(
            harness.dependsOnTransitively(release, mc) && harness.dependsOnTransitively(release, pool),
            "the wait runs before the MachineConfig and the pool go",
        );
        const inputs = release.inputs as { create: string; delete: string; stdin: string };
        assert.equal(inputs.create, "true", "nothing happens on create");
        assert.equal(inputs.delete, "node --import tsx components/rollout/nodeRelease.ts");
        assert.ok(harness.isSecret(release.raw.stdin), "the request (it holds the kubeconfig) is a secret");
        const request = JSON.parse(inputs.stdin) as Record<string, unknown>;
        assert.deepEqual(
            { ...request, kubeconfig: "…" },
            { pool: "canary", node, kubeconfig: "…", timeoutMs: 5 * 60_000, pollMs: 1 },
        );
        assert.equal(request.kubeconfig, harness.TEST_SECRETS.kubeconfig);
    });

    it("on destroy: each pool's MachineConfig, a wait until it is back on its own config, the pool (or patch)", () => {
        const pools: Record<string, string> = {
            worker: "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPoolPatch",
            canary: "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPool",
        };
        for (const [name, type] of Object.entries(pools)) {
            const revert = harness.find("command:local:Command", `rollout-${name}-revert`);
            assert.ok(
                harness.dependsOnTransitively(harness.find(MC, `rollout-${name}-machineconfig`), revert),
                `${name}: the MachineConfig is deleted before the wait`,
            );
            assert.ok(
                harness.dependsOnTransitively(revert, harness.find(type, `rollout-${name}-pool`)),
                `${name}: the pool goes after the wait`,
            );
            const inputs = revert.inputs as { create: string; delete: string; stdin: string };
            assert.equal(inputs.delete, "node --import tsx components/rollout/poolRevert.ts");
            assert.ok(harness.isSecret(revert.raw.stdin), "the request (it holds the kubeconfig) is a secret");
            assert.deepEqual(
                { ...(JSON.parse(inputs.stdin) as Record<string, unknown>), kubeconfig: "…" },
                {
                    pool: name,
                    machineConfigs: [`99-${name}-rhcos-forge-os-image`],
                    kubeconfig: "…",
                    timeoutMs: 5 * 60_000,
                    pollMs: 1,
                },
            );
        }
    });

    it("keeps the stack-output contract", async () => {
        assert.deepEqual(await harness.valueOf(pulumi.output(program.rollout)), {
            method: "machineconfig",
            pools: [
                { name: "canary", machineConfig: "99-canary-rhcos-forge-os-image" },
                { name: "worker", machineConfig: "99-worker-rhcos-forge-os-image" },
            ],
            // Set once every pool reported done: what a promotion ring reads (docs/fleet.md).
            finished: {
                ref: await harness.valueOf(program.image.ref),
                digest: await harness.valueOf(program.image.digest),
                base: await harness.valueOf(program.image.base),
            },
        });
    });
});
