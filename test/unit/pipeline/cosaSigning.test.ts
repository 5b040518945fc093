// image.builder cosa with image.signing and image.retention under mocks: the cosa image gets what
// a layered one gets after its push, the SBOM step (sbom-image.sh, which records the push as this
// host's) and then the sign step (sign-image.sh, the same ImageSignature); the MachineConfigs
// point at the ref only the sign step hands on; retention prunes after them and the destroy-time
// cleanup runs after they are gone.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asAllConfig, sshCosaStack } from "../configCases";
import { generateSigningKey } from "../../../components/sigstore/signing";
import * as harness from "../harness";

const PASSPHRASE = "unit-cosa-signing-passphrase-77e1";
const pair = generateSigningKey(PASSPHRASE);
const CONTAINER = `quay.io/coreos-assembler/coreos-assembler@sha256:${"c".repeat(64)}`;

harness.installMocks();
const secrets = {
    sshPrivateKey: harness.TEST_SECRETS.sshPrivateKey,
    registryAuth: harness.TEST_SECRETS.registryAuth,
    kubeconfig: harness.TEST_SECRETS.kubeconfig,
    signingKey: pair.privateKey,
    signingPassphrase: PASSPHRASE,
};
harness.setStackConfig(
    asAllConfig({
        ...sshCosaStack(CONTAINER, [], {
            signing: { enabled: true },
            retention: { enabled: true, keep: 2, deleteOnDestroy: true },
        }),
        rollout: { pools: [{ name: "worker" }] },
        ...secrets,
    }),
    secrets,
);

const ran = harness.runBefore();

describe("image.builder cosa with image.signing", () => {
    it("runs the SBOM step, then the sign step, on the pushed cosa digest before any MachineConfig", async () => {
        const [build, sbom, sign] = harness.commands("image-build", "image-sbom-sbom", "image-signature-sign");
        assert.ok(harness.dependsOnTransitively(sbom, build));
        assert.ok(harness.dependsOnTransitively(sign, sbom), "signing waits for the SBOM");
        const ref = await harness.valueOf(ran.program.image.ref);
        assert.match(ref, /^quay\.io\/example-org\/rhcos@sha256:[a-f0-9]{64}$/);
        assert.ok(String(sign.inputs.create).includes(`RF_IMAGE_REF=${ref}`));
        const mcs = harness.registrations.filter(
            r => r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
        );
        assert.equal(mcs.length, 1);
        for (const mc of mcs) assert.ok(harness.dependsOnTransitively(mc, sign), `${mc.name} waits for the signature`);
        const signing = await harness.valueOf(pulumi.output(ran.program.signing));
        assert.equal(signing?.publicKey, pair.publicKey);
        assert.equal(signing?.signature, `quay.io/example-org/rhcos:${ref.split("@")[1]!.replace(":", "-")}.sig`);
        assert.equal(
            (await harness.valueOf(pulumi.output(ran.program.image.sbom)))?.tag,
            `quay.io/example-org/rhcos:${ref.split("@")[1]!.replace(":", "-")}.sbom`,
        );
    });

    it("records the cosa push for retention, prunes after rollout, deletes after the MachineConfigs", async () => {
        const sbom = harness.find("command:remote:Command", "image-sbom-sbom");
        assert.ok(
            String(sbom.inputs.create).includes(
                `RF_RECORD_BUILD=cosa-${(await harness.valueOf(pulumi.output(ran.program.cosa)))?.buildId}`,
            ),
            String(sbom.inputs.create),
        );
        const prune = harness.find("command:remote:Command", "image-retention-prune");
        const cleanup = harness.find("command:remote:Command", "image-cleanup-registry");
        assert.match(String(prune.inputs.create), /RF_KEEP=2/);
        assert.match(String(cleanup.inputs.delete), /RF_MODE=destroy/);
        for (const mc of harness.registrations.filter(
            r => r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
        )) {
            assert.ok(harness.dependsOnTransitively(prune, mc), `prune waits for ${mc.name}`);
            assert.ok(harness.dependsOnTransitively(mc, cleanup), `${mc.name} goes before the cleanup on destroy`);
        }
    });
});
