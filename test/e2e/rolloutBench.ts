// Rollout benchmark (not a test): against the e2e cluster (test/cluster: a real kube-apiserver and
// the MCO's real render, node and drain controllers of release-4.21, the simulator playing the
// daemons), how long after a pool reports Updated the next pool's MachineConfig is written, and
// how many requests the wait makes, with the pool watch (components/rollout/kubeApi.ts watchPool)
// and with the poll alone, for 1, 10 and 100 nodes in the pool. Prints figures only.
//
//   node --import tsx test/e2e/rolloutBench.ts [nodes,...]     (default 1,10,100)
//
// "Updated" is taken from a separate tight observer (the same evaluatePool verdict, read every
// 50 ms by the bench's own client, whose requests are not counted); "written" is when the API
// server answered the create of the next pool's MachineConfig, which the bench sends as soon as
// waitForPool resolves (in a stack the engine then registers it: its own step time comes on top).
import { Env, sleep } from "../../dev/proc";
import { kubeReader, readPoolObservation, resolveConnection, watchPool } from "../../components/rollout/kubeApi";
import { realClock } from "../../components/rollout/poll";
import { PoolTarget, evaluatePool, waitForPool } from "../../components/rollout/poolWait";
import { MCO_API, renderMachineConfig } from "../../components/openshift/machineConfig";
import { startTestCluster } from "../cluster/testCluster";

const POLL_MS = 15_000;
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

interface Figure {
    nodes: number;
    mode: string;
    latencyMs: number;
    waitMs: number;
    requests: number;
}

async function one(nodes: number): Promise<Figure[]> {
    const env = new Env("rf-rollout-bench-");
    try {
        const workers = Array.from({ length: nodes }, (_, i) => `worker-${i}`);
        const cluster = await startTestCluster(env, {
            release: "release-4.21",
            baseImage: `127.0.0.1:5000/fixtures/fake-rhcos@${digest(1)}`,
            machineOSApi: "v1",
            controllers: "upstream",
            workers,
        });
        try {
            const admin = cluster.api.client;
            // Every node at once: the bench measures the wait, not the node controller's pacing.
            await admin.patch(`/apis/${MCO_API}/machineconfigpools/worker`, "merge", {
                spec: { maxUnavailable: "100%" },
            });
            const reader = kubeReader(resolveConnection(cluster.api.kubeconfig));
            const out: Figure[] = [];
            let n = 2;
            for (const mode of ["watch", "poll"] as const) {
                const image = `127.0.0.1:5000/rhcos-forge/node@${digest(n++)}`;
                const mc = renderMachineConfig("worker", { osImageURL: image });
                const target: PoolTarget = {
                    pool: "worker",
                    machineConfig: mc.metadata.name,
                    settings: { osImageURL: image },
                };
                const existing = await admin.get(`/apis/${MCO_API}/machineconfigs/${mc.metadata.name}`);
                if (existing === undefined) await admin.create(`/apis/${MCO_API}/machineconfigs`, { ...mc });
                else
                    await admin.update(`/apis/${MCO_API}/machineconfigs/${mc.metadata.name}`, {
                        ...mc,
                        metadata: { ...mc.metadata, resourceVersion: existing.metadata.resourceVersion },
                    });
                // The observer: when the pool first reports Updated with our config.
                let updatedAt = 0;
                let observing = true;
                const observer = (async () => {
                    while (observing && updatedAt === 0) {
                        const v = evaluatePool(
                            await readPoolObservation({ get: path => admin.get(path) }, "worker"),
                            target,
                        );
                        if (v.state === "done") updatedAt = Date.now();
                        else await sleep(50);
                    }
                })();
                const mark = cluster.auditMark();
                const t0 = Date.now();
                const changes = mode === "watch" ? watchPool(reader, "worker") : { stop: () => undefined };
                try {
                    await waitForPool(target, () => readPoolObservation(reader, "worker"), realClock, {
                        timeoutMs: 20 * 60_000,
                        pollMs: POLL_MS,
                        log: () => undefined,
                        ...("wake" in changes ? { wake: changes.wake } : {}),
                    });
                } finally {
                    changes.stop();
                }
                // The next pool's MachineConfig (a pool with no nodes: nothing rolls out from it).
                const next = renderMachineConfig(`bench-${mode}`, { osImageURL: image });
                await admin.create(`/apis/${MCO_API}/machineconfigs`, { ...next });
                const writtenAt = Date.now();
                observing = false;
                await observer;
                const requests = cluster.foreign(mark).length;
                out.push({
                    nodes,
                    mode,
                    latencyMs: writtenAt - (updatedAt || writtenAt),
                    waitMs: writtenAt - t0,
                    requests,
                });
                await cluster.sim.settled();
            }
            return out;
        } finally {
            await cluster.stop();
        }
    } finally {
        await env.teardown();
    }
}

async function main(): Promise<void> {
    const sizes = (process.argv[2] ?? "1,10,100")
        .split(",")
        .map(Number)
        .filter(n => n > 0);
    process.stdout.write(
        [
            "rollout benchmark (e2e cluster: kube-apiserver + the MCO's render/node/drain controllers, " +
                "simulated daemons)",
            `  pool Updated -> next pool's MachineConfig written (goal <= 2.00s); the wait's requests (GETs ` +
                `and watches) per second (bounded: <= 2 reads/s on change, 1 per ${POLL_MS / 1000}s otherwise)`,
            "",
        ].join("\n"),
    );
    // Each size's figures as soon as they are measured: a 100-node cluster takes minutes to seed.
    for (const n of sizes) {
        for (const f of await one(n)) {
            process.stdout.write(
                `    ${String(f.nodes).padStart(3)} node${f.nodes > 1 ? "s" : " "} ${f.mode.padEnd(5)}  ` +
                    `latency ${(f.latencyMs / 1000).toFixed(2)}s  wait ${(f.waitMs / 1000).toFixed(1)}s  ` +
                    `${f.requests} requests (${(f.requests / (f.waitMs / 1000)).toFixed(2)}/s)\n`,
            );
        }
    }
}

main().catch(e => {
    process.stderr.write(`rollout bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
