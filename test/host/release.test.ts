// release-new.sh runs for real as plain `bash` subprocesses on this machine.
// There is no `oc` here: the missing-tool and bad-argument paths run against the real host, and
// the full flows run against test/host/release-fake-tools.sh (a recording `oc` and `podman`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import type { ManifestFile } from "../../components/release/payload";
import { renderOverrides, renderReleaseBundle, renderReleaseManifests } from "../../components/release/payload";
import { type FakeToolRun, failureLine as failure, runWithFakeTools } from "./fakeTools";

const ROOT = resolve(__dirname, "..", "..");
const NEW = join(ROOT, "components", "scripts", "release-new.sh");
const GOLDEN_DIR = join(ROOT, "test", "golden");
const FROM = `quay.io/openshift-release-dev/ocp-release@sha256:${"f".repeat(64)}`;
const OS_IMAGE = `quay.io/example-org/rhcos@sha256:${"1".repeat(64)}`;
const CONSOLE = `quay.io/example-org/console@sha256:${"e".repeat(64)}`;
const AUTH_TOKEN = Buffer.from("robot:release-s3cr3t-token").toString("base64");
const AUTH = JSON.stringify({ auths: { "quay.io": { auth: AUTH_TOKEN } } });
const SECRETS = [AUTH_TOKEN, "release-s3cr3t-token"];

const temp = mkdtempSync(join(tmpdir(), "rf-release-"));
after(() => rmSync(temp, { recursive: true, force: true }));

type Run = FakeToolRun;

function sandbox(name: string, fakes: string[]): { dir: string; bin: string } {
    const dir = join(temp, name);
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    for (const tool of fakes) symlinkSync(join(ROOT, "test", "host", "release-fake-tools.sh"), join(bin, tool));
    return { dir, bin };
}

/** PATH without any system directory holding oc (this machine has none), plus the sandbox's bin. */
function run(script: string, dir: string, bin: string, env: Record<string, string>, stdin: string): Run {
    return runWithFakeTools(script, dir, bin, {
        logName: "tools.log",
        systemPath: "/usr/local/bin:/usr/bin:/bin",
        env,
        stdin,
    });
}

/** release-new.sh in a new sandbox `name` with these fakes: `over` on the usual environment, `manifests` bundled. */
function releaseNew(
    name: string,
    fakes: string[],
    over: Record<string, string> = {},
    manifests: ManifestFile[] = [],
): { r: Run; dir: string } {
    const { dir, bin } = sandbox(name, fakes);
    return { r: run(NEW, dir, bin, newEnv(over), renderReleaseBundle(manifests, AUTH)), dir };
}

function assertNoSecret(r: Run): void {
    for (const s of SECRETS) {
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `output carries the secret ${s}`);
        assert.ok(!r.log.join("\n").includes(s), `a command line carries the secret ${s}`);
    }
}

function golden(name: string, r: Run, dir: string): void {
    const text =
        r.log
            .map(l =>
                l
                    .split(join(dir, "root"))
                    .join("$RF_ROOT")
                    .replace(/release-new\.(\d+\.)?[A-Za-z0-9]{6}/g, "release-new.XXXXXX"),
            )
            .join("\n") + "\n";
    const file = join(GOLDEN_DIR, name);
    if (process.env.RF_UPDATE_GOLDEN === "1") writeFileSync(file, text);
    assert.equal(text, readFileSync(file, "utf8"));
}

const hasOc =
    spawnSync("bash", ["-c", "command -v oc"], { env: { PATH: "/usr/local/bin:/usr/bin:/bin" } }).status === 0;
const overrides = renderOverrides("rhel-coreos", OS_IMAGE, { console: CONSOLE }).join(" ");
const newEnv = (over: Record<string, string> = {}): Record<string, string> => ({
    RF_FROM_RELEASE: FROM,
    RF_RELEASE_REPO: "quay.io/example-org/ocp-release",
    RF_RELEASE_ID: "rf-0123abcd",
    RF_OVERRIDES: overrides,
    RF_OS_COMPONENT: "rhel-coreos",
    ...over,
});
const manifests = renderReleaseManifests([
    {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "kylinlogo", namespace: "openshift-config" },
        data: { "logo.txt": "hi" },
    },
]);

describe("release-new.sh failure paths on this machine", () => {
    it(
        "fails naming oc when the OpenShift CLI is missing",
        { skip: hasOc ? "oc is installed on this machine" : false },
        () => {
            const { r } = releaseNew("nooc", []);
            assert.match(
                failure(r, "release-new"),
                /step "tools" failed: oc \(the OpenShift CLI\) was not found on the build host/,
            );
            assert.equal(r.stdout, "");
            assertNoSecret(r);
        },
    );

    it("rejects a from-release that is not pinned by digest", () => {
        const { dir, bin } = sandbox("tag", ["oc"]);
        for (const bad of [
            "quay.io/openshift-release-dev/ocp-release:4.19.10-x86_64",
            `quay.io/openshift-release-dev/ocp-release@sha256:${"f".repeat(63)}`,
            `quay.io/openshift-release-dev/ocp-release@sha512:${"f".repeat(64)}`,
        ]) {
            const r = run(NEW, dir, bin, newEnv({ RF_FROM_RELEASE: bad }), renderReleaseBundle([], AUTH));
            assert.match(
                failure(r, "release-new"),
                new RegExp(
                    [
                        String.raw`step "arguments" failed: RF_FROM_RELEASE must be a release image pinned by digest `,
                        String.raw`\(repo@sha256:<64 hex>\)`,
                    ].join(""),
                ),
            );
            assert.deepEqual(r.log, [], "nothing ran");
            assertNoSecret(r);
        }
    });

    it("rejects an override that is not pinned by digest", () => {
        const { r } = releaseNew("badoverride", ["oc"], {
            RF_OVERRIDES: "rhel-coreos=quay.io/example-org/rhcos:latest",
        });
        assert.match(
            failure(r, "release-new"),
            /step "arguments" failed: override rhel-coreos must be pinned by digest/,
        );
    });

    it("rejects a release name that is not a semantic version, before running oc", () => {
        const { dir, bin } = sandbox("badname", ["oc"]);
        for (const bad of ["custom", "4.19", "4.19.01", "4.19.10-custom_1", "v4.19.10"]) {
            const r = run(NEW, dir, bin, newEnv({ RF_RELEASE_NAME: bad }), renderReleaseBundle([], AUTH));
            assert.match(
                failure(r, "release-new"),
                /step "arguments" failed: RF_RELEASE_NAME must be a semantic version such as 4\.19\.10-custom\.1/,
                bad,
            );
            assert.deepEqual(r.log, [], "nothing ran");
        }
    });

    it("rejects an OS component that is not among the overrides", () => {
        const { r } = releaseNew("bados", ["oc"], { RF_OS_COMPONENT: "machine-os-content" });
        assert.match(
            failure(r, "release-new"),
            /step "arguments" failed: RF_OS_COMPONENT machine-os-content is not one of the overrides/,
        );
        assert.deepEqual(r.log, []);
    });

    it("fails when oc drops the OS override from the release instead of pushing the stock OS", () => {
        const { r, dir } = releaseNew("pruned", ["oc", "podman"], { FAKE_PRUNE: "rhel-coreos" }, manifests);
        assert.match(
            failure(r, "release-new"),
            new RegExp(
                `step "release new" failed: the new release does not carry the built OS as rhel-coreos \\(it ` +
                    `references 'nothing', expected ${OS_IMAGE.replace(/[.]/g, "\\.")}\\)`,
            ),
        );
        assert.equal(r.stdout, "");
        assert.ok(!r.log.some(l => l.startsWith("podman")), "no manifest layer is built on a release without the OS");
        assert.ok(
            !existsSync(join(dir, "root", "releases", "rf-0123abcd", "result.json")),
            "no result is kept, so a re-run builds again",
        );
        assertNoSecret(r);
    });

    it("reports the registry's refusal without printing the credentials", () => {
        const { r } = releaseNew("unauthorized", ["oc"], { FAKE_FAIL_NEW: "1", FAKE_LEAK_AUTH: "1" });
        assert.match(
            failure(r, "release-new"),
            new RegExp(
                [
                    String.raw`step "release new" failed: oc adm release new from .* failed: the registry refused the `,
                    String.raw`credentials \(unauthorized\)`,
                ].join(""),
            ),
        );
        assertNoSecret(r);
    });
});

describe("release-new.sh against a recording oc and podman", () => {
    it("creates the release with overrides, passing the auth only as a 0600 file", () => {
        const { dir, bin } = sandbox("plain", ["oc"]);
        const r = run(NEW, dir, bin, newEnv({ FAKE_LEAK_AUTH: "1" }), renderReleaseBundle([], AUTH));
        assert.equal(r.status, 0, r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
        assert.deepEqual(result, {
            ref: `quay.io/example-org/ocp-release@sha256:${"2".repeat(64)}`,
            digest: `sha256:${"2".repeat(64)}`,
            tag: "quay.io/example-org/ocp-release:rf-0123abcd",
            version: "4.19.10",
            from: FROM,
        });
        golden("release-new.commands", r, dir);
        assert.match(r.stderr, /debug: auth .*\*\*\*/, "a leaking tool's output is masked");
        assertNoSecret(r);
        const again = run(NEW, dir, bin, newEnv(), renderReleaseBundle([], AUTH));
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout.trim().split("\n").pop(), r.stdout.trim().split("\n").pop());
        assert.ok(
            again.log.every(l => l.startsWith("oc adm release info")),
            `a re-run only checks the registry:\n${again.log.join("\n")}`,
        );
    });

    it("overlays annotated manifests into /release-manifests and pushes by digest", () => {
        const { r, dir } = releaseNew(
            "overlay",
            ["oc", "podman"],
            { RF_RELEASE_NAME: "4.19.10-rhcos-forge.1" },
            manifests,
        );
        assert.equal(r.status, 0, r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
        assert.equal(result.ref, `quay.io/example-org/ocp-release@sha256:${"3".repeat(64)}`);
        golden("release-new-manifests.commands", r, dir);
        assertNoSecret(r);
    });
});
