// A bad stack fails before any resource is registered: the program throws the ConfigError and
// the engine is never asked to create anything.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, MAX_VALUES_PER_KEY } from "../../../components/config/parse";
import { minimalStack, parseProblems, patched } from "../configCases";
import { TEST_SECRETS, installMocks, registrations, setStackConfig, settle } from "../harness";
import { loadStackConfig } from "../stackFile";

installMocks();
const cfg = loadStackConfig("dev", TEST_SECRETS);
const image = JSON.parse(cfg["rhcos-forge:image"]) as Record<string, unknown>;
cfg["rhcos-forge:image"] = JSON.stringify({ ...image, base: "quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.19" });
cfg["rhcos-forge:mirror"] = JSON.stringify({ ...JSON.parse(cfg["rhcos-forge:mirror"]), port: 0 });
setStackConfig(cfg);

it("registers nothing and names every bad key", async () => {
    await assert.rejects(import("../../../index"), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
            "rhcos-forge:mirror.port must be a port number (1-65535), got 0",
            'rhcos-forge:image.base must be pinned by digest (…@sha256:<64 hex>) or be "cluster", got ' +
                '"quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.19"',
        ]);
        return true;
    });
    await settle();
    assert.equal(registrations.length, 0);
});

it("refuses a key holding more values than any stack needs, before the schema reports each one", () => {
    // Found by the config fuzz test (seed 1606892509): 1,140 steps of thousands of empty
    // kernelModules entries made millions of schema problems and exhausted the heap.
    const steps = Array.from({ length: 300 }, () => ({ kernelModules: Array.from({ length: 400 }, () => ({})) }));
    const problems = parseProblems(
        patched(minimalStack, c => {
            c.image.steps = steps;
        }),
    );
    assert.deepEqual(problems, [
        `rhcos-forge:image holds more than ${MAX_VALUES_PER_KEY} values (lists, maps and their entries); no ` +
            `stack needs that many, so check it for a generated or repeated list`,
    ]);
    // At the limit's order of magnitude below it, every entry's problem is still reported.
    const fewer = parseProblems(
        patched(minimalStack, c => {
            c.image.steps = steps.slice(0, 2);
        }),
    );
    assert.ok(fewer.length >= 800, String(fewer.length));
});
