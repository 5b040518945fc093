// The fleet of docs/fleet.md end to end, with the real engine and two real API servers (one per
// cluster, test/cluster/, the MCO's real render, node and drain controllers): an image stack
// builds on the local host; the staging cluster stack takes its image; the prod cluster stack
// takes what staging FINISHED. Prod plans nothing while staging has not finished (a paused
// canary), and gets staging's digest once staging's pools are done. Asserts on what each API
// server stored and on the stacks' outputs, never on timings.
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { Stack, openStack } from "../../dev/pulumiCli";
import { KubeObject } from "../cluster/kube";
import { MCO_API } from "../cluster/seed";
import { TestCluster, startTestCluster } from "../cluster/testCluster";
import { E2e, PASSPHRASE, assertStateHoldsNoSecrets, setUpE2e, ROLLOUT_TIMEOUT_MINUTES } from "./setup";

const IMAGE = "e2e-fleet-image";
const ORG = "organization/rhcos-forge";
const MC = (pool: string): string => `/apis/${MCO_API}/machineconfigs/99-${pool}-rhcos-forge-os-image`;
interface Mc extends KubeObject {
    spec?: { osImageURL?: string };
}
interface ClusterOutputs {
    image: { ref: string };
    source: { state: string };
    rollout: { finished?: { ref: string; digest: string; base: string } };
}

let e2e: E2e;
const clusters: Record<string, TestCluster> = {};
const stacks: Record<string, Stack> = {};

/** A cluster stack's config file: image.from and the pools only, the image stack's cluster section (no renderTo). */
function writeClusterStack(name: string, from: Record<string, unknown>, canaryPaused: boolean): string {
    const imageDoc = yaml.load(readFileSync(e2e.stack.configFile, "utf8")) as {
        config: Record<string, Record<string, unknown>>;
    };
    const cluster = { ...imageDoc.config["rhcos-forge:cluster"] };
    delete cluster.renderTo;
    const file = e2e.env.path(`Pulumi.${name}.yaml`);
    const prior = (() => {
        try {
            return yaml.load(readFileSync(file, "utf8")) as {
                encryptionsalt?: string;
                config?: Record<string, unknown>;
            };
        } catch {
            return {};
        }
    })();
    const config = {
        ...(prior.config ?? {}),
        "rhcos-forge:image": { from },
        "rhcos-forge:cluster": cluster,
        "rhcos-forge:rollout": {
            pools: [
                { name: "canary", nodes: ["worker-0"], paused: canaryPaused },
                { name: "worker", maxUnavailable: "50%" },
            ],
            timeoutMinutes: ROLLOUT_TIMEOUT_MINUTES,
        },
    };
    writeFileSync(
        file,
        yaml.dump(
            { ...(prior.encryptionsalt === undefined ? {} : { encryptionsalt: prior.encryptionsalt }), config },
            { lineWidth: 120 },
        ),
    );
    return file;
}

async function clusterStack(name: string): Promise<Stack> {
    const stack = await openStack(
        e2e.env.path("state"),
        name,
        e2e.env.path(`Pulumi.${name}.yaml`),
        e2e.engine,
        PASSPHRASE,
    );
    await stack.setSecret("rhcos-forge:kubeconfig", clusters[name].api.kubeconfig);
    return stack;
}

async function up(stack: Stack): Promise<string> {
    const res = await stack.pulumi([
        "up",
        "--yes",
        "--skip-preview",
        "--stack",
        stack.name,
        "--config-file",
        stack.configFile,
    ]);
    return res.stdout + res.stderr;
}

async function outputs(stack: Stack): Promise<ClusterOutputs> {
    const res = await stack.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack.name]);
    return JSON.parse(res.stdout) as ClusterOutputs;
}

before(async () => {
    e2e = await setUpE2e(IMAGE);
    for (const name of ["e2e-fleet-staging", "e2e-fleet-prod"]) {
        clusters[name] = await startTestCluster(e2e.env, {
            release: "release-4.21",
            baseImage: e2e.services.baseRef,
            machineOSApi: "v1",
            controllers: "upstream",
            name,
        });
    }
});
after(async () => {
    for (const c of Object.values(clusters)) await c.stop();
    await e2e?.env.teardown();
});

describe("one image stack, two cluster stacks, ring after ring", () => {
    let built = "";

    it("the image stack builds and exports the image contract", async () => {
        await e2e.run(["up", "--yes", "--skip-preview"]);
        const out = await e2e.outputs();
        assert.match(out.image.ref, /@sha256:[0-9a-f]{64}$/);
        assert.equal(out.image.base, e2e.services.baseRef);
        built = out.image.ref;
    });

    it("staging, canary paused, rolls the image stack's digest without a build host, finishing nothing", async () => {
        writeClusterStack("e2e-fleet-staging", { stack: `${ORG}/${IMAGE}`, take: "image" }, true);
        stacks.staging = await clusterStack("e2e-fleet-staging");
        const buildsBefore = e2e.buildCount();
        await up(stacks.staging);
        const api = clusters["e2e-fleet-staging"].api.client;
        for (const pool of ["canary", "worker"])
            assert.equal((await api.mustGet<Mc>(MC(pool))).spec?.osImageURL, built, `${pool} MachineConfig`);
        assert.equal(e2e.buildCount(), buildsBefore, "a cluster stack builds nothing");
        assert.equal(
            (await outputs(stacks.staging)).rollout.finished,
            undefined,
            "nothing finished while the canary is paused",
        );
    });

    it("prod refuses a digest staging has not finished: it plans nothing and says why", async () => {
        writeClusterStack("e2e-fleet-prod", { stack: `${ORG}/e2e-fleet-staging` }, false);
        stacks.prod = await clusterStack("e2e-fleet-prod");
        const said = await up(stacks.prod);
        assert.match(said, /e2e-fleet-staging has not finished rolling out an image/);
        const api = clusters["e2e-fleet-prod"].api.client;
        for (const pool of ["canary", "worker"])
            assert.equal(await api.get(MC(pool)), undefined, `no ${pool} MachineConfig on prod`);
        assert.equal((await outputs(stacks.prod)).source.state, "unfinished");
    });

    it("once staging's pools are done it exports rollout.finished, and prod rolls exactly that digest", async () => {
        writeClusterStack("e2e-fleet-staging", { stack: `${ORG}/${IMAGE}`, take: "image" }, false);
        await up(stacks.staging);
        const finished = (await outputs(stacks.staging)).rollout.finished;
        assert.equal(finished?.ref, built);
        await up(stacks.prod);
        const api = clusters["e2e-fleet-prod"].api.client;
        for (const pool of ["canary", "worker"])
            assert.equal((await api.mustGet<Mc>(MC(pool))).spec?.osImageURL, built, `prod ${pool} MachineConfig`);
        assert.equal((await outputs(stacks.prod)).rollout.finished?.ref, built);
        for (const [name, c] of Object.entries(clusters))
            assert.ok((await assertStateHoldsNoSecrets(e2e, name, [c.api.kubeconfig])) >= 1);
    });
});
