// On-cluster layering on OpenShift 4.16 in GitOps render mode: the v1alpha1 MachineOSConfig and
// both registry secrets are rendered, validated against the 4.16 CRDs, and nothing waits (there
// is no cluster to poll), so image.ref stays empty: it is never a tag.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { validateAgainstCrd } from "../crds";
import { TEST_SECRETS, find, installMocks, registrations, valueOf, runProgram, type Program } from "../harness";
import { installFakeCluster } from "../rolloutCluster";

installMocks();
const cluster = installFakeCluster();
const config: Record<string, unknown> = {
    buildHost: { provider: "local" },
    image: { base: "cluster", repository: "quay.io/example-org/rhcos-forge", packages: ["htop"] },
    cluster: { openshiftVersion: "4.16", renderTo: "out/manifests" },
    rollout: {
        method: "machineosconfig",
        containerfileArch: "AMD64",
        pools: [{ name: "canary", nodes: ["worker-0"] }, { name: "worker" }],
    },
};
pulumi.runtime.setAllConfig(
    {
        ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`rhcos-forge:${k}`, JSON.stringify(v)])),
        "rhcos-forge:registryAuth": TEST_SECRETS.registryAuth,
    },
    ["rhcos-forge:registryAuth"],
);

const MOSC = "kubernetes:machineconfiguration.openshift.io/v1alpha1:MachineOSConfig";
let program: Program;

before(async () => {
    program = await runProgram({ access: cluster.access });
});

describe("on-cluster layering, OpenShift 4.16, rendered for GitOps", () => {
    it("renders v1alpha1 MachineOSConfigs valid for 4.16 (and 4.17)", () => {
        const moscs = registrations.filter(r => r.type === MOSC);
        assert.equal(moscs.length, 2);
        for (const r of moscs) {
            validateAgainstCrd("release-4.16", r.inputs);
            validateAgainstCrd("release-4.17", r.inputs);
            const spec = r.inputs.spec as {
                buildInputs: { containerFile: { containerfileArch: string }[]; renderedImagePushspec: string };
                buildOutputs: unknown;
            };
            assert.equal(spec.buildInputs.containerFile[0].containerfileArch, "amd64");
            assert.deepEqual(spec.buildOutputs, { currentImagePullSecret: { name: "rhcos-forge-registry-pull" } });
        }
    });

    it("renders the push and the pull secret", () => {
        for (const name of ["rhcos-forge-registry-push", "rhcos-forge-registry-pull"]) {
            assert.equal(
                find("kubernetes:core/v1:Secret", `rollout-${name}`).inputs.type,
                "kubernetes.io/dockerconfigjson",
            );
        }
    });

    it("does not wait and does not read the cluster", async () => {
        assert.deepEqual(cluster.gets, []);
        assert.equal(registrations.filter(r => r.type === "pulumi:providers:kubernetes").length, 1);
        assert.equal(await valueOf(program.image.ref), "", "no digest yet, and never a tag");
        assert.equal(await valueOf(program.image.digest), "");
        assert.equal(await valueOf(program.image.base), "cluster");
    });
});
