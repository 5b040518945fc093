// The wait's read-only API client: kubeconfig resolution (context, token, client cert, exec) and
// GETs against a loopback HTTP server standing in for the API server.
import assert from "node:assert/strict";
import * as http from "http";
import { AddressInfo } from "net";
import { after, before, describe, it } from "node:test";
import { kubeReader, readPoolObservation, resolveConnection } from "../../../components/rollout/kubeApi";

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
        const c = resolveConnection(kubeconfig("https://api.ocp.example.com:6443/", {
            "client-certificate-data": Buffer.from("CERT").toString("base64"), "client-key-data": Buffer.from("KEY").toString("base64"),
        }));
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
        assert.throws(() => resolveConnection(kubeconfig("https://api:6443", { token: "s3cr3t" }), "nope"), /^Error: kubeconfig has no context "nope"$/);
        assert.throws(() => resolveConnection("apiVersion: v1\nclusters: []\n"), /no context/);
        assert.throws(() => resolveConnection(kubeconfig("https://api:6443", { "auth-provider": { name: "oidc" } })), /auth-provider/);
    });
});

describe("kubeReader", () => {
    let server: http.Server;
    let url = "";
    const seen: { path: string; auth?: string }[] = [];
    before(async () => {
        server = http.createServer((req, res) => {
            seen.push({ path: req.url ?? "", auth: req.headers.authorization });
            if (req.headers.authorization !== "Bearer t0ken") { res.statusCode = 401; res.end("Unauthorized"); return; }
            const body: Record<string, unknown> = {
                "/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker": { metadata: { name: "worker" }, status: { configuration: { name: "rendered-worker-abc" } } },
                "/apis/machineconfiguration.openshift.io/v1/machineconfigs/rendered-worker-abc": { spec: { osImageURL: "quay.io/x@sha256:" + "1".repeat(64) } },
                "/apis/machineconfiguration.openshift.io/v1/machineosconfigs/worker": { status: { currentImagePullSpec: "quay.io/x@sha256:" + "2".repeat(64) } },
                "/apis/machineconfiguration.openshift.io/v1/machineosbuilds": { items: [{ spec: { machineOSConfig: { name: "worker" } } }, { spec: { machineOSConfig: { name: "infra" } } }] },
            };
            const hit = body[req.url ?? ""];
            if (hit === undefined) { res.statusCode = 404; res.end("{}"); return; }
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
        assert.equal(await kubeReader(resolveConnection(kubeconfig(url, { token: "t0ken" }))).get("/apis/none"), undefined);
        await assert.rejects(kubeReader(resolveConnection(kubeconfig(url, { token: "wrong" }))).get("/apis/none"), /HTTP 401/);
    });

    it("gets its token from an exec plugin", async () => {
        const exec = { command: process.execPath, args: ["-e", 'console.log(JSON.stringify({kind:"ExecCredential",status:{token:"t0ken"}}))'] };
        const reader = kubeReader(resolveConnection(kubeconfig(url, { exec })));
        assert.equal((await reader.get("/apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker") as { metadata: { name: string } }).metadata.name, "worker");
    });
});
