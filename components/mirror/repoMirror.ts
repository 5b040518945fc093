// RepoMirror: upstream RPM repos mirrored on the build host with `dnf reposync`, a package set
// fetched with `dnf download --resolve`, both indexed with createrepo_c and served over HTTP
// (by default on port 5180), and a local repo of chosen packages. Re-syncs only when inputs change.
import * as pulumi from "@pulumi/pulumi";
import { MirrorConfig } from "../config/schema";
import { HostHandle, scriptStep } from "../host/step";
import { MirrorRepo, UpstreamRepo, renderRepoFile, renderUpstreamRepoFile } from "./repoFiles";
import { contentHash } from "../shell";

export interface RepoMirrorArgs {
    /** The build host the mirror lives on. */
    readonly host: HostHandle;
    /** Repos, package set, port (rhcos-forge:mirror). */
    readonly config: MirrorConfig;
    /** Upstream passwords by repo id; secrets. */
    readonly passwords?: pulumi.Input<Record<string, string>>;
    /** Bumping this re-syncs with unchanged inputs (e.g. to pick up upstream errata). */
    readonly refresh?: string;
}

interface MirrorResult {
    readonly repos: string[];
    readonly packageSet: string;
    readonly changed: boolean;
}

function validateMirrorResult(r: unknown): MirrorResult {
    const m = r as Partial<MirrorResult> | null;
    if (m === null || typeof m !== "object" || !Array.isArray(m.repos) || typeof m.changed !== "boolean") {
        throw new Error(`repo-mirror.sh reported ${JSON.stringify(r)?.slice(0, 200)}, expected {repos, packageSet, changed}`);
    }
    return m as MirrorResult;
}

export class RepoMirror extends pulumi.ComponentResource {
    /** `http://<host address>:<port>`: the mirror as other machines see it. */
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
    /** A ready .repo file pointing at the mirror (for hosts outside the build). */
    public readonly repoFile: pulumi.Output<string>;
    /** Hash of everything that decides the mirror's content. */
    public readonly revision: pulumi.Output<string>;
    /** Whether the last sync changed anything on disk. */
    public readonly changed: pulumi.Output<boolean>;

    constructor(name: string, args: RepoMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:mirror:RepoMirror", name, {}, opts);
        const cfg = args.config;
        const mirrorDir = `${args.host.workDir}/mirror`;
        const upstreamFile = `${args.host.workDir}/upstream.repo`;
        const set = cfg.packageSet.packages.length > 0 ? cfg.packageSet : undefined;

        const upstreamRepoFile = pulumi.secret(pulumi.output(args.passwords ?? {}).apply(passwords =>
            renderUpstreamRepoFile(cfg.repos.map((r): UpstreamRepo => ({ ...r, password: passwords[r.id] })))));

        // The public shape of the inputs; passwords change the upstream file, not the content.
        const revision = contentHash({
            repos: cfg.repos, packageSet: set ?? null, newestOnly: cfg.newestOnly, refresh: args.refresh ?? null,
        });

        const sync = scriptStep(name, "sync", args.host, {
            scripts: [
                { script: "put-file.sh", args: [upstreamFile, "0600"] },
                {
                    script: "repo-mirror.sh",
                    env: {
                        RF_MIRROR_DIR: mirrorDir,
                        RF_UPSTREAM_REPOFILE: upstreamFile,
                        RF_REPO_IDS: cfg.repos.map(r => r.id).join(" "),
                        RF_PACKAGE_SET_ID: set ? set.id : "",
                        RF_PACKAGES: set ? set.packages.join(" ") : "",
                        RF_PACKAGE_ALLDEPS: set?.allDeps ? "1" : "0",
                        RF_NEWEST_ONLY: cfg.newestOnly ? "1" : "0",
                        RF_MIRROR_PORT: String(cfg.port),
                        RF_MIRROR_BIND: cfg.bind,
                        RF_SERVE_MODE: cfg.serve,
                    },
                },
            ],
            stdin: upstreamRepoFile,
            triggers: [revision, upstreamRepoFile.apply(text => contentHash(text))],
            // Destroy stops serving; the RPMs stay, so a re-create syncs only what changed.
            onDelete: { script: "mirror-stop.sh", env: { RF_SERVE_MODE: cfg.serve } },
            // A replacement must stop the old server before the new sync starts one; the default
            // (create, then delete the old) would stop the freshly started server.
            deleteBeforeReplace: true,
            validate: r => validateMirrorResult(r),
        }, { parent: this });
        const result = sync.result;
        const ids = [...cfg.repos.map(r => r.id), ...(set ? [set.id] : [])];
        const gpg = new Map(cfg.repos.map(r => [r.id, r]));
        const toRepos = (base: string): MirrorRepo[] => ids.map(id => ({
            id,
            url: `${base}/${id}/`,
            // A package set is our own download, not a signed upstream repo with a published key.
            gpgcheck: gpg.get(id)?.gpgcheck ?? false,
            gpgkey: gpg.get(id)?.gpgkey,
        }));

        this.baseUrl = pulumi.interpolate`http://${args.host.address}:${cfg.port}`;
        this.repos = this.baseUrl.apply(base => Object.fromEntries(ids.map(id => [id, `${base}/${id}/`])));
        // Depends on the sync result so nothing builds against a mirror that has not synced.
        this.buildRepos = pulumi.all([args.host.buildAddress, result]).apply(([addr]) => toRepos(`http://${addr}:${cfg.port}`));
        this.plannedBuildRepos = args.host.buildAddress.apply(addr => toRepos(`http://${addr}:${cfg.port}`));
        this.repoFile = this.baseUrl.apply(base => renderRepoFile(toRepos(base)));
        this.revision = result.apply(() => revision);
        this.changed = result.apply(r => r.changed);
        this.registerOutputs({
            baseUrl: this.baseUrl, repos: this.repos, buildRepos: this.buildRepos, plannedBuildRepos: this.plannedBuildRepos,
            repoFile: this.repoFile, revision: this.revision, changed: this.changed,
        });
    }
}
