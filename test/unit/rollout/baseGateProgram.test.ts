// The release gate in the program: a stack pinned to another base than the cluster's current
// baseOSContainerImage builds, but declares no MachineConfig, and the rollout fails saying why.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import { buildPipeline } from "../../../components/pipeline";
import { TEST_SECRETS, Program, installMocks, reads, registrations, setStackConfig, settle, valueOf } from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { loadStackConfig } from "../stackFile";

installMocks();
const cluster = installFakeCluster();
const cfg = loadStackConfig("dev", TEST_SECRETS);
const OTHER_BASE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "b".repeat(64);
cfg["rhcos-forge:image"] = JSON.stringify({ ...JSON.parse(cfg["rhcos-forge:image"]), base: OTHER_BASE });
setStackConfig(cfg);

const failures: unknown[] = [];
const onRejection = (e: unknown) => {
    failures.push(e);
};
let program: Program;

// The refused MachineConfigs never register: the runtime then reports their pending promises as
// leaks and sets a failing exit code, which is how a real `pulumi up` fails here. Once every test
// below has passed, that expected failure is not the test file's.
let passed = 0;
const TESTS = 2;

before(async () => {
    process.on("unhandledRejection", onRejection);
    program = buildPipeline(parseStackConfig(pulumi.runtime.allConfig()), { clusterAccess: cluster.access });
    // Registered after the program, so it runs after the runtime's own exit handler.
    process.on("exit", () => {
        if (passed === TESTS) process.exitCode = 0;
    });
    await valueOf(program.image.ref);
    for (let i = 0; i < 5; i++) await settle();
});

it("reads the cluster's base even though image.base is pinned", () => {
    assert.deepEqual(
        reads.map(r => r.id),
        ["openshift-machine-config-operator/machine-config-osimageurl"],
    );
    passed++;
});

it("builds on the pinned base but rolls nothing out", async () => {
    assert.equal(await valueOf(program.image.base), OTHER_BASE);
    assert.equal(registrations.filter(r => r.type.endsWith(":MachineConfig")).length, 0);
    // The engine reports it through the MachineConfig's inputs (Pulumi prefixes the property path).
    assert.ok(
        failures.length > 0 &&
            failures.every(
                e =>
                    e instanceof Error &&
                    e.name === "ReleaseGateError" &&
                    e.message.includes(
                        `refusing to roll out: image base ${OTHER_BASE} is not the cluster's current ` +
                            `baseOSContainerImage`,
                    ),
            ),
        `expected only ReleaseGateErrors, got ${failures.map(String).join("; ").slice(0, 500)}`,
    );
    passed++;
});
