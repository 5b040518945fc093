// rhcos-forge as a library (issue 23): the package `npm run build` makes is installed by another
// program (test/e2e/library, a `file:` dependency), which composes BuildHost, LayeredImage and
// OsImageRollout itself, without rhcos-forge's stack config, and runs through the real engine
// against the loopback registry and RPM repo.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Env, REPO_ROOT, leakedSecrets, run } from "../host/harness";
import { LocalServices, startLocalServices } from "../../dev/localServices";
import { engineEnv } from "../../dev/pulumiCli";
import { PASSPHRASE, ProgramCli, assertResourceTypes, itPlansNothingAgain } from "./setup";

const PROGRAM = join(REPO_ROOT, "test", "e2e", "library");
const STACK = "library";

let env: Env;
let services: LocalServices;
let renderTo = "";
let workDir = "";
const cli = new ProgramCli(PROGRAM, STACK);
const pulumi = (args: string[], opts: { input?: string } = {}): Promise<string> => cli.pulumi(args, opts);

/** The MachineConfigs the GitOps provider rendered: name → osImageURL. */
function renderedOsImageUrls(): Record<string, string> {
    const dir = join(renderTo, "1-manifest");
    const out: Record<string, string> = {};
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
        const m = /^kind: MachineConfig$[\s\S]*^\s+osImageURL: (\S+)$/m.exec(readFileSync(join(dir, f), "utf8"));
        if (m) out[f] = m[1];
    }
    return out;
}

before(async () => {
    env = new Env("rf-e2e-library-");
    cli.engine = {
        ...(await engineEnv()),
        PULUMI_BACKEND_URL: `file://${env.mkdir("backend")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    };
    services = await startLocalServices(env, { stateDir: env.path("services") });
    renderTo = env.path("manifests");
    workDir = env.mkdir("host");
    // What a user of the package does: build it, install it, compile against its declarations.
    await run("bash", [join(REPO_ROOT, "scripts", "build-package.sh")], { cwd: REPO_ROOT });
    rmSync(join(PROGRAM, "node_modules"), { recursive: true, force: true });
    await run("npm", ["install", "--no-audit", "--no-fund", "--offline", "--no-package-lock"], { cwd: PROGRAM });
    await run(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", join(PROGRAM, "tsconfig.json")], { cwd: PROGRAM });
    await pulumi(["stack", "init", "--secrets-provider", "passphrase"]);
    const set = (key: string, value: string) => pulumi(["config", "set", key, value]);
    await set("workDir", workDir);
    await set("base", services.baseRef);
    await set("repository", `${services.registry.host}/team/node`);
    await set("repoUrl", services.upstreamUrl);
    await set("renderTo", renderTo);
    await pulumi(["config", "set", "packages", JSON.stringify(["rf-hello"])]);
    await pulumi(["config", "set", "--secret", "registryAuth"], { input: services.authJson });
});

after(async () => {
    rmSync(join(PROGRAM, "node_modules"), { recursive: true, force: true });
    await env?.teardown();
});

describe("another program composes rhcos-forge's components from the installed package", () => {
    let ref = "";

    it("the package resolves to the compiled build (exports map), not the sources", async () => {
        const res = await run("node", ["-p", "require.resolve('rhcos-forge')"], { cwd: PROGRAM });
        assert.equal(res.stdout.trim(), join(REPO_ROOT, "dist", "components", "index.js"));
        assert.ok(existsSync(join(REPO_ROOT, "dist", "components", "index.d.ts")));
        assert.ok(
            existsSync(join(REPO_ROOT, "dist", "components", "scripts", "build-image.sh")),
            "host scripts ship beside the compiled components",
        );
    });

    it("up builds the image on the local host, pushes it by digest and renders its MachineConfig", async () => {
        await pulumi(["up", "--yes"]);
        const out = JSON.parse(await pulumi(["stack", "output", "--json"])) as {
            imageRef: string;
            added: string[];
            rolledPools: { name: string; machineConfig: string }[];
        };
        ref = out.imageRef;
        assert.match(ref, /^127\.0\.0\.1:\d+\/team\/node@sha256:[a-f0-9]{64}$/);
        assert.equal(await services.registry.skopeoDigest(ref), ref.split("@")[1]);
        // rf-hello and the library it requires, resolved from the repo by dnf.
        assert.deepEqual([...out.added].sort(), ["rf-hello-1.0-1.noarch", "rf-lib-1.1-1.noarch"]);
        assert.deepEqual(
            out.rolledPools.map(p => p.name),
            ["worker"],
        );
        assert.deepEqual(Object.values(renderedOsImageUrls()), [ref]);
        // Every resource sits under the components' type tokens.
        const types = [
            "rhcos-forge:host:BuildHost",
            "rhcos-forge:image:LayeredImage",
            "rhcos-forge:rollout:OsImageRollout",
        ];
        assertResourceTypes(await pulumi(["stack", "export"]), types);
    });

    itPlansNothingAgain(cli);

    it("the registry credentials never reach the output or the state", async () => {
        const exported = await pulumi(["stack", "export"]);
        const registry = services.registry;
        for (const s of [registry.password, Buffer.from(`${registry.user}:${registry.password}`).toString("base64")]) {
            assert.ok(!exported.includes(s), "registry secret in the exported state");
            assert.ok(!cli.output.includes(s), "registry secret in the engine's output");
        }
        // And none of the secrets this run handed out (dev/proc addSecret) in anything it ran.
        assert.deepEqual(leakedSecrets(), []);
    });

    it("destroy removes the rendered MachineConfig and empties the stack", async () => {
        await pulumi(["destroy", "--yes"]);
        assert.deepEqual(renderedOsImageUrls(), {});
        const exported = JSON.parse(await pulumi(["stack", "export"])) as { deployment: { resources?: unknown[] } };
        assert.equal((exported.deployment.resources ?? []).length, 0);
        assert.ok(ref !== "");
    });
});
