// Config errors of image.signing: what it needs, named by key, never echoing the key or passphrase.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config/parse";
import { checkRetention } from "../../../components/config/signing";
import { generateSigningKey } from "../../../components/sigstore/signing";
import { assertProblem } from "../configCases";
import { TEST_SECRETS } from "../harness";
import { loadStackConfig } from "../stackFile";

const PASS = "config-test-passphrase";
const pair = generateSigningKey(PASS);

function problems(
    extra: Record<string, string>,
    signing: Record<string, unknown> | undefined,
    patch: Record<string, unknown> = {},
): string[] {
    const config = loadStackConfig("dev", { ...TEST_SECRETS, ...extra });
    const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
    config["rhcos-forge:image"] = JSON.stringify({ ...image, ...patch, ...(signing === undefined ? {} : { signing }) });
    try {
        parseStackConfig(config);
        return [];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.problems;
    }
}

describe("image.signing config", () => {
    it("is off by default and then refuses a stray key", () => {
        assert.deepEqual(problems({}, undefined), []);
        assert.deepEqual(problems({ signingKey: pair.privateKey }, undefined), [
            "rhcos-forge:signingKey is set but rhcos-forge:image.signing.enabled is false, got a secret value",
        ]);
    });

    it("needs the key and its passphrase", () => {
        assert.deepEqual(problems({}, { enabled: true }).sort(), [
            "rhcos-forge:signingKey is required with rhcos-forge:image.signing.enabled (set it with --secret; " +
                "`npm run signing-key` makes one), got nothing",
            "rhcos-forge:signingPassphrase is required with rhcos-forge:image.signing.enabled (set it with " +
                "--secret), got nothing",
        ]);
        assert.deepEqual(problems({ signingKey: pair.privateKey, signingPassphrase: PASS }, { enabled: true }), []);
    });

    it("a passphrase that does not open the key fails before anything runs, without echoing either", () => {
        const found = problems(
            { signingKey: pair.privateKey, signingPassphrase: "wrong-passphrase" },
            { enabled: true },
        );
        assert.equal(found.length, 1);
        assert.match(
            found[0],
            /^rhcos-forge:signingKey cannot be used: rhcos-forge:signingPassphrase does not decrypt/,
        );
        assert.ok(!found[0].includes("wrong-passphrase"));
    });

    it("a repository the API server refuses as ClusterImagePolicy scope is a config error, unless it is off", () => {
        const secrets = { signingKey: pair.privateKey, signingPassphrase: PASS };
        const found = problems(secrets, { enabled: true }, { repository: "registry:5000/rhcos" });
        assertProblem(found, "rhcos-forge:image.repository registry:5000/rhcos cannot be a ClusterImagePolicy scope");
        assert.deepEqual(
            problems(secrets, { enabled: true, clusterPolicy: false }, { repository: "registry:5000/rhcos" }),
            [],
        );
    });

    it("image.signing.machineConfigPolicy: instead of the ClusterImagePolicy, with a machineconfig rollout", () => {
        const secrets = { signingKey: pair.privateKey, signingPassphrase: PASS };
        assert.deepEqual(problems(secrets, { enabled: true, clusterPolicy: false, machineConfigPolicy: true }), []);
        assert.deepEqual(problems(secrets, { enabled: true, machineConfigPolicy: true }), [
            "rhcos-forge:image.signing.machineConfigPolicy needs rhcos-forge:image.signing.clusterPolicy " +
                "false (both would list the repository in registries.d twice, which containers/image refuses), " +
                "got true",
        ]);
    });

    it("image.retention: keep is at least 1, and retention needs a rollout it can wait for", () => {
        const withRetention = (
            retention: Record<string, unknown>,
            extra: Record<string, string> = {},
            cluster?: Record<string, unknown>,
        ): string[] => {
            const config = loadStackConfig("dev", { ...TEST_SECRETS, ...extra });
            const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
            config["rhcos-forge:image"] = JSON.stringify({ ...image, retention });
            if (cluster !== undefined)
                config["rhcos-forge:cluster"] = JSON.stringify({
                    ...JSON.parse(config["rhcos-forge:cluster"] ?? "{}"),
                    ...cluster,
                });
            try {
                parseStackConfig(config);
                return [];
            } catch (e) {
                if (e instanceof ConfigError) return e.problems;
                throw e;
            }
        };
        assert.deepEqual(withRetention({ enabled: true }), []);
        assert.deepEqual(withRetention({ enabled: true, keep: 0 }), [
            "rhcos-forge:image.retention.keep must be at least 1 (the rolled-out image is always kept), got 0",
        ]);
        assert.deepEqual(withRetention({ deleteOnDestroy: true }), [], "deleteOnDestroy needs no retention.enabled");
        const found: string[] = [];
        const check = (builder: string, method: string): void =>
            checkRetention(
                {
                    image: { retention: { enabled: false, keep: 5, deleteOnDestroy: true }, builder },
                    rollout: { method },
                    cluster: {},
                },
                (path, message) => found.push(`${path.join(".")} ${message}`),
            );
        check("cosa", "release");
        assert.deepEqual(found, [], "a cosa build records its push too");
        check("podman", "machineosconfig");
        assert.deepEqual(found, [
            "image.retention.deleteOnDestroy needs a rollout.method other than machineosconfig (it deletes " +
                "what this build host's builds recorded pushing; on-cluster builds push from the cluster)",
        ]);
        assert.deepEqual(withRetention({ enabled: true }, {}, { renderTo: "out" }), [
            "rhcos-forge:image.retention.enabled needs rhcos-forge:kubeconfig and no cluster.renderTo: images " +
                "are deleted only after the pools report the rollout done, got true",
        ]);
    });
});
