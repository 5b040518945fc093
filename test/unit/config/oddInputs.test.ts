// Values each key accepts on its own but the cluster or the rollout would refuse later (issue 22):
// a kubeconfig that is no kubeconfig, a worker pool listed before its canary, a registry name no
// registry takes, a node name no node can have, a kernel the MCO refuses on the nodes'
// architecture. Each is a config error naming the key; a secret's value is never echoed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeconfigProblem } from "../../../components/config/kubeconfig";
import { DIGEST, JsonTree, minimalStack, parseProblems, patched, problemsOf } from "../configCases";
import { TEST_SECRETS } from "../harness";

/** A stack that applies to a cluster (no renderTo), with the given kubeconfig text. */
const applied = (kubeconfig: string, context?: string) =>
    patched(minimalStack, c => {
        c.cluster = context === undefined ? {} : { context };
        c.kubeconfig = kubeconfig;
    });

const KUBECONFIG = (over: { current?: string; server?: string; user?: string } = {}) =>
    [
        "apiVersion: v1",
        "kind: Config",
        `current-context: ${over.current ?? "admin"}`,
        "contexts:",
        "- name: admin",
        "  context: {cluster: prod, user: admin}",
        "clusters:",
        "- name: prod",
        `  cluster: {server: "${over.server ?? "https://api.prod.example.com:6443"}"}`,
        "users:",
        "- name: admin",
        `  user: ${over.user ?? "{token: sha256~s3cr3t-odd-token}"}`,
        "",
    ].join("\n");

describe("rhcos-forge:kubeconfig is checked as a kubeconfig before any resource", () => {
    it("accepts a complete kubeconfig, and the unit tests' own", () => {
        assert.deepEqual(parseProblems(applied(KUBECONFIG())), []);
        assert.deepEqual(parseProblems(applied(TEST_SECRETS.kubeconfig)), []);
        assert.equal(
            kubeconfigProblem(
                KUBECONFIG({ user: "{exec: {command: oc, apiVersion: client.authentication.k8s.io/v1}}" }),
                undefined,
            ),
            undefined,
        );
    });

    const cases: [string, string, string | undefined, RegExp][] = [
        [
            "a plain string",
            "not-a-kubeconfig",
            undefined,
            /^rhcos-forge:kubeconfig must be a kubeconfig file .* is not a YAML map; set it from the file/,
        ],
        [
            "text that is not YAML",
            "clusters: [\n  - : :\n\t",
            undefined,
            /^rhcos-forge:kubeconfig must be a kubeconfig file \(YAML\), but it does not parse as YAML/,
        ],
        [
            "a kubeconfig without current-context or cluster.context",
            KUBECONFIG().replace(/^current-context:.*$/m, ""),
            undefined,
            /^rhcos-forge:kubeconfig has no current-context; set rhcos-forge:cluster\.context/,
        ],
        [
            "a current-context naming no context",
            KUBECONFIG({ current: "gone" }),
            undefined,
            new RegExp(
                [
                    String.raw`^rhcos-forge:kubeconfig names context "gone", but the kubeconfig has no context named `,
                    String.raw`"gone" \(its contexts: "admin"\)`,
                ].join(""),
            ),
        ],
        [
            "a cluster.context naming no context",
            KUBECONFIG(),
            "staging",
            new RegExp(
                [
                    String.raw`^rhcos-forge:cluster\.context names context "staging", but the kubeconfig has no `,
                    String.raw`context named "staging" \(its contexts: "admin"\), got "staging"`,
                ].join(""),
            ),
        ],
        [
            "a cluster without a server",
            KUBECONFIG({ server: "" }),
            undefined,
            /^rhcos-forge:kubeconfig cluster "prod" \(context "admin"\) has no server URL/,
        ],
        [
            "a user without credentials",
            KUBECONFIG({ user: "{}" }),
            undefined,
            /^rhcos-forge:kubeconfig user "admin" \(context "admin"\) has no credentials/,
        ],
        [
            "an auth-provider user",
            KUBECONFIG({ user: "{auth-provider: {name: gcp}}" }),
            undefined,
            /^rhcos-forge:kubeconfig user "admin" uses an auth-provider plugin/,
        ],
    ];
    for (const [what, text, context, expected] of cases) {
        it(`refuses ${what}, naming the key and never the value`, () => {
            const problems = problemsOf(applied(text, context));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], expected);
            assert.ok(!problems[0].includes("s3cr3t"), problems[0]);
            if (context === undefined) assert.match(problems[0], /got a secret value$/);
        });
    }
});

describe("rhcos-forge:rollout.pools: worker comes after every custom pool", () => {
    it("refuses worker listed before the canary, naming both", () => {
        const problems = problemsOf(
            patched(minimalStack, c => {
                c.rollout.pools = [
                    { name: "worker" },
                    { name: "canary", nodes: ["worker-0"] },
                    { name: "gpu", nodes: ["worker-5"] },
                ];
            }),
        );
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            new RegExp(
                [
                    String.raw`^rhcos-forge:rollout\.pools\[0\]\.name is worker, listed before the custom pools `,
                    String.raw`canary \(rollout\.pools\[1\]\), gpu \(rollout\.pools\[2\]\): .*list worker after every `,
                    String.raw`custom pool, got "worker"$`,
                ].join(""),
            ),
        );
    });

    it("accepts custom pools first, worker last, and master anywhere", () => {
        assert.deepEqual(
            parseProblems(
                patched(minimalStack, c => {
                    c.rollout.allowMaster = true;
                    c.rollout.pools = [{ name: "canary", nodes: ["worker-0"] }, { name: "worker" }, { name: "master" }];
                }),
            ),
            [],
        );
        assert.deepEqual(
            parseProblems(
                patched(minimalStack, c => {
                    c.rollout.pools = [{ name: "canary", nodes: ["worker-0"] }];
                }),
            ),
            [],
        );
    });
});

describe("rhcos-forge:buildHost.nestedVirtualization: cosa on a droplet only if the stack says it has /dev/kvm", () => {
    const CONTAINER = `quay.io/coreos-assembler/coreos-assembler@sha256:${"a".repeat(64)}`;
    const cosaOnDroplet = (nested?: boolean) =>
        patched(minimalStack, c => {
            c.buildHost = {
                provider: "digitalocean",
                region: "fra1",
                size: "s-2vcpu-4gb",
                allowedCidrs: ["198.51.100.7/32"],
                sshPublicKey: "ssh-ed25519 AAAA x",
                ...(nested === undefined ? {} : { nestedVirtualization: nested }),
            };
            c.sshPrivateKey = TEST_SECRETS.sshPrivateKey;
            c.image.builder = "cosa";
            c.image.cosa = {
                container: CONTAINER,
                config: "https://github.com/openshift/os.git",
                branch: "release-4.19",
            };
            c.cluster.openshiftVersion = "4.19";
        });

    it("refuses cosa on a droplet size not stated to have nested virtualization, naming key and size", () => {
        for (const nested of [undefined, false]) {
            const problems = problemsOf(cosaOnDroplet(nested));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(
                problems[0],
                new RegExp(
                    [
                        String.raw`^rhcos-forge:buildHost\.nestedVirtualization must be true with `,
                        String.raw`rhcos-forge:image\.builder cosa: cosa needs \/dev\/kvm, and whether a s-2vcpu-4gb `,
                        String.raw`droplet has it`,
                    ].join(""),
                ),
            );
        }
    });

    it("accepts it once stated, and podman builds on any size", () => {
        assert.deepEqual(parseProblems(cosaOnDroplet(true)), []);
        assert.deepEqual(
            parseProblems(
                patched(
                    () => cosaOnDroplet(false),
                    c => {
                        c.image.builder = "podman";
                        delete c.image.cosa;
                    },
                ),
            ),
            [],
        );
    });
});

describe("image references: names a registry or podman refuses although the key's pattern matched", () => {
    const RELEASE = {
        from: `quay.io/openshift-release-dev/ocp-release@${DIGEST}`,
        repository: "registry.example.com/org/ocp-release",
    };
    const cases: [string, (c: JsonTree) => void, RegExp][] = [
        [
            "image.repository on port 99999",
            c => {
                c.image.repository = "registry.example.com:99999/org/rhcos";
            },
            new RegExp(
                [
                    String.raw`^rhcos-forge:image\.repository names registry port 99999, which no registry can listen `,
                    String.raw`on \(a TCP port is 1-65535\); fix the port, got `,
                    String.raw`"registry\.example\.com:99999\/org\/rhcos"$`,
                ].join(""),
            ),
        ],
        [
            "image.repository on port 0",
            c => {
                c.image.repository = "registry.example.com:0/org/rhcos";
            },
            /^rhcos-forge:image\.repository names registry port 0,/,
        ],
        [
            "image.base on port 70000",
            c => {
                c.image.base = `quay.io:70000/openshift/rhcos@${DIGEST}`;
            },
            /^rhcos-forge:image\.base names registry port 70000,/,
        ],
        [
            "a host name label of 70 characters",
            c => {
                c.image.repository = `r${"e".repeat(69)}.example.com/org/rhcos`;
            },
            new RegExp(
                [
                    String.raw`^rhcos-forge:image\.repository has a registry host name label of 70 characters `,
                    String.raw`\(reeeeeeeeeee…\), over DNS's 63`,
                ].join(""),
            ),
        ],
        [
            "a repository name of 300 characters",
            c => {
                c.image.repository = `registry.example.com/org/${"a".repeat(275)}`;
            },
            new RegExp(
                [
                    String.raw`^rhcos-forge:image\.repository has a repository name of 300 characters \(host and `,
                    String.raw`path\), over the 255 .* use a shorter path`,
                ].join(""),
            ),
        ],
        [
            "release.repository on port 65536",
            c => {
                c.release = { ...RELEASE, repository: "registry.example.com:65536/org/ocp-release" };
                c.rollout = { method: "release", allowMaster: true };
            },
            /^rhcos-forge:release\.repository names registry port 65536,/,
        ],
    ];
    for (const [what, patch, expected] of cases) {
        it(`refuses ${what}, naming the key and the value`, () => {
            const problems = problemsOf(patched(minimalStack, patch));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], expected);
        });
    }

    it("accepts the longest names and the port range's ends", () => {
        for (const repo of [
            "registry.example.com:1/org/rhcos",
            "registry.example.com:65535/org/rhcos",
            "[::1]:5000/org/rhcos",
            "localhost/org/rhcos",
            `${"r".repeat(63)}.example.com/org/rhcos`,
            `registry.example.com/org/${"a".repeat(230)}`,
        ]) {
            assert.deepEqual(
                parseProblems(
                    patched(minimalStack, c => {
                        c.image.repository = repo;
                    }),
                ),
                [],
                repo,
            );
        }
    });
});

describe("rhcos-forge:rollout.pools[].nodes: names a Node can have", () => {
    for (const [what, node, expected] of [
        [
            "a name of 254 characters",
            `w${"a".repeat(253)}`,
            /^rhcos-forge:rollout\.pools\[0\]\.nodes\[0\] must be a node name of at most 253 characters/,
        ],
        [
            "an empty label",
            "worker..example.com",
            /^rhcos-forge:rollout\.pools\[0\]\.nodes\[0\] must be a node name \(lowercase DNS labels separated by dots/,
        ],
        [
            "a label ending in -",
            "worker-.example.com",
            /^rhcos-forge:rollout\.pools\[0\]\.nodes\[0\] must be a node name \(lowercase DNS labels/,
        ],
    ] as const) {
        it(`refuses ${what}`, () => {
            const problems = problemsOf(
                patched(minimalStack, c => {
                    c.rollout.pools = [{ name: "canary", nodes: [node] }, { name: "worker" }];
                }),
            );
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], expected);
        });
    }

    it("accepts the names nodes have", () => {
        for (const node of [
            "worker-0",
            "ip-10-0-1-23.ec2.internal",
            `w${"a".repeat(62)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
        ]) {
            assert.deepEqual(
                parseProblems(
                    patched(minimalStack, c => {
                        c.rollout.pools = [{ name: "canary", nodes: [node] }, { name: "worker" }];
                    }),
                ),
                [],
                node,
            );
        }
    });
});

describe("rhcos-forge:rollout.pools[].kernelType 64k-pages only where the nodes can be aarch64", () => {
    const onCluster = (arch: string) =>
        patched(minimalStack, c => {
            c.image = { base: "cluster", repository: "quay.io/example-org/rhcos-forge", packages: ["htop"] };
            c.cluster = { openshiftVersion: "4.21" };
            c.rollout = {
                method: "machineosconfig",
                containerfileArch: arch,
                pools: [{ name: "worker", kernelType: "64k-pages" }],
            };
            c.registryAuth = TEST_SECRETS.registryAuth;
            c.kubeconfig = TEST_SECRETS.kubeconfig;
        });

    it("refuses 64k-pages with an on-cluster Containerfile for AMD64, naming the key and the architecture", () => {
        const problems = problemsOf(onCluster("AMD64"));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(
            problems[0],
            new RegExp(
                [
                    String.raw`^rhcos-forge:rollout\.pools\[0\]\.kernelType is 64k-pages, which the MCO installs only `,
                    String.raw`on aarch64 nodes, but rhcos-forge:rollout\.containerfileArch is AMD64;`,
                ].join(""),
            ),
        );
    });

    it("accepts it for ARM64 and NoArch", () => {
        for (const arch of ["ARM64", "NoArch"]) assert.deepEqual(parseProblems(onCluster(arch)), [], arch);
    });
});
