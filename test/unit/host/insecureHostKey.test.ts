// An ssh build host with buildHost.insecureAcceptAnyHostKey: there is no pin, so there is no host
// key check, and the connections carry no hostKey (the provider then accepts any key).
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { TEST_SECRETS, installMocks, registrations, runProgram } from "../harness";

installMocks();
const DIGEST = "sha256:" + "d".repeat(64);
pulumi.runtime.setAllConfig({
    "rhcos-forge:buildHost": JSON.stringify({ provider: "ssh", host: "build.example.com", insecureAcceptAnyHostKey: true }),
    "rhcos-forge:mirror": JSON.stringify({ repos: [{ id: "epel-9", baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/", gpgcheck: false }] }),
    "rhcos-forge:image": JSON.stringify({ base: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${DIGEST}`, repository: "registry.example.com/ocp/rhcos-debug", packages: ["htop"] }),
    "rhcos-forge:cluster": JSON.stringify({ renderTo: "out/manifests" }),
    "rhcos-forge:rollout": JSON.stringify({ pools: [{ name: "worker" }] }),
    "rhcos-forge:sshPrivateKey": TEST_SECRETS.sshPrivateKey,
    "rhcos-forge:registryAuth": TEST_SECRETS.registryAuth,
}, ["rhcos-forge:sshPrivateKey", "rhcos-forge:registryAuth"]);

before(async () => { await runProgram(); });

it("has no host key check and pins no key", () => {
    assert.equal(registrations.filter(r => r.name.endsWith("host-key-check")).length, 0);
    const remote = registrations.filter(r => r.type.startsWith("command:remote:"));
    assert.ok(remote.length > 5);
    for (const r of remote) assert.equal((r.inputs.connection as Record<string, unknown>).hostKey, undefined, r.name);
});
