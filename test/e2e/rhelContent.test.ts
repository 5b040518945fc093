// RHEL content through the real engine on the local stack: the loopback HTTPS repo that requires a
// client certificate (dev/tlsRepo.ts) serves the fixture RPMs twice, once mirrored (fetch: mirror)
// and once reached by the build itself (fetch: build, the certificate as a podman build secret).
// The certificate and key are stack secrets (rhcos-forge:mirrorClientCerts); no line of the key
// is in any output or in `pulumi stack export`, and destroy removes what the stack made.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { leakedSecrets } from "../host/harness";
import { startClientCertRepo, type ClientCertRepo } from "../../dev/tlsRepo";
import { E2e, setUpE2e } from "./setup";

const STACK = "e2erhel";
let e2e: E2e;
let tls: ClientCertRepo;

before(async () => {
    e2e = await setUpE2e(STACK, {
        repos: async env => {
            tls = await startClientCertRepo(env, env.path("services", "upstream"));
            return [
                { id: "tls-mirrored", baseurl: tls.baseurl, gpgcheck: false, sslcacert: tls.ca },
                { id: "tls-direct", baseurl: tls.baseurl, gpgcheck: false, sslcacert: tls.ca, fetch: "build" },
            ];
        },
    });
    const cf = ["--stack", STACK, "--config-file", e2e.env.path(`Pulumi.${STACK}.yaml`)];
    for (const id of ["tls-mirrored", "tls-direct"]) {
        for (const [field, value] of [
            ["sslclientcert", tls.client.sslclientcert],
            ["sslclientkey", tls.client.sslclientkey],
        ] as const) {
            await e2e.stack.pulumi(
                ["config", "set", "--secret", "--path", `rhcos-forge:mirrorClientCerts.${id}.${field}`, ...cf],
                { input: value },
            );
        }
    }
});
after(async () => {
    await e2e?.env.teardown();
});

describe("RHEL content with the real engine", () => {
    it("mirrors the client-certificate repo; builds with the fetch: build repo's certificate as a secret", async () => {
        const up = await e2e.run(["up", "--yes", "--skip-preview"]);
        assert.equal(up.code, 0, up.stderr.slice(-3000));
        const rpms = readdirSync(join(e2e.workDir, "mirror", "tls-mirrored"))
            .filter(f => f.endsWith(".rpm"))
            .sort();
        assert.deepEqual(rpms, ["rf-extra-1.0-1.noarch.rpm", "rf-hello-1.0-1.noarch.rpm", "rf-lib-1.1-1.noarch.rpm"]);
        assert.equal(
            existsSync(join(e2e.workDir, "mirror", "tls-direct")),
            false,
            "a fetch: build repo is not mirrored",
        );
        const out = await e2e.outputs();
        assert.match(out.image.ref, /@sha256:[0-9a-f]{64}$/);
        assert.ok(!Object.keys(out.mirror.repos).includes("tls-direct"));
    });

    it("keeps every line of the key out of the state and of all output", async () => {
        const exported = (await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout;
        assert.ok(exported.includes("tls-mirrored"), "the export is the stack's");
        for (const line of tls.secretLines)
            assert.ok(!exported.includes(line), "a certificate or key line is in pulumi stack export");
        assert.deepEqual(leakedSecrets(), []);
    });

    it("destroys the stack", async () => {
        const res = await e2e.run(["destroy", "--yes", "--skip-preview"]);
        assert.equal(res.code, 0, res.stderr.slice(-3000));
    });
});
