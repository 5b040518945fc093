// A bad stack fails before any resource is registered: the program throws the ConfigError and
// the engine is never asked to create anything.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError } from "../../../components/config/parse";
import { TEST_SECRETS, installMocks, registrations, settle } from "../harness";
import { loadStackConfig } from "../stackFile";

installMocks();
const cfg = loadStackConfig("dev", TEST_SECRETS);
const image = JSON.parse(cfg["rhcos-forge:image"]) as Record<string, unknown>;
cfg["rhcos-forge:image"] = JSON.stringify({ ...image, base: "quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.19" });
cfg["rhcos-forge:mirror"] = JSON.stringify({ ...JSON.parse(cfg["rhcos-forge:mirror"]), port: 0 });
pulumi.runtime.setAllConfig(cfg, Object.keys(TEST_SECRETS).map(k => `rhcos-forge:${k}`));

it("registers nothing and names every bad key", async () => {
    await assert.rejects(import("../../../index"), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
            "rhcos-forge:mirror.port must be a port number (1-65535), got 0",
            'rhcos-forge:image.base must be pinned by digest (…@sha256:<64 hex>) or be "cluster", got "quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.19"',
        ]);
        return true;
    });
    await settle();
    assert.equal(registrations.length, 0);
});
