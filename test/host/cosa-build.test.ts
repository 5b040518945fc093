// cosa-build.sh run for real as a plain `bash` subprocess on this machine. The real
// coreos-assembler container is not available here, so the failure paths run against the real
// host (missing KVM, bad arguments) and the full flow runs against test/host/cosa-fake-podman.sh,
// which records every podman call: those calls are the golden command lines, and re-runs show
// which steps their input hashes let the script skip. The push is real: the fake runs this
// machine's skopeo on the OCI archive it built, into the loopback registry on its port (the
// host:port form `cosa push-container` cannot take).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderCosaBundle, renderCosaRepoFile } from "../../components/image/cosaInputs";
import { Env, Registry, startRegistry } from "./harness";
import { type FakeToolRun, failureLine, runWithFakeTools } from "./fakeTools";

const ROOT = resolve(__dirname, "..", "..");
const SCRIPT = join(ROOT, "components", "scripts", "cosa-build.sh");
const GOLDEN = join(ROOT, "test", "golden", "cosa-build.commands");
const CONTAINER = `quay.io/coreos-assembler/coreos-assembler@sha256:${"c".repeat(64)}`;
const AUTH_TOKEN = Buffer.from("robot:cosa-s3cr3t-token").toString("base64");
const AUTH = JSON.stringify({ auths: { "quay.io": { auth: AUTH_TOKEN } } });
const SECRETS = [AUTH_TOKEN, "cosa-s3cr3t-token"];
/** The loopback registry: push credentials for it and the quay.io robot above, in one auth.json. */
const services = new Env("rf-cosa-registry-");
let registry: Registry;
let REPO = "";
let bundle = "";
let authAll = "";
before(async () => {
    registry = await startRegistry(services);
    REPO = `${registry.host}/rhcos-forge/rhcos`;
    const regAuth = (JSON.parse(registry.authJson()) as { auths: Record<string, { auth: string }> }).auths;
    SECRETS.push(registry.password, regAuth[registry.host].auth);
    authAll = JSON.stringify({ auths: { ...JSON.parse(AUTH).auths, ...regAuth } });
    bundle = renderCosaBundle(REPO_FILE, authAll);
});
after(() => services.teardown());
const REPO_FILE = renderCosaRepoFile([
    { id: "rhel-9.6-baseos", url: "http://10.0.0.2:5180/rhel-9.6-baseos/", gpgcheck: false },
    { id: "rhel-9.6-server-ose-4.19", url: "http://10.0.0.2:5180/rhel-9.6-server-ose-4.19/", gpgcheck: false },
]);

const temp = mkdtempSync(join(tmpdir(), "rf-cosa-"));
after(() => rmSync(temp, { recursive: true, force: true }));

type Run = FakeToolRun;

function sandbox(name: string): { dir: string; bin: string } {
    const dir = join(temp, name);
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    return { dir, bin };
}

function withFakePodman(bin: string): void {
    copyFileSync(join(ROOT, "test", "host", "cosa-fake-podman.sh"), join(bin, "podman"));
    chmodSync(join(bin, "podman"), 0o755);
}

function run(dir: string, bin: string, env: Record<string, string>, stdin: string): Run {
    return runWithFakeTools(SCRIPT, dir, bin, {
        logName: "podman.log",
        systemPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        stdin,
        env: {
            RF_COSA_CONTAINER: CONTAINER,
            RF_COSA_CONFIG_URL: "https://github.com/openshift/os.git",
            RF_COSA_BRANCH: "release-4.19",
            RF_COSA_VARIANT: "ocp-rhel-9.6",
            RF_IMAGE_REPO: REPO,
            // The loopback registry speaks plain HTTP.
            RF_TLS_VERIFY: "false",
            // /dev/null is a read-write character device: the KVM check passes, the fake podman ignores it.
            RF_KVM_DEVICE: "/dev/null",
            ...env,
        },
    });
}

function resultOf(r: Run): {
    ref: string;
    digest: string;
    buildId: string;
    configCommit: string;
    ran: string[];
    artifacts: { name: string; path: string; sha256: string; size: number }[];
} {
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
}

function assertNoSecret(r: Run): void {
    for (const s of SECRETS) {
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `output carries the secret ${s}`);
        assert.ok(!r.log.join("\n").includes(s), `a podman command line carries the secret ${s}`);
    }
}

/** The one error line lib.sh promises. */
function failure(r: Run): string {
    return failureLine(r, "cosa-build");
}

describe("cosa-build.sh failure paths on this machine", () => {
    it("fails naming nested virtualization when the KVM device is missing", () => {
        const { dir, bin } = sandbox("nokvm");
        const r = run(dir, bin, { RF_KVM_DEVICE: join(dir, "kvm-absent") }, bundle);
        const line = failure(r);
        assert.match(
            line,
            /step "kvm" failed: .*kvm-absent does not exist: coreos-assembler needs KVM.*nested virtualization/,
        );
        assert.equal(r.stdout, "");
        assertNoSecret(r);
    });

    it("fails on a KVM path that is not a character device", () => {
        const { dir, bin } = sandbox("kvmfile");
        writeFileSync(join(dir, "kvm"), "");
        const line = failure(run(dir, bin, { RF_KVM_DEVICE: join(dir, "kvm") }, bundle));
        assert.match(line, /step "kvm" failed: .*not a character device.*nested virtualization/);
    });

    it("rejects a coreos-assembler image that is not pinned by digest", () => {
        const { dir, bin } = sandbox("tag");
        const r = run(dir, bin, { RF_COSA_CONTAINER: "quay.io/coreos-assembler/coreos-assembler:latest" }, bundle);
        assert.match(
            failure(r),
            /step "arguments" failed: RF_COSA_CONTAINER must be the coreos-assembler image pinned by digest/,
        );
        assertNoSecret(r);
    });

    it("rejects unknown media platforms", () => {
        const { dir, bin } = sandbox("platform");
        assert.match(
            failure(run(dir, bin, { RF_COSA_ARTIFACTS: "metal qemu" }, bundle)),
            /RF_COSA_ARTIFACTS may only list metal, metal4k and live, got: 'qemu'/,
        );
    });

    it("rejects stdin that is not a cosa bundle", () => {
        const { dir, bin } = sandbox("badstdin");
        withFakePodman(bin);
        assert.match(
            failure(run(dir, bin, {}, "hello\n")),
            /step "unpack" failed: stdin is not a rhcos-forge cosa bundle/,
        );
    });
});

describe("cosa-build.sh against a recording podman", () => {
    const { dir, bin } = sandbox("flow");
    withFakePodman(bin);
    const env = { RF_COSA_ARTIFACTS: "metal live", FAKE_LEAK_AUTH: "1" };
    let first: Run;

    it("runs init, fetch, build container, osbuild, pushes to the registry port, media with sha256", async () => {
        first = run(dir, bin, env, bundle);
        const result = resultOf(first);
        assert.deepEqual(result.ran, ["init", "fetch", "build", "artifacts", "push"]);
        assert.equal(result.buildId, "419.96.202501010000-0");
        // What the registry itself holds under the build id's tag is what the script reports.
        assert.deepEqual(await registry.tags("rhcos-forge/rhcos"), [result.buildId]);
        const held = await registry.skopeoDigest(`${REPO}:${result.buildId}`);
        assert.match(held, /^sha256:[0-9a-f]{64}$/);
        assert.equal(result.ref, `${REPO}@${held}`);
        assert.equal(result.digest, held);
        // The pinned cosa's help lists TARGETs (rhcos-4.x): the container target, never the deprecated alias.
        assert.ok(
            first.log.some(l => l.endsWith(" build container")),
            first.log.join("\n"),
        );
        assert.ok(!first.log.some(l => / build ostree$| push-container /.test(l)));
        assert.equal(result.configCommit, "0123456789abcdef0123456789abcdef01234567");
        assert.deepEqual(
            result.artifacts.map(a => a.name),
            ["metal", "live-iso", "live-kernel", "live-initramfs", "live-rootfs"],
        );
        for (const a of result.artifacts) {
            const file = join(dir, "root", "mirror", a.path);
            const content = readFileSync(file);
            assert.equal(a.sha256, createHash("sha256").update(content).digest("hex"));
            assert.equal(a.size, content.length);
        }
        const sums = readFileSync(join(dir, "root", "mirror", "artifacts", result.buildId, "SHA256SUMS"), "utf8");
        assert.equal(sums.trim().split("\n").length, 5);
        // The mirror is in src/yumrepos/<variant>.repo, where every cosa reads repos; the checkout is untouched.
        assert.equal(
            readFileSync(join(dir, "root", "cosa", "src", "yumrepos", "ocp-rhel-9.6.repo"), "utf8"),
            REPO_FILE,
        );
        assert.ok(!existsSync(join(dir, "root", "cosa", "src", "config", "rhcos-forge-mirror.repo")));
        assert.ok(
            !existsSync(join(dir, "root", "cosa", "src", "yumrepos", "content_sets.yaml")),
            "a config without build-args.conf gets no content sets",
        );
    });

    it("masks registry credentials a tool prints, and never puts them on a command line", () => {
        assert.match(first.stderr, /debug: using credentials .*\*\*\*/);
        assertNoSecret(first);
    });

    it("runs exactly the golden command lines", () => {
        const normalized =
            first.log
                .map(line =>
                    line
                        .split(join(dir, "root"))
                        .join("$RF_ROOT")
                        .split(registry.host)
                        .join("127.0.0.1:$PORT")
                        .replace(/cosa-build\.(\d+\.)?[A-Za-z0-9]{6}/g, "cosa-build.XXXXXX")
                        .replace("--device /dev/null:/dev/kvm", "--device /dev/kvm:/dev/kvm"),
                )
                .join("\n") + "\n";
        if (process.getuid?.() !== 0) return; // rootless podman gets --userns keep-id instead of the uid maps
        if (process.env.RF_UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, normalized);
        assert.equal(normalized, readFileSync(GOLDEN, "utf8"));
    });

    it("reruns nothing but the config check when no input changed", () => {
        const again = run(dir, bin, env, bundle);
        const result = resultOf(again);
        assert.deepEqual(result.ran, []);
        assert.deepEqual(
            again.log.map(l => l.match(/@sha256:c{64} (\S+)/)?.[1] ?? l.split(" ").slice(0, 3).join(" ")),
            ["podman image exists", "shell", "shell"],
        );
        assert.equal(result.ref, resultOf(first).ref);
    });

    it("fetches and builds again when the mirror repos change, without a new init", () => {
        // Where an older rhcos-forge wrote the mirror: cosa would read it next to the new file.
        const old = join(dir, "root", "cosa", "src", "config", "rhcos-forge-mirror.repo");
        writeFileSync(old, REPO_FILE);
        const changed = renderCosaBundle(REPO_FILE + "\n[extra]\nbaseurl=http://10.0.0.2:5180/extra/\n", authAll);
        const result = resultOf(run(dir, bin, env, changed));
        // The fake reuses the build id, so the build replaces its media: they are rebuilt and republished.
        assert.deepEqual(result.ran, ["fetch", "build", "artifacts", "push"]);
        assert.ok(!existsSync(old), "the old in-checkout repo file is removed");
        assert.match(
            readFileSync(join(dir, "root", "cosa", "src", "yumrepos", "ocp-rhel-9.6.repo"), "utf8"),
            /^\[extra\]$/m,
        );
    });

    it("checks out again when the variant changes", () => {
        const result = resultOf(run(dir, bin, { ...env, RF_COSA_VARIANT: "c9s" }, bundle));
        assert.deepEqual(result.ran, ["init", "fetch", "build", "artifacts", "push"]);
    });

    it("builds only the missing media", () => {
        const result = resultOf(
            run(dir, bin, { ...env, RF_COSA_VARIANT: "c9s", RF_COSA_ARTIFACTS: "metal metal4k live" }, bundle),
        );
        assert.deepEqual(result.ran, ["artifacts"]);
        const log = readFileSync(join(dir, "podman.log"), "utf8");
        assert.match(log, / osbuild metal4k\n/);
    });

    it("fails the step with the tool's reason when cosa fetch fails", () => {
        const r = run(dir, bin, { ...env, RF_COSA_VARIANT: "scos", FAKE_FAIL: "fetch" }, bundle);
        const reason = String.raw`cosa fetch failed \(are the repos the manifest names in the mirror\?\)`;
        assert.match(
            failure(r),
            new RegExp(String.raw`step "fetch" failed: ${reason}: error: fake fetch failed on purpose`),
        );
        assert.equal(r.stdout, "");
        assertNoSecret(r);
    });
});

describe("cosa-build.sh with a cosa whose build takes no target (coreos-assembler main)", () => {
    const { dir, bin } = sandbox("buildah");
    withFakePodman(bin);
    // A config main's buildah build reads: build-args.conf names the stream, no variant is chosen.
    const env = { RF_COSA_VARIANT: "", FAKE_COSA_HELP: "plain", FAKE_BUILD_ARGS_CONF: "STREAM=9.8", RF_IMAGE_REPO: "" };

    it("runs `cosa build` with no target; the repos go in src/yumrepos/<stream>.repo with content sets", async () => {
        const r = run(dir, bin, { ...env, RF_IMAGE_REPO: `${registry.host}/rhcos-forge/base` }, bundle);
        const result = resultOf(r);
        assert.ok(
            r.log.some(l => / [^ ]+@sha256:c{64} build$/.test(l)),
            r.log.join("\n"),
        );
        assert.ok(!r.log.some(l => / build (ostree|container)$/.test(l)));
        const yum = join(dir, "root", "cosa", "src", "yumrepos");
        assert.equal(readFileSync(join(yum, "9.8.repo"), "utf8"), REPO_FILE);
        assert.equal(readFileSync(join(yum, "content_sets.yaml"), "utf8"), "repo_mapping: {}\n");
        assert.equal(result.digest, await registry.skopeoDigest(`${registry.host}/rhcos-forge/base:${result.buildId}`));
        assertNoSecret(r);
    });
});

describe("cosa-build.sh pushing with TLS verification to a plain-HTTP registry", () => {
    it("fails the push step with skopeo's reason", () => {
        const { dir, bin } = sandbox("tls");
        withFakePodman(bin);
        const r = run(dir, bin, { RF_TLS_VERIFY: "true" }, bundle);
        const line = failure(r);
        const ref = String.raw`127\.0\.0\.1:[0-9]+\/rhcos-forge\/rhcos:419\.96\.202501010000-0`;
        assert.match(
            line,
            new RegExp(String.raw`step "push" failed: pushing ${ref} failed: .*HTTP response to HTTPS client`),
        );
        assert.equal(r.stdout, "");
        assertNoSecret(r);
    });

    it("rejects an RF_TLS_VERIFY that is not a boolean", () => {
        const { dir, bin } = sandbox("tlsbad");
        withFakePodman(bin);
        assert.match(
            failure(run(dir, bin, { RF_TLS_VERIFY: "maybe" }, bundle)),
            /step "arguments" failed: RF_TLS_VERIFY/,
        );
    });
});
