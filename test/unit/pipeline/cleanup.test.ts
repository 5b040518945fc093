// image.retention.deleteOnDestroy under mocks: the cleanup step's delete deletes this host's
// pushed images (prune-images.sh RF_MODE destroy) and runs only after the MachineConfigs are gone
// (they depend on it); it is never replaced (no triggers), so only a destroy runs its delete.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

harness.installMocks();
const config = loadStackConfig("dev", harness.TEST_SECRETS);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
config["rhcos-forge:image"] = JSON.stringify({ ...image, retention: { deleteOnDestroy: true } });
harness.setStackConfig(config);

before(() => harness.runProgram());

describe("image.retention.deleteOnDestroy", () => {
    it("deletes this host's pushed images on destroy, after the MachineConfigs, and never on a replacement", () => {
        const cleanup = harness.commandUnder("rhcos-forge:image:RegistryCleanup", "image-cleanup", "registry");
        assert.match(String(cleanup.inputs.create), /prune-images\.sh/);
        assert.match(String(cleanup.inputs.create), /RF_MODE=list/);
        assert.match(String(cleanup.inputs.delete), /prune-images\.sh/);
        assert.match(String(cleanup.inputs.delete), /RF_MODE=destroy/);
        assert.deepEqual(cleanup.inputs.triggers ?? [], [], "no trigger: a script change updates it in place");
        assert.ok(harness.isSecret(cleanup.raw.stdin), "registry auth on secret stdin");
        const mcs = harness.registrations.filter(
            r => r.type === "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
        );
        assert.equal(mcs.length, 2);
        for (const mc of mcs)
            assert.ok(harness.dependsOnTransitively(mc, cleanup), `${mc.name} goes before the cleanup on destroy`);
        assert.equal(
            harness.registrations.some(r => r.type === "rhcos-forge:image:ImageRetention"),
            false,
            "retention itself stays off",
        );
    });
});
