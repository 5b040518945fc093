// Every build-host script refuses hostile RF_* values (and arguments) before acting: shell
// metacharacters, command substitutions, backticks, newlines, `..`, relative paths where an
// absolute one is expected and absolute paths outside the work dir where one inside it is. Each
// value must fail step "arguments" with the script's own single error line naming the input,
// print nothing on stdout, and change nothing:
// a sentinel directory next to the work dir and the work dir itself are fingerprinted around
// every run, and no pwned-<token> file may appear. A baseline run of each script with good
// values gets past "arguments", so each refusal is the validation's, not something later.
//
// The scripts run as the local build host runs them, `env K=V ... bash <script> [args]` (some
// 300 runs: over SSH they would take minutes on a busy machine). The SSH hop adds only the
// quoting of the command line, which shq does and scripts.test.ts exercises over a real sshd.
//
// prepare-host.sh is not here: cloud-init runs it from the droplet's user data with the env file
// BuildHost writes, and it does not take RF_* from a caller.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { Env, SCRIPTS_DIR, failureLines, parseRemote, run, shq, treeListing, type RemoteResult } from "./harness";

let env: Env;
let work: string;
let sentinel: string;
/** An executable standing in for subscription-manager (rhsm-register.sh checks it exists). */
let rhsmCli: string;
const token = randomBytes(6).toString("hex");
const PWNED = `/tmp/pwned-${token}`;
const HEX = "0123456789abcdef".repeat(4);

before(async () => {
    env = new Env("rf-hostile-test-");
    work = env.mkdir("remote", "work");
    sentinel = env.mkdir("remote", "sentinel");
    rhsmCli = env.path("remote", "subscription-manager");
    await run("bash", [
        "-c",
        `printf '#!/usr/bin/env python3\\nimport sys\\nsys.exit(1)\\n' > ${shq(rhsmCli)} && chmod 0755 ${shq(rhsmCli)}`,
    ]);
    await run("bash", [
        "-c",
        `mkdir -p ${shq(sentinel)}/keep && echo precious > ${shq(sentinel)}/keep/file && echo x > ${shq(sentinel)}/top`,
    ]);
});

after(async () => {
    await env?.teardown();
});

/** What an input must be: an absolute path, one inside the work dir, or any other single value / word list. */
type Kind = "path" | "inside" | "value" | "words";

function hostileValues(kind: Kind): string[] {
    const values = [
        `; rm -rf ${sentinel}`,
        `$(touch ${PWNED})`,
        `\`touch ${PWNED}\``,
        `ok\ntouch ${PWNED}`,
        "..",
        `../../${basename(sentinel)}`,
    ];
    if (kind === "path" || kind === "inside")
        values.push(`${work}/../${basename(sentinel)}`, "relative/dir", `${work}/x; touch ${PWNED}`);
    if (kind === "inside") values.push(sentinel, `${sentinel}/keep`);
    return values;
}

interface ScriptCase {
    readonly script: string;
    /** Good values: with these the script gets past "arguments". */
    readonly env: () => Record<string, string>;
    /** Inputs and their kind; "$1"/"$2" are positional arguments (named path and mode). */
    readonly inputs: Readonly<Record<string, Kind>>;
    /** More values refused for one input. */
    readonly extra?: () => Readonly<Record<string, readonly string[]>>;
    readonly args?: readonly string[];
    readonly stdin?: string;
    /** The baseline: a result line, or the step after "arguments" it stops in. */
    readonly baseline: "ok" | string;
}

const CASES: readonly ScriptCase[] = [
    {
        script: "host-ready.sh",
        env: () => ({ RF_ROOT: `${work}/ready`, RF_REQUIRED_TOOLS: "bash", RF_CLOUD_INIT_TIMEOUT: "5" }),
        inputs: { RF_ROOT: "path", RF_REQUIRED_TOOLS: "words", RF_CLOUD_INIT_TIMEOUT: "value" },
        extra: () => ({ RF_REQUIRED_TOOLS: ["bash /bin/sh"] }),
        baseline: "ok",
    },
    {
        script: "put-file.sh",
        env: () => ({ RF_ROOT: work }),
        inputs: { $1: "inside", $2: "value" },
        extra: () => ({ $2: ["u+rwx", "0644 ; touch x", "07777"] }),
        args: ["$WORK/put/file", "0600"],
        stdin: "content\n",
        baseline: "ok",
    },
    {
        script: "put-files.sh",
        env: () => ({ RF_ROOT: work }),
        inputs: { $1: "inside" },
        args: ["$WORK/putdir"],
        stdin:
            `rhcos-forge-bundle v1\nfile 0600 ${Buffer.from("tls/a/client-key.pem").toString("base64")} ` +
            `${Buffer.from("key\n").toString("base64")}\n`,
        baseline: "ok",
    },
    {
        script: "rhsm-register.sh",
        env: () => ({ RF_ROOT: `${work}/rhsm`, RF_RHSM_CLI: rhsmCli, RF_RHSM_ACTION: "register" }),
        inputs: { RF_ROOT: "path", RF_RHSM_CLI: "path", RF_RHSM_ACTION: "value" },
        extra: () => ({ RF_RHSM_ACTION: ["Register", "register unregister"] }),
        stdin: "",
        // past the arguments, an empty stdin is no bundle
        baseline: "unpack",
    },
    {
        script: "mirror-stop.sh",
        env: () => ({ RF_ROOT: `${work}/stop`, RF_SERVE_MODE: "none", RF_SYSTEMD_UNIT_DIR: `${work}/units` }),
        inputs: { RF_ROOT: "path", RF_SERVE_MODE: "value", RF_SYSTEMD_UNIT_DIR: "path" },
        baseline: "ok",
    },
    {
        script: "repo-mirror.sh",
        env: () => ({
            RF_ROOT: `${work}/mirror`,
            RF_SERVE_MODE: "none",
            RF_MIRROR_BIND: "127.0.0.1",
            RF_MIRROR_PORT: "5999",
            RF_SYSTEMD_UNIT_DIR: `${work}/units`,
        }),
        inputs: {
            RF_ROOT: "path",
            RF_MIRROR_DIR: "inside",
            RF_UPSTREAM_REPOFILE: "path",
            RF_SYSTEMD_UNIT_DIR: "path",
            RF_REPO_IDS: "words",
            RF_PACKAGE_SET_ID: "value",
            RF_PACKAGES: "words",
            RF_DNF_RELEASEVER: "value",
            RF_MIRROR_PORT: "value",
            RF_MIRROR_BIND: "value",
            RF_SERVE_MODE: "value",
            RF_NEWEST_ONLY: "value",
            RF_PACKAGE_ALLDEPS: "value",
            RF_FORCE_SYNC: "value",
            RF_LOCK_TIMEOUT: "value",
        },
        extra: () => ({
            RF_MIRROR_PORT: ["0", "65536", "080", "22 33"],
            RF_NEWEST_ONLY: ["treu"],
            RF_PACKAGES: ["rf-hello ../x", "rf-*", "a/b"],
            RF_MIRROR_BIND: ["0.0.0.0 ::", "::1]", "1.2.3", "1.2.3.4.5"],
        }),
        baseline: "ok",
    },
    {
        script: "build-image.sh",
        env: () => ({
            RF_ROOT: `${work}/build`,
            RF_BUILD_ID: "hostile1",
            RF_IMAGE_REPO: "127.0.0.1:1/rhcos-forge/node",
            RF_BASE_IMAGE: `127.0.0.1:1/x@sha256:${"0".repeat(64)}`,
            RF_TLS_VERIFY: "false",
            RF_PODMAN_BUILD_ARGS: "--isolation chroot",
        }),
        inputs: {
            RF_ROOT: "path",
            RF_BUILD_ID: "value",
            RF_IMAGE_REPO: "value",
            RF_BASE_IMAGE: "value",
            RF_PODMAN_BUILD_ARGS: "words",
            RF_TLS_VERIFY: "value",
            RF_LOCK_TIMEOUT: "value",
            RF_MIRROR_REVISION: "value",
        },
        extra: () => ({
            RF_MIRROR_REVISION: ["ABCDEF", `${HEX}0`.repeat(3), "rev-1"],
            RF_PODMAN_BUILD_ARGS: [
                "--volume /:/host",
                `--mount=type=bind,src=${sentinel},dst=/x`,
                `-f ${sentinel}/top`,
                "--file=../../x",
            ],
            RF_TLS_VERIFY: ["treu", "no way"],
            RF_IMAGE_REPO: ["reg/node:tag", "reg//node", "reg/../node"],
            RF_BASE_IMAGE: ["reg/x:latest", `reg/x@sha256:${HEX.slice(1)}`],
        }),
        stdin: "",
        baseline: "unpack",
    },
    {
        script: "cosa-build.sh",
        env: () => ({
            RF_ROOT: `${work}/cosa`,
            RF_COSA_CONTAINER: `quay.io/coreos-assembler/coreos-assembler@sha256:${HEX}`,
            RF_COSA_CONFIG_URL: "https://github.com/openshift/os.git",
            RF_COSA_BRANCH: "release-4.19",
            RF_IMAGE_REPO: "quay.io/example-org/rhcos",
            RF_KVM_DEVICE: `${work}/kvm-absent`,
        }),
        inputs: {
            RF_ROOT: "path",
            RF_COSA_DIR: "inside",
            RF_ARTIFACTS_DIR: "inside",
            RF_KVM_DEVICE: "path",
            RF_COSA_CONTAINER: "value",
            RF_COSA_CONFIG_URL: "value",
            RF_COSA_BRANCH: "value",
            RF_COSA_COMMIT: "value",
            RF_COSA_VARIANT: "value",
            RF_IMAGE_REPO: "value",
            RF_COSA_ARTIFACTS: "words",
            RF_TLS_VERIFY: "value",
        },
        extra: () => ({
            RF_COSA_CONFIG_URL: ["https://example.com/$(id).git", "https://example.com/a`id`"],
            RF_COSA_BRANCH: ["release/../../x"],
            RF_TLS_VERIFY: ["treu"],
        }),
        stdin: "",
        baseline: "kvm",
    },
    {
        script: "release-new.sh",
        env: () => ({
            RF_ROOT: `${work}/release`,
            RF_FROM_RELEASE: `quay.io/openshift-release-dev/ocp-release@sha256:${HEX}`,
            RF_RELEASE_REPO: "quay.io/example-org/ocp-release",
            RF_RELEASE_ID: "rf-0123abcd",
            RF_TLS_VERIFY: "true",
        }),
        inputs: {
            RF_ROOT: "path",
            RF_FROM_RELEASE: "value",
            RF_RELEASE_REPO: "value",
            RF_RELEASE_ID: "value",
            RF_RELEASE_NAME: "value",
            RF_OVERRIDES: "words",
            RF_TLS_VERIFY: "value",
            RF_OS_COMPONENT: "value",
        },
        extra: () => ({
            RF_TLS_VERIFY: ["treu"],
            RF_RELEASE_NAME: ["custom", "4.19.01"],
            RF_OS_COMPONENT: ["machine-os-content"],
        }),
        stdin: "",
        // Without oc on this machine it stops in "tools"; with one, at the empty bundle.
        baseline: "tools|unpack",
    },
];

/** The name a refusal must mention: the variable, or put-file.sh's argument names. */
const inputName = (input: string): string => (input === "$1" ? "path" : input === "$2" ? "mode" : input);

function invocation(c: ScriptCase, input?: string, value?: string): { vars: Record<string, string>; args: string[] } {
    const vars = c.env();
    const args = (c.args ?? []).map(a => a.replace("$WORK", work));
    if (input !== undefined && value !== undefined) {
        if (input === "$1") args[0] = value;
        else if (input === "$2") args[1] = value;
        else vars[input] = value;
    }
    return { vars, args };
}

/** `env K=V ... bash <script> [args]`, stdin piped: how a local build host runs a step. */
async function runScript(
    script: string,
    vars: Record<string, string>,
    args: string[],
    input: string,
): Promise<RemoteResult> {
    const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    return parseRemote(
        await run("env", [...assignments, "bash", join(SCRIPTS_DIR, script), ...args], { input, check: false }),
    );
}

async function fingerprint(): Promise<string> {
    return `${await treeListing(sentinel)}\n--\n${await treeListing(work)}`;
}

function assertRefused(res: RemoteResult, script: string, input: string, value: string): void {
    const what = `${script} ${input}=${JSON.stringify(value)}`;
    assert.notEqual(res.code, 0, `${what} was accepted`);
    const lines = failureLines(res.stderr);
    assert.equal(lines.length, 1, `${what}: expected one error line, got:\n${res.stderr}`);
    assert.equal(res.failure?.script, script.replace(/\.sh$/, ""), what);
    assert.equal(
        res.failure?.step,
        "arguments",
        `${what}: refused in step "${res.failure?.step}", not in "arguments": ${lines[0]}`,
    );
    assert.ok(
        res.failure!.why.includes(inputName(input)),
        `${what}: the error does not name ${inputName(input)}: ${lines[0]}`,
    );
    assert.equal(res.stdout, "", `${what}: printed a result`);
}

for (const c of CASES) {
    test(`${c.script} refuses hostile inputs in step "arguments" and changes nothing`, async () => {
        const before = await fingerprint();
        let refused = 0;
        for (const [input, kind] of Object.entries(c.inputs)) {
            for (const value of [...hostileValues(kind), ...(c.extra?.()[input] ?? [])]) {
                const { vars, args } = invocation(c, input, value);
                const res = await runScript(c.script, vars, args, c.stdin ?? "");
                assertRefused(res, c.script, input, value);
                assert.equal(existsSync(PWNED), false, `${c.script} ${input}: ${PWNED} was created`);
                assert.equal(
                    await fingerprint(),
                    before,
                    `${c.script} ${input}=${JSON.stringify(value)} changed the sentinel or the work dir`,
                );
                refused++;
            }
        }
        assert.ok(refused >= Object.keys(c.inputs).length * 6);

        // The same script with good values gets past "arguments": the refusals above are the validation's.
        const { vars, args } = invocation(c);
        const res = await runScript(c.script, vars, args, c.stdin ?? "");
        if (c.baseline === "ok") {
            assert.equal(res.code, 0, `${c.script} baseline: ${res.stderr}`);
            assert.notEqual(res.json, undefined, `${c.script} baseline printed no result line`);
        } else {
            assert.notEqual(res.code, 0);
            assert.match(
                res.failure?.step ?? "",
                new RegExp(`^(${c.baseline})$`),
                `${c.script} baseline: ${res.stderr}`,
            );
        }
        assert.equal(existsSync(PWNED), false);
        assert.equal(await treeListing(sentinel), before.split("\n--\n")[0], "the baseline left the sentinel alone");
    });
}

test("lib.sh validators: the edges of each (accepts the good value, refuses the near miss)", async () => {
    const lib = shq(join(SCRIPTS_DIR, "lib.sh"));
    const check = async (call: string): Promise<{ ok: boolean; line: string }> => {
        const res = await run("bash", ["-c", `RF_SCRIPT=t; source ${lib}; ${call}; echo passed`], { check: false });
        return { ok: res.code === 0 && res.stdout.trim() === "passed", line: failureLines(res.stderr).join(" | ") };
    };
    const cases: Array<[string, boolean]> = [
        ["rf_require_path P /a/b", true],
        ["rf_require_path P /a/b/ /a/b", true],
        ["rf_require_path P /a/bc /a/b", false],
        ["rf_require_path P /a/b/../c", false],
        ["rf_require_path P '/a b'", false],
        ["rf_require_path P ''", false],
        ["rf_require_id I epel-9.x_y:z", true],
        ["rf_require_id I .hidden", false],
        ["rf_require_tag T abc_1.2-3", true],
        ["rf_require_tag T -abc", false],
        [`rf_require_ref R q.io/org/x@sha256:${HEX} digest`, true],
        ["rf_require_ref R q.io/org/x:1 repo", false],
        ["rf_require_ref R q.io/org/x repo", true],
        ["rf_require_ref R x repo", false],
        ["rf_require_port N 65535", true],
        ["rf_require_port N 65536", false],
        ["rf_require_port N 1", true],
        ["rf_require_uint U 0", true],
        ["rf_require_uint U -1", false],
        ["rf_require_bool B Off", true],
        ["rf_require_bool B of", false],
        ["rf_require_words W 'a b  c' '^[a-c]$' letter", true],
        ["rf_require_words W 'a d' '^[a-c]$' letter", false],
        ["rf_require_match M 9.4 '^[0-9.]+$' version", true],
        ["rf_require_match M '9.4;' '^[0-9.]+$' version", false],
    ];
    for (const [call, ok] of cases) {
        const res = await check(call);
        assert.equal(res.ok, ok, `${call}: ${res.ok ? "accepted" : `refused (${res.line})`}`);
        if (!ok) assert.match(res.line, /^rhcos-forge t: step "arguments" failed: [A-Z]:? /, call);
    }
    // A refused value is shown quoted on one line, never run.
    const shown = await check(`rf_require_id I $'$(touch ${PWNED})\\nx'`);
    assert.equal(shown.ok, false);
    assert.ok(shown.line.includes("$'$(touch"), shown.line);
    assert.equal(existsSync(PWNED), false);
});
