// image.steps, image.stages, files from the repository and the dnf dialect, built for real: the
// TypeScript renderer's Containerfile and bundle (not a hand-written one) go through
// build-image.sh on the loopback build host, against the loopback mirror and upstream, FROM the
// stand-in base (NOT RHCOS: a Debian rootfs with dnf/rpm and rpm-ostree/ostree/bootc shims).
// Three builds: one image with a builder stage, an RPM by URL whose dependency only the mirror
// has and a binary repository file; one in the dnf dialect; one the bootc lint refuses.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as harness from "./harness";
import { ImageSpec } from "../../components/image/containerfile";
import { MirrorRepo } from "../../components/mirror/repoFiles";

let env: harness.Env;
/** The loopback host, registry, upstream, stand-in bases and mirror (harness.ts startBuildFixture). */
let fx: harness.BuildFixture;
let project: string;

const REPO_NAME = "rhcos-forge/spec-v2";
const BLOB = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function imageRepo(): string {
    return `${fx.reg.host}/${REPO_NAME}`;
}

function mirrorRepos(): MirrorRepo[] {
    return [{ id: "fixtures", url: `http://127.0.0.1:${fx.mirrorPort}/fixtures/`, gpgcheck: false }];
}

const noSpec = harness.emptyOnCluster;

function build(spec: Omit<ImageSpec, "base">): Promise<harness.RemoteResult & { containerfile: string }> {
    return harness.buildSpec(
        fx,
        { ...spec, base: fx.bases.plain },
        { repository: imageRepo(), repos: mirrorRepos(), project },
    );
}

before(async () => {
    env = new harness.Env("rf-spec-v2-test-");
    // The mirror carries the upstream; the stand-in base has no other repo, so a dependency of an
    // RPM installed by URL can only come from the mirror.
    fx = await harness.startBuildFixture(env);

    // The "Pulumi project" the sources are relative to.
    project = env.mkdir("project");
    mkdirSync(join(project, "bin"), { recursive: true });
    writeFileSync(join(project, "bin", "blob.bin"), BLOB);
    chmodSync(join(project, "bin", "blob.bin"), 0o750);
});

after(async () => {
    await env?.teardown();
});

// The binary file comes from the repository.
test("a builder stage's output, an RPM by URL (dependency mirrored) and a binary file land in the image", async () => {
    const helloUrl = `http://127.0.0.1:${fx.up.port}/rf-hello-1.0-1.noarch.rpm`;
    assert.ok(existsSync(join(fx.up.dir, "rf-hello-1.0-1.noarch.rpm")));
    const res = await build({
        ...noSpec,
        files: [{ path: "/usr/lib/rf/blob.bin", source: "bin/blob.bin" }],
        stages: [
            {
                name: "tool",
                base: fx.bases.plain,
                steps: [{ run: ["mkdir -p /out", "printf 'built in the tool stage\\n' > /out/rf-tool"] }],
            },
        ],
        steps: [{ install: [helloUrl] }, { copy: [{ from: "tool", src: "/out/rf-tool", dst: "/usr/lib/rf/rf-tool" }] }],
    });
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.match(res.containerfile, /^FROM \S+@sha256:[0-9a-f]{64} AS tool$/m);
    const r = harness.resultJson(res);
    const mnt = await harness.mountPushed(env, fx.reg, r.ref);

    assert.equal(readFileSync(join(mnt, "usr/lib/rf/rf-tool"), "utf8"), "built in the tool stage\n");
    const blob = join(mnt, "usr/lib/rf/blob.bin");
    assert.ok(readFileSync(blob).equals(BLOB), "every byte value survives bundle, unpack and COPY");
    assert.equal((statSync(blob).mode & 0o7777).toString(8), "750", "the repository file's mode is kept");

    const rpms = await harness.rpmQa(mnt, "%{NAME}-%{VERSION}-%{RELEASE}");
    assert.ok(rpms.includes("rf-hello-1.0-1"), rpms.join(" "));
    assert.ok(rpms.includes("rf-lib-1.1-1"), "the dependency came from the mirror");
    assert.ok(!existsSync(join(mnt, "etc/yum.repos.d/rhcos-forge-mirror.repo")), "the mirror .repo never ships");
    assert.deepEqual(r.packages.added.sort(), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
});

// dnf installs from the mirror.
test("the dnf dialect builds on the stand-in base: dnf install, no ostree commit, bootc lint last", async () => {
    const res = await build({ ...noSpec, dialect: "dnf", steps: [{ install: ["rf-extra"] }] });
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.match(res.containerfile, /dnf install -y rf-extra && \\\n    dnf clean all/);
    assert.match(res.containerfile, /RUN bootc container lint\nLABEL/);
    assert.ok(!res.containerfile.includes("ostree container commit"));
    assert.match(res.stderr, /Checks passed/, "the lint ran");
    const mnt = await harness.mountPushed(env, fx.reg, harness.resultJson(res).ref);
    assert.ok((await harness.rpmQa(mnt, "%{NAME}-%{VERSION}-%{RELEASE}")).includes("rf-extra-1.0-1"));
    assert.ok(!existsSync(join(mnt, "etc/yum.repos.d/rhcos-forge-mirror.repo")));
});

test("an image bootc container lint refuses is not pushed", async () => {
    const tagsBefore = await fx.reg.tags(REPO_NAME);
    const res = await build({ ...noSpec, dialect: "dnf", steps: [{ run: ["mkdir -p /usr/etc"] }] });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /error: etc-usretc: \/usr\/etc exists/);
    assert.ok(
        harness.failureLines(res.stderr).some(l => l.includes("build")),
        harness.failureLines(res.stderr).join("\n"),
    );
    assert.deepEqual(await fx.reg.tags(REPO_NAME), tagsBefore);
});
