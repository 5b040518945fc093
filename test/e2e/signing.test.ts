// image.signing with the real engine on the local stack: the key and passphrase set as stack
// secrets, the image signed after the push, the ClusterImagePolicy rendered beside the
// MachineConfigs, the public key an output, a node-side check (upstream containers/image) that
// accepts the signed digest, a key rotation that re-signs without a rebuild, and a destroy with
// image.retention.deleteOnDestroy that deletes the image with its signature and SBOM.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { addSecret, leakedSecrets, run } from "../host/harness";
import { ensurePolicyCheck, runPolicyCheck } from "../../dev/policyCheck";
import { generateSigningKey, renderNodePolicy, type SigningKeyPair } from "../../components/sigstore/signing";
import { E2e, assertStateHoldsNoSecrets, setUpE2e } from "./setup";

const STACK = "e2esign";
let e2e: E2e;
let policyCheck: string;

interface SignedOutputs {
    image: { ref: string };
    signing: { publicKey: string; keySha256: string; signature: string };
}

function newKey(passphrase: string): SigningKeyPair {
    addSecret(passphrase);
    const pair = generateSigningKey(passphrase);
    for (const line of pair.privateKey.split("\n")) if (line && !line.startsWith("-----")) addSecret(line);
    return pair;
}

async function setKey(pair: SigningKeyPair, passphrase: string): Promise<void> {
    await e2e.stack.setSecret("rhcos-forge:signingKey", pair.privateKey);
    await e2e.stack.setSecret("rhcos-forge:signingPassphrase", passphrase);
}

async function outputs(): Promise<SignedOutputs> {
    return (await e2e.outputs()) as unknown as SignedOutputs;
}

/** the node's verdict on `ref` with the policy the MCO renders for `publicKey` */
async function nodeAllows(ref: string, publicKey: string, name: string): Promise<boolean> {
    const dir = e2e.env.mkdir("node-policy", name);
    const files = renderNodePolicy(ref.split("@")[0]!, publicKey);
    writeFileSync(join(dir, "auth.json"), e2e.services.authJson, { mode: 0o600 });
    const policy = { policyJson: files.policyJson, registriesD: { "sigstore-registries.yaml": files.registriesD } };
    const res = await runPolicyCheck(policyCheck, dir, policy, join(dir, "auth.json"), ref);
    return res.code === 0;
}

function renderedPolicies(): {
    spec: { scopes: string[]; policy: { rootOfTrust: { publicKey: { keyData: string } } } };
}[] {
    const dir = join(e2e.manifests, "1-manifest");
    return (existsSync(dir) ? readdirSync(dir) : [])
        .map(f => yaml.load(readFileSync(join(dir, f), "utf8")) as { kind: string })
        .filter(o => o.kind === "ClusterImagePolicy") as unknown as ReturnType<typeof renderedPolicies>;
}

before(async () => {
    [e2e, policyCheck] = await Promise.all([setUpE2e(STACK), ensurePolicyCheck()]);
});
after(async () => {
    await e2e?.env.teardown();
});

describe("image.signing with the real engine", () => {
    const passA = "e2e-signing-passphrase-A";
    const passB = "e2e-signing-passphrase-B";
    let keyA: SigningKeyPair;

    it("1. up signs the pushed digest, renders the ClusterImagePolicy and exports the public key", async () => {
        keyA = newKey(passA);
        await setKey(keyA, passA);
        e2e.configure({ image: { signing: { enabled: true } } });
        await e2e.run(["up", "--yes"]);
        const out = await outputs();
        assert.equal(out.signing.publicKey, keyA.publicKey);
        assert.equal(
            out.signing.signature,
            `${out.image.ref.split("@")[0]}:${out.image.ref.split("@")[1]!.replace(":", "-")}.sig`,
        );
        const [cip] = renderedPolicies();
        assert.ok(cip, "a ClusterImagePolicy is rendered");
        assert.deepEqual(cip.spec.scopes, [out.image.ref.split("@")[0]]);
        assert.equal(Buffer.from(cip.spec.policy.rootOfTrust.publicKey.keyData, "base64").toString(), keyA.publicKey);
        assert.equal(await nodeAllows(out.image.ref, keyA.publicKey, "a"), true);
        for (const url of Object.values(e2e.renderedMachineConfigs())) assert.equal(url, out.image.ref);
    });

    it("2. a new key re-signs the same digest without a rebuild; both keys verify", async () => {
        const before = await outputs();
        const builds = e2e.buildCount();
        const keyB = newKey(passB);
        await setKey(keyB, passB);
        await e2e.run(["up", "--yes"]);
        const out = await outputs();
        assert.equal(e2e.buildCount(), builds, "no rebuild");
        assert.equal(out.image.ref, before.image.ref);
        assert.equal(out.signing.publicKey, keyB.publicKey);
        assert.equal(await nodeAllows(out.image.ref, keyB.publicKey, "b"), true);
        assert.equal(await nodeAllows(out.image.ref, keyA.publicKey, "a2"), true, "the old signature stays");
        const [cip] = renderedPolicies();
        assert.equal(Buffer.from(cip!.spec.policy.rootOfTrust.publicKey.keyData, "base64").toString(), keyB.publicKey);
    });

    // Destroy with deleteOnDestroy removes the policy, then the image and its attachments.
    it("3. keys and passphrases are in no output nor state; destroy deletes policy, image, attachments", async () => {
        assert.ok((await assertStateHoldsNoSecrets(e2e, STACK, [passA, passB])) >= 4);
        const { image } = await outputs();
        const [repo, digest] = image.ref.split("@") as [string, string];
        const auth = e2e.env.path("cleanup-auth.json");
        writeFileSync(auth, e2e.services.authJson, { mode: 0o600 });
        const inRegistry = async (ref: string): Promise<boolean> =>
            (
                await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--authfile", auth, `docker://${ref}`], {
                    check: false,
                })
            ).code === 0;
        const attachments = [`${repo}:${digest.replace(":", "-")}.sig`, `${repo}:${digest.replace(":", "-")}.sbom`];
        for (const ref of [image.ref, ...attachments])
            assert.equal(await inRegistry(ref), true, `${ref} before destroy`);
        // the flag changes the cleanup's delete command in place: no rebuild, nothing deleted yet
        const builds = e2e.buildCount();
        e2e.configure({ image: { signing: { enabled: true }, retention: { deleteOnDestroy: true } } });
        await e2e.run(["up", "--yes"]);
        assert.equal(e2e.buildCount(), builds, "no rebuild");
        assert.equal(await inRegistry(image.ref), true, "an up with the flag deletes nothing");
        await e2e.run(["destroy", "--yes"]);
        assert.deepEqual(renderedPolicies(), []);
        assert.deepEqual(e2e.renderedMachineConfigs(), {});
        for (const ref of [image.ref, ...attachments])
            assert.equal(await inRegistry(ref), false, `${ref} deleted on destroy`);
        assert.deepEqual(leakedSecrets(), []);
    });
});
