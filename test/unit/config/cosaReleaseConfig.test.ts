// The cosa and release keys a real cluster would trip on: a cosa variant without the OpenShift
// components, an OS component the release does not have, a release name oc refuses, and a
// ClusterVersion rollout (which moves the master pool too) without rollout.allowMaster. Each fails
// with the full key, what is expected and the value; the good forms are accepted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RELEASES } from "../../../components/openshift/releases";
import { semverProblem } from "../../../components/openshift/semver";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { DIGEST, JsonTree, minimalStack, parseProblems, patched, rejectsEach, withKeys } from "../configCases";

const CONTAINER = `quay.io/coreos-assembler/coreos-assembler@${DIGEST}`;
const FROM = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;

/** A cosa build for OpenShift 4.19 from openshift/os, rolled out by MachineConfig. */
const cosaStack = (): JsonTree =>
    patched(minimalStack, c => {
        c.image.builder = "cosa";
        c.image.cosa = { container: CONTAINER, config: "https://github.com/openshift/os.git", branch: "release-4.19" };
        c.cluster.openshiftVersion = "4.19";
    });

/** A custom release rolled out to the whole cluster. */
const releaseStack = (): JsonTree =>
    patched(minimalStack, c => {
        c.rollout = { method: "release", allowMaster: true };
        c.release = { from: FROM, repository: "registry.example.com/org/ocp-release" };
        c.cluster.openshiftVersion = "4.19";
    });

describe("image.cosa.variant", () => {
    it("accepts the default variant and every OpenShift variant of each branch", () => {
        assert.deepEqual(parseProblems(cosaStack()), []);
        for (const v of ["4.16", "4.17", "4.18", "4.19"] as const) {
            for (const variant of [...RELEASES[v].cosaVariants.openshift, "default"]) {
                const p = parseProblems(
                    withKeys(cosaStack, { "image.cosa.branch": `release-${v}`, "image.cosa.variant": variant }),
                );
                assert.deepEqual(p, [], `${variant} on release-${v}`);
            }
        }
    });

    it("reads the variants of the branch the config names, else of the cluster's release", () => {
        // ocp-rhel-9.4 is an OpenShift variant of release-4.18 only.
        assert.deepEqual(
            parseProblems(
                withKeys(cosaStack, { "image.cosa.branch": "release-4.18", "image.cosa.variant": "ocp-rhel-9.4" }),
            ),
            [],
        );
        assert.deepEqual(
            parseProblems(
                withKeys(cosaStack, {
                    "image.cosa.branch": "my-fork",
                    "cluster.openshiftVersion": "4.18",
                    "image.cosa.variant": "ocp-rhel-9.4",
                }),
            ),
            [],
        );
        assert.equal(
            parseProblems(withKeys(cosaStack, { "image.cosa.branch": "my-fork", "image.cosa.variant": "ocp-rhel-9.4" }))
                .length,
            1,
        );
    });

    it("accepts a variant without OpenShift components only with allowNonOpenShiftVariant", () => {
        assert.deepEqual(
            parseProblems(
                withKeys(cosaStack, { "image.cosa.variant": "rhel-9.6", "image.cosa.allowNonOpenShiftVariant": true }),
            ),
            [],
        );
        assert.deepEqual(
            parseProblems(
                patched(cosaStack, c => {
                    c.image.cosa.branch = "release-4.20";
                    c.cluster.openshiftVersion = "4.20";
                    c.image.cosa.allowNonOpenShiftVariant = true;
                }),
            ),
            [],
        );
    });

    rejectsEach([
        [
            "rhel-9.6 on release-4.19 (no kubelet, no CRI-O)",
            withKeys(cosaStack, { "image.cosa.variant": "rhel-9.6" }),
            "rhcos-forge:image.cosa.variant must be a variant with the OpenShift components for OpenShift " +
                "4.19 (ocp-rhel-9.6; unset is ocp-rhel-9.6): " +
                ("openshift/os builds rhel-9.6 without kubelet and CRI-O, so nodes would not rejoin the " +
                    "cluster; or set rhcos-forge:image.cosa.allowNonOpenShiftVariant=true ") +
                'if the image is only a base you layer the OpenShift components onto, got "rhel-9.6"',
        ],
        [
            "c9s on release-4.17",
            withKeys(cosaStack, { "image.cosa.branch": "release-4.17", "image.cosa.variant": "c9s" }),
            "rhcos-forge:image.cosa.variant must be a variant with the OpenShift components for OpenShift " +
                "4.17 (ocp-rhel-9.4, okd-c9s; unset is ocp-rhel-9.4): " +
                ("openshift/os builds c9s without kubelet and CRI-O, so nodes would not rejoin the cluster; or " +
                    "set rhcos-forge:image.cosa.allowNonOpenShiftVariant=true ") +
                'if the image is only a base you layer the OpenShift components onto, got "c9s"',
        ],
        [
            "a cosa build for 4.20 (openshift/os is no longer a cosa config)",
            withKeys(cosaStack, { "image.cosa.branch": "release-4.20", "cluster.openshiftVersion": "4.20" }),
            "rhcos-forge:image.cosa.branch has no cosa variant with the OpenShift components for OpenShift " +
                "4.20: from 4.20 openshift/os is a Containerfile layered " +
                ("on the coreos/rhel-coreos-config base, which has no kubelet or CRI-O; use image.builder " +
                    "podman on the cluster's rhel-coreos, or set ") +
                ("rhcos-forge:image.cosa.allowNonOpenShiftVariant=true if the image is only a base you layer " +
                    'the OpenShift components onto, got "release-4.20"'),
        ],
        [
            "a variant on 4.22",
            withKeys(cosaStack, {
                "cluster.openshiftVersion": "4.22",
                "image.cosa.branch": "main",
                "image.cosa.variant": "rhel-9.8",
            }),
            "rhcos-forge:image.cosa.variant has no cosa variant with the OpenShift components for OpenShift " +
                "4.22: from 4.20 openshift/os is a Containerfile layered " +
                ("on the coreos/rhel-coreos-config base, which has no kubelet or CRI-O; use image.builder " +
                    "podman on the cluster's rhel-coreos, or set ") +
                ("rhcos-forge:image.cosa.allowNonOpenShiftVariant=true if the image is only a base you layer " +
                    'the OpenShift components onto, got "rhel-9.8"'),
        ],
        [
            "a non-boolean allowNonOpenShiftVariant",
            withKeys(cosaStack, { "image.cosa.allowNonOpenShiftVariant": "yes" }),
            'rhcos-forge:image.cosa.allowNonOpenShiftVariant must be boolean, got "yes"',
        ],
    ]);
});

describe("release.osComponent", () => {
    it("accepts rhel-coreos on every release and rhel-coreos-10 from 4.21", () => {
        for (const v of OPENSHIFT_VERSIONS) {
            assert.deepEqual(parseProblems(withKeys(releaseStack, { "cluster.openshiftVersion": v })), [], v);
        }
        assert.deepEqual(
            parseProblems(
                withKeys(releaseStack, { "cluster.openshiftVersion": "4.21", "release.osComponent": "rhel-coreos-10" }),
            ),
            [],
        );
    });

    rejectsEach([
        [
            "machine-os-content (a silent no-op on 4.16+)",
            withKeys(releaseStack, { "release.osComponent": "machine-os-content" }),
            "rhcos-forge:release.osComponent must not be machine-os-content on OpenShift 4.19: the release " +
                "has no such component (the MCO's " +
                ("install/image-references names rhel-coreos), so oc adm release new would prune it and the " +
                    'release would ship the stock OS; use rhel-coreos, got "machine-os-content"'),
        ],
        [
            "machine-os-content on 4.16",
            withKeys(releaseStack, { "cluster.openshiftVersion": "4.16", "release.osComponent": "machine-os-content" }),
            "rhcos-forge:release.osComponent must not be machine-os-content on OpenShift 4.16: the release " +
                "has no such component (the MCO's " +
                ("install/image-references names rhel-coreos), so oc adm release new would prune it and the " +
                    'release would ship the stock OS; use rhel-coreos, got "machine-os-content"'),
        ],
        [
            "rhel-coreos-10 before 4.21",
            withKeys(releaseStack, { "cluster.openshiftVersion": "4.20", "release.osComponent": "rhel-coreos-10" }),
            "rhcos-forge:release.osComponent must be one of rhel-coreos on OpenShift 4.20 (the OS components " +
                'the MCO\'s install/image-references names), got "rhel-coreos-10"',
        ],
    ]);
});

describe("release.name", () => {
    it("accepts semantic versions", () => {
        for (const name of [
            "4.19.10",
            "4.19.10-custom.1",
            "4.19.0-0.nightly-2025-01-01-000000",
            "4.19.10+rhcos.forge",
            "0.0.1-2025-01-01-000000",
        ]) {
            assert.deepEqual(parseProblems(withKeys(releaseStack, { "release.name": name })), [], name);
        }
    });

    it("refuses what blang/semver Parse refuses", () => {
        const bad: [string, string][] = [
            ["custom", "has no MAJOR.MINOR.PATCH"],
            ["4.19", "has no MAJOR.MINOR.PATCH"],
            ["v4.19.10", 'has a major version "v4" that is not a number'],
            ["4.019.1", 'has a minor version "019" with a leading zero'],
            ["4.19.10-01", 'has a numeric pre-release identifier "01" with a leading zero'],
            ["4.19.10-a..b", "has an empty pre-release identifier"],
            ["4.19.10+", "has an empty build metadata identifier"],
            ["4.19.10-custom_1", 'has a pre-release identifier "custom_1" with characters other than 0-9A-Za-z-'],
            ["4.19.x", 'has a patch version "x" that is not a number'],
        ];
        for (const [name, why] of bad) assert.equal(semverProblem(name), why, name);
    });

    rejectsEach([
        [
            "a name that is not a semantic version",
            withKeys(releaseStack, { "release.name": "custom" }),
            "rhcos-forge:release.name must be a semantic version such as 4.19.10-custom.1 (oc adm release new " +
                '--name refuses any other): it has no MAJOR.MINOR.PATCH, got "custom"',
        ],
        [
            "a name with a leading zero",
            withKeys(releaseStack, { "release.name": "4.19.01" }),
            "rhcos-forge:release.name must be a semantic version such as 4.19.10-custom.1 (oc adm release new " +
                '--name refuses any other): it has a patch version "01" with a leading zero, got "4.19.01"',
        ],
    ]);
});

describe("rollout.method release and the master pool", () => {
    rejectsEach([
        [
            "a ClusterVersion rollout without rollout.allowMaster",
            withKeys(releaseStack, { "rollout.allowMaster": undefined }),
            "rhcos-forge:rollout.allowMaster must be true with rhcos-forge:rollout.method release: a " +
                "ClusterVersion update rolls the built OS to every pool, " +
                ("master included; set rhcos-forge:rollout.allowMaster=true to accept that, or use method " +
                    "machineconfig with worker pools, got nothing"),
        ],
        [
            "allowMaster false",
            withKeys(releaseStack, { "rollout.allowMaster": false }),
            "rhcos-forge:rollout.allowMaster must be true with rhcos-forge:rollout.method release: a " +
                "ClusterVersion update rolls the built OS to every pool, " +
                ("master included; set rhcos-forge:rollout.allowMaster=true to accept that, or use method " +
                    "machineconfig with worker pools, got false"),
        ],
    ]);

    it("asks nothing of allowMaster when the release is only built, not rolled out", () => {
        assert.deepEqual(parseProblems(withKeys(releaseStack, { rollout: { pools: [{ name: "worker" }] } })), []);
    });
});
