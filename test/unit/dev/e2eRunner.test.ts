import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { e2eOrder, measuredSeconds } from "../../../dev/e2eRunner";
import { REPO_ROOT } from "../../../dev/proc";

const e2eFiles = (): string[] => readdirSync(join(REPO_ROOT, "test", "e2e")).filter(f => f.endsWith(".test.ts"));

describe("npm run test:e2e's order", () => {
    it("starts the longest files first and the unmeasured ones last, by name", () => {
        const order = e2eOrder(["yaml.test.ts", "new-b.test.ts", "clusterRollout.test.ts", "new-a.test.ts"]);
        assert.deepEqual(order, ["clusterRollout.test.ts", "yaml.test.ts", "new-a.test.ts", "new-b.test.ts"]);
    });

    it("has a measured time for every e2e file, so a new long file does not start last", () => {
        const files = e2eFiles();
        const unmeasured = files.filter(f => measuredSeconds(f) === undefined);
        assert.deepEqual(unmeasured, [], "add these to dev/e2eRunner.ts MEASURED_SECONDS");
        assert.equal(e2eOrder(files)[0], "clusterRollout.test.ts");
    });
});
