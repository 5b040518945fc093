// mirror.refresh under mocks: a new token syncs the mirror again and rebuilds with unchanged repos
// and package set, and the build receives the new revision (RF_MIRROR_REVISION, which keys the
// layers of the RUNs that read the mirror: image/containerfile.ts MIRROR_REVISION_ARG).
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config/parse";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

harness.installMocks();

interface Run {
    /** The sync's first trigger: the mirror's revision. */
    readonly revision: string;
    /** The build's first trigger: its build id. */
    readonly buildId: string;
    readonly buildCommand: string;
}

/** The dev stack's config with `mirror.refresh` set to `refresh` (left out when undefined). */
function withRefresh(refresh: string | undefined): Record<string, string> {
    const config = loadStackConfig("dev", harness.TEST_SECRETS);
    const mirror = JSON.parse(config["rhcos-forge:mirror"]) as Record<string, unknown>;
    config["rhcos-forge:mirror"] = JSON.stringify(refresh === undefined ? mirror : { ...mirror, refresh });
    return config;
}

/** The dev stack with `mirror.refresh` set to `refresh`, run once. */
async function runWith(refresh: string | undefined): Promise<Run> {
    harness.setStackConfig(withRefresh(refresh));
    harness.registrations.length = 0;
    await harness.runProgram();
    const sync = harness.find("command:remote:Command", "mirror-sync");
    const build = harness.find("command:remote:Command", "image-build");
    const first = (r: harness.Registration): string => String((r.inputs.triggers as unknown[])[0]);
    return { revision: first(sync), buildId: first(build), buildCommand: String(build.inputs.create) };
}

it("a new mirror.refresh syncs and rebuilds, and the build is given the new revision", async () => {
    const none = await runWith(undefined);
    const a = await runWith("2026-12-07");
    const again = await runWith("2026-12-07");
    const b = await runWith("errata-42");
    assert.deepEqual(again, a, "the same token changes nothing");
    assert.equal(new Set([none.revision, a.revision, b.revision]).size, 3, "each token is a new revision");
    assert.equal(new Set([none.buildId, a.buildId, b.buildId]).size, 3, "each revision is a new build");
    for (const run of [none, a, b]) {
        assert.match(run.revision, /^[0-9a-f]{64}$/);
        assert.match(run.buildCommand, new RegExp(`RF_MIRROR_REVISION=${run.revision}\\b`));
    }
});

it("refuses a refresh token that is not a short plain word, naming the key", () => {
    for (const bad of ["", "two words", "$(date)", "x".repeat(65)]) {
        assert.throws(
            () => parseStackConfig(withRefresh(bad)),
            (e: unknown) =>
                e instanceof ConfigError &&
                e.problems.length === 1 &&
                e.problems[0].startsWith("rhcos-forge:mirror.refresh must be a short token"),
            JSON.stringify(bad),
        );
    }
});
