// End to end with the real Pulumi engine (scripts/install-pulumi.sh): the local stack against
// loopback services, through preview, up, no-op, change, bad config, StackReference, destroy.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, leakedSecrets, run, tcpOpen } from "../host/harness";
import { E2e, PASSPHRASE, assertStateHoldsNoSecrets, mirrorPassword, plannedChanges, setUpE2e } from "./setup";

const STACK = "e2e";
let e2e: E2e;

before(async () => {
    e2e = await setUpE2e(STACK);
});
after(async () => {
    await e2e?.env.teardown();
});

describe("the local stack with the real engine", () => {
    let firstRef = "";

    it("1. up builds, pushes a digest skopeo confirms, and renders the MachineConfigs with it", async () => {
        await e2e.run(["up", "--yes"]);
        const out = await e2e.outputs();
        firstRef = out.image.ref;
        assert.match(firstRef, /^127\.0\.0\.1:\d+\/rhcos-forge\/node@sha256:[a-f0-9]{64}$/);
        assert.equal(await e2e.services.registry.skopeoDigest(firstRef), out.image.digest);
        assert.deepEqual(out.image.packages.added.sort(), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
        const mcs = e2e.renderedMachineConfigs();
        assert.deepEqual(Object.keys(mcs).length, 2, JSON.stringify(mcs));
        for (const url of Object.values(mcs)) assert.equal(url, firstRef);
        assert.equal(e2e.buildCount(), 1);
    });

    it("1b. the mirror is closed: an anonymous request is refused, the generated password is asked for", async () => {
        const out = await e2e.outputs();
        assert.equal(out.mirror.baseUrl, `http://127.0.0.1:${e2e.settings.mirrorPort}`);
        const url = `${out.mirror.repos.fixtures}repodata/repomd.xml`;
        assert.equal((await fetch(url)).status, 401, "anonymous");
        const password = mirrorPassword(e2e);
        assert.ok(password !== undefined && password.length >= 40, "the stack generated a password");
        const authorized = await fetch(url, {
            headers: { Authorization: `Basic ${Buffer.from(`rhcos-forge:${password}`).toString("base64")}` },
        });
        assert.equal(authorized.status, 200);
        assert.ok(!JSON.stringify(out).includes(password), "no stack output holds the password");
        assert.deepEqual(leakedSecrets(), [], "no output of the engine so far holds the password (or another secret)");
    });

    it("2. a no-op preview plans nothing and a second up builds nothing", async () => {
        const preview = await e2e.run(["preview", "--json"]);
        assert.deepEqual(plannedChanges(preview.stdout), []);
        await e2e.run(["up", "--yes"]);
        assert.equal(e2e.buildCount(), 1, "no remote build ran");
        assert.equal((await e2e.outputs()).image.ref, firstRef);
    });

    it("3. an added package changes only build and MachineConfigs; a rollout-only change builds nothing", async () => {
        e2e.configure({ image: { packages: ["rf-hello", "rf-extra"] } });
        const preview = await e2e.run(["preview", "--json"]);
        const changes = plannedChanges(preview.stdout);
        assert.ok(changes.length > 0);
        for (const c of changes) {
            // The build step is replaced (a new build) and its description record updated (it runs
            // nothing); a MachineConfig is updated in place, never replaced: deleting it, even
            // briefly, would send the pool back to base RHCOS.
            assert.match(
                c,
                new RegExp(
                    [
                        String.raw`^(replace command:local:Command::image-build|update `,
                        String.raw`command:local:Command::image-build-description|update `,
                        String.raw`kubernetes:machineconfiguration\.openshift\.io\/v1:MachineConfig::rollout-`,
                        String.raw`(canary|worker)-machineconfig)$`,
                    ].join(""),
                ),
                changes.join("\n"),
            );
        }
        assert.ok(
            changes.some(c => c.includes("image-build")),
            changes.join("\n"),
        );
        await e2e.run(["up", "--yes"]);
        const out = await e2e.outputs();
        assert.notEqual(out.image.ref, firstRef);
        assert.ok(out.image.packages.added.includes("rf-extra-1.0-1.noarch"));
        assert.equal(e2e.buildCount(), 2);
        for (const url of Object.values(e2e.renderedMachineConfigs())) assert.equal(url, out.image.ref);

        e2e.configure({
            image: { packages: ["rf-hello", "rf-extra"] },
            rollout: {
                pools: [
                    { name: "canary", maxUnavailable: 2 },
                    { name: "worker", maxUnavailable: "10%" },
                ],
            },
        });
        const rolloutOnly = plannedChanges((await e2e.run(["preview", "--json"])).stdout);
        assert.deepEqual(rolloutOnly, [
            "update kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPool::rollout-canary-pool",
        ]);
        await e2e.run(["up", "--yes"]);
        assert.equal(e2e.buildCount(), 2, "a rollout-only change builds nothing");
    });

    it("4. a bad config fails preview naming the key and leaves nothing in a new stack's state", async () => {
        const badConfig = join(e2e.env.dir, "Pulumi.bad.yaml");
        writeFileSync(
            badConfig,
            [
                "config:",
                "  rhcos-forge:buildHost: {provider: local}",
                "  rhcos-forge:image: {base: 'quay.io/x/rhcos:4.16', repository: 127.0.0.1:5000/rf/node}",
                "  rhcos-forge:cluster: {renderTo: out}",
                "  rhcos-forge:rollout: {pools: [{name: worker}]}",
                "",
            ].join("\n"),
        );
        await e2e.stack.pulumi(["stack", "init", "bad", "--secrets-provider", "passphrase"]);
        const res = await e2e.stack.pulumi(["preview", "--stack", "bad", "--config-file", badConfig], { check: false });
        assert.notEqual(res.code, 0);
        assert.match(
            res.stdout + res.stderr,
            new RegExp(
                [
                    String.raw`rhcos-forge:image\.base must be pinned by digest \(…@sha256:<64 hex>\)`,
                    String.raw` or be "cluster", got "quay\.io\/x\/rhcos:4\.16"`,
                ].join(""),
            ),
        );
        const exported = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", "bad"])).stdout) as {
            deployment: { resources?: unknown[] };
        };
        assert.equal((exported.deployment.resources ?? []).length, 0);
        await e2e.stack.pulumi(["stack", "rm", "--yes", "--stack", "bad"]);
        await e2e.stack.pulumi(["stack", "select", STACK]);
    });

    it("5. a second program reads image.ref through a StackReference", async () => {
        const dir = join(REPO_ROOT, "test", "e2e", "consumer");
        const env = {
            ...e2e.engine,
            PULUMI_BACKEND_URL: `file://${e2e.env.path("state", "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        };
        const cfg = join(e2e.env.dir, "Pulumi.consumer.yaml");
        const p = (args: string[]) =>
            run("pulumi", [...args, "--non-interactive"], { cwd: dir, env, timeoutMs: 10 * 60 * 1000 });
        await p(["stack", "init", "consumer", "--secrets-provider", "passphrase"]);
        await p([
            "config",
            "set",
            "source",
            `organization/rhcos-forge/${STACK}`,
            "--stack",
            "consumer",
            "--config-file",
            cfg,
        ]);
        await p(["up", "--yes", "--stack", "consumer", "--config-file", cfg]);
        const out = JSON.parse((await p(["stack", "output", "--json", "--stack", "consumer"])).stdout) as {
            imageRef: string;
            pinnedByDigest: boolean;
        };
        assert.equal(out.imageRef, (await e2e.outputs()).image.ref);
        assert.equal(out.pinnedByDigest, true);
        await p(["destroy", "--yes", "--stack", "consumer", "--config-file", cfg]);
        await p(["stack", "rm", "--yes", "--stack", "consumer"]);
    });

    it("6. destroy removes the rendered MachineConfigs, stops the mirror and empties the stack", async () => {
        // Before: the state of a built stack holds no secret in plain text (registry password, auth).
        assert.ok((await assertStateHoldsNoSecrets(e2e, STACK)) >= 3);
        assert.ok(await tcpOpen(e2e.settings.mirrorPort), "the mirror serves before destroy");
        await e2e.run(["destroy", "--yes"]);
        assert.equal(await tcpOpen(e2e.settings.mirrorPort), false, "destroy stopped the mirror's server");
        assert.deepEqual(e2e.renderedMachineConfigs(), {});
        assert.ok(
            !existsSync(join(e2e.manifests, "1-manifest")) || Object.keys(e2e.renderedMachineConfigs()).length === 0,
        );
        const exported = JSON.parse((await e2e.stack.pulumi(["stack", "export", "--stack", STACK])).stdout) as {
            deployment: { resources?: unknown[] };
        };
        assert.equal((exported.deployment.resources ?? []).length, 0);
    });
});
