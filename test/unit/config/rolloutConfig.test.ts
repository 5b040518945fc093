// Rollout config (issue 7): node extras per pool, on-cluster layering, the rollout timeout and the
// release gate flag. Every bad value fails with the full key, what is expected and the value.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import { supportedExtensions } from "../../../components/openshift/releases";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import type { JsonTree } from "../configCases";
import { DIGEST, asAllConfig, assertProblem, minimalStack, problemsOf, rejectsEach, withKeys } from "../configCases";
import { TEST_SECRETS } from "../harness";

const minimal = minimalStack;
/** An on-cluster stack: base from the cluster, credentials for the push secret. */
const onCluster = (version = "4.19"): JsonTree => ({
    buildHost: { provider: "local" },
    image: { base: "cluster", repository: "quay.io/example-org/rhcos-forge", packages: ["htop"] },
    cluster: { openshiftVersion: version },
    rollout: { method: "machineosconfig", pools: [{ name: "canary", nodes: ["worker-0"] }, { name: "worker" }] },
    registryAuth: TEST_SECRETS.registryAuth,
    kubeconfig: TEST_SECRETS.kubeconfig,
});

describe("rollout config: node extras", () => {
    it("parses extensions, kernelType and kernelArguments, and leaves them unset by default", () => {
        const cfg = parseStackConfig(
            asAllConfig(
                withKeys(minimal, {
                    "rollout.pools": [
                        {
                            name: "rt",
                            nodes: ["worker-3"],
                            kernelType: "realtime",
                            kernelArguments: ["nosmt", "hugepagesz=1G"],
                            extensions: ["usbguard", "sysstat"],
                        },
                        { name: "worker" },
                    ],
                }),
            ),
        );
        assert.deepEqual(cfg.rollout.pools[0].extensions, ["usbguard", "sysstat"]);
        assert.equal(cfg.rollout.pools[0].kernelType, "realtime");
        assert.deepEqual(cfg.rollout.pools[0].kernelArguments, ["nosmt", "hugepagesz=1G"]);
        assert.equal(cfg.rollout.pools[1].extensions, undefined);
        assert.equal(cfg.rollout.pools[1].kernelType, undefined);
        assert.equal(cfg.rollout.timeoutMinutes, 120);
        assert.equal(cfg.rollout.containerfileArch, "NoArch");
        assert.equal(cfg.image.allowBaseMismatch, false);
    });

    it("accepts each release's own extensions", () => {
        for (const version of OPENSHIFT_VERSIONS) {
            const extensions = [...supportedExtensions(version)];
            const cfg = parseStackConfig(
                asAllConfig(
                    withKeys(minimal, {
                        "cluster.openshiftVersion": version,
                        "rollout.pools": [{ name: "worker", extensions }],
                    }),
                ),
            );
            assert.deepEqual(cfg.rollout.pools[0].extensions, extensions, version);
        }
    });

    const bad: [string, JsonTree, string][] = [
        [
            "an extension not on the allowlist",
            withKeys(minimal, { "rollout.pools": [{ name: "worker", extensions: ["usbguard", "docker"] }] }),
            'rhcos-forge:rollout.pools[0].extensions[1] must be one of "two-node-ha", "wasm", "ipsec", ' +
                '"usbguard", "kerberos", "kernel-devel", "sandboxed-containers", "sysstat", got "docker"',
        ],
        [
            "an extension listed twice",
            withKeys(minimal, { "rollout.pools": [{ name: "worker", extensions: ["ipsec", "ipsec"] }] }),
            'rhcos-forge:rollout.pools[0].extensions[1] is listed twice, got "ipsec"',
        ],
        [
            "kernel-devel with the realtime kernel",
            withKeys(minimal, {
                "rollout.pools": [{ name: "worker", kernelType: "realtime", extensions: ["kernel-devel"] }],
            }),
            "rhcos-forge:rollout.pools[0].extensions[0] must not be kernel-devel with kernelType realtime " +
                '(kernel-devel matches only the default kernel), got "kernel-devel"',
        ],
        [
            "kernel-devel with 64k pages",
            withKeys(minimal, {
                "rollout.pools": [{ name: "worker", kernelType: "64k-pages", extensions: ["sysstat", "kernel-devel"] }],
            }),
            "rhcos-forge:rollout.pools[0].extensions[1] must not be kernel-devel with kernelType 64k-pages " +
                '(kernel-devel matches only the default kernel), got "kernel-devel"',
        ],
        [
            "an unknown kernel type",
            withKeys(minimal, { "rollout.pools": [{ name: "worker", kernelType: "rt" }] }),
            'rhcos-forge:rollout.pools[0].kernelType must be one of "default", "realtime", "64k-pages", got "rt"',
        ],
        [
            "a kernel argument with a space",
            withKeys(minimal, {
                "rollout.pools": [{ name: "worker", kernelArguments: ["nosmt", "mitigations=off nosmt"] }],
            }),
            "rhcos-forge:rollout.pools[0].kernelArguments[1] must be one kernel argument without whitespace " +
                'or quotes (e.g. nosmt or hugepagesz=1G), got "mitigations=off nosmt"',
        ],
        [
            "an empty kernel argument",
            withKeys(minimal, { "rollout.pools": [{ name: "worker", kernelArguments: [""] }] }),
            "rhcos-forge:rollout.pools[0].kernelArguments[0] must be one kernel argument without whitespace " +
                'or quotes (e.g. nosmt or hugepagesz=1G), got ""',
        ],
        [
            "a timeout of zero",
            withKeys(minimal, { "rollout.timeoutMinutes": 0 }),
            "rhcos-forge:rollout.timeoutMinutes must be a number of minutes (1-1440), got 0",
        ],
        [
            "a timeout that is not a number",
            withKeys(minimal, { "rollout.timeoutMinutes": "1h" }),
            'rhcos-forge:rollout.timeoutMinutes must be a number of minutes (1-1440), got "1h"',
        ],
        // Each release's MCO has its own SupportedExtensions() (components/openshift/releases.ts).
        [
            "an extension the release's MCO dropped (wasm on 4.22)",
            withKeys(minimal, {
                "cluster.openshiftVersion": "4.22",
                "rollout.pools": [{ name: "worker", extensions: ["ipsec", "wasm"] }],
            }),
            "rhcos-forge:rollout.pools[0].extensions[1] is not an extension of OpenShift 4.22 " +
                '(rhcos-forge:cluster.openshiftVersion); its MCO supports "two-node-ha", "ipsec", "usbguard", ' +
                '"kerberos", "kernel-devel", "sandboxed-containers", "sysstat", got "wasm"',
        ],
        [
            "an extension the release's MCO does not have yet (two-node-ha on 4.16)",
            withKeys(minimal, {
                "cluster.openshiftVersion": "4.16",
                "rollout.pools": [{ name: "worker", extensions: ["two-node-ha"] }],
            }),
            "rhcos-forge:rollout.pools[0].extensions[0] is not an extension of OpenShift 4.16 " +
                '(rhcos-forge:cluster.openshiftVersion); its MCO supports "wasm", "ipsec", "usbguard", ' +
                '"kerberos", "kernel-devel", "sandboxed-containers", got "two-node-ha"',
        ],
        [
            "sysstat before 4.18",
            withKeys(minimal, {
                "cluster.openshiftVersion": "4.17",
                "rollout.pools": [
                    { name: "canary", nodes: ["worker-0"], extensions: ["usbguard"] },
                    { name: "worker", extensions: ["sysstat"] },
                ],
            }),
            "rhcos-forge:rollout.pools[1].extensions[0] is not an extension of OpenShift 4.17 " +
                '(rhcos-forge:cluster.openshiftVersion); its MCO supports "wasm", "ipsec", "usbguard", ' +
                '"kerberos", "kernel-devel", "sandboxed-containers", got "sysstat"',
        ],
        [
            "the same node in two custom pools",
            withKeys(minimal, {
                "rollout.pools": [
                    { name: "canary", nodes: ["worker-0"] },
                    { name: "rt", nodes: ["worker-1", "worker-0"] },
                    { name: "worker" },
                ],
            }),
            "rhcos-forge:rollout.pools[1].nodes[1] is also in rhcos-forge:rollout.pools[0].nodes (pool " +
                "canary): a node labelled into two custom pools is left unmanaged by the MCO; list it in one pool " +
                'only, got "worker-0"',
        ],
        [
            "an unknown rollout method",
            withKeys(minimal, { "rollout.method": "osimagestream" }),
            'rhcos-forge:rollout.method must be one of "machineconfig", "machineosconfig", "release", got ' +
                '"osimagestream"',
        ],
    ];
    rejectsEach(bad);
});

describe("rollout config: on-cluster layering", () => {
    for (const version of OPENSHIFT_VERSIONS) {
        it(`parses an on-cluster stack for OpenShift ${version}`, () => {
            const cfg = parseStackConfig(asAllConfig(onCluster(version)));
            assert.equal(cfg.rollout.method, "machineosconfig");
        });
    }

    it("does not need an SSH key for a remote build host it will not create", () => {
        parseStackConfig(
            asAllConfig(withKeys(onCluster, { buildHost: { provider: "ssh", host: "build.example.com" } })),
        );
    });

    const bad: [string, JsonTree, string][] = [
        [
            "a pinned base (the MCO builds from the cluster's)",
            withKeys(onCluster, { "image.base": `quay.io/x/rhcos@${DIGEST}` }),
            `rhcos-forge:image.base must be "cluster" with rhcos-forge:rollout.method machineosconfig (the ` +
                `MCO builds on the cluster) from the cluster's own base image, got "quay.io/x/rhcos@${DIGEST}"`,
        ],
        [
            "a replace by package name",
            withKeys(onCluster, { "image.replace": ["openssh-9.9p1-1.el9"] }),
            "rhcos-forge:image.replace[0] must be an RPM URL with rhcos-forge:rollout.method machineosconfig " +
                "(the MCO builds on the cluster): package names resolve from the build host's mirror, got " +
                '"openssh-9.9p1-1.el9"',
        ],
        [
            "podman build flags",
            withKeys(onCluster, { "image.buildArgs": ["--isolation", "chroot"] }),
            "rhcos-forge:image.buildArgs must be empty with rhcos-forge:rollout.method machineosconfig (the " +
                "MCO builds on the cluster): there is no podman build to pass them to, got " +
                '["--isolation","chroot"]',
        ],
        [
            "no registry credentials",
            withKeys(onCluster, { registryAuth: undefined }),
            "rhcos-forge:registryAuth is required with rhcos-forge:rollout.method machineosconfig (the MCO " +
                "builds on the cluster): it becomes the push and pull secrets (set it with --secret), got nothing",
        ],
        // CEL (v1): renderedImagePushSpec must be on a host whose name contains a dot.
        [
            "a push registry without a dot in its host (v1, 4.19)",
            withKeys(onCluster, { "image.repository": "localhost:5000/org/rhcos" }),
            "rhcos-forge:image.repository must be a repository on a registry host whose name contains a dot " +
                "(MachineOSConfig renderedImagePushSpec is <host.with.dot>[:port]/<path>:<tag>, or an in-cluster " +
                "<svc>.<ns>.svc:<port>/<ns>/<name>:<tag>); with rhcos-forge:cluster.openshiftVersion 4.19 " +
                '(MachineOSConfig v1), got "localhost:5000/org/rhcos"',
        ],
        // CEL (v1alpha1): exactly one ':' outside a *.svc:port host, so no registry port.
        [
            "a push registry with a port (v1alpha1, 4.16)",
            withKeys(() => onCluster("4.16"), { "image.repository": "registry.example.com:5000/org/rhcos" }),
            "rhcos-forge:image.repository must be a repository on a registry host whose name contains a dot, " +
                "with no port and at most two path segments (v1alpha1 renderedImagePushspec allows exactly one " +
                "':' unless the host is an in-cluster <svc>.<ns>.svc:<port>); with " +
                "rhcos-forge:cluster.openshiftVersion 4.16 (MachineOSConfig v1alpha1), got " +
                '"registry.example.com:5000/org/rhcos"',
        ],
        [
            "a Containerfile over the 4096-character containerFile limit",
            withKeys(onCluster, { "image.files": [{ path: "/etc/big.conf", content: "x".repeat(4000) }] }),
            "rhcos-forge:image.files renders an on-cluster Containerfile of 5580 characters; a " +
                "MachineOSConfig containerFile entry holds at most 4096 (move large files into a MachineConfig or " +
                "shrink them), got ",
        ],
    ];
    for (const [what, cfg, expected] of bad) {
        it(`rejects ${what}`, () => {
            const problems = problemsOf(cfg);
            assert.ok(
                problems.some(p => p.startsWith(expected)),
                `expected:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`,
            );
        });
    }

    it("accepts a registry port on 4.18+ and an in-cluster registry on every release", () => {
        parseStackConfig(
            asAllConfig(withKeys(onCluster, { "image.repository": "registry.example.com:5000/org/rhcos" })),
        );
        for (const version of ["4.16", "4.19"]) {
            parseStackConfig(
                asAllConfig(
                    withKeys(() => onCluster(version), {
                        "image.repository":
                            "image-registry.openshift-image-registry.svc:5000/openshift-machine-conf" +
                            "ig-operator/os-image",
                    }),
                ),
            );
        }
    });

    it("keeps the kubeconfig requirement for a cluster base to the build-host method", () => {
        const problems = problemsOf(withKeys(minimal, { "image.base": "cluster" }));
        assertProblem(problems, 'rhcos-forge:image.base is "cluster", which reads');
    });
});
