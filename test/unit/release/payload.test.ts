// The custom release as pure logic: CVO annotations, payload manifests, overrides, the
// ClusterVersion patch (validated against every release's CRD after merging onto a real-looking
// ClusterVersion) and the wait, replayed with a fake clock.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { renderClusterVersionPatch, renderDesiredUpdate } from "../../../components/openshift/clusterVersion";
import {
    CVO_ANNOTATIONS,
    renderOverrides,
    renderReleaseBundle,
    renderReleaseManifests,
    releaseId,
    validateReleaseResult,
    withCvoAnnotations,
} from "../../../components/release/payload";
import {
    ClusterVersionObject,
    evaluateClusterVersion,
    waitForClusterVersion,
} from "../../../components/rollout/clusterVersionWait";
import { validateAgainstCrd } from "../crds";

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const OS = `quay.io/example-org/rhcos@${D("1")}`;
const RELEASE = `quay.io/example-org/ocp-release@${D("3")}`;
const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "kylinlogo", namespace: "openshift-config" },
    data: { a: "b" },
};

describe("CVO annotations", () => {
    it("adds the include and create-only annotations a new object needs (seed 004)", () => {
        const out = withCvoAnnotations(configMap);
        assert.deepEqual(out.metadata.annotations, {
            "include.release.openshift.io/self-managed-high-availability": "true",
            "include.release.openshift.io/single-node-developer": "true",
            "release.openshift.io/create-only": "true",
        });
        assert.equal(configMap.metadata.hasOwnProperty("annotations"), false, "the input is not mutated");
        assert.deepEqual((out as unknown as { data: unknown }).data, { a: "b" });
    });

    it("keeps annotations the user set, including an explicit opt-out", () => {
        const out = withCvoAnnotations({
            ...configMap,
            metadata: { ...configMap.metadata, annotations: { "release.openshift.io/create-only": "false", x: "y" } },
        });
        assert.equal(out.metadata.annotations?.["release.openshift.io/create-only"], "false");
        assert.equal(out.metadata.annotations?.x, "y");
        assert.equal(out.metadata.annotations?.["include.release.openshift.io/single-node-developer"], "true");
        assert.equal(Object.keys(CVO_ANNOTATIONS).length, 3);
    });

    it("renders payload files ordered after the core operators, as JSON (which is YAML)", () => {
        const files = renderReleaseManifests([
            configMap,
            { apiVersion: "operator.openshift.io/v1", kind: "Console", metadata: { name: "cluster" } },
        ]);
        assert.deepEqual(
            files.map(f => f.name),
            [
                "0000_90_rhcos-forge_00_configmap_openshift-config_kylinlogo.yaml",
                "0000_90_rhcos-forge_01_console_cluster.yaml",
            ],
        );
        const parsed = JSON.parse(files[0].content);
        assert.equal(parsed.metadata.annotations["release.openshift.io/create-only"], "true");
        assert.ok(renderReleaseBundle(files, '{"auths":{}}').startsWith("rhcos-forge-release v1\nmanifest "));
    });
});

describe("release overrides and id", () => {
    it("puts the built OS under its component, sorted with the other overrides", () => {
        assert.deepEqual(renderOverrides("rhel-coreos", OS, { console: `quay.io/x/console@${D("e")}` }), [
            `console=quay.io/x/console@${D("e")}`,
            `rhel-coreos=${OS}`,
        ]);
        assert.deepEqual(renderOverrides("rhel-coreos-10", OS, {}), [`rhel-coreos-10=${OS}`]);
    });

    it("refuses tags and a second value for the OS component", () => {
        assert.throws(() => renderOverrides("rhel-coreos", "quay.io/x/rhcos:latest", {}), /must be pinned by digest/);
        assert.throws(() => renderOverrides("rhel-coreos", OS, { "rhel-coreos": OS }), /is also the built OS image/);
    });

    it("changes the release id with any input, not with credentials", () => {
        const base = {
            from: `quay.io/openshift-release-dev/ocp-release@${D("f")}`,
            repository: "quay.io/x/rel",
            overrides: [`rhel-coreos=${OS}`],
            manifests: [],
        };
        assert.match(releaseId(base), /^rf-[a-f0-9]{40}$/);
        assert.equal(releaseId(base), releaseId({ ...base }));
        assert.notEqual(
            releaseId(base),
            releaseId({ ...base, overrides: [`rhel-coreos=quay.io/example-org/rhcos@${D("2")}`] }),
        );
        assert.notEqual(releaseId(base), releaseId({ ...base, manifests: renderReleaseManifests([configMap]) }));
        assert.notEqual(releaseId(base), releaseId({ ...base, name: "4.19.10-custom" }));
    });

    it("accepts only repository@sha256 results", () => {
        const ok = {
            ref: RELEASE,
            digest: D("3"),
            tag: "quay.io/example-org/ocp-release:rf-x",
            version: "4.19.10",
            from: "x",
        };
        assert.equal(validateReleaseResult(ok, "quay.io/example-org/ocp-release"), ok);
        assert.throws(
            () => validateReleaseResult({ ...ok, digest: "sha256:abc" }, "quay.io/example-org/ocp-release"),
            /invalid digest/,
        );
        assert.throws(() => validateReleaseResult(ok, "quay.io/other/ocp-release"), /expected quay\.io\/other/);
    });
});

describe("ClusterVersion desiredUpdate", () => {
    it("is what oc adm upgrade --to-image --allow-explicit-upgrade --force sends", () => {
        assert.deepEqual(renderDesiredUpdate(RELEASE, true), { image: RELEASE, version: "", force: true });
        assert.throws(() => renderDesiredUpdate("quay.io/example-org/ocp-release:4.19", true), /pinned by digest/);
    });

    it("carries the version cluster.upgrade resolved, unforced, beside the image (oc adm upgrade --to)", () => {
        assert.deepEqual(renderClusterVersionPatch(RELEASE, false, "4.21.3").spec.desiredUpdate, {
            image: RELEASE,
            version: "4.21.3",
            force: false,
        });
    });

    for (const version of OPENSHIFT_VERSIONS) {
        it(`validates against the ${version} ClusterVersion CRD once merged onto the cluster's object`, () => {
            const patch = renderClusterVersionPatch(RELEASE, false);
            assert.equal(patch.metadata.annotations["pulumi.com/patchForce"], "true");
            const merged = {
                apiVersion: patch.apiVersion,
                kind: patch.kind,
                metadata: { name: "version" },
                spec: { clusterID: "711b9e46-6ffd-4662-9bab-c61dfc9d6cc6", channel: "stable-4.19", ...patch.spec },
            };
            validateAgainstCrd(`release-${version}`, merged);
            assert.throws(() =>
                validateAgainstCrd(`release-${version}`, {
                    ...merged,
                    spec: { ...merged.spec, desiredUpdate: { image: RELEASE, force: "yes" } },
                }),
            );
        });
    }
});

describe("waiting for the ClusterVersion", () => {
    const cv = (image: string, state: string, version: string, progressing = ""): ClusterVersionObject => ({
        status: {
            desired: { image: RELEASE },
            history: [{ image, state, version }],
            conditions: [
                { type: "Progressing", status: "True", message: progressing },
                { type: "Failing", status: "False" },
            ],
        },
    });

    it("is done only when history[0] is the release and Completed", () => {
        assert.deepEqual(evaluateClusterVersion(cv(RELEASE, "Completed", "4.19.10"), RELEASE), {
            state: "done",
            version: "4.19.10",
        });
        assert.equal(evaluateClusterVersion(cv(RELEASE, "Partial", "4.19.10"), RELEASE).state, "waiting");
        assert.equal(
            evaluateClusterVersion(cv(`quay.io/x/old@${D("9")}`, "Completed", "4.19.9"), RELEASE).state,
            "waiting",
        );
        assert.equal(evaluateClusterVersion(undefined, RELEASE).state, "waiting");
    });

    it("logs progress, retries read errors and resolves with the version", async () => {
        const seq: (ClusterVersionObject | Error)[] = [
            cv(`quay.io/x/old@${D("9")}`, "Completed", "4.19.9"),
            cv(RELEASE, "Partial", "4.19.10", "Working towards 4.19.10: 240 of 900 done (26% complete)"),
            new Error("connection refused"),
            cv(RELEASE, "Completed", "4.19.10"),
        ];
        let now = 0;
        const logs: string[] = [];
        const version = await waitForClusterVersion(
            RELEASE,
            async () => {
                const next = seq.shift();
                if (next instanceof Error) throw next;
                return next;
            },
            {
                now: () => now,
                sleep: async ms => {
                    now += ms;
                },
            },
            { timeoutMs: 3_600_000, pollMs: 1000, log: m => logs.push(m) },
        );
        assert.equal(version, "4.19.10");
        assert.ok(logs.some(l => l.includes("26% complete")));
        assert.ok(logs.some(l => l.includes("cannot read ClusterVersion (connection refused); retrying")));
        assert.match(logs[logs.length - 1], /^cluster updated to 4\.19\.10/);
    });

    it("fails after the timeout naming the key and the last status", async () => {
        let now = 0;
        await assert.rejects(
            waitForClusterVersion(
                RELEASE,
                async () => cv(RELEASE, "Partial", "4.19.10", "waiting on insights"),
                {
                    now: () => now,
                    sleep: async ms => {
                        now += ms;
                    },
                },
                { timeoutMs: 120_000, pollMs: 30_000, log: () => undefined },
            ),
            new RegExp(
                [
                    String.raw`did not finish updating .* within 2 minutes \(rhcos-forge:rollout\.timeoutMinutes\); `,
                    String.raw`last: .*waiting on insights`,
                ].join(""),
            ),
        );
    });
});
