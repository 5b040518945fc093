// An ssh build host with buildHost.insecureAcceptAnyHostKey: there is no pin, so there is no host
// key check, and the connections carry no hostKey (the provider then accepts any key).
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { installMocks, registrations, runProgram, setSshStackConfig } from "../harness";

installMocks();
const DIGEST = "sha256:" + "d".repeat(64);
setSshStackConfig({ provider: "ssh", host: "build.example.com", insecureAcceptAnyHostKey: true }, {}, DIGEST);

before(() => runProgram());

it("has no host key check and pins no key", () => {
    assert.equal(registrations.filter(r => r.name.endsWith("host-key-check")).length, 0);
    const remote = registrations.filter(r => r.type.startsWith("command:remote:"));
    assert.ok(remote.length > 5);
    for (const r of remote) assert.equal((r.inputs.connection as Record<string, unknown>).hostKey, undefined, r.name);
});
