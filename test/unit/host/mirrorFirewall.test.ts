// A droplet whose mirror is bound to loopback (builds on the host reach it at 127.0.0.1 with host
// networking): the firewall opens SSH only. The dev stack (mirror bound to the private address)
// keeps the mirror port open to allowedCidrs (test/unit/pipeline/program.test.ts).
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { TEST_SECRETS, find, installMocks, runProgram, setStackConfig } from "../harness";
import { loadStackConfig } from "../stackFile";

installMocks();
const config = loadStackConfig("dev", TEST_SECRETS);
const mirror = JSON.parse(config["rhcos-forge:mirror"]) as Record<string, unknown>;
config["rhcos-forge:mirror"] = JSON.stringify({ ...mirror, bind: "127.0.0.1", buildAddress: "127.0.0.1" });
setStackConfig(config);

before(() => runProgram());

it("opens no mirror port in the droplet firewall when the mirror listens on loopback only", () => {
    const fw = find("digitalocean:index/firewall:Firewall", "build-firewall").inputs as {
        inboundRules: { portRange: string }[];
    };
    assert.deepEqual(
        fw.inboundRules.map(r => r.portRange),
        ["22"],
    );
    const sync = String(find("command:remote:Command", "mirror-sync").inputs.create);
    assert.match(sync, /RF_MIRROR_BIND=127\.0\.0\.1 /);
});
