// `npm run demo`: the whole pipeline on this machine with the real Pulumi engine.
//
// Starts (or reuses) a loopback registry on 127.0.0.1:5000, an upstream RPM repo of fixture
// packages on 127.0.0.1:18080 and a stand-in base image (NOT RHCOS), logs in to a file backend
// under .state/, and runs `pulumi up --yes --stack local` with the local stack. The cluster is in
// GitOps render mode, so the MachineConfig / MachineConfigPool YAML lands in .state/manifests.
// `npm run demo -- --destroy` destroys the stack and stops the servers.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Env, REPO_ROOT } from "../test/host/harness";
import { startLocalServices, stopLocalServices } from "../dev/localServices";
import { engineEnv, openStack, writeLocalStackConfig } from "../dev/pulumiCli";

/** For this local demo only: a fixed passphrase and registry password, never for real stacks. */
const DEMO_PASSPHRASE = "rhcos-forge-local-demo";
const DEMO_REGISTRY_PASSWORD = "rhcos-forge-local-demo";

const STATE = join(REPO_ROOT, ".state");
const CONFIG_FILE = join(STATE, "Pulumi.local.yaml");
const MANIFESTS = ".state/manifests";

/** The stack outputs the report reads (the output contract of rollout.method machineconfig). */
interface DemoOutputs {
    image: {
        ref: string;
        base: string;
        packages?: { added: string[]; removed: string[]; changed: { name: string; from: string; to: string }[] };
    };
    containerfile: string;
    mirror: { baseUrl: string; repos: Record<string, string> };
    rollout: { method: string; pools: { name: string; machineConfig?: string }[] };
}

const indent = (text: string): string =>
    text
        .trimEnd()
        .split("\n")
        .map(l => `    ${l}`)
        .join("\n") + "\n";

/** What was built, from what, what changed in it, what the cluster gets, and how to undo it. */
function report(out: DemoOutputs, manifests: string): string {
    const lines: string[] = [];
    const section = (title: string) => lines.push("", `\x1b[1m== ${title}\x1b[0m`);
    section("built");
    lines.push(`  image  ${out.image.ref}`, `  base   ${out.image.base}  (the stand-in base, not RHCOS)`);
    lines.push(`  mirror ${out.mirror.baseUrl} (${Object.keys(out.mirror.repos).join(", ")})`);
    section("Containerfile");
    lines.push(indent(out.containerfile).trimEnd());
    section("packages against the base");
    const diff = out.image.packages ?? { added: [], removed: [], changed: [] };
    for (const p of diff.added) lines.push(`  + ${p}`);
    for (const p of diff.removed) lines.push(`  - ${p}`);
    for (const c of diff.changed) lines.push(`  ~ ${c.name} ${c.from} -> ${c.to}`);
    if (diff.added.length + diff.removed.length + diff.changed.length === 0) lines.push("  (no package changes)");
    section(`MachineConfigs (GitOps render mode: written to ${manifests}/, apply them with your GitOps tool)`);
    const dir = join(manifests, "1-manifest");
    for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
        const text = readFileSync(join(dir, file), "utf8");
        if (/kind: MachineConfig\b/.test(text)) lines.push(`  ${join(dir, file)}`, indent(text).trimEnd());
    }
    lines.push(
        `  pools: ${out.rollout.pools.map(p => `${p.name} (${p.machineConfig ?? "no MachineConfig"})`).join(", ")}`,
    );
    section("next");
    lines.push(
        "  npm run demo            again: a no-op, nothing is rebuilt",
        "  npm run demo:destroy    removes the MachineConfigs first (nodes would revert to base RHCOS), then " +
            "the rest, and stops the servers",
    );
    return lines.join("\n") + "\n";
}

function say(text: string): void {
    process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function main(): Promise<void> {
    const destroy = process.argv.includes("--destroy");
    say("Pulumi engine (built from Go modules on first use, then cached)");
    const env = await engineEnv();

    const services = join(STATE, "services");
    const hostEnv = new Env("rf-demo-");
    try {
        if (!destroy) say("loopback registry, upstream RPM repo, stand-in base image");
        const live =
            destroy && !existsSync(CONFIG_FILE)
                ? undefined
                : await startLocalServices(hostEnv, {
                      stateDir: services,
                      persistent: { registryPort: 5000, upstreamPort: 18080, password: DEMO_REGISTRY_PASSWORD },
                  });
        const stack = await openStack(STATE, "local", CONFIG_FILE, env, DEMO_PASSPHRASE);
        const cf = ["--stack", "local", "--config-file", CONFIG_FILE];
        if (destroy) {
            say("pulumi destroy: MachineConfigs first, then pools, then the build steps");
            if (live) await stack.pulumi(["destroy", "--yes", ...cf], { live: true });
            stopLocalServices(services);
            return;
        }
        if (!live) throw new Error("local services did not start");
        writeLocalStackConfig(CONFIG_FILE, {
            services: live,
            mirrorPort: 5180,
            workDir: "/var/tmp/rhcos-forge-local",
            renderTo: MANIFESTS,
        });
        await stack.pulumi(["config", "set", "--secret", "rhcos-forge:registryAuth", ...cf], { input: live.authJson });

        say("pulumi up --yes --stack local");
        await stack.pulumi(["up", "--yes", ...cf], { live: true });

        const outputs = JSON.parse(
            (await stack.pulumi(["stack", "output", "--json", "--stack", "local"])).stdout,
        ) as DemoOutputs;
        process.stdout.write(report(outputs, join(REPO_ROOT, MANIFESTS)));
    } finally {
        await hostEnv.teardown();
    }
}

main().catch(e => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
