// Bad fleet config fails before any resource, naming the key: image.from together with build
// keys, an upgrade target that is neither a version nor a release by digest, an upgrade the
// documented paths do not allow, a health check with no pool nodes to run on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { upgradeStepProblem } from "../../../components/config/fleet";
import { ConfigError, parseStack } from "../../../components/config/parse";
import { loadStackConfig } from "../stackFile";
import { assertProblem } from "../configCases";
import { TEST_SECRETS } from "../harness";
import { SOURCE, clusterStackConfig } from "./fleetStack";

function problems(all: Record<string, string>): string[] {
    try {
        parseStack(all);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

const devWith = (key: string, edit: (v: Record<string, unknown>) => void): Record<string, string> => {
    const cfg = loadStackConfig("dev", TEST_SECRETS);
    const value = JSON.parse(cfg[`rhcos-forge:${key}`]) as Record<string, unknown>;
    edit(value);
    return { ...cfg, [`rhcos-forge:${key}`]: JSON.stringify(value) };
};

describe("cluster stack config (rhcos-forge:image.from)", () => {
    it("parses a cluster stack without build host, mirror or build keys", () => {
        const parsed = parseStack(clusterStackConfig());
        assert.equal(parsed.kind, "cluster");
        if (parsed.kind !== "cluster") return;
        assert.deepEqual(parsed.config.image.from, { stack: SOURCE, take: "image" });
        assert.deepEqual(
            parsed.config.rollout.pools.map(p => p.name),
            ["canary", "worker"],
        );
    });

    it("takes what the source finished by default", () => {
        const parsed = parseStack(clusterStackConfig({ image: { from: { stack: SOURCE } } }));
        assert.equal(parsed.kind === "cluster" && parsed.config.image.from.take, "finished");
    });

    it("refuses image.from together with build keys, naming each", () => {
        const got = problems(
            clusterStackConfig({
                image: { from: { stack: SOURCE }, packages: ["htop"], repository: "quay.io/example-org/x" },
                buildHost: { provider: "local" },
                mirror: { repos: [{ id: "r", baseurl: "https://example.com/r", gpgcheck: false }] },
                registryAuth: TEST_SECRETS.registryAuth,
            }),
        );
        const why = `with rhcos-forge:image.from (this stack builds nothing: it rolls out the image ${SOURCE} built)`;
        for (const key of ["image.packages", "image.repository", "buildHost", "mirror", "registryAuth"]) {
            assert.ok(
                got.some(p => p.startsWith(`rhcos-forge:${key} must be unset ${why}`)),
                `${key} in ${got.join("\n")}`,
            );
        }
        // The secret's value is never echoed.
        assert.ok(got.every(p => !p.includes("s3cr3t-registry-token")));
        assert.equal(got.length, 5, got.join("\n"));
    });

    it("accepts the empty defaults Pulumi.yaml gives the build sections", () => {
        assert.deepEqual(
            problems({
                ...clusterStackConfig(),
                "rhcos-forge:buildHost": "{}",
                "rhcos-forge:mirror": "{}",
                "rhcos-forge:release": "{}",
                "rhcos-forge:sshPrivateKey": "",
            }),
            [],
        );
    });

    it("refuses a stack name that is not org/project/stack, and another rollout method", () => {
        const got = problems(
            clusterStackConfig({
                image: { from: { stack: "image" } },
                rollout: { method: "machineosconfig", pools: [{ name: "worker" }] },
            }),
        );
        assertProblem(got, "rhcos-forge:image.from.stack must be a fully qualified stack name org/project/stack");
        assertProblem(got, "rhcos-forge:rollout.method must be machineconfig with rhcos-forge:image.from");
    });

    it("checks a cluster stack's pools as a building stack's", () => {
        const got = problems(
            clusterStackConfig({ rollout: { pools: [{ name: "worker" }, { name: "canary", nodes: ["n"] }] } }),
        );
        assertProblem(got, "rhcos-forge:rollout.pools[0].name is worker, listed before the custom pool canary");
    });
});

describe("upgrade and health gate config", () => {
    it("refuses an upgrade target that is not a version or a release by digest", () => {
        for (const upgrade of [
            { version: "4.20" },
            { image: "quay.io/openshift-release-dev/ocp-release:4.20.8-x86_64" },
            {},
            { version: "4.20.8", image: `quay.io/r@sha256:${"a".repeat(64)}` },
        ]) {
            const got = problems(clusterStackConfig({ cluster: { openshiftVersion: "4.19", upgrade } }));
            assert.ok(
                got.some(p => p.startsWith("rhcos-forge:cluster.upgrade")),
                `${JSON.stringify(upgrade)}: ${got.join("\n")}`,
            );
        }
        // Well-formed targets on a cluster stack get only the refusal that it builds nothing:
        // the upgrade rebuilds the image FROM the target release's rhel-coreos.
        const builds = ["rhcos-forge:cluster.upgrade needs a stack that builds (no rhcos-forge:image.from)"];
        for (const upgrade of [
            { image: `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}` },
            { version: "4.20.8" },
        ]) {
            assert.deepEqual(
                problems(clusterStackConfig({ cluster: { openshiftVersion: "4.19", upgrade } })).map(
                    p => p.split(": the upgrade rebuilds")[0],
                ),
                builds,
            );
        }
    });

    it("accepts a well-formed upgrade on a building stack with a kubeconfig and base cluster", () => {
        for (const upgrade of [
            { image: `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}` },
            { version: "4.20.8" },
            { version: "4.19.30" },
        ]) {
            const cfg = devWith("cluster", c => {
                c.upgrade = upgrade;
                delete c.renderTo;
            });
            assert.deepEqual(
                problems({ ...cfg, "rhcos-forge:kubeconfig": TEST_SECRETS.kubeconfig }),
                [],
                JSON.stringify(upgrade),
            );
        }
    });

    it("refuses what the paused-pool procedure does not carry out", () => {
        const kube = { "rhcos-forge:kubeconfig": TEST_SECRETS.kubeconfig };
        const withUpgrade = (edit: (c: Record<string, string>) => Record<string, string>): string[] =>
            problems({
                ...edit(
                    devWith("cluster", c => {
                        c.upgrade = { version: "4.20.8" };
                        delete c.renderTo;
                    }),
                ),
                ...kube,
            });
        const pinned = withUpgrade(c => {
            const image = JSON.parse(c["rhcos-forge:image"]) as Record<string, unknown>;
            return {
                ...c,
                "rhcos-forge:image": JSON.stringify({
                    ...image,
                    base: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"b".repeat(64)}`,
                }),
            };
        });
        assert.ok(
            pinned.some(p => p.startsWith('rhcos-forge:image.base must be "cluster" with rhcos-forge:cluster.upgrade')),
            pinned.join("\n"),
        );
        const paused = withUpgrade(c => {
            const rollout = JSON.parse(c["rhcos-forge:rollout"]) as { pools: Record<string, unknown>[] };
            rollout.pools[0].paused = true;
            return { ...c, "rhcos-forge:rollout": JSON.stringify(rollout) };
        });
        assert.ok(
            paused.some(p =>
                p.startsWith("rhcos-forge:rollout.pools[0].paused must be false with rhcos-forge:cluster.upgrade"),
            ),
            paused.join("\n"),
        );
        const eus = problems({
            ...devWith("cluster", c => {
                c.openshiftVersion = "4.18";
                c.upgrade = { version: "4.20.1", eus: true };
                delete c.renderTo;
            }),
            ...kube,
        });
        assert.ok(
            eus.some(p =>
                p.startsWith(
                    "rhcos-forge:cluster.upgrade.version is 4.20.1, two minors past the cluster's 4.18: the " +
                        "EUS-to-EUS path passes the control plane through 4.19",
                ),
            ),
            eus.join("\n"),
        );
    });

    it("refuses an upgrade across more than one minor without the EUS path, and downgrades", () => {
        const got = problems(
            devWith("cluster", c => {
                c.upgrade = { version: "4.21.2" };
            }),
        );
        assertProblem(
            got,
            "rhcos-forge:cluster.upgrade.version is 4.21.2, 2 minors past the cluster's 4.19: OpenShift " +
                "updates one minor at a time",
        );
        assert.equal(upgradeStepProblem("4.18", "4.20.1", true), undefined);
        assert.match(
            upgradeStepProblem("4.19", "4.21.1", true) ?? "",
            /EUS-to-EUS path starts on an even \(EUS\) minor/,
        );
        assert.match(upgradeStepProblem("4.18", "4.20.1", false) ?? "", /set rhcos-forge:cluster.upgrade.eus=true/);
        assert.match(upgradeStepProblem("4.19", "4.18.3", false) ?? "", /does not support downgrades/);
        assert.equal(upgradeStepProblem("4.19", "4.19.30", false), undefined);
    });

    it("refuses a health check with no pool nodes to run on", () => {
        const check = { image: `quay.io/example-org/check@sha256:${"c".repeat(64)}`, command: ["/bin/true"] };
        const got = problems(
            clusterStackConfig({
                rollout: {
                    pools: [
                        { name: "canary", healthCheck: check },
                        { name: "worker", healthCheck: check },
                    ],
                },
            }),
        );
        assertProblem(
            got,
            "rhcos-forge:rollout.pools[0].healthCheck needs a pool with nodes to run on: pool canary lists no nodes",
        );
        assert.equal(got.filter(p => p.includes("pools[1].healthCheck")).length, 0, got.join("\n"));
        const tagged = problems(
            clusterStackConfig({
                rollout: { pools: [{ name: "worker", healthCheck: { image: "quay.io/x/check:latest", command: [] } }] },
            }),
        );
        assertProblem(tagged, "rhcos-forge:rollout.pools[0].healthCheck.image must be pinned by digest");
        assertProblem(tagged, "rhcos-forge:rollout.pools[0].healthCheck.command must list the command");
    });

    it("checks the same keys on a building stack", () => {
        const got = problems(
            devWith("rollout", r => {
                (r.pools as Record<string, unknown>[])[0].soakMinutes = -1;
            }),
        );
        assertProblem(got, "rhcos-forge:rollout.pools[0].soakMinutes must be a number of minutes (0-1440)");
    });
});
