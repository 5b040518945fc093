// The policy pack's rules (policy/rules.ts) on the objects rhcos-forge declares and on the
// mistakes they exist to catch.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderMachineConfig, renderMachineConfigPool } from "../../../components/openshift/machineConfig";
import { renderMachineOSConfig } from "../../../components/openshift/machineOsConfig";
import {
    ResourceLike,
    maxUnavailableBounded,
    noMasterRollout,
    noPlainSecrets,
    osImageUrlPinned,
} from "../../../policy/rules";
import { TEST_SECRETS } from "../harness";

const REF = "quay.io/example-org/rhcos-forge@sha256:" + "a".repeat(64);
const MC = "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig";
const res = (type: string, name: string, props: object): ResourceLike => ({
    type,
    name,
    props: props as Record<string, unknown>,
});

describe("policy: osImageURL pinned by digest", () => {
    it("passes a digest, and a MachineConfig without an image (node extras only)", () => {
        assert.deepEqual(osImageUrlPinned(res(MC, "mc", renderMachineConfig("worker", REF))), []);
        assert.deepEqual(
            osImageUrlPinned(res(MC, "mc", renderMachineConfig("worker", { kernelArguments: ["nosmt"] }))),
            [],
        );
    });

    it("flags a tag", () => {
        assert.deepEqual(
            osImageUrlPinned(
                res(MC, "rollout-worker-machineconfig", renderMachineConfig("worker", "quay.io/org/rhcos:latest")),
            ),
            [
                'MachineConfig rollout-worker-machineconfig: osImageURL "quay.io/org/rhcos:latest" is not ' +
                    "pinned by digest (repo@sha256:<64 hex>)",
            ],
        );
    });
});

describe("policy: no rollout to master without an allow", () => {
    const master = res(MC, "rollout-master-machineconfig", renderMachineConfig("master", REF));
    const mosc = res(
        "kubernetes:machineconfiguration.openshift.io/v1:MachineOSConfig",
        "rollout-master-machineosconfig",
        renderMachineOSConfig({
            version: "4.19",
            pool: "master",
            pushSpec: "quay.io/o/r:master",
            containerfile: "FROM configs AS final\n",
            arch: "NoArch",
        }),
    );
    it("flags a master MachineConfig and MachineOSConfig", () => {
        assert.equal(noMasterRollout(master, false).length, 1);
        assert.match(noMasterRollout(mosc, false)[0], /builds for the master pool/);
    });
    it("allows them with allowMaster, and never flags worker", () => {
        assert.deepEqual(noMasterRollout(master, true), []);
        assert.deepEqual(noMasterRollout(res(MC, "w", renderMachineConfig("worker", REF)), false), []);
    });
});

describe("policy: maxUnavailable bounded", () => {
    const pool = (maxUnavailable: number | string) =>
        res(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPool",
            "rollout-canary-pool",
            renderMachineConfigPool({ name: "canary", maxUnavailable, paused: false }),
        );
    it("passes the dev stack's values", () => {
        assert.deepEqual(maxUnavailableBounded(pool(1)), []);
        assert.deepEqual(maxUnavailableBounded(pool("10%")), []);
    });
    it("flags too many nodes or too large a share, on pools and on patches of built-in pools", () => {
        assert.deepEqual(maxUnavailableBounded(pool(10)), ["pool canary: maxUnavailable 10 is outside 1..3"]);
        assert.deepEqual(maxUnavailableBounded(pool("50%")), [
            'pool canary: maxUnavailable "50%" is outside 1%..25% (or 1..3 nodes)',
        ]);
        const patch = res(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPoolPatch",
            "rollout-worker-pool",
            { metadata: { name: "worker" }, spec: { maxUnavailable: "100%", paused: false } },
        );
        assert.equal(maxUnavailableBounded(patch).length, 1);
        assert.deepEqual(maxUnavailableBounded(patch, { maxCount: 10, maxPercent: 100 }), []);
    });
});

describe("policy: no secret in plain outputs", () => {
    it("allows credentials in the fields made for them", () => {
        assert.deepEqual(
            noPlainSecrets(
                res("kubernetes:core/v1:Secret", "push", {
                    stringData: { ".dockerconfigjson": TEST_SECRETS.registryAuth },
                }),
            ),
            [],
        );
        assert.deepEqual(
            noPlainSecrets(
                res("pulumi:providers:kubernetes", "cluster-reader", { kubeconfig: TEST_SECRETS.kubeconfig }),
            ),
            [],
        );
        assert.deepEqual(
            noPlainSecrets(
                res("command:remote:Command", "image-build", {
                    stdin: TEST_SECRETS.registryAuth,
                    connection: { privateKey: TEST_SECRETS.sshPrivateKey },
                }),
            ),
            [],
        );
    });

    it("flags a credential in a stack output or a plain input, without echoing it", () => {
        const found = noPlainSecrets(
            res("pulumi:pulumi:Stack", "rhcos-forge-dev", {
                image: { ref: REF },
                debug: { auth: TEST_SECRETS.registryAuth },
                key: TEST_SECRETS.sshPrivateKey,
            }),
        );
        assert.deepEqual(found, [
            "stack output: debug.auth holds a registry auth.json; keep credentials in secrets, out of outputs " +
                "and plain inputs",
            "stack output: debug.auth holds a registry credential; keep credentials in secrets, out of " +
                "outputs and plain inputs",
            "stack output: key holds a private key; keep credentials in secrets, out of outputs and plain inputs",
        ]);
        const cmd = noPlainSecrets(
            res("command:remote:Command", "image-build", { create: `echo ${TEST_SECRETS.kubeconfig}` }),
        );
        assert.equal(cmd.length, 1);
        assert.match(cmd[0], /^command:remote:Command image-build: create holds a kubeconfig token/);
        assert.ok(!JSON.stringify([...found, ...cmd]).includes("s3cr3t"));
    });

    it("passes the stack outputs of a normal run", () => {
        assert.deepEqual(
            noPlainSecrets(
                res("pulumi:pulumi:Stack", "rhcos-forge-dev", {
                    image: { ref: REF, digest: REF.split("@")[1], base: REF },
                    mirror: {
                        baseUrl: "http://198.51.100.7:5180",
                        repos: {},
                        repoFile: "[rhcos-forge-epel-9]\nbaseurl=http://198.51.100.7:5180/epel-9/\n",
                    },
                    rollout: {
                        method: "machineconfig",
                        pools: [{ name: "canary", machineConfig: "99-canary-rhcos-forge-os-image" }],
                    },
                }),
            ),
            [],
        );
    });
});
