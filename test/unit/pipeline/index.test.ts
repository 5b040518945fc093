// index.ts itself, as the engine runs it (a preview, so no rollout wait reaches for the cluster):
// it parses the stack config and exports exactly the outputs the stack produces. The dev stack
// makes no release and no cosa build, so neither is exported (an undefined export would warn on
// every run and read as a broken output to a StackReference consumer).
import assert from "node:assert/strict";
import { it } from "node:test";
import { TEST_SECRETS, installMocks, setStackConfig, settle } from "../harness";
import { loadStackConfig } from "../stackFile";

installMocks({ preview: true });
setStackConfig(loadStackConfig("dev", TEST_SECRETS));

it("exports image, containerfile, mirror, buildHost and rollout, and nothing undefined", async () => {
    // index.ts assigns module.exports (`export =`); an ES import sees it as the default export.
    const program = ((await import("../../../index")) as unknown as { default: Record<string, unknown> }).default;
    await settle();
    assert.deepEqual(Object.keys(program).sort(), ["buildHost", "containerfile", "image", "mirror", "rollout"]);
    for (const [key, value] of Object.entries(program)) assert.notEqual(value, undefined, `output ${key} is undefined`);
});
