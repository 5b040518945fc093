// release-os-image.sh runs for real as a plain `bash` subprocess on this machine with the real
// podman: bad arguments fail naming the variable, and a registry that cannot be reached fails the
// "payload" step with a short reason and without the registry credentials in any output. The
// happy path (a payload-format release in a real registry) runs in test/e2e/upgrade.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { renderAuthBundle } from "../../components/bundle";

const SCRIPT = resolve(__dirname, "..", "..", "components", "scripts", "release-os-image.sh");
const TOKEN = Buffer.from("robot:os-image-s3cr3t").toString("base64");
const AUTH = JSON.stringify({ auths: { "127.0.0.1:1": { auth: TOKEN } } });
const temp = mkdtempSync(join(tmpdir(), "rf-release-os-"));
after(() => rmSync(temp, { recursive: true, force: true }));

function run(env: Record<string, string>, stdin = ""): { code: number; out: string; err: string } {
    const r = spawnSync("bash", [SCRIPT], {
        env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: temp, RF_ROOT: join(temp, "root"), ...env },
        input: stdin,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe("release-os-image.sh", () => {
    it("refuses a release that is not pinned by digest, and a bad component name", () => {
        const tagged = run({ RF_RELEASE: "quay.io/openshift-release-dev/ocp-release:4.19.11-x86_64" });
        assert.notEqual(tagged.code, 0);
        assert.match(
            tagged.err,
            /rhcos-forge release-os-image: step "arguments" failed: RF_RELEASE must be repo@sha256:<64 hex>/,
        );
        const component = run({
            RF_RELEASE: `quay.io/openshift-release-dev/ocp-release@sha256:${"7".repeat(64)}`,
            RF_OS_COMPONENT: "RHEL CoreOS",
        });
        assert.notEqual(component.code, 0);
        assert.match(component.err, /step "arguments" failed: RF_OS_COMPONENT/);
        assert.equal(tagged.out + component.out, "", "nothing on stdout but a result");
    });

    it("fails the payload step with the reason when the registry is unreachable, never printing credentials", () => {
        const r = run(
            { RF_RELEASE: `127.0.0.1:1/ocp-release@sha256:${"7".repeat(64)}`, RF_TLS_VERIFY: "false" },
            renderAuthBundle(AUTH),
        );
        assert.notEqual(r.code, 0);
        assert.match(
            r.err,
            new RegExp(
                [
                    String.raw`rhcos-forge release-os-image: step "payload" failed: could not pull release `,
                    String.raw`127\.0\.0\.1:1\/ocp-release@sha256:7{64}: the registry is unreachable`,
                ].join(""),
            ),
        );
        for (const s of [TOKEN, "os-image-s3cr3t"])
            assert.ok(!(r.out + r.err).includes(s), "credentials in the output");
    });
});
