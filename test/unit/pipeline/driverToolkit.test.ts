// A driver-toolkit builder stage through the program, under mocks: the ImageStream
// openshift/driver-toolkit is read through the cluster access (never a resource of the stack), and
// the stage is built FROM its digest, with the kernelModules step in the image.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DRIVER_TOOLKIT_PATH } from "../../../components/image/driverToolkit";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

const DTK = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"d7".repeat(32)}`;

harness.installMocks();
const config = loadStackConfig("dev", harness.TEST_SECRETS);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
image.stages = [{ name: "kmod", base: "driver-toolkit", steps: [{ run: ["make -C /build/simple-kmod all"] }] }];
image.steps = [{ kernelModules: [{ name: "simple_kmod", stage: "kmod", path: "/build/simple-kmod/simple-kmod.ko" }] }];
config["rhcos-forge:image"] = JSON.stringify(image);
// Render mode: the cluster is read, nothing is waited for.
config["rhcos-forge:cluster"] = JSON.stringify({ openshiftVersion: "4.19", renderTo: "out/manifests" });
harness.setStackConfig(config);

const asked: string[] = [];
const imageStream = {
    kind: "ImageStream",
    spec: { tags: [{ name: "latest", from: { kind: "DockerImage", name: DTK } }] },
};
const access = harness.answeringAccess(DRIVER_TOOLKIT_PATH, () => imageStream, asked);

const ran = harness.runBefore({ access });

describe("a driver-toolkit stage through the program", () => {
    it("reads the ImageStream through the cluster access, as its own component, not a cluster resource", () => {
        assert.ok(asked.includes(DRIVER_TOOLKIT_PATH), asked.join(" "));
        assert.ok(
            harness.registrations.some(
                r => r.type === "rhcos-forge:image:DriverToolkitImage" && r.name === "driver-toolkit",
            ),
        );
        assert.equal(harness.registrations.filter(r => /ImageStream/.test(r.type)).length, 0);
    });

    it("builds the stage FROM the toolkit's digest and checks the module against the base's kernel-core", async () => {
        const cf = await harness.valueOf(ran.program.containerfile);
        assert.match(cf, new RegExp(`^FROM ${DTK.replace(/[.@]/g, "\\$&")} AS kmod$`, "m"));
        assert.ok(!cf.includes("driver-toolkit AS"), cf);
        assert.match(
            cf,
            /COPY --from=kmod \/build\/simple-kmod\/simple-kmod\.ko \/tmp\/rhcos-forge-kmods\/simple_kmod\.ko/,
        );
        assert.match(cf, /depmod -a "\$KVER"/);
    });

    it("shows the toolkit's digest in the build's preview description", () => {
        const record = harness.find("command:local:Command", "image-build-description");
        assert.ok(
            JSON.stringify(record.inputs.environment ?? {}).includes(DTK),
            JSON.stringify(record.inputs.environment),
        );
    });
});
