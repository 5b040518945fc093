// On-cluster layering (rollout.method machineosconfig) on OpenShift 4.19 under mocks, against a
// fake cluster: no build host, mirror or image build; push secret from registryAuth (secret);
// one MachineOSConfig per pool, validated against the 4.19 CRDs; staged pools; image.ref is the
// digest the MCO reported.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { checkMachineOSConfigName } from "../../../components/openshift/machineOsConfig";
import { KubeObject } from "../../../components/openshift/machineConfig";
import { validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { BUILT, installFakeCluster } from "../rolloutCluster";

harness.installMocks();
const cluster = installFakeCluster();
const config: Record<string, unknown> = {
    buildHost: { provider: "local" },
    image: {
        base: "cluster",
        repository: "quay.io/example-org/rhcos-forge",
        packages: ["htop"],
        files: [{ path: "/etc/rf/hello.conf", content: "greeting=hello\n" }],
        units: ["chronyd.service"],
    },
    cluster: { openshiftVersion: "4.19" },
    rollout: {
        method: "machineosconfig",
        pools: [
            { name: "canary", nodes: ["worker-0.ocp.example.com"], kernelArguments: ["nosmt"] },
            { name: "worker", maxUnavailable: "10%" },
        ],
    },
};
pulumi.runtime.setAllConfig(
    {
        ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`rhcos-forge:${k}`, JSON.stringify(v)])),
        "rhcos-forge:registryAuth": harness.TEST_SECRETS.registryAuth,
        "rhcos-forge:kubeconfig": harness.TEST_SECRETS.kubeconfig,
    },
    ["rhcos-forge:registryAuth", "rhcos-forge:kubeconfig"],
);

const MOSC = "kubernetes:machineconfiguration.openshift.io/v1:MachineOSConfig";
const MC = "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig";
let program: harness.Program;

before(async () => {
    program = await harness.runProgram({ access: cluster.access });
});

describe("on-cluster layering, OpenShift 4.19", () => {
    it("creates no build host, mirror or image build", () => {
        const types = new Set(harness.registrations.map(r => r.type));
        for (const t of [
            "rhcos-forge:host:BuildHost",
            "rhcos-forge:mirror:RepoMirror",
            "rhcos-forge:image:LayeredImage",
        ]) {
            assert.ok(!types.has(t), `${t} is not created`);
        }
        // The only local commands are the waits on delete: a node leaving its pool, a pool going back.
        const commands = harness.registrations.filter(r => r.type === "command:local:Command").map(r => r.name);
        assert.ok(
            commands.every(n => /^rollout-[a-z0-9-]+-(release-.+|revert)$/.test(n)),
            commands.join(", "),
        );
    });

    it("creates the push secret from registryAuth, as a secret, in the MCO namespace", () => {
        const s = harness.find("kubernetes:core/v1:Secret", "rollout-rhcos-forge-registry-push");
        assert.deepEqual(s.inputs.metadata, {
            name: "rhcos-forge-registry-push",
            namespace: "openshift-machine-config-operator",
            labels: { "app.kubernetes.io/managed-by": "rhcos-forge" },
        });
        assert.equal(s.inputs.type, "kubernetes.io/dockerconfigjson");
        const data = s.raw.stringData as Record<string, unknown>;
        assert.ok(harness.isSecret(data) || harness.isSecret(data[".dockerconfigjson"]), "dockerconfigjson is secret");
        assert.equal(
            (s.inputs.stringData as Record<string, string>)[".dockerconfigjson"],
            harness.TEST_SECRETS.registryAuth,
        );
        assert.equal(
            harness.registrations.filter(r => r.type === "kubernetes:core/v1:Secret").length,
            1,
            "v1 has no currentImagePullSecret",
        );
    });

    it("declares one MachineOSConfig per pool, named after it, valid for 4.19", () => {
        const moscs = harness.registrations.filter(r => r.type === MOSC);
        assert.deepEqual(
            moscs.map(r => (r.inputs.metadata as { name: string }).name),
            ["canary", "worker"],
        );
        for (const r of moscs) {
            validateAgainstCrd("release-4.19", r.inputs);
            assert.equal(checkMachineOSConfigName(r.inputs as unknown as KubeObject), undefined);
            const spec = r.inputs.spec as { renderedImagePushSpec: string; containerFile: { content: string }[] };
            assert.match(spec.renderedImagePushSpec, /^quay\.io\/example-org\/rhcos-forge:(canary|worker)$/);
            assert.match(spec.containerFile[0].content, /^FROM configs AS final$/m);
            assert.match(spec.containerFile[0].content, /rpm-ostree install htop/);
        }
    });

    it("puts node extras in a MachineConfig only where there are some, before the MachineOSConfig", () => {
        const mcs = harness.registrations.filter(r => r.type === MC);
        assert.deepEqual(
            mcs.map(r => r.name),
            ["rollout-canary-machineconfig"],
        );
        assert.deepEqual(mcs[0].inputs.spec, { kernelArguments: ["nosmt"] }, "no osImageURL: the MCO sets the image");
        assert.ok(harness.dependsOnTransitively(harness.find(MOSC, "rollout-canary-machineosconfig"), mcs[0]));
    });

    it("labels the canary's node only after its MachineOSConfig exists", () => {
        const label = harness.find("kubernetes:core/v1:NodePatch", "rollout-canary-node-worker-0.ocp.example.com");
        assert.ok(harness.dependsOnTransitively(label, harness.find(MOSC, "rollout-canary-machineosconfig")));
    });

    it("starts the worker pool's build only after the canary pool is updated", () => {
        const canaryDone = cluster.doneAt.get("canary");
        assert.ok(canaryDone !== undefined);
        assert.ok(harness.registrations.indexOf(harness.find(MOSC, "rollout-worker-machineosconfig")) >= canaryDone);
        assert.ok(
            harness.dependsOnTransitively(
                harness.find(MOSC, "rollout-worker-machineosconfig"),
                harness.find(MOSC, "rollout-canary-machineosconfig"),
            ),
        );
        assert.ok(cluster.gets.includes("/apis/machineconfiguration.openshift.io/v1/machineosbuilds"));
    });

    it("keeps the stack-output contract, image.ref being the digest the MCO built", async () => {
        const img = await harness.valueOf(pulumi.output(program.image));
        assert.equal(img.ref, BUILT("worker"));
        assert.equal(img.digest, BUILT("worker").split("@")[1]);
        assert.equal(
            await harness.valueOf(program.image.base),
            (await harness.valueOf(pulumi.output(program.image))).base,
        );
        assert.deepEqual(await harness.valueOf(pulumi.output(program.buildHost)), { address: "", provider: "cluster" });
        assert.deepEqual(await harness.valueOf(pulumi.output(program.mirror)), {
            baseUrl: "",
            repos: {},
            repoFile: "",
        });
        assert.deepEqual(await harness.valueOf(pulumi.output(program.rollout)), {
            method: "machineosconfig",
            pools: [
                { name: "canary", machineConfig: "99-canary-rhcos-forge-os-image", machineOSConfig: "canary" },
                { name: "worker", machineOSConfig: "worker" },
            ],
        });
        assert.match(await harness.valueOf(program.containerfile), /^FROM configs AS final$/m);
    });

    it("has no secret in any plain input", () => {
        for (const r of harness.registrations) {
            const plain = JSON.stringify(strip(r.raw));
            for (const s of harness.SECRET_VALUES)
                assert.ok(!plain.includes(s), `${r.type}::${r.name} has a secret in a plain input`);
        }
    });
});

function strip(value: unknown): unknown {
    if (harness.isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(strip);
    if (value !== null && typeof value === "object")
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, strip(v)]));
    return value;
}
