// A minimal read-only Kubernetes API client for the rollout wait: GET with the credentials of a
// kubeconfig (token, token file, client certificate, basic auth or an exec plugin such as
// `oc`/`aws eks get-token`). The Pulumi Kubernetes provider has no "read this object again later"
// call a program can poll, and @kubernetes/client-node is not a dependency, so this is the small
// subset the wait needs, plus `readPoolObservation`, which turns a pool name into what
// poolWait.ts evaluates.
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as yaml from "js-yaml";
import { MCO_API, mcoApiVersion } from "../openshift/names";
import { MachineOSConfigApi } from "../openshift/machineOsConfig";
import { Clock, Wake, realClock } from "./poll";
import {
    BuildObject,
    DegradedBaseline,
    LabelSelector,
    MachineOSConfigObject,
    PoolNode,
    PoolObject,
    PoolObservation,
    RenderedConfig,
    failingNodes,
} from "./poolWait";

export interface KubeReader {
    /** GETs an API path; undefined on 404. */
    get(path: string): Promise<unknown>;
    /**
     * Watches a collection path (with its field selector): calls `onEvent` for every event line
     * the API server streams, reconnecting (at most once a second) until `stop`. Optional: a
     * reader without it is polled at its interval only.
     */
    watch?(path: string, onEvent: () => void): { stop(): void };
    /**
     * Writes: only the health gates use it (components/fleet/healthGate.ts: the check Job, the
     * pool's revert). A merge patch for PATCH; undefined on 404.
     */
    send?(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<unknown>;
}

interface ExecConfig {
    command: string;
    args?: string[];
    env?: { name: string; value: string }[] | null;
}

/** Where to connect and how to authenticate, resolved from a kubeconfig and context. */
export interface Connection {
    readonly server: string;
    readonly ca?: string;
    readonly insecure: boolean;
    readonly tlsServerName?: string;
    readonly token?: string;
    readonly tokenFile?: string;
    readonly cert?: string;
    readonly key?: string;
    readonly basic?: { readonly username: string; readonly password: string };
    readonly exec?: ExecConfig;
}

interface NamedEntry<T> {
    name: string;
    [k: string]: unknown;
    cluster?: T;
    user?: T;
    context?: T;
}
interface KubeconfigDoc {
    "current-context"?: string;
    contexts?: NamedEntry<{ cluster: string; user: string }>[];
    clusters?: NamedEntry<Record<string, unknown>>[];
    users?: NamedEntry<Record<string, unknown>>[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const fromBase64 = (v: unknown): string | undefined =>
    str(v) === undefined ? undefined : Buffer.from(String(v), "base64").toString("utf8");
const fromFile = (v: unknown): string | undefined =>
    str(v) === undefined ? undefined : fs.readFileSync(String(v), "utf8");

/** Resolves the context's cluster and user; throws naming what is missing (never the secret). */
export function resolveConnection(kubeconfig: string, context?: string): Connection {
    const doc = yaml.load(kubeconfig) as KubeconfigDoc | undefined;
    if (doc === undefined || doc === null || typeof doc !== "object") throw new Error("kubeconfig is not a YAML map");
    const name = context ?? doc["current-context"];
    const ctx = doc.contexts?.find(c => c.name === name)?.context;
    if (ctx === undefined) throw new Error(`kubeconfig has no context ${JSON.stringify(name)}`);
    const cluster = doc.clusters?.find(c => c.name === ctx.cluster)?.cluster;
    if (cluster === undefined) throw new Error(`kubeconfig has no cluster ${JSON.stringify(ctx.cluster)}`);
    const user = doc.users?.find(u => u.name === ctx.user)?.user ?? {};
    const server = str(cluster.server);
    if (server === undefined) throw new Error(`kubeconfig cluster ${JSON.stringify(ctx.cluster)} has no server`);
    if (user["auth-provider"] !== undefined)
        throw new Error("kubeconfig auth-provider plugins are not supported; use a token or an exec plugin");
    const username = str(user.username);
    return {
        server: server.replace(/\/+$/, ""),
        ca: fromBase64(cluster["certificate-authority-data"]) ?? fromFile(cluster["certificate-authority"]),
        insecure: cluster["insecure-skip-tls-verify"] === true,
        tlsServerName: str(cluster["tls-server-name"]),
        token: str(user.token),
        tokenFile: str(user.tokenFile),
        cert: fromBase64(user["client-certificate-data"]) ?? fromFile(user["client-certificate"]),
        key: fromBase64(user["client-key-data"]) ?? fromFile(user["client-key"]),
        basic: username === undefined ? undefined : { username, password: str(user.password) ?? "" },
        exec: user.exec as ExecConfig | undefined,
    };
}

interface ExecCredential {
    status?: { token?: string; clientCertificateData?: string; clientKeyData?: string };
}

function runExec(exec: ExecConfig): Promise<ExecCredential> {
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map(e => [e.name, e.value])) };
    return new Promise((resolve, reject) => {
        execFile(exec.command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout) => {
            if (err) return reject(new Error(`kubeconfig exec plugin ${exec.command} failed: ${err.message}`));
            try {
                resolve(JSON.parse(stdout) as ExecCredential);
            } catch {
                reject(new Error(`kubeconfig exec plugin ${exec.command} did not print an ExecCredential`));
            }
        });
    });
}

/** One HTTP(S) request with its body sent whole; the status and the body read as text. */
export function sendHttp(
    url: URL,
    options: https.RequestOptions,
    what: string,
    data?: string,
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = (url.protocol === "http:" ? http : https).request(url, options, res => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${what} timed out`)));
        req.on("error", reject);
        req.end(data);
    });
}

export function kubeReader(conn: Connection): KubeReader {
    let execCredential: ExecCredential | undefined;
    type Method = "GET" | "POST" | "PATCH" | "DELETE";
    /** The URL and options of a request to `path` with the connection's current credentials. */
    const target = async (
        path: string,
        method: Method = "GET",
        hasBody = false,
    ): Promise<{ url: URL; options: https.RequestOptions }> => {
        if (conn.exec !== undefined && execCredential === undefined) execCredential = await runExec(conn.exec);
        const token =
            execCredential?.status?.token ??
            conn.token ??
            (conn.tokenFile === undefined ? undefined : fs.readFileSync(conn.tokenFile, "utf8").trim());
        const headers: Record<string, string> = { Accept: "application/json" };
        if (hasBody) headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json" : "application/json";
        if (token !== undefined) headers.Authorization = `Bearer ${token}`;
        else if (conn.basic !== undefined) {
            const { username, password } = conn.basic;
            headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
        }
        return {
            url: new URL(conn.server + path),
            options: {
                method,
                headers,
                ca: conn.ca,
                rejectUnauthorized: !conn.insecure,
                servername: conn.tlsServerName,
                cert: execCredential?.status?.clientCertificateData ?? conn.cert,
                key: execCredential?.status?.clientKeyData ?? conn.key,
            },
        };
    };
    const request = async (
        path: string,
        retryAuth: boolean,
        method: Method = "GET",
        payload?: unknown,
    ): Promise<unknown> => {
        const data = payload === undefined ? undefined : JSON.stringify(payload);
        const { url, options: base } = await target(path, method, data !== undefined);
        const options: https.RequestOptions = { ...base, timeout: 30_000 };
        const { status, body } = await sendHttp(url, options, `${method} ${path}`, data);
        if (status === 404) return undefined;
        // An exec plugin's token expires (often within the hour a rollout can take): get a new one once.
        if (status === 401 && conn.exec !== undefined && retryAuth) {
            execCredential = undefined;
            return request(path, false, method, payload);
        }
        if (status < 200 || status >= 300) throw new Error(`${method} ${path}: HTTP ${status} ${body.slice(0, 200)}`);
        return JSON.parse(body) as unknown;
    };
    // One long-lived `?watch=1` GET (the API server's watch: one JSON event per line, see
    // k8s.io/apiserver pkg/endpoints/handlers/watch.go), re-opened when the server ends it (its
    // timeout) or it fails; events are only a nudge to read again, so none is parsed.
    const watch = (path: string, onEvent: () => void): { stop(): void } => {
        let stopped = false;
        let current: http.ClientRequest | undefined;
        const open = async (): Promise<void> => {
            while (!stopped) {
                const opened = Date.now();
                try {
                    const { url, options } = await target(path + (path.includes("?") ? "&" : "?") + "watch=1");
                    await new Promise<void>(resolve => {
                        const req = (url.protocol === "http:" ? http : https).request(url, options, res => {
                            const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
                            // an expired exec token: a new one next time
                            if (res.statusCode === 401) execCredential = undefined;
                            res.on("data", (c: Buffer) => {
                                if (ok && c.includes(10)) onEvent();
                            });
                            res.on("end", resolve);
                            res.on("error", () => resolve());
                        });
                        current = req;
                        req.on("error", () => resolve());
                        req.end();
                    });
                } catch {
                    // an exec plugin that failed: try again below
                }
                current = undefined;
                const wait = 1_000 - (Date.now() - opened);
                if (!stopped && wait > 0) await new Promise(r => setTimeout(r, wait));
            }
        };
        void open();
        return {
            stop: () => {
                stopped = true;
                current?.destroy();
            },
        };
    };
    return { get: path => request(path, true), watch, send: (method, path, body) => request(path, true, method, body) };
}

/**
 * Wakes a pool's wait when the pool changes: a watch on the one MachineConfigPool (its status
 * moves with every node the controllers update), so the wait reads again at once rather than at
 * its next poll, and never more often than every `minMs`. Without a watch, the wake never fires.
 */
export function watchPool(api: KubeReader, pool: string, minMs = 500): { wake?: Wake; stop(): void } {
    if (api.watch === undefined) return { stop: () => undefined };
    const wake = new Wake(minMs);
    const w = api.watch(
        `/apis/${MCO_API}/machineconfigpools?fieldSelector=${encodeURIComponent(`metadata.name=${pool}`)}`,
        () => wake.notify(),
    );
    return { wake, stop: () => w.stop() };
}

/**
 * One observation of a pool: the pool, the rendered config its status points at and, on-cluster,
 * its MachineOSConfig (named after the pool) and the MachineOSBuilds of that MachineOSConfig.
 */
export async function readPoolObservation(
    api: KubeReader,
    pool: string,
    onCluster?: MachineOSConfigApi,
): Promise<PoolObservation> {
    const base = `/apis/${MCO_API}`;
    const mcp = (await api.get(`${base}/machineconfigpools/${encodeURIComponent(pool)}`)) as PoolObject | undefined;
    const renderedName = mcp?.status?.configuration?.name;
    const rendered =
        renderedName === undefined
            ? undefined
            : ((await api.get(`${base}/machineconfigs/${encodeURIComponent(renderedName)}`)) as
                  RenderedConfig | undefined);
    const desiredName = mcp?.spec?.configuration?.name;
    const desiredRendered =
        desiredName === undefined
            ? undefined
            : desiredName === renderedName
              ? rendered
              : ((await api.get(`${base}/machineconfigs/${encodeURIComponent(desiredName)}`)) as
                    RenderedConfig | undefined);
    const selector = mcp?.spec?.nodeSelector === undefined ? undefined : labelSelectorQuery(mcp.spec.nodeSelector);
    const nodes =
        selector === undefined
            ? undefined
            : ((
                  (await api.get(`/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`)) as
                      { items?: PoolNode[] } | undefined
              )?.items ?? []);
    const base1 = { pool: mcp, rendered, desiredRendered, ...(nodes === undefined ? {} : { nodes }) };
    if (onCluster === undefined) return base1;
    const moscBase = `/apis/${mcoApiVersion(onCluster)}`;
    const mosc = (await api.get(`${moscBase}/machineosconfigs/${encodeURIComponent(pool)}`)) as
        MachineOSConfigObject | undefined;
    const list = (await api.get(`${moscBase}/machineosbuilds`)) as { items?: BuildObject[] } | undefined;
    const builds = (list?.items ?? []).filter(b => b.spec?.machineOSConfig?.name === pool);
    return { ...base1, machineOSConfig: mosc, builds };
}

/**
 * The pool's nodes failing now (Degraded or Unreconcilable) and their reasons; none for a pool
 * that does not exist yet.
 */
export async function readFailingNodes(api: KubeReader, pool: string): Promise<DegradedBaseline> {
    return failingNodes({ nodes: await readPoolNodes<PoolNode>(api, pool) });
}

/** The nodes the pool's nodeSelector selects now; none for a pool that does not exist (yet). */
export async function readPoolNodes<N>(api: KubeReader, pool: string): Promise<N[]> {
    const mcp = (await api.get(`/apis/${MCO_API}/machineconfigpools/${encodeURIComponent(pool)}`)) as
        PoolObject | undefined;
    const selector = mcp?.spec?.nodeSelector === undefined ? undefined : labelSelectorQuery(mcp.spec.nodeSelector);
    if (selector === undefined) return [];
    return (
        ((await api.get(`/api/v1/nodes?labelSelector=${encodeURIComponent(selector)}`)) as { items?: N[] } | undefined)
            ?.items ?? []
    );
}

/**
 * A LabelSelector as the `labelSelector` query the API server takes (metav1.LabelSelectorAsSelector
 * semantics: matchLabels and every expression ANDed); undefined for a selector that selects
 * nothing it can express (an unknown operator).
 */
export function labelSelectorQuery(sel: LabelSelector): string | undefined {
    const parts: string[] = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const e of sel.matchExpressions ?? []) {
        const values = (e.values ?? []).join(",");
        if (e.operator === "In") parts.push(`${e.key} in (${values})`);
        else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
        else if (e.operator === "Exists") parts.push(e.key);
        else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
        else return undefined;
    }
    return parts.join(",");
}

/**
 * How rollout waits reach the cluster: a reader for a kubeconfig, how often to read, and the clock
 * the waits measure time with. index.ts passes `liveClusterAccess`; tests pass their own (a reader
 * replaying recorded statuses, a fast poll) as an argument, never by changing this module.
 */
export interface ClusterAccess {
    connect(kubeconfig: string, context?: string): KubeReader;
    /** Milliseconds between status reads. */
    readonly pollMs: number;
    readonly clock: Clock;
}

export const liveClusterAccess: ClusterAccess = {
    connect: (kubeconfig, context) => kubeReader(resolveConnection(kubeconfig, context)),
    pollMs: 15_000,
    clock: realClock,
};
