// The wait's read-only API client: kubeconfig resolution (context, token, client cert, exec) and
// GETs against a loopback HTTP server standing in for the API server.
import assert from "node:assert/strict";
import * as http from "http";
import { AddressInfo } from "net";
import { after, before, describe, it } from "node:test";
import { kubeReader, readPoolObservation, resolveConnection, watchPool } from "../../../components/rollout/kubeApi";
import { Clock, Wake, pollUntil } from "../../../components/rollout/poll";

const kubeconfig = (server: string, user: Record<string, unknown>, extra = "") => `apiVersion: v1
kind: Config
current-context: admin
clusters:
  - name: ocp
    cluster: {server: "${server}", certificate-authority-data: ${Buffer.from("CA PEM").toString("base64")}}
contexts:
  - name: admin
    context: {cluster: ocp, user: admin}
  - name: other
    context: {cluster: ocp, user: robot}
users:
  - name: admin
    user: ${JSON.stringify(user)}
  - name: robot
    user: {token: robot-token}
${extra}`;

describe("resolveConnection", () => {
    it("uses the current context, the CA and a client certificate", () => {
        const c = resolveConnection(
            kubeconfig("https://api.ocp.example.com:6443/", {
                "client-certificate-data": Buffer.from("CERT").toString("base64"),
                "client-key-data": Buffer.from("KEY").toString("base64"),
            }),
        );
        assert.equal(c.server, "https://api.ocp.example.com:6443");
        assert.equal(c.ca, "CA PEM");
        assert.equal(c.cert, "CERT");
        assert.equal(c.key, "KEY");
        assert.equal(c.token, undefined);
    });

    it("follows an explicit context", () => {
        assert.equal(resolveConnection(kubeconfig("https://api:6443", {}), "other").token, "robot-token");
    });

    it("names what is missing, never a credential", () => {
        assert.throws(
            () => resolveConnection(kubeconfig("https://api:6443", { token: "s3cr3t" }), "nope"),
            /^Error: kubeconfig has no context "nope"$/,
        );
        assert.throws(() => resolveConnection("apiVersion: v1\nclusters: []\n"), /no context/);
        assert.throws(
            () => resolveConnection(kubeconfig("https://api:6443", { "auth-provider": { name: "oidc" } })),
            /auth-provider/,
        );
    });
});

describe("kubeReader", () => {
    let server: http.Server;
    let url = "";
    const seen: { path: string; auth?: string }[] = [];
    before(async () => {
        server = http.createServer((req, res) => {
            seen.push({ path: req.url ?? "", auth: req.headers.authorization });
            if (req.headers.authorization !== "Bearer t0ken") {
                res.statusCode = 401;
                res.end("Unauthorized");
                return;
            }
            const body: Record<string, unknown> = {
                "/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker": {
                    metadata: { name: "worker" },
                    status: { configuration: { name: "rendered-worker-abc" } },
                },
                "/apis/machineconfiguration.openshift.io/v1/machineconfigs/rendered-worker-abc": {
                    spec: { osImageURL: "quay.io/x@sha256:" + "1".repeat(64) },
                },
                "/apis/machineconfiguration.openshift.io/v1/machineosconfigs/worker": {
                    status: { currentImagePullSpec: "quay.io/x@sha256:" + "2".repeat(64) },
                },
                "/apis/machineconfiguration.openshift.io/v1/machineosbuilds": {
                    items: [
                        { spec: { machineOSConfig: { name: "worker" } } },
                        { spec: { machineOSConfig: { name: "infra" } } },
                    ],
                },
            };
            const hit = body[req.url ?? ""];
            if (hit === undefined) {
                res.statusCode = 404;
                res.end("{}");
                return;
            }
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify(hit));
        });
        await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("reads a pool, its rendered config and (on-cluster) its MachineOSConfig and builds", async () => {
        const reader = kubeReader(resolveConnection(kubeconfig(url, { token: "t0ken" })));
        const obs = await readPoolObservation(reader, "worker", "v1");
        assert.equal(obs.pool?.metadata?.name, "worker");
        assert.equal(obs.rendered?.spec?.osImageURL, "quay.io/x@sha256:" + "1".repeat(64));
        assert.equal(obs.machineOSConfig?.status?.currentImagePullSpec, "quay.io/x@sha256:" + "2".repeat(64));
        assert.equal(obs.builds?.length, 1, "only the pool's own builds");
        assert.ok(seen.every(s => s.auth === "Bearer t0ken"));
    });

    it("returns undefined for a 404 and throws with the status otherwise", async () => {
        assert.equal(
            await kubeReader(resolveConnection(kubeconfig(url, { token: "t0ken" }))).get("/apis/none"),
            undefined,
        );
        await assert.rejects(
            kubeReader(resolveConnection(kubeconfig(url, { token: "wrong" }))).get("/apis/none"),
            /HTTP 401/,
        );
    });

    it("gets its token from an exec plugin", async () => {
        const exec = {
            command: process.execPath,
            args: ["-e", 'console.log(JSON.stringify({kind:"ExecCredential",status:{token:"t0ken"}}))'],
        };
        const reader = kubeReader(resolveConnection(kubeconfig(url, { exec })));
        assert.equal(
            (
                (await reader.get("/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker")) as {
                    metadata: { name: string };
                }
            ).metadata.name,
            "worker",
        );
    });
});

describe("watchPool", () => {
    let server: http.Server;
    let url = "";
    const watches: string[] = [];
    before(async () => {
        server = http.createServer((req, res) => {
            watches.push(req.url ?? "");
            if (req.headers.authorization !== "Bearer t0ken") {
                res.statusCode = 401;
                res.end("Unauthorized");
                return;
            }
            // Two events, then the server ends the watch (as at its timeout).
            res.setHeader("Content-Type", "application/json");
            res.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "worker" } } })}\n`);
            setTimeout(
                () => res.end(`${JSON.stringify({ type: "MODIFIED", object: { metadata: { name: "worker" } } })}\n`),
                50,
            );
        });
        await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("watches the one pool, wakes on its events and re-opens the watch at most once a second", async () => {
        const changes = watchPool(kubeReader(resolveConnection(kubeconfig(url, { token: "t0ken" }))), "worker");
        assert.ok(changes.wake, "a reader that can watch gives a wake");
        const clock: Clock = { now: () => Date.now(), sleep: ms => new Promise(r => setTimeout(r, ms)) };
        const t0 = Date.now();
        await changes.wake.sleep(clock, 10_000);
        const woke = Date.now() - t0;
        await new Promise(r => setTimeout(r, 1_500));
        changes.stop();
        const opened = watches.length;
        // A re-open sent just before stop() may reach the server just after it: let it land, then
        // nothing more may come (the next re-open would be due within a second).
        await new Promise(r => setTimeout(r, 300));
        const landed = watches.length;
        await new Promise(r => setTimeout(r, 1_200));
        assert.ok(woke < 2_000, `woken by the watch after ${woke} ms, not at the 10 s interval`);
        assert.equal(
            watches[0],
            "/apis/machineconfiguration.openshift.io/v1/machineconfigpools?fieldSelector=metadata.na" +
                "me%3Dworker&watch=1",
        );
        assert.ok(opened >= 2 && landed <= 3, `re-opened at most once a second: ${opened}-${landed} watches in ~1.5 s`);
        assert.equal(watches.length, landed, "no watch after stop");
    });

    it("gives no wake for a reader that cannot watch", () => {
        assert.equal(watchPool({ get: async () => undefined }, "worker").wake, undefined);
    });
});

describe("Wake", () => {
    /** A clock that only moves when slept on. */
    const fakeClock = (): Clock & { t: number } => {
        const c = {
            t: 0,
            now: () => c.t,
            sleep: async (ms: number) => {
                c.t += ms;
            },
        };
        return c;
    };
    const opts = {
        timeoutMs: 60_000,
        pollMs: 15_000,
        heartbeatMs: 300_000,
        log: () => undefined,
        isFatal: () => false,
        readError: String,
        timedOut: (l: string) => new Error(l),
    };

    /** The fake times of `reads` reads of a wait woken (500 ms floor) by what `during` does in read n. */
    const readTimes = async (reads: number, during: (read: number, wake: Wake) => void): Promise<number[]> => {
        const clock = fakeClock();
        const wake = new Wake(500);
        const readsAt: number[] = [];
        await pollUntil(
            async () => {
                readsAt.push(clock.t);
                during(readsAt.length, wake);
                return readsAt.length === reads ? { done: true, line: "done" } : { waiting: "w" };
            },
            clock,
            { ...opts, wake },
        );
        return readsAt;
    };

    it("reads again within its floor of a change, and at the poll interval without one", async () => {
        // the pool changed while the second read ran
        assert.deepEqual(
            await readTimes(3, (n, wake) => {
                if (n === 2) wake.notify();
            }),
            [0, 15_000, 15_500],
        );
    });

    it("never reads more often than its floor, however many events come", async () => {
        assert.deepEqual(
            await readTimes(4, (_n, wake) => {
                for (let i = 0; i < 100; i++) wake.notify();
            }),
            [0, 500, 1_000, 1_500],
        );
    });
});
