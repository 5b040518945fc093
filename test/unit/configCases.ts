// Shared helpers of the config tests: stacks as plain objects, handed to parseStackConfig the way
// the engine hands config to the program, and a table runner for "this bad value gives exactly
// this message" cases.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ParsedStack } from "../../components/config/checked";
import { ConfigError, parseStackConfig } from "../../components/config/parse";

// Bad configs are, by design, shapes no type describes: cases edit an untyped JSON tree.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonTree = Record<string, any>;

export const DIGEST = "sha256:" + "a".repeat(64);

/** A build host's pinned key, as `ssh-keyscan build.example.com` prints it (a key made for the tests). */
export const TEST_HOST_KEY =
    "build.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIABkrmV+xb3Xc+mAuo5vwzjUi/bBVrVb0OkkneWNK+nJ";

/** The smallest valid stack: local build host, GitOps render, the worker pool. */
export const minimalStack = (): JsonTree => ({
    buildHost: { provider: "local" },
    image: {
        base: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${DIGEST}`,
        repository: "registry.example.com/org/rhcos",
    },
    cluster: { renderTo: "out/manifests" },
    rollout: { pools: [{ name: "worker" }] },
});

/** `key → value` as the engine passes config: `rhcos-forge:key`, structured values as JSON. */
export function asAllConfig(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [`rhcos-forge:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

/** The problems parseStackConfig reports for a stack; [] when it is accepted. */
export function parseProblems(values: Record<string, unknown>): string[] {
    try {
        parseStackConfig(asAllConfig(values));
        return [];
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems;
    }
}

/** Like parseProblems, but the stack must be rejected. */
export function problemsOf(values: Record<string, unknown>): string[] {
    const problems = parseProblems(values);
    assert.ok(problems.length > 0, "expected the config to be rejected");
    return problems;
}

/** A fresh copy of `base()` with `patch` applied. */
export function patched(base: () => JsonTree, patch: (c: JsonTree) => void): JsonTree {
    const c = base();
    patch(c);
    return c;
}

/** One test per case: the stack is rejected with exactly `expected` among its problems. */
export function rejectsEach(cases: readonly (readonly [string, JsonTree, string])[]): void {
    for (const [what, cfg, expected] of cases) {
        it(`rejects ${what}`, () => {
            const problems = problemsOf(cfg);
            assert.ok(problems.includes(expected), `expected:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`);
        });
    }
}

/** One of `problems` starts with `prefix`; the message lists them all when none does. */
export function assertProblem(problems: readonly string[], prefix: string): void {
    assert.ok(
        problems.some(p => p.startsWith(prefix)),
        problems.join("\n"),
    );
}

/** A fresh copy of `base()` with each dotted key (as in rhcos-forge:<key>) set to its value; undefined deletes it. */
export function withKeys(base: () => JsonTree, values: Record<string, unknown>): JsonTree {
    return patched(base, c => {
        for (const [key, value] of Object.entries(values)) {
            const path = key.split(".");
            const last = path.pop() as string;
            const parent = path.reduce((at: JsonTree, k) => at[k], c);
            if (value === undefined) delete parent[last];
            else parent[last] = value;
        }
    });
}

/** The example stack (Pulumi.dev.yaml, and the README's): a droplet builds the debug tools, canary before worker. */
export function assertExampleStack(cfg: ParsedStack): void {
    assert.equal(cfg.buildHost.provider, "digitalocean");
    assert.deepEqual(cfg.image.packages, ["htop", "tcpdump", "iperf3"]);
    assert.deepEqual(
        cfg.rollout.pools.map(p => p.name),
        ["canary", "worker"],
    );
}

/**
 * A 4.19 stack that builds openshift/os release-4.19 (ocp-rhel-9.6) with the coreos-assembler image `container`
 * on an ssh host, from a RHEL 9.6 BaseOS mirror; `image` adds image.* keys.
 */
export function sshCosaStack(container: string, artifacts: string[], image: JsonTree = {}): JsonTree {
    const config = "https://github.com/openshift/os.git";
    const cosa = { container, config, branch: "release-4.19", variant: "ocp-rhel-9.6", artifacts };
    return {
        buildHost: { provider: "ssh", host: "builder.example.com", hostKey: TEST_HOST_KEY },
        mirror: {
            serve: "background",
            repos: [{ id: "rhel-9.6-baseos", baseurl: "https://rpm.example.com/baseos/", gpgcheck: false }],
        },
        image: { base: "cluster", repository: "quay.io/example-org/rhcos", builder: "cosa", ...image, cosa },
        cluster: { openshiftVersion: "4.19" },
    };
}
