// image.retention under mocks: the prune step runs after every pool's MachineConfig (it waits for
// the rollout), protects the rolled-out digest, and has no delete command (destroy keeps images).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

harness.installMocks();
const config = loadStackConfig("dev", harness.TEST_SECRETS);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
config["rhcos-forge:image"] = JSON.stringify({ ...image, retention: { enabled: true, keep: 3 } });
harness.setStackConfig(config);

const ran = harness.runBefore();

describe("image.retention", () => {
    it("prunes after the rollout, keeping the rolled-out digest, and never on destroy", async () => {
        const prune = harness.commandUnder("rhcos-forge:image:ImageRetention", "image-retention", "prune");
        const create = String(prune.inputs.create);
        assert.match(create, /prune-images\.sh/);
        assert.match(create, /RF_KEEP=3/);
        const digest = (await harness.valueOf(ran.program.image.ref)).split("@")[1];
        assert.match(create, new RegExp(`RF_PROTECT=${digest}`));
        assert.equal(prune.inputs.delete, undefined, "destroy keeps the images");
        assert.ok(harness.isSecret(prune.raw.stdin), "registry auth on secret stdin");
        const mcs = harness.registrations.filter(
            r => r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
        );
        assert.equal(mcs.length, 2);
        for (const mc of mcs) assert.ok(harness.dependsOnTransitively(prune, mc), `prune waits for ${mc.name}`);
        const cleanup = harness.find("command:remote:Command", "image-cleanup-registry");
        assert.match(
            String(cleanup.inputs.delete),
            /RF_MODE=list/,
            "without deleteOnDestroy the destroy-time cleanup only lists",
        );
        assert.doesNotMatch(String(cleanup.inputs.delete), /RF_MODE=destroy/);
    });
});
