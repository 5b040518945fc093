// build-image.sh end to end on a real build host reached over SSH: a
// Containerfile in the shape the TypeScript side renders is built against the
// host's RPM mirror, pushed to a registry with htpasswd auth, checked from
// the outside (skopeo, registry API, the image's own files and rpmdb), reused
// on a re-run, and every failure path is shown to stop before a push.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import {
    copyFileSync,
    existsSync,
    lstatSync,
    mkdirSync,
    readFileSync,
    readdirSync,
    readlinkSync,
    rmSync,
    statSync,
} from "node:fs";
import * as harness from "./harness";
import { type Upstream } from "../../dev/upstream";
import { layeredContainerfile, type BaseImages } from "../../dev/baseImage";
import { MIRROR_REVISION_ARG, renderContainerfile } from "../../components/image/containerfile";

let env: harness.Env;
let host: harness.BuildHost;
let reg: harness.Registry;
let up: Upstream;
let bases: BaseImages;
let root: string;
let mirrorPort: number;
let repoFile: string;

const NODE_REPO_NAME = "rhcos-forge/node";
const SET = "rhcos-forge-extras";

function imageRepo(): string {
    return `${reg.host}/${NODE_REPO_NAME}`;
}

/** The context of a layered Containerfile that installs from the host's mirror (path "fixtures" unless said). */
function mirrorContext(
    opts: Omit<Parameters<typeof layeredContainerfile>[0], "mirrorPort" | "mirrorPath"> & { mirrorPath?: string },
): harness.BundleFile[] {
    return contextFiles(layeredContainerfile({ mirrorPort, mirrorPath: "fixtures", ...opts }));
}

function contextFiles(containerfile: string): harness.BundleFile[] {
    return [
        { path: "Containerfile", content: containerfile },
        // 0600 on purpose: the Containerfile chmods it to 0644
        { path: "files/etc/rf/hello.conf", mode: "0600", content: "greeting=hello from rhcos-forge\n" },
        { path: "files/etc/rf/empty.conf", mode: "0644", content: "" },
    ];
}

/** the caller's content hash: everything but the credentials */
function buildId(files: harness.BundleFile[], base: string): string {
    const h = createHash("sha256");
    h.update(`${imageRepo()}\n${base}\n`);
    for (const f of files) h.update(`${f.path}\0${f.mode ?? "0644"}\0${Buffer.from(f.content).toString("base64")}\n`);
    return h.digest("hex").slice(0, 32);
}

async function build(
    files: harness.BundleFile[],
    base: string,
    opts: { password?: string; id?: string } = {},
): Promise<harness.RemoteResult & { id: string }> {
    const id = opts.id ?? buildId(files, base);
    const res = await harness.runBuildImage(
        host,
        { root, id, repository: imageRepo(), base },
        harness.makeBundle(files, reg.authJson(opts.password)),
    );
    return { ...res, id };
}

function buildCount(): number {
    const f = join(root, "build-count");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
}

before(async () => {
    env = new harness.Env("rf-build-test-");
    // the build host's mirror, as the component sets it up
    ({ host, reg, up, bases, root, mirrorPort, repoFile } = await harness.startBuildFixture(env));
});

after(async () => {
    await env?.teardown();
});

let first: harness.RemoteResult & { id: string };

test("a layered Containerfile builds against the mirror and is pushed; the digest is the registry's", async () => {
    const files = mirrorContext({ base: bases.plain, install: ["rf-hello"], enable: ["rf-hello.service"] });
    const countBefore = buildCount();
    first = await build(files, bases.plain);
    assert.equal(first.code, 0, first.stderr.slice(-3000));
    assert.equal(first.stdout.trim().split("\n").length, 1, "stdout carries only the result line");
    assert.equal(buildCount(), countBefore + 1);

    const r = harness.resultJson(first);
    assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.ref, `${imageRepo()}@${r.digest}`);
    assert.equal(r.tag, `${imageRepo()}:${first.id}`);
    assert.equal(r.base, bases.plain);
    assert.equal(await reg.skopeoDigest(r.tag), r.digest);
    assert.equal(await reg.skopeoDigest(r.ref), r.digest);
    assert.ok((await reg.tags(NODE_REPO_NAME)).includes(first.id));

    // result.json on the host carries the same content
    assert.deepEqual(JSON.parse(readFileSync(join(root, "builds", first.id, "result.json"), "utf8")), r);

    // fixture base has no RPMs: rf-hello and its dependency are added
    assert.deepEqual([...r.packages.added].sort(), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
    assert.deepEqual(r.packages.removed, []);
    assert.deepEqual(r.packages.changed, []);
});

test("the pushed image has the package, declared files and enabled unit, and not the mirror's .repo file", async () => {
    const mnt = await harness.mountPushed(env, reg, harness.resultJson(first).ref);
    assert.deepEqual(await harness.rpmQa(mnt), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
    assert.ok(existsSync(join(mnt, "usr/bin/rf-hello")));
    assert.equal(existsSync(join(mnt, "etc/yum.repos.d/rhcos-forge-mirror.repo")), false);
    assert.equal(readFileSync(join(mnt, "etc/rf/hello.conf"), "utf8"), "greeting=hello from rhcos-forge\n");
    assert.equal(statSync(join(mnt, "etc/rf/hello.conf")).mode & 0o7777, 0o644);
    assert.equal(statSync(join(mnt, "etc/rf/empty.conf")).size, 0);
    const wants = join(mnt, "etc/systemd/system/multi-user.target.wants/rf-hello.service");
    assert.ok(lstatSync(wants).isSymbolicLink());
    assert.match(readlinkSync(wants), /rf-hello\.service$/);
    // the fixture labels say what the base is
    const labels = JSON.parse(
        (
            await harness.run("skopeo", [
                "inspect",
                "--tls-verify=false",
                "--creds",
                `${reg.user}:${reg.password}`,
                `docker://${harness.resultJson(first).ref}`,
            ])
        ).stdout,
    ).Labels as Record<string, string>;
    assert.equal(labels["io.rhcos-forge.fixture"], "true");
    assert.match(labels.description ?? "", /not RHCOS/);
});

interface SpdxPackage {
    SPDXID: string;
    name: string;
    versionInfo: string;
    sourceInfo?: string;
    licenseComments?: string;
    externalRefs?: { referenceLocator: string }[];
}
interface SpdxRelationship {
    spdxElementId: string;
    relationshipType: string;
    relatedSpdxElement: string;
}

/** The SPDX document relates `from` to `to` by `type`. */
function related(doc: { relationships: SpdxRelationship[] }, from: string, type: string, to: string): boolean {
    return doc.relationships.some(
        x => x.spdxElementId === from && x.relationshipType === type && x.relatedSpdxElement === to,
    );
}

/** "name version-release arch license sourcerpm" of every RPM in a mounted image's rpmdb, sorted. */
async function rpmdbLines(mnt: string): Promise<string[]> {
    const qf = "%{NAME} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE} %{SOURCERPM}\\n";
    return (await harness.run("rpm", ["--dbpath", join(mnt, "usr/share/rpm"), "-qa", "--qf", qf])).stdout
        .split("\n")
        .filter(l => l)
        .sort();
}

/** The same line for each RPM package of an SPDX document (purl arch, License tag, source RPM), sorted. */
function spdxRpmLines(rpms: SpdxPackage[]): string[] {
    return rpms
        .map(p => {
            const arch = /[?&]arch=([^&]+)/.exec(p.externalRefs?.[0]?.referenceLocator ?? "")?.[1];
            return (
                `${p.name} ${p.versionInfo} ${arch} ${p.licenseComments?.replace(/^RPM License tag: /, "")} ` +
                `${p.sourceInfo?.replace(/^built from source RPM /, "")}`
            );
        })
        .sort();
}

test("the image's SPDX 2.3 SBOM in the registry lists exactly its rpmdb's RPMs, with the base as origin", async () => {
    const r = harness.resultJson(first);
    const sbom = r.sbom as { ref: string; digest: string; tag: string; packages: number };
    assert.equal(sbom.tag, `${imageRepo()}:${r.digest.replace(":", "-")}.sbom`);
    assert.equal(sbom.ref, `${imageRepo()}@${sbom.digest}`);
    const raw = await reg.rawManifest(sbom.tag);
    assert.equal(
        `sha256:${createHash("sha256").update(raw).digest("hex")}`,
        sbom.digest,
        "the tag holds the reported manifest",
    );
    const manifest = JSON.parse(raw) as {
        artifactType: string;
        subject: { digest: string };
        layers: { mediaType: string; digest: string }[];
    };
    assert.equal(manifest.artifactType, "application/spdx+json");
    assert.equal(manifest.subject.digest, r.digest, "the artifact's subject is the image");
    assert.equal(manifest.layers[0]!.mediaType, "application/spdx+json");
    const auth = { Authorization: `Basic ${Buffer.from(`${reg.user}:${reg.password}`).toString("base64")}` };
    const blob = await fetch(`http://${reg.host}/v2/${NODE_REPO_NAME}/blobs/${manifest.layers[0]!.digest}`, {
        headers: auth,
    });
    assert.equal(blob.status, 200);
    const doc = (await blob.json()) as {
        spdxVersion: string;
        dataLicense: string;
        packages: SpdxPackage[];
        relationships: SpdxRelationship[];
    };
    assert.equal(doc.spdxVersion, "SPDX-2.3");
    assert.equal(doc.dataLicense, "CC0-1.0");
    const byId = new Map(doc.packages.map(p => [p.SPDXID, p]));
    assert.equal(byId.get("SPDXRef-image")?.versionInfo, r.digest);
    const [baseRepo, baseDigest] = bases.plain.split("@");
    assert.equal(byId.get("SPDXRef-base")?.name, baseRepo);
    assert.equal(byId.get("SPDXRef-base")?.versionInfo, baseDigest);
    assert.ok(related(doc, "SPDXRef-image", "DESCENDANT_OF", "SPDXRef-base"));

    // the RPMs, as rpm -qa reads them from the pushed image's own rpmdb
    const mnt = await harness.mountPushed(env, reg, r.ref);
    const qa = await rpmdbLines(mnt);
    const rpms = doc.packages.filter(p => p.SPDXID.startsWith("SPDXRef-rpm-"));
    const listed = spdxRpmLines(rpms);
    assert.ok(qa.length >= 2, qa.join("\n"));
    assert.deepEqual(listed, qa);
    assert.equal(sbom.packages, qa.length);
    for (const p of rpms) {
        assert.ok(related(doc, "SPDXRef-image", "CONTAINS", p.SPDXID), p.name);
    }
    const ms = /SBOM \(\d+ RPMs, SPDX 2\.3\) pushed as .* in (\d+) ms/.exec(first.stderr)?.[1];
    assert.ok(ms !== undefined, "the build logs the SBOM step");
    console.log(`SBOM step: ${ms} ms for ${qa.length} RPMs`);
});

test("sbom-image.sh gives a cosa image the same SBOM from its pulled rpmdb, config commit as origin", async () => {
    // the first build's image copied, as is, to a repository of its own: what `cosa push-container` leaves
    const osRepo = `${reg.host}/rhcos-forge/cosa-os`;
    const digest = harness.resultJson(first).digest;
    await harness.run("skopeo", [
        "copy",
        "-q",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        `${reg.user}:${reg.password}`,
        "--dest-creds",
        `${reg.user}:${reg.password}`,
        `docker://${harness.resultJson(first).ref}`,
        `docker://${osRepo}:419.96.1`,
    ]);
    const osRef = `${osRepo}@${digest}`;
    const source = `https://github.com/openshift/os.git@${"ab12".repeat(10)}`;
    const sbom = (vars: Record<string, string> = {}) =>
        host.script(
            "sbom-image.sh",
            {
                RF_ROOT: root,
                RF_IMAGE_REF: osRef,
                RF_SBOM_SOURCE: source,
                RF_RECORD_BUILD: "cosa-419.96.1",
                RF_TLS_VERIFY: "false",
                RF_LOG_TIMES: "1",
                ...vars,
            },
            { input: `rhcos-forge-bundle v1\nauthfile ${Buffer.from(reg.authJson()).toString("base64")}\n` },
        );
    const present = async (): Promise<number> =>
        (await harness.run("podman", ["image", "exists", osRef], { check: false })).code;
    const before = await present();
    const res = await sbom();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.equal(res.stdout.trim().split("\n").length, 1, "stdout carries only the result line");
    assert.equal(
        await present(),
        before,
        "the host's image storage is left as it was (what the step pulled goes again)",
    );
    const r = res.json as unknown as { ref: string; digest: string; tag: string; packages: number };
    assert.equal(r.tag, `${osRepo}:${digest.replace(":", "-")}.sbom`);
    assert.equal(r.ref, `${osRepo}@${r.digest}`);
    const raw = await reg.rawManifest(r.tag);
    assert.equal(`sha256:${createHash("sha256").update(raw).digest("hex")}`, r.digest);
    const manifest = JSON.parse(raw) as {
        artifactType: string;
        subject: { digest: string };
        layers: { digest: string }[];
    };
    assert.equal(manifest.artifactType, "application/spdx+json");
    assert.equal(manifest.subject.digest, digest, "the artifact's subject is the image");
    const auth = { Authorization: `Basic ${Buffer.from(`${reg.user}:${reg.password}`).toString("base64")}` };
    const doc = (await (
        await fetch(`http://${reg.host}/v2/rhcos-forge/cosa-os/blobs/${manifest.layers[0]!.digest}`, { headers: auth })
    ).json()) as {
        spdxVersion: string;
        creationInfo: { creators: string[] };
        packages: SpdxPackage[];
        relationships: SpdxRelationship[];
    };
    assert.equal(doc.spdxVersion, "SPDX-2.3");
    assert.deepEqual(doc.creationInfo.creators, ["Tool: rhcos-forge sbom-image.sh"]);
    const byId = new Map(doc.packages.map(p => [p.SPDXID, p]));
    assert.equal(byId.get("SPDXRef-image")?.versionInfo, digest);
    assert.equal(byId.has("SPDXRef-base"), false, "no base image: a cosa build starts from its config");
    const src = byId.get("SPDXRef-source") as (SpdxPackage & { downloadLocation?: string }) | undefined;
    assert.equal(src?.name, "https://github.com/openshift/os.git");
    assert.equal(src?.versionInfo, "ab12".repeat(10));
    assert.equal(src?.downloadLocation, `git+${source}`);
    assert.ok(related(doc, "SPDXRef-image", "GENERATED_FROM", "SPDXRef-source"));
    // exactly the RPMs of the image's own rpmdb
    const mnt = await harness.mountPushed(env, reg, osRef);
    const qa = await rpmdbLines(mnt);
    const listed = spdxRpmLines(doc.packages.filter(p => p.SPDXID.startsWith("SPDXRef-rpm-")));
    assert.ok(qa.length >= 2, qa.join("\n"));
    assert.deepEqual(listed, qa);
    assert.equal(r.packages, qa.length);
    const steps = [...res.stderr.matchAll(/step "([a-z ]+)" at (\d+)/g)].map(m => [m[1]!, Number(m[2])] as const);
    const at = (name: string): number => steps.find(([n]) => n === name)?.[1] ?? NaN;
    console.log(
        `sbom-image.sh: pull ${at("rpms") - at("pull")} ms, rpm query ${at("sbom") - at("rpms")} ms, document ` +
            `+ push ${at("result") - at("sbom")} ms (${qa.length} RPMs)`,
    );

    // the push is recorded as this host's: retention (prune-images.sh) counts it as ours
    assert.equal(JSON.parse(readFileSync(join(root, "builds", "cosa-419.96.1", "result.json"), "utf8")).ref, osRef);
    const ours = await host.script(
        "prune-images.sh",
        { RF_ROOT: root, RF_IMAGE_REPO: osRepo, RF_MODE: "list", RF_TLS_VERIFY: "false" },
        { input: "rhcos-forge-bundle v1\n" },
    );
    assert.equal(ours.code, 0, ours.stderr.slice(-3000));
    assert.deepEqual((ours.json as unknown as { kept: string[] }).kept, [digest]);

    // a re-run reuses the attachment in the registry; a bad source stops before anything
    const again = await sbom();
    assert.equal(again.code, 0, again.stderr.slice(-3000));
    assert.deepEqual(again.json, res.json);
    assert.match(again.stderr, /already in the registry/);
    const bad = await sbom({ RF_SBOM_SOURCE: "not a url" });
    assert.equal(bad.failure?.step, "arguments");
    assert.equal((await sbom({ RF_RECORD_BUILD: "../escape" })).failure?.step, "arguments");
});

test("a second run with the same RF_BUILD_ID does not build and prints the same result", async () => {
    const files = mirrorContext({ base: bases.plain, install: ["rf-hello"], enable: ["rf-hello.service"] });
    const countBefore = buildCount();
    const again = await build(files, bases.plain);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.id, first.id);
    assert.equal(buildCount(), countBefore, "no build ran");
    assert.deepEqual(again.json, first.json);
    assert.doesNotMatch(again.stderr, /step "build"/);
});

test("packages.added/removed/changed: install rf-hello, remove rf-extra, replace rf-lib 1.0 -> 1.1", async () => {
    const files = mirrorContext({
        base: bases.extras,
        remove: ["rf-extra"],
        replace: ["rf-lib"],
        install: ["rf-hello"],
        enable: ["rf-hello.service"],
    });
    const res = await build(files, bases.extras);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.deepEqual(harness.resultJson(res).packages, {
        added: ["rf-hello-1.0-1.noarch"],
        removed: ["rf-extra-1.0-1.noarch"],
        changed: [{ name: "rf-lib", from: "1.0-1.noarch", to: "1.1-1.noarch" }],
    });
    // and that is what the images really hold
    const baseMnt = await harness.mountPushed(env, reg, bases.extras);
    assert.deepEqual(await harness.rpmQa(baseMnt), ["rf-extra-1.0-1.noarch", "rf-lib-1.0-1.noarch"]);
    const mnt = await harness.mountPushed(env, reg, harness.resultJson(res).ref);
    assert.deepEqual(await harness.rpmQa(mnt), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
});

// podman keeps the layer of a RUN whose text is unchanged: a mirror re-synced (mirror.refresh set
// to a new token, say, for errata) behind the same Containerfile would rebuild into the last build's RPMs.
test("a re-synced mirror, same Containerfile: its new RPMs are installed (the revision keys the layer)", async () => {
    const repoId = "rf-revision-test";
    const served = join(root, "mirror", repoId);
    const rpms = env.path("rpms", "rpmbuild", "RPMS", "noarch");
    const serve = async (version: string): Promise<void> => {
        rmSync(served, { recursive: true, force: true });
        mkdirSync(served, { recursive: true });
        const rpm = `rf-lib-${version}-1.noarch.rpm`;
        copyFileSync(join(rpms, rpm), join(served, rpm));
        await harness.run("createrepo_c", [served]);
    };
    const rendered = renderContainerfile(
        {
            base: bases.plain,
            packages: ["rf-lib"],
            ...{ remove: [], replace: [], files: [], units: [], extraSteps: [], labels: {} },
        },
        { repos: [{ id: repoId, url: `http://127.0.0.1:${mirrorPort}/${repoId}/`, gpgcheck: false }] },
    );
    assert.match(rendered.containerfile, new RegExp(`^ARG ${MIRROR_REVISION_ARG}\nRUN `, "m"));
    const installed = async (mirrorRevision: string, repository = imageRepo()): Promise<string[]> => {
        const res = await harness.buildRendered({ host, reg, root }, rendered, {
            base: bases.plain,
            repository,
            mirrorRevision,
        });
        assert.equal(res.code, 0, res.stderr.slice(-3000));
        return harness.rpmQa(await harness.mountPushed(env, reg, harness.resultJson(res).ref));
    };
    // Revisions new to this host, so no earlier run's layers can answer.
    const [before, after] = [randomBytes(32).toString("hex"), randomBytes(32).toString("hex")];
    await serve("1.0");
    assert.deepEqual(await installed(before), ["rf-lib-1.0-1.noarch"]);
    await serve("1.1");
    assert.deepEqual(await installed(after), ["rf-lib-1.1-1.noarch"], "the new revision's RUN ran again");
    // The cache is still used, keyed on the revision: the old one (pushed elsewhere, so the build
    // runs) comes from the layer of its first build, although the mirror now serves 1.1.
    assert.deepEqual(await installed(before, `${imageRepo()}-cache`), ["rf-lib-1.0-1.noarch"]);
});

function simpleFiles(tagNote: string): harness.BundleFile[] {
    // a different Containerfile per scenario, so each gets its own build id
    const cf = layeredContainerfile({
        base: bases.plain,
        mirrorPort,
        mirrorPath: "fixtures",
        install: ["rf-extra"],
    }).replace("COPY files/ /", `COPY files/ /\nLABEL io.rhcos-forge.test=${JSON.stringify(tagNote)}`);
    return contextFiles(cf);
}

test("two concurrent runs of the same build id build once (the second waits, then reuses)", async () => {
    const files = simpleFiles("concurrent");
    const countBefore = buildCount();
    const [a, b] = await Promise.all([build(files, bases.plain), build(files, bases.plain)]);
    assert.equal(a.code, 0, a.stderr.slice(-3000));
    assert.equal(b.code, 0, b.stderr.slice(-3000));
    assert.equal(buildCount(), countBefore + 1);
    assert.deepEqual(a.json, b.json);
});

test('wrong registry password: fails in step "push", nothing pushed; with the right one a re-run works', async () => {
    const files = simpleFiles("wrong-password");
    const tagsBefore = await reg.tags(NODE_REPO_NAME);
    const res = await build(files, bases.plain, { password: "not-the-password" });
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr.slice(-3000));
    assert.equal(res.failure?.script, "build-image");
    assert.equal(res.failure?.step, "push");
    assert.match(res.failure!.why, /unauthorized|credentials/);
    assert.equal(res.json, undefined);
    assert.deepEqual(await reg.tags(NODE_REPO_NAME), tagsBefore);
    assert.equal(existsSync(join(root, "builds", res.id, "result.json")), false);

    const ok = await build(files, bases.plain);
    assert.equal(ok.code, 0, ok.stderr.slice(-3000));
    assert.ok((await reg.tags(NODE_REPO_NAME)).includes(ok.id));
    assert.equal(await reg.skopeoDigest(harness.resultJson(ok).tag), harness.resultJson(ok).digest);
});

test('a base digest that does not exist: fails in step "pull base", nothing pushed; fixed, re-run works', async () => {
    const missing = `${bases.repo}@sha256:${createHash("sha256").update("no such image").digest("hex")}`;
    const files = simpleFiles("missing-base").map(f =>
        f.path === "Containerfile" ? { ...f, content: String(f.content).replace(bases.plain, missing) } : f,
    );
    const tagsBefore = await reg.tags(NODE_REPO_NAME);
    const countBefore = buildCount();
    const res = await build(files, missing);
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr);
    assert.equal(res.failure?.step, "pull base");
    assert.match(res.failure!.why, /does not exist|manifest unknown/);
    assert.equal(buildCount(), countBefore, "no build after a failed pull");
    assert.deepEqual(await reg.tags(NODE_REPO_NAME), tagsBefore);

    const fixed = simpleFiles("missing-base");
    const ok = await build(fixed, bases.plain);
    assert.equal(ok.code, 0, ok.stderr.slice(-3000));
    assert.ok((await reg.tags(NODE_REPO_NAME)).includes(ok.id));
});

// Mirror faults: the upstream unreachable, a missing package.
test("mirror faults stop the pipeline before any push; fixed, the build from the package set succeeds", async () => {
    const tagsBefore = await reg.tags(NODE_REPO_NAME);
    const closed = await harness.freePort();
    const badFile = join(root, "secrets", "upstream-broken.repo");
    await host.script("put-file.sh", {}, { input: up.repoFile(closed), args: [badFile] });
    const setVars = harness.mirrorEnv(root, badFile, mirrorPort, { RF_PACKAGE_SET_ID: SET, RF_PACKAGES: "rf-hello" });
    const unreachable = await host.script("repo-mirror.sh", setVars);
    assert.notEqual(unreachable.code, 0);
    assert.equal(harness.failureLines(unreachable.stderr).length, 1, unreachable.stderr);
    assert.equal(unreachable.failure?.step, "reposync fixtures");

    const missingPkg = await host.script("repo-mirror.sh", {
        ...setVars,
        RF_UPSTREAM_REPOFILE: repoFile,
        RF_PACKAGES: "rf-hello rf-nope",
    });
    assert.notEqual(missingPkg.code, 0);
    assert.equal(missingPkg.failure?.step, `download ${SET}`);
    assert.match(missingPkg.failure!.why, /rf-nope/);
    assert.deepEqual(await reg.tags(NODE_REPO_NAME), tagsBefore, "nothing pushed");

    const fixed = await host.script("repo-mirror.sh", { ...setVars, RF_UPSTREAM_REPOFILE: repoFile });
    assert.equal(fixed.code, 0, fixed.stderr);
    const files = mirrorContext({
        base: bases.plain,
        mirrorPath: SET,
        install: ["rf-hello"],
        enable: ["rf-hello.service"],
    });
    const ok = await build(files, bases.plain);
    assert.equal(ok.code, 0, ok.stderr.slice(-3000));
    assert.deepEqual([...harness.resultJson(ok).packages.added].sort(), [
        "rf-hello-1.0-1.noarch",
        "rf-lib-1.1-1.noarch",
    ]);
});

test('a Containerfile whose RUN fails: fails in step "build", nothing is pushed', async () => {
    const files = mirrorContext({ base: bases.plain, install: ["rf-not-in-mirror"] });
    const tagsBefore = await reg.tags(NODE_REPO_NAME);
    const res = await build(files, bases.plain);
    assert.notEqual(res.code, 0);
    assert.equal(harness.failureLines(res.stderr).length, 1, res.stderr.slice(-3000));
    assert.equal(res.failure?.step, "build");
    assert.deepEqual(await reg.tags(NODE_REPO_NAME), tagsBefore);
});

test("the authfile never outlives a run and no secret (registry/repo passwords, SSH key) appears in any output", () => {
    const tmp = join(root, "tmp");
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], []);
    for (const d of readdirSync(join(root, "builds"))) {
        const rf = join(root, "builds", d, "result.json");
        if (existsSync(rf)) assert.ok(!readFileSync(rf, "utf8").includes(reg.password));
    }
    assert.deepEqual(harness.leakedSecrets(), []);
});
