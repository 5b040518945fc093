// release-new.sh and release-wait.sh run for real as plain `bash` subprocesses on this machine.
// There is no `oc` here: the missing-tool and bad-argument paths run against the real host, and
// the full flows run against test/host/release-fake-tools.sh (a recording `oc` and `podman`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { renderOverrides, renderReleaseBundle, renderReleaseManifests } from "../../components/releasePayload";

const ROOT = resolve(__dirname, "..", "..");
const NEW = join(ROOT, "components", "scripts", "release-new.sh");
const WAIT = join(ROOT, "components", "scripts", "release-wait.sh");
const GOLDEN_DIR = join(ROOT, "test", "golden");
const FROM = `quay.io/openshift-release-dev/ocp-release@sha256:${"f".repeat(64)}`;
const OS_IMAGE = `quay.io/example-org/rhcos@sha256:${"1".repeat(64)}`;
const CONSOLE = `quay.io/example-org/console@sha256:${"e".repeat(64)}`;
const AUTH_TOKEN = Buffer.from("robot:release-s3cr3t-token").toString("base64");
const AUTH = JSON.stringify({ auths: { "quay.io": { auth: AUTH_TOKEN } } });
const KUBE_TOKEN = "sha256~kube-s3cr3t-token";
const KUBECONFIG = `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://api.ocp.example.com:6443"}}]\nusers:\n- name: u\n  user:\n    token: ${KUBE_TOKEN}\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
const SECRETS = [AUTH_TOKEN, "release-s3cr3t-token", KUBE_TOKEN];
const RELEASE = `quay.io/example-org/ocp-release@sha256:${"3".repeat(64)}`;

const temp = mkdtempSync(join(tmpdir(), "rf-release-"));
after(() => rmSync(temp, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string; log: string[] }

function sandbox(name: string, fakes: string[]): { dir: string; bin: string } {
    const dir = join(temp, name);
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    for (const tool of fakes) symlinkSync(join(ROOT, "test", "host", "release-fake-tools.sh"), join(bin, tool));
    return { dir, bin };
}

/** PATH without any system directory holding oc (this machine has none), plus the sandbox's bin. */
function run(script: string, dir: string, bin: string, env: Record<string, string>, stdin: string): Run {
    const log = join(dir, "tools.log");
    if (existsSync(log)) rmSync(log);
    const r = spawnSync("bash", [script], {
        input: stdin,
        encoding: "utf8",
        env: {
            PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
            HOME: dir,
            FAKE_LOG: log,
            FAKE_STATE: join(dir, "fake"),
            RF_ROOT: join(dir, "root"),
            ...env,
        },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, log: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [] };
}

function assertNoSecret(r: Run): void {
    for (const s of SECRETS) {
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `output carries the secret ${s}`);
        assert.ok(!r.log.join("\n").includes(s), `a command line carries the secret ${s}`);
    }
}

function failure(r: Run, script: string): string {
    assert.notEqual(r.status, 0, "the script must fail");
    const lines = r.stderr.trim().split("\n").filter(l => / failed: /.test(l));
    assert.equal(lines.length, 1, `exactly one failure line, got:\n${r.stderr}`);
    assert.match(lines[0], new RegExp(`^rhcos-forge ${script}: step "[^"]+" failed: `));
    return lines[0];
}

function golden(name: string, r: Run, dir: string): void {
    const text = r.log.map(l => l.split(join(dir, "root")).join("$RF_ROOT").replace(/release-new\.[A-Za-z0-9]{6}/g, "release-new.XXXXXX")).join("\n") + "\n";
    const file = join(GOLDEN_DIR, name);
    if (process.env.RF_UPDATE_GOLDEN === "1") writeFileSync(file, text);
    assert.equal(text, readFileSync(file, "utf8"));
}

const hasOc = spawnSync("bash", ["-c", "command -v oc"], { env: { PATH: "/usr/local/bin:/usr/bin:/bin" } }).status === 0;
const overrides = renderOverrides("rhel-coreos", OS_IMAGE, { console: CONSOLE }).join(" ");
const newEnv = (over: Record<string, string> = {}): Record<string, string> => ({
    RF_FROM_RELEASE: FROM, RF_RELEASE_REPO: "quay.io/example-org/ocp-release", RF_RELEASE_ID: "rf-0123abcd",
    RF_OVERRIDES: overrides, ...over,
});
const manifests = renderReleaseManifests([{
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kylinlogo", namespace: "openshift-config" }, data: { "logo.txt": "hi" },
}]);

describe("release-new.sh failure paths on this machine", () => {
    it("fails naming oc when the OpenShift CLI is missing", { skip: hasOc ? "oc is installed on this machine" : false }, () => {
        const { dir, bin } = sandbox("nooc", []);
        const r = run(NEW, dir, bin, newEnv(), renderReleaseBundle([], AUTH));
        assert.match(failure(r, "release-new"), /step "tools" failed: oc \(the OpenShift CLI\) was not found on the build host/);
        assert.equal(r.stdout, "");
        assertNoSecret(r);
    });

    it("rejects a from-release that is not pinned by digest", () => {
        const { dir, bin } = sandbox("tag", ["oc"]);
        for (const bad of ["quay.io/openshift-release-dev/ocp-release:4.19.10-x86_64", `quay.io/openshift-release-dev/ocp-release@sha256:${"f".repeat(63)}`,
            `quay.io/openshift-release-dev/ocp-release@sha512:${"f".repeat(64)}`]) {
            const r = run(NEW, dir, bin, newEnv({ RF_FROM_RELEASE: bad }), renderReleaseBundle([], AUTH));
            assert.match(failure(r, "release-new"), /step "arguments" failed: RF_FROM_RELEASE must be a release image pinned by digest \(repo@sha256:<64 hex>\)/);
            assert.deepEqual(r.log, [], "nothing ran");
            assertNoSecret(r);
        }
    });

    it("rejects an override that is not pinned by digest", () => {
        const { dir, bin } = sandbox("badoverride", ["oc"]);
        const r = run(NEW, dir, bin, newEnv({ RF_OVERRIDES: "rhel-coreos=quay.io/example-org/rhcos:latest" }), renderReleaseBundle([], AUTH));
        assert.match(failure(r, "release-new"), /step "arguments" failed: override rhel-coreos must be pinned by digest/);
    });

    it("reports the registry's refusal without printing the credentials", () => {
        const { dir, bin } = sandbox("unauthorized", ["oc"]);
        const r = run(NEW, dir, bin, newEnv({ FAKE_FAIL_NEW: "1", FAKE_LEAK_AUTH: "1" }), renderReleaseBundle([], AUTH));
        assert.match(failure(r, "release-new"), /step "release new" failed: oc adm release new from .* failed: the registry refused the credentials \(unauthorized\)/);
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
            ref: `quay.io/example-org/ocp-release@sha256:${"2".repeat(64)}`, digest: `sha256:${"2".repeat(64)}`,
            tag: "quay.io/example-org/ocp-release:rf-0123abcd", version: "4.19.10", from: FROM,
        });
        golden("release-new.commands", r, dir);
        assert.match(r.stderr, /debug: auth .*\*\*\*/, "a leaking tool's output is masked");
        assertNoSecret(r);
        const again = run(NEW, dir, bin, newEnv(), renderReleaseBundle([], AUTH));
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout.trim().split("\n").pop(), r.stdout.trim().split("\n").pop());
        assert.ok(again.log.every(l => l.startsWith("oc adm release info")), `a re-run only checks the registry:\n${again.log.join("\n")}`);
    });

    it("overlays annotated manifests into /release-manifests and pushes by digest", () => {
        const { dir, bin } = sandbox("overlay", ["oc", "podman"]);
        const r = run(NEW, dir, bin, newEnv({ RF_RELEASE_NAME: "4.19.10-rhcos-forge.1" }), renderReleaseBundle(manifests, AUTH));
        assert.equal(r.status, 0, r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
        assert.equal(result.ref, `quay.io/example-org/ocp-release@sha256:${"3".repeat(64)}`);
        golden("release-new-manifests.commands", r, dir);
        assertNoSecret(r);
    });
});

describe("release-wait.sh", () => {
    const cv = (dir: string, lines: string[]): string => {
        const file = join(dir, "cv.txt");
        writeFileSync(file, lines.join("\n") + "\n");
        return file;
    };
    const row = (image: string, state: string, version: string, progressing: string): string =>
        [image, state, version, RELEASE, progressing, "False: "].join("\\t");

    it("fails naming oc when neither oc nor kubectl exists", () => {
        const { dir, bin } = sandbox("wait-notools", []);
        // An empty PATH apart from bash's own directory: this machine has kubectl in /usr/bin.
        mkdirSync(join(dir, "bash-only"), { recursive: true });
        for (const t of ["bash", "mktemp", "chmod", "mkdir", "cat", "sed", "rm", "awk", "dirname", "basename"]) {
            const where = spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
            if (where) symlinkSync(where, join(dir, "bash-only", t));
        }
        const r = run(WAIT, dir, bin, { RF_RELEASE_IMAGE: RELEASE, PATH: `${bin}:${join(dir, "bash-only")}` }, KUBECONFIG);
        assert.match(failure(r, "release-wait"), /step "tools" failed: neither oc nor kubectl was found on the build host/);
        assertNoSecret(r);
    });

    it("rejects a release that is not pinned by digest", () => {
        const { dir, bin } = sandbox("wait-tag", ["oc"]);
        const r = run(WAIT, dir, bin, { RF_RELEASE_IMAGE: "quay.io/example-org/ocp-release:4.19" }, KUBECONFIG);
        assert.match(failure(r, "release-wait"), /step "arguments" failed: RF_RELEASE_IMAGE must be a release image pinned by digest/);
    });

    it("logs progress, retries API errors and ends when history[0] is the release, Completed", () => {
        const { dir, bin } = sandbox("wait-ok", ["oc"]);
        const file = cv(dir, [
            row(FROM, "Completed", "4.19.9", "Cluster version is 4.19.9"),
            row(RELEASE, "Partial", "4.19.10", "Working towards 4.19.10: 240 of 900 done (26% complete)"),
            "ERROR",
            row(RELEASE, "Partial", "4.19.10", "Working towards 4.19.10: 850 of 900 done (94% complete)"),
            row(RELEASE, "Completed", "4.19.10", "Cluster version is 4.19.10"),
        ]);
        const r = run(WAIT, dir, bin, { RF_RELEASE_IMAGE: RELEASE, RF_POLL_SECONDS: "1", FAKE_CV: file }, KUBECONFIG);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout.trim()), { image: RELEASE, version: "4.19.10", state: "Completed" });
        assert.match(r.stderr, /26% complete/);
        assert.match(r.stderr, /94% complete/);
        assert.match(r.stderr, /reading ClusterVersion failed \(retrying\): Unable to connect to the server/);
        assert.ok(r.log.every(l => l.startsWith("oc --kubeconfig ") && !l.includes(KUBE_TOKEN)));
        assertNoSecret(r);
    });

    it("fails after the timeout with the last status", () => {
        const { dir, bin } = sandbox("wait-timeout", ["oc"]);
        const file = cv(dir, [row(RELEASE, "Partial", "4.19.10", "Unable to apply 4.19.10: wait has exceeded 40 minutes for these operators: insights")]);
        const r = run(WAIT, dir, bin, { RF_RELEASE_IMAGE: RELEASE, RF_POLL_SECONDS: "1", RF_TIMEOUT_SECONDS: "2", FAKE_CV: file }, KUBECONFIG);
        assert.match(failure(r, "release-wait"), /step "wait" failed: the cluster did not finish updating to .* within 2s; last status: .*insights/);
        assertNoSecret(r);
    });

    it("says on destroy that the cluster is left as it is", () => {
        const { dir, bin } = sandbox("wait-destroy", []);
        const r = run(WAIT, dir, bin, { RF_RELEASE_IMAGE: RELEASE, RF_MODE: "destroy" }, "");
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /pulumi destroy leaves the cluster on .*OpenShift cannot be downgraded/);
    });
});
