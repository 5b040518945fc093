// The sigstore key pair: the cosign-format envelope (scrypt + nacl/secretbox), decrypting it,
// the public key derived from it, and the node policy files rendered for a repository.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, createSign, createVerify } from "node:crypto";
import { describe, it } from "node:test";
import {
    PRIVATE_KEY_PEM_TYPE,
    generateSigningKey,
    inspectSigningKey,
    renderNodePolicy,
    renderSignBundle,
    signatureTag,
} from "../../../components/sigstore/signing";

const PASS = "unit-test-passphrase";
const pair = generateSigningKey(PASS);

describe("signing key", () => {
    it("writes the cosign envelope containers/image v5.23 reads: PEM type, scrypt, nacl/secretbox", () => {
        assert.match(pair.privateKey, new RegExp(`^-----BEGIN ${PRIVATE_KEY_PEM_TYPE}-----\n`));
        const body = pair.privateKey
            .split("\n")
            .filter(l => !l.startsWith("-----"))
            .join("");
        const envelope = JSON.parse(Buffer.from(body, "base64").toString("utf8")) as Record<
            string,
            { name: string; params?: unknown }
        >;
        assert.equal(envelope.kdf.name, "scrypt");
        assert.deepEqual(envelope.kdf.params, { N: 32768, r: 8, p: 1 });
        assert.equal(envelope.cipher.name, "nacl/secretbox");
        assert.doesNotMatch(pair.privateKey, /BEGIN PRIVATE KEY/);
    });

    it("decrypts with the passphrase only, and derives the public key that verifies its signatures", () => {
        const info = inspectSigningKey(pair.privateKey, PASS);
        assert.equal(info.publicKey, pair.publicKey);
        assert.match(info.fingerprint, /^[0-9a-f]{64}$/);
        const signature = createSign("sha256").update("payload").sign(createPrivateKey(info.hostPrivateKey));
        assert.ok(createVerify("sha256").update("payload").verify(createPublicKey(info.publicKey), signature));
        assert.throws(
            () => inspectSigningKey(pair.privateKey, "not-the-passphrase"),
            /signingPassphrase does not decrypt/,
        );
        // deterministic: an unchanged key re-runs no step
        assert.equal(inspectSigningKey(pair.privateKey, PASS).hostPrivateKey, info.hostPrivateKey);
    });

    it("accepts cosign 2's SIGSTORE label and ships it as COSIGN; refuses other PEM types", () => {
        const relabelled = pair.privateKey.replace(/COSIGN/g, "SIGSTORE");
        const info = inspectSigningKey(relabelled, PASS);
        assert.equal(info.privateKey, pair.privateKey);
        assert.throws(() => inspectSigningKey(info.hostPrivateKey, PASS), /PEM type "PRIVATE KEY"/);
        assert.throws(() => inspectSigningKey("not a key", PASS), /must be a PEM block/);
    });

    it("a different key has a different fingerprint", () => {
        const other = generateSigningKey(PASS);
        assert.notEqual(
            inspectSigningKey(other.privateKey, PASS).fingerprint,
            inspectSigningKey(pair.privateKey, PASS).fingerprint,
        );
    });
});

describe("node policy and bundle", () => {
    it("renders policy.json with a sigstoreSigned entry for the repository only, registries.d with attachments", () => {
        const files = renderNodePolicy("quay.io/acme/rhcos", pair.publicKey);
        const policy = JSON.parse(files.policyJson) as {
            default: unknown;
            transports: { docker: Record<string, { type: string; keyData: string; signedIdentity: unknown }[]> };
        };
        assert.deepEqual(policy.default, [{ type: "insecureAcceptAnything" }]);
        assert.deepEqual(Object.keys(policy.transports.docker), ["quay.io/acme/rhcos"]);
        const [req] = policy.transports.docker["quay.io/acme/rhcos"];
        assert.equal(req.type, "sigstoreSigned");
        assert.equal(Buffer.from(req.keyData, "base64").toString(), pair.publicKey);
        assert.deepEqual(req.signedIdentity, { type: "matchRepoDigestOrExact" });
        assert.equal(files.registriesD, "docker:\n  quay.io/acme/rhcos:\n    use-sigstore-attachments: true\n");
    });

    it("the sign bundle carries the key only base64-encoded, and the signature tag is cosign's", () => {
        const info = inspectSigningKey(pair.privateKey, PASS);
        const bundle = renderSignBundle(info, '{"auths":{}}');
        assert.deepEqual(
            bundle.split("\n").map(l => l.split(" ")[0]),
            ["rhcos-forge-bundle", "signingkey", "publickey", "authfile", ""],
        );
        assert.ok(!bundle.includes(PASS));
        assert.ok(!bundle.includes("PRIVATE KEY"));
        assert.equal(signatureTag(`sha256:${"a".repeat(64)}`), `sha256-${"a".repeat(64)}.sig`);
    });
});
