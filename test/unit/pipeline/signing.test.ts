// image.signing under mocks: the sign step after the build, the ClusterImagePolicy before the
// MachineConfigs (validated against the CRD of the stack's release), the public key as an output,
// and the key and passphrase never in a plain input, a command string or an output.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey, inspectSigningKey } from "../../../components/sigstore/signing";
import { crdRelease, validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

const PASSPHRASE = "unit-signing-passphrase-4f2a";
const pair = generateSigningKey(PASSPHRASE);
const host = inspectSigningKey(pair.privateKey, PASSPHRASE);
/** Every line of both key forms and the passphrase: none may travel in plain text. */
const KEY_SECRETS = [
    PASSPHRASE,
    ...[pair.privateKey, host.hostPrivateKey].flatMap(k =>
        k.split("\n").filter(l => l.length > 0 && !l.startsWith("-----")),
    ),
];

harness.installMocks();
const secrets = { ...harness.TEST_SECRETS, signingKey: pair.privateKey, signingPassphrase: PASSPHRASE };
const config = loadStackConfig("dev", secrets);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
config["rhcos-forge:image"] = JSON.stringify({ ...image, signing: { enabled: true } });
const version =
    (JSON.parse(config["rhcos-forge:cluster"] ?? "{}") as { openshiftVersion?: string }).openshiftVersion ?? "4.19";
harness.setStackConfig(config, secrets);

const ran = harness.runBefore();

describe("image.signing", () => {
    it("signs after the build, parented to ImageSignature, with the key on secret stdin only", () => {
        const sign = harness.commandUnder("rhcos-forge:image:ImageSignature", "image-signature", "sign");
        assert.match(String(sign.inputs.create), /sign-image\.sh/);
        assert.ok(harness.dependsOnTransitively(sign, harness.find("command:remote:Command", "image-build")));
        assert.ok(harness.isSecret(sign.raw.stdin), "sign stdin is secret");
        const bundle = String(sign.inputs.stdin);
        assert.match(bundle, /^rhcos-forge-bundle v1\nsigningkey \S+\npublickey \S+\nauthfile \S+\n$/);
        // re-signs on a new digest or key: the trigger is the key's fingerprint, never the key
        assert.ok((sign.inputs.triggers as unknown[]).includes(host.fingerprint));
    });

    it("declares a ClusterImagePolicy for the repository that the MachineConfigs wait for", () => {
        const cip = harness.registrations.find(r => r.type.endsWith(":ClusterImagePolicy"));
        assert.ok(cip, "a ClusterImagePolicy is registered");
        assert.equal(cip.parent, harness.find("rhcos-forge:rollout:ImageTrustPolicy", "image-trust").urn);
        const { apiVersion, kind, metadata, spec } = cip.inputs as Record<string, unknown>;
        validateAgainstCrd(crdRelease(version as Parameters<typeof crdRelease>[0]), {
            apiVersion,
            kind,
            metadata,
            spec,
        });
        const s = spec as { scopes: string[]; policy: { rootOfTrust: { publicKey: { keyData: string } } } };
        assert.deepEqual(s.scopes, ["quay.io/example-org/rhcos-forge"]);
        assert.equal(Buffer.from(s.policy.rootOfTrust.publicKey.keyData, "base64").toString(), pair.publicKey);
        for (const mc of harness.registrations.filter(
            r => r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
        )) {
            assert.ok(harness.dependsOnTransitively(mc, cip), `${mc.name} waits for the policy`);
            assert.ok(
                harness.dependsOnTransitively(mc, harness.find("command:remote:Command", "image-signature-sign")),
                `${mc.name} waits for the signature`,
            );
        }
    });

    it("exports the public key and the signature tag; nothing secret in any output", async () => {
        const signing = await harness.valueOf(pulumi.output(ran.program.signing));
        assert.ok(signing);
        assert.equal(signing.publicKey, pair.publicKey);
        assert.equal(signing.keySha256, host.fingerprint);
        const ref = await harness.valueOf(ran.program.image.ref);
        assert.equal(signing.signature, `${ref.split("@")[0]}:${ref.split("@")[1].replace(":", "-")}.sig`);
        const outputs = JSON.stringify(await harness.valueOf(pulumi.output({ ...ran.program })));
        for (const s of [...KEY_SECRETS, ...harness.SECRET_VALUES])
            assert.ok(!outputs.includes(s), "no secret in the outputs");
    });

    it("never carries the key or the passphrase in a plain input or a command string", () => {
        assert.ok(KEY_SECRETS.length > 5);
        for (const r of harness.registrations) {
            const text = harness.plainJson(r.raw);
            for (const s of KEY_SECRETS)
                assert.ok(!text.includes(s), `${r.type}::${r.name} has key material in a plain input`);
        }
        // and the check itself sees the key where it is: inside the secret stdin
        const stdin = String(harness.find("command:remote:Command", "image-signature-sign").inputs.stdin);
        assert.ok(stdin.includes(Buffer.from(host.hostPrivateKey).toString("base64")));
    });
});
