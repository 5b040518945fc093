// RepoMirror: upstream RPM repos mirrored on the build host with `dnf reposync`, a package set
// fetched with `dnf download --resolve`, both indexed with createrepo_c and served over HTTP
// (by default on port 5180), and a local repo of chosen packages. Re-syncs only when inputs change.
//
// The server binds the address builds reach it at (mirror.bind to override) and, with mirror.auth
// basic (the default), asks every request for HTTP basic auth: user rhcos-forge, the password
// rhcos-forge:mirrorPassword or one generated once and kept, secret, in the state.
import * as pulumi from "@pulumi/pulumi";
import { HostHandle, notRun, scriptStep } from "../host/step";
import { generatedSecret } from "../host/generatedSecret";
import { MIRROR_USER, MirrorCredentials, generateMirrorPassword, renderMirrorAuthFile } from "./mirrorAuth";
import {
    ClientCertificate,
    MIRROR_PASSWORD_SECRET,
    MirrorAuth,
    MirrorRepo,
    RepoTlsInputs,
    UpstreamRepo,
    directBuildRepo,
    directBuildSecrets,
    renderRepoFile,
    renderSecretFilesBundle,
    renderUpstreamRepoFile,
    tlsFiles,
    tlsOptions,
} from "./repoFiles";
import { contentHash } from "../shell";

/** One upstream repo mirrored (rhcos-forge:mirror.repos[] satisfies it). */
export interface MirrorUpstream {
    /** dnf repo id; also the mirror sub-directory. */
    readonly id: string;
    /** Upstream baseurl. */
    readonly baseurl: string;
    /** Check package signatures when building. */
    readonly gpgcheck: boolean;
    /** GPG key URL. */
    readonly gpgkey?: string;
    /** User for an authenticated upstream; its password is in RepoMirrorArgs.passwords. */
    readonly username?: string;
    /** CA certificate(s), PEM, the upstream's server certificate is verified against. */
    readonly sslcacert?: string;
    /** cluster: authenticate with the cluster's entitlement (RepoMirrorArgs.entitlement). */
    readonly entitlement?: "cluster";
    /** mirror: reposync on the host; build: not mirrored, each build reaches the upstream itself. */
    readonly fetch: "mirror" | "build";
}

/** What the mirror serves and how (rhcos-forge:mirror satisfies it). */
export interface RepoMirrorSpec {
    /** HTTP port the mirror is served on. */
    readonly port: number;
    /** Address the server binds; the host's build address when unset. */
    readonly bind?: string;
    /** basic: HTTP basic auth (user rhcos-forge); none: open to whoever reaches the port. */
    readonly auth: "basic" | "none";
    /** How the mirror is served: a systemd unit, a background process, or not at all. */
    readonly serve: "systemd" | "background" | "none";
    /** Mirror only the newest version of each package. */
    readonly newestOnly: boolean;
    /** Upstream repos mirrored with dnf reposync. */
    readonly repos: readonly MirrorUpstream[];
    /** Packages downloaded with their dependencies into one repo of id `id`. */
    readonly packageSet: { readonly id: string; readonly packages: readonly string[]; readonly allDeps: boolean };
}

export interface RepoMirrorArgs {
    /** The build host the mirror lives on. */
    readonly host: HostHandle;
    /** Repos, package set, port (rhcos-forge:mirror). */
    readonly config: RepoMirrorSpec;
    /** Upstream passwords by repo id; secrets. */
    readonly passwords?: pulumi.Input<Record<string, string>>;
    /** TLS client certificates by repo id (rhcos-forge:mirrorClientCerts); secrets. */
    readonly clientCerts?: pulumi.Input<Record<string, Partial<ClientCertificate>>>;
    /** Repo ids clientCerts has a certificate and key for (the map's keys; not secret). */
    readonly clientCertIds?: readonly string[];
    /** The cluster's entitlement, for repos with `entitlement: cluster`; a secret. */
    readonly entitlement?: pulumi.Input<ClientCertificate>;
    /** Bumping this re-syncs with unchanged inputs (e.g. to pick up upstream errata). */
    readonly refresh?: string;
    /** rhcos-forge:mirrorPassword, with mirror.auth basic; generated when unset. A secret. */
    readonly password?: pulumi.Input<string>;
}

interface MirrorResult {
    readonly repos: string[];
    readonly packageSet: string;
    readonly changed: boolean;
}

function validateMirrorResult(r: unknown): MirrorResult {
    const m = r as Partial<MirrorResult> | null;
    if (m === null || typeof m !== "object" || !Array.isArray(m.repos) || typeof m.changed !== "boolean") {
        throw new Error(
            `repo-mirror.sh reported ${JSON.stringify(r)?.slice(0, 200)}, expected {repos, packageSet, changed}`,
        );
    }
    return m as MirrorResult;
}

export class RepoMirror extends pulumi.ComponentResource {
    /** `http://<bind address>:<port>` (the host address when bound to 0.0.0.0): the mirror as other machines see it. */
    public readonly baseUrl: pulumi.Output<string>;
    /** Repo id → URL, as other machines see it. */
    public readonly repos: pulumi.Output<Record<string, string>>;
    /** Repos as build containers on the host reach them; what LayeredImage writes into its RUN. */
    public readonly buildRepos: pulumi.Output<MirrorRepo[]>;
    /**
     * The same repos from config and the host's build address alone, known in a first preview
     * (the sync result is not). For rendering what a preview shows; whatever builds against the
     * mirror must also depend on `revision` (or `buildRepos`), which wait for the sync.
     */
    public readonly plannedBuildRepos: pulumi.Output<MirrorRepo[]>;
    /**
     * Build secrets of the `fetch: build` repos (secret id → PEM), mounted into the RUNs that
     * install; a secret.
     */
    public readonly buildSecrets: pulumi.Output<Record<string, string>>;
    /**
     * A ready .repo file pointing at the mirror (for hosts outside the build); with basic auth it
     * names the user, and the password comes from `credentials`.
     */
    public readonly repoFile: pulumi.Output<string>;
    /**
     * The mirror's basic auth (mirror.auth basic), a secret: for consumers outside the build host
     * (cosa's repo file, on-cluster builds). undefined with mirror.auth none.
     */
    public readonly credentials?: pulumi.Output<MirrorCredentials>;
    /** Hash of everything that decides the mirror's content. */
    public readonly revision: pulumi.Output<string>;
    /** Whether the last sync changed anything on disk. */
    public readonly changed: pulumi.Output<boolean>;

    constructor(name: string, args: RepoMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:mirror:RepoMirror", name, {}, opts);
        const cfg = args.config;
        const mirrorDir = `${args.host.workDir}/mirror`;
        // One private directory for everything secret the sync reads: put-files.sh keeps it
        // exactly as rendered (a repo dropped from the config leaves no key behind).
        const upstreamDir = `${args.host.workDir}/upstream`;
        const upstreamFile = `${upstreamDir}/upstream.repo`;
        const tlsDir = `${upstreamDir}/tls`;
        const set = cfg.packageSet.packages.length > 0 ? cfg.packageSet : undefined;
        const mirrored = cfg.repos.filter(r => r.fetch !== "build");
        const direct = cfg.repos.filter(r => r.fetch === "build");

        // Each repo's TLS inputs: its CA (config) and its client certificate, from
        // rhcos-forge:mirrorClientCerts or, with entitlement: cluster, the cluster's.
        const tlsInputs: pulumi.Output<RepoTlsInputs[]> = pulumi
            .all([args.clientCerts ?? {}, args.entitlement])
            .apply(([certs, ent]) =>
                cfg.repos.map(r => {
                    const given = certs[r.id];
                    const client =
                        r.entitlement === "cluster"
                            ? ent
                            : given?.sslclientcert !== undefined && given.sslclientkey !== undefined
                              ? { sslclientcert: given.sslclientcert, sslclientkey: given.sslclientkey }
                              : undefined;
                    if (r.entitlement === "cluster" && ent === undefined)
                        throw new Error(
                            `mirror repo ${r.id} has entitlement: cluster, but no cluster entitlement was read`,
                        );
                    return { id: r.id, sslcacert: r.sslcacert, client };
                }),
            );
        const inputsOf = (all: RepoTlsInputs[], id: string): RepoTlsInputs => all.find(t => t.id === id) ?? { id };

        const password = cfg.auth === "basic" ? pulumi.secret(args.password ?? this.generatePassword(name)) : undefined;
        const authFile = `${upstreamDir}/mirror.auth`;
        const secretFiles = pulumi.secret(
            pulumi.all([args.passwords ?? {}, tlsInputs, password]).apply(([passwords, tls, mirrorPassword]) => {
                const repoFile = renderUpstreamRepoFile(
                    mirrored.map((r): UpstreamRepo => ({
                        ...r,
                        password: passwords[r.id],
                        tls: tlsOptions(inputsOf(tls, r.id), tlsDir),
                    })),
                );
                const files = mirrored.flatMap(r =>
                    tlsFiles(inputsOf(tls, r.id)).map(f => ({ path: `tls/${f.path}`, content: f.content })),
                );
                const auth =
                    mirrorPassword === undefined
                        ? []
                        : [{ path: "mirror.auth", content: renderMirrorAuthFile(MIRROR_USER, mirrorPassword) }];
                return renderSecretFilesBundle([{ path: "upstream.repo", content: repoFile }, ...files, ...auth]);
            }),
        );
        // The address the server listens on: where builds reach it (a droplet's private IPv4, an ssh
        // host's address or name, 127.0.0.1 for local), unless mirror.bind says otherwise.
        const bind = pulumi.output(cfg.bind ?? args.host.buildAddress);

        // The public shape of the inputs; passwords and certificates change the files, not the content.
        // `fetch: mirror` (the default) is left out, so a stack from before the key existed keeps its
        // revision (and its image's build id): upgrading rhcos-forge rebuilds nothing.
        const revision = contentHash({
            repos: cfg.repos.map(({ fetch, ...r }) => (fetch === "mirror" ? r : { ...r, fetch })),
            packageSet: set ?? null,
            newestOnly: cfg.newestOnly,
            refresh: args.refresh ?? null,
        });

        const sync = scriptStep(
            name,
            "sync",
            args.host,
            {
                scripts: [
                    { script: "put-files.sh", args: [upstreamDir] },
                    {
                        script: "repo-mirror.sh",
                        env: {
                            RF_MIRROR_DIR: mirrorDir,
                            RF_UPSTREAM_REPOFILE: upstreamFile,
                            RF_REPO_IDS: mirrored.map(r => r.id).join(" "),
                            RF_PACKAGE_SET_ID: set ? set.id : "",
                            RF_PACKAGES: set ? set.packages.join(" ") : "",
                            RF_PACKAGE_ALLDEPS: set?.allDeps ? "1" : "0",
                            RF_NEWEST_ONLY: cfg.newestOnly ? "1" : "0",
                            RF_MIRROR_PORT: String(cfg.port),
                            RF_MIRROR_BIND: bind,
                            RF_MIRROR_AUTH_FILE: password === undefined ? "" : authFile,
                            RF_SERVE_MODE: cfg.serve,
                        },
                    },
                ],
                companions: ["mirror-server.py"],
                stdin: secretFiles,
                triggers: [revision, secretFiles.apply(text => contentHash(text))],
                // Destroy stops serving; the RPMs stay, so a re-create syncs only what changed.
                onDelete: { script: "mirror-stop.sh", env: { RF_SERVE_MODE: cfg.serve } },
                // A replacement must stop the old server before the new sync starts one; the default
                // (create, then delete the old) would stop the freshly started server.
                deleteBeforeReplace: true,
                validate: r => validateMirrorResult(r),
            },
            { parent: this },
        );
        const result = sync.result;
        const ids = [...mirrored.map(r => r.id), ...(set ? [set.id] : [])];
        const gpg = new Map(cfg.repos.map(r => [r.id, r]));
        // The `fetch: build` repos after the mirror's: builds reach them at their upstream, with
        // their TLS files as secret mounts (the paths only: no secret in the Containerfile).
        const directRepos = direct.map(r =>
            directBuildRepo({
                id: r.id,
                baseurl: r.baseurl,
                gpgcheck: r.gpgcheck,
                gpgkey: r.gpgkey,
                sslcacert: r.sslcacert,
                // Only which files exist matters here, not their content.
                client:
                    r.entitlement === "cluster" || (args.clientCertIds ?? []).includes(r.id)
                        ? { sslclientcert: "", sslclientkey: "" }
                        : undefined,
                entitled: r.entitlement === "cluster",
            }),
        );
        const auth: MirrorAuth | undefined =
            password === undefined ? undefined : { username: MIRROR_USER, secret: MIRROR_PASSWORD_SECRET };
        const served = (base: string): MirrorRepo[] =>
            ids.map(id => ({
                id,
                url: `${base}/${id}/`,
                // A package set is our own download, not a signed upstream repo with a published key.
                gpgcheck: gpg.get(id)?.gpgcheck ?? false,
                gpgkey: gpg.get(id)?.gpgkey,
                ...(auth === undefined ? {} : { auth }),
            }));
        const toRepos = (base: string): MirrorRepo[] => [...served(base), ...directRepos];

        // Bound to one address, the mirror is reached there; bound to every interface, at the
        // host's own address. An IPv6 literal goes in brackets.
        const urlHost = (addr: string): string => (addr.includes(":") ? `[${addr}]` : addr);
        // Either may come from a resource a targeted up left out (step.ts notRun).
        this.baseUrl = pulumi
            .all([bind, args.host.address])
            .apply(([b, address]): pulumi.Output<string> =>
                b === undefined || address === undefined
                    ? notRun<string>()
                    : pulumi.output(`http://${urlHost(b === "0.0.0.0" || b === "::" ? address : b)}:${cfg.port}`),
            );
        this.repos = this.baseUrl.apply(base => Object.fromEntries(ids.map(id => [id, `${base}/${id}/`])));
        // Depends on the sync result so nothing builds against a mirror that has not synced.
        this.buildRepos = pulumi
            .all([args.host.buildAddress, result])
            .apply(([addr]) => toRepos(`http://${addr}:${cfg.port}`));
        this.plannedBuildRepos = args.host.buildAddress.apply(addr => toRepos(`http://${addr}:${cfg.port}`));
        this.repoFile = this.baseUrl.apply(base => renderRepoFile(served(base)));
        this.revision = result.apply(() => revision);
        // The password joins the `fetch: build` repos' TLS files: a build secret of the RUNs that install.
        this.buildSecrets = pulumi.secret(
            pulumi.all([tlsInputs, password]).apply(([tls, p]) => ({
                ...directBuildSecrets(direct.map(r => inputsOf(tls, r.id))),
                ...(p === undefined ? {} : { [MIRROR_PASSWORD_SECRET.id]: p }),
            })),
        );
        this.credentials =
            password === undefined
                ? undefined
                : pulumi.secret(password.apply(p => ({ username: MIRROR_USER, password: p })));
        this.changed = result.apply(r => r.changed);
        this.registerOutputs({
            baseUrl: this.baseUrl,
            repos: this.repos,
            buildRepos: this.buildRepos,
            plannedBuildRepos: this.plannedBuildRepos,
            repoFile: this.repoFile,
            revision: this.revision,
            changed: this.changed,
            buildSecrets: this.buildSecrets,
            credentials: this.credentials,
        });
    }

    /**
     * A password made once, in this process (node's crypto), and kept in the state, encrypted:
     * later runs keep the first one (../host/generatedSecret.ts).
     */
    private generatePassword(name: string): pulumi.Output<string> {
        const kept = generatedSecret(`${name}-password`, JSON.stringify({ password: generateMirrorPassword() }), this);
        return kept.apply(parseKeptPassword);
    }
}

/** The password out of the kept JSON line ({password}). */
function parseKeptPassword(kept: string): string {
    const p = (JSON.parse(kept) as { password?: unknown }).password;
    if (typeof p !== "string" || p === "")
        throw new Error("the mirror password kept in the state is no {password} line");
    return p;
}
