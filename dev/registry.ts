// The loopback docker-registry (htpasswd auth) the demo and the tests push to.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Env, addSecret, freePort, randomToken, run, waitFor } from "./proc";

export class Registry {
    constructor(
        readonly port: number,
        readonly user: string,
        readonly password: string,
    ) {}

    get host(): string {
        return `127.0.0.1:${this.port}`;
    }

    authJson(password = this.password): string {
        const auth = Buffer.from(`${this.user}:${password}`).toString("base64");
        return JSON.stringify({ auths: { [this.host]: { auth } } });
    }

    private headers(): Record<string, string> {
        return { Authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString("base64")}` };
    }

    /** tags of a repository via the registry HTTP API ([] when the repo does not exist) */
    async tags(name: string): Promise<string[]> {
        const r = await fetch(`http://${this.host}/v2/${name}/tags/list`, { headers: this.headers() });
        if (r.status === 404) return [];
        if (!r.ok) throw new Error(`tags/list ${name}: HTTP ${r.status}`);
        const body = (await r.json()) as { tags?: string[] | null };
        return body.tags ?? [];
    }

    async catalog(): Promise<string[]> {
        const r = await fetch(`http://${this.host}/v2/_catalog`, { headers: this.headers() });
        if (!r.ok) throw new Error(`_catalog: HTTP ${r.status}`);
        return ((await r.json()) as { repositories?: string[] }).repositories ?? [];
    }

    /** digest of a pushed image as the registry reports it (skopeo, like an outside client) */
    async skopeoDigest(ref: string): Promise<string> {
        const res = await run("skopeo", [
            "inspect",
            "--tls-verify=false",
            "--creds",
            `${this.user}:${this.password}`,
            "--format",
            "{{.Digest}}",
            `docker://${ref}`,
        ]);
        return res.stdout.trim();
    }

    /** The manifest of a pushed image byte for byte, as an outside client reads it (skopeo inspect --raw). */
    async rawManifest(ref: string): Promise<string> {
        const res = await run("skopeo", [
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            this.creds(),
            `docker://${ref}`,
        ]);
        return res.stdout;
    }

    /** Copies a pushed image into `dir` (skopeo's dir: layout, a file per blob) and returns its manifest. */
    async copyToDir(ref: string, dir: string): Promise<ImageManifest> {
        const from = `docker://${ref}`;
        await run("skopeo", [
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--src-creds",
            this.creds(),
            from,
            `dir:${dir}`,
        ]);
        return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ImageManifest;
    }

    private creds(): string {
        return `${this.user}:${this.password}`;
    }
}

/** The blobs an image manifest names (the config and the layers), by digest. */
export interface ImageManifest {
    readonly config: { readonly digest: string };
    readonly layers: readonly { readonly digest: string }[];
}

/**
 * Writes a docker-registry config serving 127.0.0.1:<port> from <dir>/data with htpasswd auth
 * (the password goes to htpasswd on stdin, never on a command line); returns its path.
 */
export async function writeRegistryConfig(
    dir: string,
    port: number,
    user: string,
    password: string,
    realm: string,
): Promise<string> {
    const htpasswd = join(dir, "htpasswd");
    await run("htpasswd", ["-B", "-i", "-c", htpasswd, user], { input: password });
    const config = join(dir, "config.yml");
    writeFileSync(
        config,
        [
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            `    rootdirectory: ${join(dir, "data")}`,
            "  delete:",
            "    enabled: true",
            "http:",
            `  addr: 127.0.0.1:${port}`,
            "auth:",
            "  htpasswd:",
            `    realm: ${realm}`,
            `    path: ${htpasswd}`,
            "",
        ].join("\n"),
    );
    return config;
}

export async function startRegistry(env: Env): Promise<Registry> {
    const d = env.mkdir("registry");
    const user = "rfpusher";
    const password = `regpw-${randomToken()}`;
    addSecret(password);
    const port = await freePort();
    const config = await writeRegistryConfig(d, port, user, password, "rhcos-forge-test");
    env.daemon("registry", "/usr/bin/docker-registry", ["serve", config]);
    await waitFor("registry", async () => {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`);
        return r.status === 401;
    });
    const reg = new Registry(port, user, password);
    // drop the images this run pulled/built for this registry from local
    // storage; images that also carry another name (the fixture cache tags
    // localhost/rhcos-forge-fixtures/...) are kept
    env.onTeardown(async () => {
        const res = await run("podman", ["images", "--format", "json"], { check: false });
        let images: Array<{ Id: string; Names?: string[] | null; RepoDigests?: string[] | null }> = [];
        try {
            images = JSON.parse(res.stdout || "[]");
        } catch {
            return;
        }
        const ours = (n: string) => n.startsWith(`${reg.host}/`);
        for (const img of images) {
            const names = [...(img.Names ?? []), ...(img.RepoDigests ?? [])];
            if (names.length === 0 || !names.some(ours)) continue;
            if ((img.Names ?? []).some(n => !ours(n))) continue;
            await run("podman", ["image", "unmount", "-f", img.Id], { check: false });
            await run("podman", ["rmi", "-f", img.Id], { check: false });
        }
    });
    return reg;
}
