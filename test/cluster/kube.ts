// A small Kubernetes API client for the test cluster (test/cluster/apiServer.ts): JSON requests
// and watch streams over https with the fixture's CA and bearer token, nothing else. Production
// code reads the cluster through components/rollout's kubeApi; this client also writes, because
// the seed, the MCO simulator and the tests play the cluster's own controllers and its admins.
import assert from "node:assert/strict";
import * as https from "node:https";
import { sendHttp } from "../../components/rollout/kubeApi";

export interface ObjectMeta {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
        apiVersion: string;
        kind: string;
        name: string;
        uid: string;
        controller?: boolean;
        blockOwnerDeletion?: boolean;
    }[];
    managedFields?: { manager?: string; operation?: string; fieldsV1?: Record<string, unknown> }[];
    finalizers?: string[];
}

/** Any object: the fields every kind has, the rest left open for the caller to narrow. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata: ObjectMeta;
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    data?: Record<string, string>;
    [field: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
    metadata: { resourceVersion: string };
    items: T[];
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
    type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
    object: T;
}

export interface Response {
    status: number;
    body: string;
}

/** A failed request, with the API server's Status message (what `kubectl` would print). */
export class KubeError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        readonly body: string,
    ) {
        super(`${method} ${path}: HTTP ${status}: ${statusMessage(body)}`);
        this.name = "KubeError";
    }

    /** The Status object's message: for a refused object, the validation errors the server gives. */
    get reason(): string {
        return statusMessage(this.body);
    }
}

function statusMessage(body: string): string {
    try {
        const s = JSON.parse(body) as { message?: string };
        return s.message ?? body.slice(0, 500);
    } catch {
        return body.slice(0, 500);
    }
}

export type PatchType = "merge" | "json" | "apply" | "strategic";
const PATCH_TYPES: Record<PatchType, string> = {
    merge: "application/merge-patch+json",
    json: "application/json-patch+json",
    apply: "application/apply-patch+yaml",
    strategic: "application/strategic-merge-patch+json",
};

export interface Endpoint {
    /** https://127.0.0.1:<port> */
    readonly server: string;
    /** PEM of the CA that signed the server's certificate. */
    readonly ca: string;
    /** Bearer token; a secret. */
    readonly token: string;
}

export class KubeClient {
    private readonly agent: https.Agent;

    constructor(
        readonly endpoint: Endpoint,
        readonly fieldManager = "rf-test",
    ) {
        this.agent = new https.Agent({ ca: endpoint.ca, keepAlive: true, maxSockets: 16 });
    }

    /** The audit log's userAgent for this client's requests. */
    get userAgent(): string {
        return `rf-test/${this.fieldManager}`;
    }

    close(): void {
        this.agent.destroy();
    }

    request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Response> {
        const url = new URL(this.endpoint.server + path);
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return sendHttp(
            url,
            {
                method,
                agent: this.agent,
                headers: {
                    Accept: "application/json",
                    Authorization: `Bearer ${this.endpoint.token}`,
                    "User-Agent": this.userAgent,
                    ...(payload === undefined
                        ? {}
                        : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
                },
                timeout: 30_000,
            },
            `${method} ${path}`,
            payload,
        );
    }

    private async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
        const res = await this.request(method, path, body, contentType);
        if (res.status < 200 || res.status >= 300) throw new KubeError(method, path, res.status, res.body);
        return JSON.parse(res.body) as T;
    }

    /** GET; undefined on 404. */
    async get<T extends KubeObject = KubeObject>(path: string): Promise<T | undefined> {
        const res = await this.request("GET", path);
        if (res.status === 404) return undefined;
        if (res.status < 200 || res.status >= 300) throw new KubeError("GET", path, res.status, res.body);
        return JSON.parse(res.body) as T;
    }

    async mustGet<T extends KubeObject = KubeObject>(path: string): Promise<T> {
        const obj = await this.get<T>(path);
        if (obj === undefined) throw new Error(`GET ${path}: not found`);
        return obj;
    }

    list<T extends KubeObject = KubeObject>(path: string): Promise<KubeList<T>> {
        return this.json<KubeList<T>>("GET", path);
    }

    create<T extends KubeObject = KubeObject>(collection: string, obj: KubeObject): Promise<T> {
        return this.json<T>("POST", `${collection}?fieldManager=${encodeURIComponent(this.fieldManager)}`, obj);
    }

    /** PUT (a full update, conflicting when the resourceVersion is stale). */
    update<T extends KubeObject = KubeObject>(path: string, obj: KubeObject): Promise<T> {
        return this.json<T>("PUT", `${path}?fieldManager=${encodeURIComponent(this.fieldManager)}`, obj);
    }

    patch<T extends KubeObject = KubeObject>(
        path: string,
        type: PatchType,
        body: unknown,
        opts: { force?: boolean; fieldManager?: string } = {},
    ): Promise<T> {
        const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? this.fieldManager });
        if (opts.force) q.set("force", "true");
        return this.json<T>("PATCH", `${path}?${q.toString()}`, body, PATCH_TYPES[type]);
    }

    /** DELETE; false when it was not there. */
    async delete(path: string): Promise<boolean> {
        const res = await this.request("DELETE", path);
        if (res.status === 404) return false;
        if (res.status < 200 || res.status >= 300) throw new KubeError("DELETE", path, res.status, res.body);
        return true;
    }

    /**
     * Watches a collection from `resourceVersion` (a list's), calling `onEvent` for each event in
     * the order the server sends them. Resolves `done` when the stream ends (the server closes
     * watches after a while; callers re-list and watch again).
     */
    watch<T extends KubeObject = KubeObject>(
        path: string,
        resourceVersion: string,
        onEvent: (e: WatchEvent<T>) => void,
    ): { stop(): void; done: Promise<void> } {
        const q = new URLSearchParams({ watch: "1", resourceVersion, allowWatchBookmarks: "true" });
        const url = new URL(`${this.endpoint.server}${path}?${q.toString()}`);
        let req: ReturnType<typeof https.request> | undefined;
        const done = new Promise<void>(resolve => {
            req = https.request(
                url,
                {
                    method: "GET",
                    agent: this.agent,
                    headers: {
                        Accept: "application/json",
                        Authorization: `Bearer ${this.endpoint.token}`,
                        "User-Agent": this.userAgent,
                    },
                },
                res => {
                    if (res.statusCode !== 200) {
                        res.resume();
                        res.on("end", () => resolve());
                        return;
                    }
                    let buffer = "";
                    res.setEncoding("utf8");
                    res.on("data", (chunk: string) => {
                        buffer += chunk;
                        let nl: number;
                        while ((nl = buffer.indexOf("\n")) >= 0) {
                            const line = buffer.slice(0, nl).trim();
                            buffer = buffer.slice(nl + 1);
                            if (line !== "") onEvent(JSON.parse(line) as WatchEvent<T>);
                        }
                    });
                    res.on("end", () => resolve());
                    res.on("error", () => resolve());
                    res.on("aborted", () => resolve());
                },
            );
            req.on("error", () => resolve());
            req.end();
        });
        return { stop: () => req?.destroy(), done };
    }
}

/** Asserts every Node is on the config it was given (currentConfig = desiredConfig) and Done. */
export async function assertNodesDone(client: KubeClient): Promise<void> {
    for (const n of (await client.list<KubeObject>("/api/v1/nodes")).items) {
        const a = n.metadata.annotations ?? {};
        const at = (key: string): string | undefined => a[`machineconfiguration.openshift.io/${key}`];
        assert.equal(at("currentConfig"), at("desiredConfig"), `${n.metadata.name} is not mid-update`);
        assert.equal(at("state"), "Done", `${n.metadata.name} is Done`);
    }
}
