// The coreos-assembler build's pure inputs and outputs: the mirror as the cosa config's .repo,
// the stdin bundle, the revision that triggers a rebuild, and result validation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MIRROR_PASSWORD_SECRET } from "../../../components/mirror/repoFiles";
import {
    CosaInputs,
    CosaResult,
    cosaRevision,
    publishedArtifacts,
    renderCosaBundle,
    renderCosaRepoFile,
    validateCosaResult,
} from "../../../components/image/cosaInputs";

const inputs: CosaInputs = {
    container: `quay.io/coreos-assembler/coreos-assembler@sha256:${"c".repeat(64)}`,
    configUrl: "https://github.com/openshift/os.git",
    branch: "release-4.19",
    variant: "rhel-9.6",
    repoFile: "",
    repository: "quay.io/x/rhcos",
    artifacts: ["metal"],
};
const sha = "a".repeat(64);
const result: CosaResult = {
    ref: `quay.io/x/rhcos@sha256:${"1".repeat(64)}`,
    digest: `sha256:${"1".repeat(64)}`,
    tag: "quay.io/x/rhcos:419.96.1-0",
    buildId: "419.96.1-0",
    configCommit: "0".repeat(40),
    artifacts: [
        {
            platform: "metal",
            name: "metal",
            path: "artifacts/419.96.1-0/rhcos-419.96.1-0-metal.x86_64.raw",
            sha256: sha,
            size: 3,
        },
    ],
};

describe("cosa inputs", () => {
    it("renders the mirror with the repo ids the config's manifest names, unprefixed", () => {
        const text = renderCosaRepoFile([
            { id: "rhel-9.6-baseos", url: "http://10.0.0.2:5180/rhel-9.6-baseos/", gpgcheck: false },
        ]);
        assert.equal(
            text,
            "[rhel-9.6-baseos]\nname=rhcos-forge mirror of " +
                "rhel-9.6-baseos\nbaseurl=http://10.0.0.2:5180/rhel-9.6-baseos/\nenabled=1\ngpgcheck" +
                "=0\nmodule_hotfixes=1\n",
        );
        assert.equal(renderCosaRepoFile([]), "");
    });

    it("gives repos behind the mirror's basic auth their user, and the password only when asked", () => {
        const repo = {
            id: "rhel-9.6-baseos",
            url: "http://10.0.0.2:5180/rhel-9.6-baseos/",
            gpgcheck: false,
            auth: { username: "rhcos-forge", secret: MIRROR_PASSWORD_SECRET },
        };
        const plain = renderCosaRepoFile([repo]);
        assert.match(plain, /^username=rhcos-forge$/m);
        assert.doesNotMatch(plain, /^password=/m);
        assert.equal(
            renderCosaRepoFile([repo], "s3cr3t-mirror-password-x"),
            `${plain}password=s3cr3t-mirror-password-x\n`,
        );
    });

    it("carries the auth only in the stdin bundle", () => {
        const b = renderCosaBundle("[x]\n", '{"auths":{}}');
        assert.equal(b.split("\n")[0], "rhcos-forge-cosa v1");
        assert.match(b, /^authfile [A-Za-z0-9+/=]+$/m);
        assert.equal(renderCosaBundle("").split("\n").length, 3);
    });

    it("rebuilds on any input, not on credentials", () => {
        const r = cosaRevision(inputs);
        for (const change of [
            { branch: "release-4.18" },
            { commit: "1".repeat(40) },
            { variant: "c9s" },
            { repoFile: "[x]\n" },
            { artifacts: ["metal", "live"] as const },
            { container: `quay.io/coreos-assembler/coreos-assembler@sha256:${"d".repeat(64)}` },
            { mirrorRevision: "r2" },
        ]) {
            assert.notEqual(cosaRevision({ ...inputs, ...change }), r, JSON.stringify(change));
        }
        assert.equal(cosaRevision({ ...inputs, artifacts: ["metal"] }), r);
    });

    it("accepts only a digest in the repository and every asked-for medium", () => {
        assert.equal(validateCosaResult(result, "quay.io/x/rhcos", ["metal"]), result);
        assert.throws(
            () => validateCosaResult({ ...result, digest: "sha256:1" }, "quay.io/x/rhcos", []),
            /invalid digest/,
        );
        assert.throws(() => validateCosaResult(result, "quay.io/y/rhcos", []), /expected quay\.io\/y\/rhcos@/);
        assert.throws(() => validateCosaResult(result, "quay.io/x/rhcos", ["live"]), /did not publish live-iso/);
        assert.throws(
            () =>
                validateCosaResult(
                    { ...result, artifacts: [{ ...result.artifacts[0], path: "artifacts/../etc/passwd" }] },
                    "quay.io/x/rhcos",
                    ["metal"],
                ),
            /outside/,
        );
    });

    it("turns published paths into mirror URLs", () => {
        assert.equal(
            publishedArtifacts("http://198.51.100.7:5180/", result.artifacts)[0].url,
            "http://198.51.100.7:5180/artifacts/419.96.1-0/rhcos-419.96.1-0-metal.x86_64.raw",
        );
    });
});
