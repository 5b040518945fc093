// The embedded local stack under mocks: local commands (no SSH, no copies), GitOps rendering,
// and the same output contract as the cloud stack.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { crdRelease, validateAgainstCrd } from "../crds";
import { find, installMocks, registrations, valueOf, runProgram, type Program } from "../harness";
import { loadStackConfig } from "../stackFile";

installMocks();
pulumi.runtime.setAllConfig(loadStackConfig("local"), []);
let program: Program;

before(async () => {
    program = await runProgram();
});

it("runs every step as a local command from the repo's scripts", () => {
    assert.equal(registrations.filter(r => r.type.startsWith("command:remote")).length, 0);
    assert.equal(registrations.filter(r => r.type.startsWith("digitalocean")).length, 0);
    const build = find("command:local:Command", "image-build");
    assert.match(String(build.inputs.create), /bash components\/scripts\/build-image\.sh$/);
    assert.match(String(build.inputs.create), /RF_PODMAN_BUILD_ARGS='--isolation chroot --network host'/);
    assert.match(String(build.inputs.create), /RF_TLS_VERIFY=false/);
    const sync = find("command:local:Command", "mirror-sync");
    assert.match(
        String(sync.inputs.create),
        new RegExp(
            [
                String.raw`^env RF_ROOT=\/var\/tmp\/rhcos-forge-local bash components\/scripts\/put-files\.sh `,
                String.raw`\/var\/tmp\/rhcos-forge-local\/upstream && env `,
            ].join(""),
        ),
    );
    assert.match(String(sync.inputs.create), /RF_SERVE_MODE=background/);
    // Destroy (and a replacement) stops the server first; the new sync then starts it again.
    assert.equal(
        sync.inputs.delete,
        "env RF_ROOT=/var/tmp/rhcos-forge-local RF_SERVE_MODE=background bash components/scripts/mirror-stop.sh",
    );
    assert.equal(sync.deleteBeforeReplace, true);
    assert.deepEqual(find("command:local:Command", "build-ready").inputs.interpreter, ["/bin/bash", "-c"]);
});

it("renders YAML for GitOps instead of talking to a cluster", () => {
    const provider = find("pulumi:providers:kubernetes", "cluster-render");
    assert.equal(provider.inputs.renderYamlToDirectory, ".state/manifests");
    assert.equal(registrations.filter(r => r.type === "pulumi:providers:kubernetes").length, 1);
    for (const r of registrations.filter(
        r => r.type.startsWith("kubernetes:machineconfiguration.openshift.io/v1:") && !r.type.endsWith("Patch"),
    )) {
        for (const version of OPENSHIFT_VERSIONS) validateAgainstCrd(crdRelease(version), r.inputs);
    }
});

it("builds against the loopback mirror and keeps the output contract", async () => {
    assert.match(await valueOf(program.containerfile), /baseurl=http:\/\/127\.0\.0\.1:5180\/rhcos-forge-extras\//);
    assert.deepEqual(await valueOf(pulumi.output(program.buildHost)), { address: "127.0.0.1", provider: "local" });
    assert.equal((await valueOf(pulumi.output(program.mirror))).baseUrl, "http://127.0.0.1:5180");
});
