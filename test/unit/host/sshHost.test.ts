// An existing build host over SSH under mocks: every step ships its own scripts (and the libraries
// they source) to <workDir>/scripts with one CopyToRemote before running them, readiness runs first from a directory
// outside workDir, and the private key stays secret in every connection.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { TEST_HOST_KEY } from "../configCases";
import * as harness from "../harness";

harness.installMocks();
const DIGEST = "sha256:" + "c".repeat(64);
harness.setSshStackConfig(
    {
        provider: "ssh",
        host: "build.example.com",
        port: 2222,
        user: "builder",
        workDir: "/srv/rhcos-forge",
        hostKey: `[build.example.com]:2222 ${TEST_HOST_KEY.split(" ").slice(1).join(" ")}`,
    },
    { buildAddress: "10.0.0.5" },
    DIGEST,
);

let program: harness.Program;

before(async () => {
    program = await harness.runProgram();
});

it("connects with the configured host, port and user, the key as a secret", () => {
    for (const r of harness.registrations.filter(x => x.type.startsWith("command:remote:"))) {
        const conn = r.raw.connection as Record<string, unknown>;
        const plain = r.inputs.connection as Record<string, unknown>;
        assert.ok(harness.isSecret(conn) || harness.isSecret(conn.privateKey), `${r.name}: private key is secret`);
        assert.equal(plain.host, "build.example.com");
        assert.equal(plain.port, 2222);
        assert.equal(plain.user, "builder");
        // The pinned line's key, in the authorized_keys form the provider parses.
        assert.equal(plain.hostKey, TEST_HOST_KEY.split(" ").slice(1).join(" "), `${r.name}: the host key is pinned`);
    }
    assert.ok(harness.registrations.filter(x => x.type.startsWith("command:remote:")).length > 5);
    assert.equal(harness.registrations.filter(r => r.type.startsWith("digitalocean")).length, 0);
});

it("ships each component's scripts (and libraries they source) once, before the step that runs them", async () => {
    assert.deepEqual(await harness.shippedScripts("build-ready-script"), {
        remoteDir: "/tmp/rhcos-forge-ready",
        files: ["host-ready.sh", "lib.sh"],
    });
    assert.deepEqual(await harness.shippedScripts("mirror-scripts"), {
        remoteDir: "/srv/rhcos-forge/scripts",
        files: ["lib-bundle.sh", "lib.sh", "mirror-server.py", "mirror-stop.sh", "put-files.sh", "repo-mirror.sh"],
    });
    assert.deepEqual(await harness.shippedScripts("image-scripts"), {
        remoteDir: "/srv/rhcos-forge/scripts",
        files: ["build-image.sh", "lib-bundle.sh", "lib-registry.sh", "lib-sbom.sh", "lib.sh"],
    });
    // One transfer per step: no step ships a file with a copy of its own.
    const copies = harness.registrations.filter(r => r.type === "command:remote:CopyToRemote");
    const steps = harness.registrations.filter(
        r => r.type === "command:remote:Command" && !r.name.endsWith("-description"),
    );
    assert.ok(copies.length <= steps.length, `${copies.length} copies for ${steps.length} steps`);

    const ready = harness.find("command:remote:Command", "build-ready");
    assert.equal(ready.inputs.create, "env RF_ROOT=/srv/rhcos-forge bash /tmp/rhcos-forge-ready/host-ready.sh");
    assert.ok(harness.dependsOnTransitively(ready, harness.find("command:remote:CopyToRemote", "build-ready-script")));
    const build = harness.find("command:remote:Command", "image-build");
    assert.match(String(build.inputs.create), / bash \/srv\/rhcos-forge\/scripts\/build-image\.sh$/);
    assert.ok(harness.dependsOnTransitively(build, harness.find("command:remote:CopyToRemote", "image-scripts")));
    assert.ok(
        harness.dependsOnTransitively(harness.find("command:remote:CopyToRemote", "image-scripts"), ready),
        "copies wait for readiness",
    );
});

it("builds against the mirror at the configured build address", async () => {
    assert.match(await harness.valueOf(program.containerfile), /baseurl=http:\/\/10\.0\.0\.5:5180\/epel-9\//);
    assert.deepEqual(await harness.valueOf(pulumi.output(program.buildHost)), {
        address: "build.example.com",
        provider: "ssh",
    });
    // Bound to the build address (mirror.bind unset), the mirror is reached there.
    assert.equal((await harness.valueOf(pulumi.output(program.mirror))).baseUrl, "http://10.0.0.5:5180");
});

it("marks stdout and stderr of every step secret (additionalSecretOutputs), and the results stay plain", async () => {
    const commands = harness.registrations.filter(
        r => r.type === "command:remote:Command" || r.type === "command:local:Command",
    );
    assert.ok(commands.length >= 3);
    for (const c of commands)
        for (const out of ["stdout", "stderr"])
            assert.ok(c.additionalSecretOutputs.includes(out), `${c.name}: ${out} is a secret output`);
    assert.match(await harness.valueOf(program.image.ref), /@sha256:[a-f0-9]{64}$/);
    assert.equal(await pulumi.isSecret(program.image.ref), false, "the image ref is not a secret");
});

it("sends no environment over SSH: no remote command has one; the description is a record running nothing", () => {
    // Upstream pulumi-command sends each `environment` entry with an SSH "env" request and fails
    // the command when sshd refuses it (provider/pkg/provider/remote/commandOutputs.go); a stock
    // sshd accepts only LANG and LC_*.
    const remote = harness.registrations.filter(r => r.type === "command:remote:Command");
    assert.ok(remote.length >= 3);
    for (const r of remote) assert.equal(r.inputs.environment, undefined, `${r.name} has an environment`);
    const build = harness.find("command:remote:Command", "image-build");
    const record = harness.find("command:local:Command", "image-build-description");
    for (const cmd of ["create", "update", "delete"])
        assert.equal(record.inputs[cmd], undefined, `the record has no ${cmd} command`);
    assert.equal(record.inputs.triggers, undefined, "nothing replaces the record");
    const env = record.inputs.environment as Record<string, string>;
    assert.deepEqual(Object.keys(env).sort(), [
        "RF_IMAGE_BASE",
        "RF_IMAGE_CONTAINERFILE",
        "RF_IMAGE_FILES",
        "RF_IMAGE_PACKAGES",
        "RF_IMAGE_UNITS",
    ]);
    assert.deepEqual(JSON.parse(env.RF_IMAGE_PACKAGES!), { install: ["htop"], remove: [], replace: [] });
    assert.ok(harness.dependsOnTransitively(record, build), "the record is written once the build succeeded");
    assert.ok(!harness.dependsOnTransitively(build, record));
    // Non-secret parameters reach the host in the command string (env NAME=value).
    assert.match(String(build.inputs.create), /^env RF_BASE_IMAGE=\S+ RF_BUILD_ID=rf-[a-f0-9]+ /);
});

it("checks the pinned host key from this machine before anything connects to the host", () => {
    const check = harness.find("command:local:Command", "build-host-key-check");
    const pinned = TEST_HOST_KEY.split(" ").slice(1).join(" ");
    assert.equal(
        check.inputs.create,
        `node --import tsx components/host/hostKeyCheck.ts build.example.com 2222 '${pinned}' 30 ` +
            `rhcos-forge:buildHost.hostKey`,
    );
    assert.equal(check.parent, harness.find("rhcos-forge:host:BuildHost", "build").urn);
    // Every remote resource waits for it: the first is the readiness script's copy.
    for (const r of harness.registrations.filter(x => x.type.startsWith("command:remote:")))
        assert.ok(harness.dependsOnTransitively(r, check), `${r.name} waits for the host key check`);
});
