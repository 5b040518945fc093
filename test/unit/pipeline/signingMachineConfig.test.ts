// image.signing.machineConfigPolicy under mocks (a cluster without the ClusterImagePolicy API):
// no ClusterImagePolicy, one MachineConfig per rolled-out pool carrying exactly the policy.json
// and registries.d drop-in renderNodePolicy gives (the files the host tests verify with), valid
// against the MachineConfig CRD, and the os-image MachineConfigs wait for them.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { generateSigningKey, renderNodePolicy } from "../../../components/sigstore/signing";
import { imagePolicyMachineConfigName, registriesDropInPath } from "../../../components/openshift/clusterImagePolicy";
import { crdRelease, validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

const PASSPHRASE = "unit-mc-policy-passphrase-0b3d";
const pair = generateSigningKey(PASSPHRASE);
harness.installMocks();
const secrets = { ...harness.TEST_SECRETS, signingKey: pair.privateKey, signingPassphrase: PASSPHRASE };
const config = loadStackConfig("dev", secrets);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
config["rhcos-forge:image"] = JSON.stringify({
    ...image,
    signing: { enabled: true, clusterPolicy: false, machineConfigPolicy: true },
});
const version =
    (JSON.parse(config["rhcos-forge:cluster"] ?? "{}") as { openshiftVersion?: string }).openshiftVersion ?? "4.19";
const pools = (JSON.parse(config["rhcos-forge:rollout"] ?? "{}") as { pools: { name: string }[] }).pools.map(
    p => p.name,
);
harness.setStackConfig(config, secrets);

before(() => harness.runProgram());

const decode = (source: string): string => {
    const m = /^data:text\/plain;charset=utf-8;base64,(.*)$/.exec(source);
    assert.ok(m, source);
    return Buffer.from(m[1]!, "base64").toString("utf8");
};

describe("image.signing.machineConfigPolicy", () => {
    it("writes the node policy files with a MachineConfig per pool instead of a ClusterImagePolicy", () => {
        assert.equal(
            harness.registrations.some(r => r.type.endsWith(":ClusterImagePolicy")),
            false,
        );
        const repo = String(image.repository);
        const expected = renderNodePolicy(repo, pair.publicKey);
        assert.ok(pools.length >= 2, pools.join());
        const osImageMcs = harness.registrations.filter(
            r =>
                r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig" &&
                !r.name.startsWith("image-trust-"),
        );
        assert.equal(osImageMcs.length, pools.length);
        for (const pool of pools) {
            const mc = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
                `image-trust-${pool}-machineconfig`,
            );
            assert.equal(mc.parent, harness.find("rhcos-forge:rollout:ImageTrustPolicy", "image-trust").urn);
            const { apiVersion, kind, metadata, spec } = mc.inputs as {
                apiVersion: string;
                kind: string;
                metadata: { name: string; labels: Record<string, string> };
                spec: {
                    config: {
                        ignition: { version: string };
                        storage: { files: { path: string; mode: number; contents: { source: string } }[] };
                    };
                };
            };
            validateAgainstCrd(crdRelease(version as Parameters<typeof crdRelease>[0]), {
                apiVersion,
                kind,
                metadata,
                spec,
            });
            assert.equal(metadata.name, imagePolicyMachineConfigName(pool));
            assert.ok(
                metadata.name < `99-${pool}-generated-registries`,
                "the MCO's own generated policy.json wins where it exists",
            );
            assert.equal(metadata.labels["machineconfiguration.openshift.io/role"], pool);
            assert.equal(spec.config.ignition.version, "3.2.0");
            const files = Object.fromEntries(spec.config.storage.files.map(f => [f.path, decode(f.contents.source)]));
            assert.deepEqual(Object.keys(files), ["/etc/containers/policy.json", registriesDropInPath(repo)]);
            assert.equal(files["/etc/containers/policy.json"], expected.policyJson);
            assert.equal(files[registriesDropInPath(repo)], expected.registriesD);
            assert.notEqual(
                registriesDropInPath(repo),
                "/etc/containers/registries.d/sigstore-registries.yaml",
                "never the MCO's own registries.d file",
            );
            const policy = JSON.parse(files["/etc/containers/policy.json"]!) as {
                default: unknown;
                transports: { docker: Record<string, unknown> };
            };
            assert.deepEqual(
                policy.default,
                [{ type: "insecureAcceptAnything" }],
                "the MCO's default for every other registry",
            );
            assert.deepEqual(Object.keys(policy.transports.docker), [repo], "a requirement for the repository only");
            for (const os of osImageMcs)
                assert.ok(harness.dependsOnTransitively(os, mc), `${os.name} waits for ${metadata.name}`);
        }
    });
});
