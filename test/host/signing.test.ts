// sign-image.sh over SSH against the htpasswd registry, and the check a node makes before it
// boots the image: upstream containers/image (dev/policycheck, what skopeo's image proxy does for
// rpm-ostree) with the policy.json and registries.d the MCO renders from the ClusterImagePolicy
// (components/sigstore/signing.ts renderNodePolicy). The signed digest is allowed; an image of the
// same repository without a signature, and one signed by another key, are refused.
// Retention (prune-images.sh) on the same registry: only images this host pushed, never a
// protected digest, with their signatures and SBOMs; a registry refusing deletes is a warning.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as harness from "./harness";
import { ensurePolicyCheck, runPolicyCheck } from "../../dev/policyCheck";
import {
    generateSigningKey,
    inspectSigningKey,
    renderNodePolicy,
    renderSignBundle,
    type SigningKeyInfo,
} from "../../components/sigstore/signing";
import { registriesDropInPath, renderImagePolicyMachineConfig } from "../../components/openshift/clusterImagePolicy";

let env: harness.Env;
let host: harness.BuildHost;
let reg: harness.Registry;
let root: string;
let policyCheck: string;
let authFile: string;
let keyA: SigningKeyInfo;
let keyB: SigningKeyInfo;
const images: Record<string, string> = {};
const signTimes: number[] = [];
const stepTimes: Record<string, number[]> = {};

const REPO_NAME = "rhcos-forge/node";
const repo = (): string => `${reg.host}/${REPO_NAME}`;

function newKey(passphrase: string): SigningKeyInfo {
    harness.addSecret(passphrase);
    const pair = generateSigningKey(passphrase);
    const info = inspectSigningKey(pair.privateKey, passphrase);
    for (const pem of [pair.privateKey, info.hostPrivateKey]) {
        for (const line of pem.split("\n")) if (line && !line.startsWith("-----")) harness.addSecret(line);
    }
    return info;
}

/** a tiny image (one file) pushed to the node repository; returns repo@digest */
async function pushTiny(name: string, repoName = REPO_NAME): Promise<string> {
    const ctx = env.mkdir("tiny", name);
    writeFileSync(join(ctx, "f"), `${name}\n`);
    writeFileSync(join(ctx, "Containerfile"), "FROM scratch\nCOPY f /f\n");
    const tag = `${reg.host}/${repoName}:${name}`;
    await harness.run("podman", ["build", "-q", "-t", tag, ctx]);
    const digestFile = join(ctx, "digest");
    await harness.run("podman", [
        "push",
        "-q",
        "--tls-verify=false",
        "--authfile",
        authFile,
        "--digestfile",
        digestFile,
        tag,
        `docker://${tag}`,
    ]);
    await harness.run("podman", ["rmi", "-f", tag], { check: false });
    const digest = (await harness.run("cat", [digestFile])).stdout.trim();
    return `${reg.host}/${repoName}@${digest}`;
}

async function sign(
    ref: string,
    key: SigningKeyInfo,
    opts: { password?: string; publicKey?: string } = {},
): Promise<harness.RemoteResult> {
    const bundleKey = opts.publicKey === undefined ? key : { ...key, publicKey: opts.publicKey };
    const t0 = Date.now();
    const res = await host.script(
        "sign-image.sh",
        { RF_ROOT: root, RF_IMAGE_REF: ref, RF_TLS_VERIFY: "false", RF_LOG_TIMES: "1" },
        { input: renderSignBundle(bundleKey, reg.authJson(opts.password)) },
    );
    signTimes.push(Date.now() - t0);
    // per step, from lib.sh's `step "<name>" at <epoch ms>` lines: only runs that signed
    const steps = [...res.stderr.matchAll(/step "([a-z ]+)" at (\d+)/g)].map(m => [m[1]!, Number(m[2])] as const);
    for (let i = 0; i + 1 < steps.length; i++) (stepTimes[steps[i]![0]] ??= []).push(steps[i + 1]![1] - steps[i]![1]);
    return res;
}

/** the node's verdict on `ref` under the policy for `key` (the files the MCO renders from the ClusterImagePolicy) */
async function nodeCheck(ref: string, key: SigningKeyInfo): Promise<{ allowed: boolean; why: string }> {
    const files = renderNodePolicy(repo(), key.publicKey);
    return policyCheckWith(ref, `cip-${key.fingerprint.slice(0, 12)}`, files.policyJson, {
        "sigstore-registries.yaml": files.registriesD,
    });
}

async function policyCheckWith(
    ref: string,
    name: string,
    policyJson: string,
    registriesD: Record<string, string>,
): Promise<{ allowed: boolean; why: string }> {
    const res = await runPolicyCheck(
        policyCheck,
        env.mkdir("policy", name),
        { policyJson, registriesD },
        authFile,
        ref,
    );
    return { allowed: res.code === 0 && res.stdout.trim() === "allowed", why: res.stderr.trim() };
}

async function sigLayers(ref: string): Promise<number> {
    const [r, digest] = ref.split("@");
    const res = await harness.run(
        "skopeo",
        [
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--authfile",
            authFile,
            `docker://${r}:${digest!.replace(":", "-")}.sig`,
        ],
        { check: false },
    );
    if (res.code !== 0) return 0;
    return (JSON.parse(res.stdout) as { layers: unknown[] }).layers.length;
}

before(async () => {
    env = new harness.Env("rf-sign-test-");
    [host, reg, policyCheck] = await Promise.all([
        harness.startBuildHost(env),
        harness.startRegistry(env).then(r => r),
        ensurePolicyCheck(),
    ]);
    await host.shipScripts();
    root = env.path("remote", "root");
    authFile = env.path("auth.json");
    writeFileSync(authFile, reg.authJson(), { mode: 0o600 });
    keyA = newKey("passphrase-A-7c1e");
    keyB = newKey("passphrase-B-93d0");
    images.signed = await pushTiny("signed");
    images.unsigned = await pushTiny("unsigned");
    images.other = await pushTiny("other-key");
});

after(async () => {
    await env?.teardown();
});

test("sign-image.sh signs the digest in the registry; a node with the policy for that key accepts it", async () => {
    assert.equal((await nodeCheck(images.signed!, keyA)).allowed, false, "not allowed before it is signed");
    const res = await sign(images.signed!, keyA);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.equal(res.stdout.trim().split("\n").length, 1, "stdout carries only the result line");
    const r = harness.resultJson(res);
    const [name, digest] = images.signed!.split("@");
    assert.equal(r.ref, images.signed);
    assert.equal(r.digest, digest);
    assert.equal(r.signature, `${name}:${digest!.replace(":", "-")}.sig`);
    assert.equal(r.keySha256, keyA.fingerprint);
    assert.equal(r.signed, true);
    assert.ok(
        (await reg.tags(REPO_NAME)).includes(`${digest!.replace(":", "-")}.sig`),
        "the signature is stored beside the image",
    );
    assert.deepEqual(await nodeCheck(images.signed!, keyA), { allowed: true, why: "" });
});

test("an image of the same repository without a signature is refused", async () => {
    const verdict = await nodeCheck(images.unsigned!, keyA);
    assert.equal(verdict.allowed, false);
    assert.match(verdict.why, /signature was required, but no signature exists/);
});

test("an image signed by another key is refused", async () => {
    const res = await sign(images.other!, keyB);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.equal((await nodeCheck(images.other!, keyB)).allowed, true, "it is validly signed by B");
    const verdict = await nodeCheck(images.other!, keyA);
    assert.equal(verdict.allowed, false);
    assert.match(verdict.why, /rejected: .*(signature|verif|key)/i);
});

// Its own files: policy.json and a registries.d drop-in; they refuse every other digest.
test("without the ClusterImagePolicy API: the policy MachineConfig's files allow the signed digest only", async () => {
    const mc = renderImagePolicyMachineConfig("worker", repo(), renderNodePolicy(repo(), keyA.publicKey));
    const files = Object.fromEntries(
        mc.spec.config.storage.files.map(f => [
            f.path,
            Buffer.from(f.contents.source.replace(/^data:[^,]*;base64,/, ""), "base64").toString("utf8"),
        ]),
    );
    const dropIn = registriesDropInPath(repo());
    const check = (ref: string) =>
        policyCheckWith(ref, "machineconfig", files["/etc/containers/policy.json"]!, {
            [dropIn.split("/").pop()!]: files[dropIn]!,
        });
    assert.deepEqual(await check(images.signed!), { allowed: true, why: "" });
    assert.match((await check(images.unsigned!)).why, /signature was required, but no signature exists/);
    assert.equal((await check(images.other!)).allowed, false, "signed by another key");
    // every other registry keeps the default: an image elsewhere needs no signature
    const elsewhere = await pushTiny("elsewhere", "other-team/app");
    const verdict = await check(elsewhere);
    assert.equal(verdict.allowed, true, verdict.why);
});

test("re-running with the same key signs nothing; a new key adds its signature beside the old one", async () => {
    const again = await sign(images.signed!, keyA);
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    assert.equal(harness.resultJson(again).signed, false);
    assert.equal(await sigLayers(images.signed!), 1);
    const rotated = await sign(images.signed!, keyB);
    assert.equal(rotated.code, 0, rotated.stderr.slice(-3000));
    assert.equal(harness.resultJson(rotated).signed, true);
    assert.equal(await sigLayers(images.signed!), 2);
    assert.equal((await nodeCheck(images.signed!, keyA)).allowed, true, "nodes still on the old key keep booting it");
    assert.equal((await nodeCheck(images.signed!, keyB)).allowed, true);
});

test("failures stop before any signature is written: wrong registry password, mismatched key pair", async () => {
    const tagsBefore = await reg.tags(REPO_NAME);
    const denied = await sign(images.unsigned!, keyA, { password: "not-the-password" });
    assert.notEqual(denied.code, 0);
    assert.equal(harness.failureLines(denied.stderr).length, 1, denied.stderr);
    assert.equal(denied.failure?.step, "image");
    assert.match(denied.failure!.why, /unauthorized|credentials/);
    const mismatch = await sign(images.unsigned!, keyA, { publicKey: keyB.publicKey });
    assert.notEqual(mismatch.code, 0);
    assert.equal(mismatch.failure?.step, "sign");
    assert.match(mismatch.failure!.why, /does not match the public key/);
    assert.equal(mismatch.json, undefined);
    assert.deepEqual(await reg.tags(REPO_NAME), tagsBefore, "nothing pushed");
    assert.equal((await nodeCheck(images.unsigned!, keyA)).allowed, false);
});

/** what build-image.sh leaves after a push: builds/<id>/result.json, older ones first */
async function recordBuild(id: string, ref: string, ageSeconds: number): Promise<void> {
    const dir = join(root, "builds", id);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "result.json");
    writeFileSync(file, `${JSON.stringify({ ref, digest: ref.split("@")[1], tag: `${repo()}:${id}` })}\n`);
    const t = new Date(Date.now() - ageSeconds * 1000);
    await harness.run("touch", ["-d", t.toISOString(), file]);
}

async function exists(ref: string): Promise<boolean> {
    return (
        (
            await harness.run(
                "skopeo",
                ["inspect", "--raw", "--tls-verify=false", "--authfile", authFile, `docker://${ref}`],
                { check: false },
            )
        ).code === 0
    );
}

async function prune(
    vars: Record<string, string>,
    r: harness.Registry = reg,
    repoName = REPO_NAME,
): Promise<harness.RemoteResult> {
    return host.script(
        "prune-images.sh",
        { RF_ROOT: root, RF_IMAGE_REPO: `${r.host}/${repoName}`, RF_TLS_VERIFY: "false", ...vars },
        {
            input: `rhcos-forge-bundle v1\nauthfile ${Buffer.from(r.authJson()).toString("base64")}\n`,
        },
    );
}

// The rest goes with its signatures and SBOMs.
test("retention keeps the newest N and protected digests, deletes the rest, never another host's image", async () => {
    const old = [await pushTiny("old-1"), await pushTiny("old-2"), await pushTiny("old-3")];
    const foreign = await pushTiny("foreign");
    for (const ref of old) assert.equal((await sign(ref, keyA)).code, 0);
    // a manifest of its own under cosign's SBOM tag for each (what build-image.sh pushes)
    for (const [i, ref] of old.entries()) {
        const [name, digest] = ref.split("@");
        const stand = await pushTiny(`sbom-${i}`);
        await harness.run("skopeo", [
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--authfile",
            authFile,
            `docker://${stand}`,
            `docker://${name}:${digest!.replace(":", "-")}.sbom`,
        ]);
    }
    // newest first: current (signed), old-3, old-2, old-1
    await recordBuild("b-old-1", old[0]!, 400);
    await recordBuild("b-old-2", old[1]!, 300);
    await recordBuild("b-old-3", old[2]!, 200);
    await recordBuild("b-current", images.signed!, 100);
    const protectedOld = old[0]!.split("@")[1]!;
    const res = await prune({ RF_KEEP: "2", RF_PROTECT: `${images.signed!.split("@")[1]} ${protectedOld}` });
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    const r = harness.resultJson(res) as unknown as {
        kept: string[];
        deleted: string[];
        refused: string[];
        warnings: string[];
    };
    const d = (ref: string) => ref.split("@")[1]!;
    assert.deepEqual(r.kept, [d(images.signed!), d(old[2]!), d(old[0]!)]);
    assert.deepEqual(r.deleted, [d(old[1]!)]);
    assert.deepEqual(r.refused, []);
    assert.equal(await exists(old[1]!), false, "deleted by digest");
    const [name, digest] = old[1]!.split("@");
    assert.equal(await exists(`${name}:${digest!.replace(":", "-")}.sig`), false, "its signature went with it");
    assert.equal(await exists(`${name}:${digest!.replace(":", "-")}.sbom`), false, "its SBOM went with it");
    for (const ref of [images.signed!, old[0]!, old[2]!, foreign]) assert.ok(await exists(ref), `${ref} kept`);
    assert.equal((await nodeCheck(old[0]!, keyA)).allowed, true, "a kept image keeps its signature");
    assert.ok(existsSync(join(root, "builds", "b-old-2", "pruned.json")));
    // idempotent: nothing more to delete
    const again = await prune({ RF_KEEP: "2", RF_PROTECT: `${images.signed!.split("@")[1]} ${protectedOld}` });
    assert.deepEqual((harness.resultJson(again) as unknown as { deleted: string[] }).deleted, []);
    assert.ok((await prune({ RF_KEEP: "0" })).failure?.step === "arguments", "keep must be at least 1");
});

interface Pruned {
    kept: string[];
    deleted: string[];
    refused: string[];
    warnings: string[];
}

// Destroy with deleteOnDestroy deletes exactly our images.
test("retention over builds and rollouts keeps the newest N plus what is rolled out; destroy: ours", async () => {
    const SEQ = "rhcos-forge/sequence";
    const d = (ref: string): string => ref.split("@")[1]!;
    const sigOf = (ref: string): string => `${ref.split("@")[0]}:${d(ref).replace(":", "-")}.sig`;
    const foreign = await pushTiny("seq-foreign", SEQ);
    const built: string[] = [];
    /**
     * one build (pushed, signed, recorded as build-image.sh does) rolled out, then retention with
     * keep 2; `pinned`: builds (1-based) some pool's MachineConfig still points at
     */
    const round = async (pinned: number[]): Promise<Pruned> => {
        const ref = await pushTiny(`seq-${built.length + 1}`, SEQ);
        assert.equal((await sign(ref, keyA)).code, 0);
        built.push(ref);
        await recordBuild(`seq-${built.length}`, ref, 1000 - built.length * 100);
        const protect = [ref, ...pinned.map(n => built[n - 1]!)].map(d).join(" ");
        const res = await prune({ RF_KEEP: "2", RF_PROTECT: protect }, reg, SEQ);
        assert.equal(res.code, 0, res.stderr.slice(-3000));
        return harness.resultJson(res) as unknown as Pruned;
    };
    /** what of ours is still in the registry, with its signature */
    const present = async (): Promise<string[]> => {
        const out: string[] = [];
        for (const ref of built) {
            const has = await exists(ref);
            assert.equal(await exists(sigOf(ref)), has, `${ref}: image and signature go together`);
            if (has) out.push(d(ref));
        }
        return out;
    };
    const at = (...i: number[]): string[] => i.map(n => d(built[n - 1]!));

    // build 1, 2, 3: each rolled out, the newest two kept
    assert.deepEqual(await round([]), { kept: at(1), deleted: [], refused: [], warnings: [] });
    assert.deepEqual(await present(), at(1));
    assert.deepEqual(await round([]), { kept: at(2, 1), deleted: [], refused: [], warnings: [] });
    assert.deepEqual(await round([]), { kept: at(3, 2), deleted: at(1), refused: [], warnings: [] });
    assert.deepEqual(await present(), at(2, 3));
    // build 4 rolled out while a pool still points at build 2: it stays although older than N
    assert.deepEqual(await round([2]), { kept: at(4, 3, 2), deleted: [], refused: [], warnings: [] });
    assert.deepEqual(await present(), at(2, 3, 4));
    // build 5, every pool on it: 2 and 3 go
    assert.deepEqual(await round([]), { kept: at(5, 4), deleted: at(3, 2), refused: [], warnings: [] });
    assert.deepEqual(await present(), at(4, 5));
    assert.ok(await exists(foreign), "an image this host did not push is never touched");

    // the destroy-time cleanup: its create (RF_MODE list) deletes nothing; its delete on destroy
    // with image.retention.deleteOnDestroy (RF_MODE destroy) deletes every image of ours
    const listed = await prune({ RF_MODE: "list" }, reg, SEQ);
    assert.equal(listed.code, 0, listed.stderr.slice(-3000));
    assert.deepEqual(harness.resultJson(listed) as unknown as Pruned, {
        kept: at(5, 4),
        deleted: [],
        refused: [],
        warnings: [],
    });
    assert.deepEqual(await present(), at(4, 5));
    const destroyed = await prune({ RF_MODE: "destroy", RF_PROTECT: d(built[4]!) }, reg, SEQ);
    assert.equal(destroyed.code, 0, destroyed.stderr.slice(-3000));
    assert.deepEqual(harness.resultJson(destroyed) as unknown as Pruned, {
        kept: [],
        deleted: at(5, 4),
        refused: [],
        warnings: [],
    });
    assert.deepEqual(await present(), []);
    for (const ref of built) assert.equal(await exists(`${ref.split("@")[0]}:${d(ref).replace(":", "-")}.sbom`), false);
    assert.ok(await exists(foreign), "destroy never deletes an image this host did not push");
    for (const n of [4, 5]) assert.ok(existsSync(join(root, "builds", `seq-${n}`, "pruned.json")));
    const again = await prune({ RF_MODE: "destroy" }, reg, SEQ);
    assert.deepEqual((harness.resultJson(again) as unknown as Pruned).deleted, [], "nothing left of ours");
    assert.equal((await prune({ RF_MODE: "delete-all" }, reg, SEQ)).failure?.step, "arguments");
});

test("a registry that refuses deletes: retention warns and fails nothing", async () => {
    const dir = env.mkdir("registry-nodelete");
    const port = await harness.freePort();
    const config = await harness.writeRegistryConfig(dir, port, reg.user, reg.password, "rhcos-forge-nodelete");
    writeFileSync(config, (await harness.run("sed", ["s/enabled: true/enabled: false/", config])).stdout);
    env.daemon("registry-nodelete", "/usr/bin/docker-registry", ["serve", config]);
    await harness.waitFor(
        "registry-nodelete",
        async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.status === 401,
    );
    const noDelete = new harness.Registry(port, reg.user, reg.password);
    const auth = env.path("auth-nodelete.json");
    writeFileSync(auth, noDelete.authJson(), { mode: 0o600 });
    /** copies an image of the main registry there; returns its ref by digest */
    const copyThere = async (from: string, tag: string): Promise<string> => {
        const digestFile = env.path(`nodelete-${tag}.digest`);
        await harness.run("skopeo", [
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--src-authfile",
            authFile,
            "--dest-authfile",
            auth,
            "--digestfile",
            digestFile,
            `docker://${from}`,
            `docker://${noDelete.host}/${REPO_NAME}:${tag}`,
        ]);
        return `${noDelete.host}/${REPO_NAME}@${(await harness.run("cat", [digestFile])).stdout.trim()}`;
    };
    const refs = [await copyThere(images.unsigned!, "a"), await copyThere(await pushTiny("nodelete-src"), "b")];
    await recordBuild("nd-1", refs[0]!, 50);
    await recordBuild("nd-2", refs[1]!, 40);
    const res = await prune({ RF_KEEP: "1" }, noDelete);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    const r = harness.resultJson(res) as unknown as { deleted: string[]; refused: string[]; warnings: string[] };
    assert.deepEqual(r.deleted, []);
    assert.deepEqual(r.refused, [refs[0]!.split("@")[1]]);
    assert.match(r.warnings[0] ?? "", /refused to delete/);
    assert.match(res.stderr, /warning: the registry refused to delete/);
    assert.equal(existsSync(join(root, "builds", "nd-1", "result.json")), true, "still ours, tried again next time");
});

test("the key and passphrase never outlive a run and never appear in any output", () => {
    const tmp = join(root, "tmp");
    assert.deepEqual(readdirSync(tmp), []);
    assert.deepEqual(harness.leakedSecrets(), []);
    const sorted = [...signTimes].sort((a, b) => a - b);
    console.log(
        `sign-image.sh over SSH: median ${sorted[Math.floor(sorted.length / 2)]} ms of ${sorted.length} runs ` +
            `(min ${sorted[0]}, max ${sorted[sorted.length - 1]})`,
    );
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
        `sign-image.sh steps (median ms, runs): ${Object.entries(stepTimes)
            .map(([k, v]) => `${k} ${median(v)} (${v.length})`)
            .join(", ")}`,
    );
});
