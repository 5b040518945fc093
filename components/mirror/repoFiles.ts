// Pure rendering of dnf .repo files: the upstream file RepoMirror syncs from (it may carry
// credentials, so it only ever travels on stdin) and the file that points builds at the mirror.
import { renderBundleText } from "../bundle";

/** dnf's TLS options of a repo: paths of PEM files where dnf runs (never their content). */
export interface RepoTls {
    readonly sslcacert?: string;
    readonly sslclientcert?: string;
    readonly sslclientkey?: string;
}

/** A podman build secret mounted into the RUNs that install (`RUN --mount=type=secret,...`). */
export interface SecretMount {
    /** `podman build --secret id=<id>`. */
    readonly id: string;
    /** Path inside the build container. */
    readonly target: string;
}

/**
 * A repo builds install from: one the RepoMirror serves (url on the mirror), or, with
 * `fetch: build`, the upstream itself, its TLS files mounted as build secrets.
 */
export interface MirrorRepo {
    readonly id: string;
    readonly url: string;
    readonly gpgcheck: boolean;
    readonly gpgkey?: string;
    readonly tls?: RepoTls;
    /** Build secrets the RUNs that use this repo mount (its client certificate, key, CA). */
    readonly mounts?: readonly SecretMount[];
    /** Authenticated with a Red Hat entitlement: the RUN removes redhat.repo (see steps.ts). */
    readonly entitled?: boolean;
    /** The mirror's HTTP basic auth (mirror.auth basic); the password is never part of this. */
    readonly auth?: MirrorAuth;
}

/** HTTP basic auth of the mirror's server: the user, and where a build finds the password. */
export interface MirrorAuth {
    readonly username: string;
    /** The podman build secret holding the password, mounted into the RUNs that install. */
    readonly secret: SecretMount;
}

/** An upstream repo to mirror; `password` is a secret and only ever rendered into stdin. */
export interface UpstreamRepo {
    readonly id: string;
    readonly baseurl: string;
    readonly gpgcheck: boolean;
    readonly gpgkey?: string;
    readonly username?: string;
    readonly password?: string;
    readonly tls?: RepoTls;
}

/** put-files.sh's stdin: the upstream .repo file and the TLS files, each 0600. */
export function renderSecretFilesBundle(files: readonly { readonly path: string; readonly content: string }[]): string {
    return renderBundleText(
        "bundle",
        files.map(f => ({ kind: "file", plain: ["0600"], values: [f.path, f.content] })),
    );
}

/** A client certificate and key (PEM); secrets. */
export interface ClientCertificate {
    readonly sslclientcert: string;
    readonly sslclientkey: string;
}

/** The TLS files of a repo, by role: name on disk (and in a build secret), dnf option. */
const TLS_FILES = [
    { option: "sslcacert", file: "ca.pem", secret: "ca" },
    { option: "sslclientcert", file: "client.pem", secret: "cert" },
    { option: "sslclientkey", file: "client-key.pem", secret: "key" },
] as const;

/** A repo's TLS inputs: its CA (config, not secret) and its client certificate (secret). */
export interface RepoTlsInputs {
    readonly id: string;
    readonly sslcacert?: string;
    readonly client?: ClientCertificate;
}

/** The PEM files of a repo, relative to a TLS directory (`<id>/client.pem`, ...), with content. */
export function tlsFiles(
    repo: RepoTlsInputs,
): { readonly path: string; readonly option: keyof RepoTls; readonly secret: string; readonly content: string }[] {
    const content: Record<keyof RepoTls, string | undefined> = {
        sslcacert: repo.sslcacert,
        sslclientcert: repo.client?.sslclientcert,
        sslclientkey: repo.client?.sslclientkey,
    };
    return TLS_FILES.flatMap(f => {
        const text = content[f.option];
        return text === undefined
            ? []
            : [
                  {
                      path: `${repo.id}/${f.file}`,
                      option: f.option,
                      secret: `rf-${repo.id}-${f.secret}`,
                      content: text.endsWith("\n") ? text : `${text}\n`,
                  },
              ];
    });
}

/** dnf's options for those files under `dir`. */
export function tlsOptions(repo: RepoTlsInputs, dir: string): RepoTls {
    return Object.fromEntries(tlsFiles(repo).map(f => [f.option, `${dir}/${f.path}`])) as RepoTls;
}

/** Where a build container finds a `fetch: build` repo's TLS files: secret mounts, not layers. */
export const BUILD_SECRETS_DIR = "/run/secrets/rhcos-forge";

/**
 * The mirror's password as a build secret: mounted only into the RUNs that write the .repo file,
 * which reads it from there, so it is in no layer, no history and not in the Containerfile.
 */
export const MIRROR_PASSWORD_SECRET: SecretMount = {
    id: "rf-mirror-password",
    target: `${BUILD_SECRETS_DIR}/mirror/password`,
};

/** A `fetch: build` repo as builds use it: the upstream URL, TLS files as secret mounts. */
export function directBuildRepo(
    repo: RepoTlsInputs & {
        readonly baseurl: string;
        readonly gpgcheck: boolean;
        readonly gpgkey?: string;
        readonly entitled: boolean;
    },
): MirrorRepo {
    return {
        id: repo.id,
        url: repo.baseurl,
        gpgcheck: repo.gpgcheck,
        gpgkey: repo.gpgkey,
        tls: tlsOptions(repo, BUILD_SECRETS_DIR),
        mounts: tlsFiles(repo).map(f => ({ id: f.secret, target: `${BUILD_SECRETS_DIR}/${f.path}` })),
        entitled: repo.entitled,
    };
}

/** The build secrets of those repos: secret id → content (what build-image.sh hands podman). */
export function directBuildSecrets(repos: readonly RepoTlsInputs[]): Record<string, string> {
    return Object.fromEntries(repos.flatMap(r => tlsFiles(r).map(f => [f.secret, f.content])));
}

function tlsLines(tls: RepoTls | undefined): (string | undefined)[] {
    if (tls === undefined) return [];
    return [
        tls.sslcacert !== undefined ? `sslcacert=${tls.sslcacert}` : undefined,
        tls.sslclientcert !== undefined ? `sslclientcert=${tls.sslclientcert}` : undefined,
        tls.sslclientkey !== undefined ? `sslclientkey=${tls.sslclientkey}` : undefined,
        tls.sslcacert !== undefined || tls.sslclientcert !== undefined ? "sslverify=1" : undefined,
    ];
}

export const REPO_FILE = "/etc/yum.repos.d/rhcos-forge-mirror.repo";
export const REPO_PREFIX = "rhcos-forge-";

/** The dnf section name of a mirror repo inside builds; prefixed so it never shadows an image repo. */
export function mirrorSectionId(id: string): string {
    return id.startsWith(REPO_PREFIX) ? id : `${REPO_PREFIX}${id}`;
}

function section(lines: (string | undefined)[]): string {
    return lines.filter((l): l is string => l !== undefined).join("\n");
}

/**
 * The .repo text pointing at the mirror (also a RepoMirror output for hosts that want it). A repo
 * behind the mirror's basic auth gets its `username=`, and `password=` only when `password` is
 * given (the text is then a secret).
 */
export function renderRepoFile(repos: readonly MirrorRepo[], password?: string): string {
    if (repos.length === 0) return "";
    return (
        repos
            .map(r =>
                section([
                    `[${mirrorSectionId(r.id)}]`,
                    // A `fetch: build` repo (mounts set) is the upstream itself, not the mirror.
                    r.mounts === undefined ? `name=rhcos-forge mirror of ${r.id}` : `name=rhcos-forge upstream ${r.id}`,
                    `baseurl=${r.url}`,
                    "enabled=1",
                    `gpgcheck=${r.gpgcheck ? 1 : 0}`,
                    r.gpgkey ? `gpgkey=${r.gpgkey}` : undefined,
                    ...tlsLines(r.tls),
                    ...authLines(r.auth, password),
                ]),
            )
            .join("\n\n") + "\n"
    );
}

/** dnf's basic auth options of a mirror repo (dnf.conf(5): username, password). */
export function authLines(auth: MirrorAuth | undefined, password: string | undefined): string[] {
    if (auth === undefined) return [];
    return [`username=${auth.username}`, ...(password !== undefined ? [`password=${password}`] : [])];
}

/** The upstream .repo file `dnf reposync` and `dnf download` read on the build host. */
export function renderUpstreamRepoFile(repos: readonly UpstreamRepo[]): string {
    if (repos.length === 0) return "";
    return (
        repos
            .map(r =>
                section([
                    `[${r.id}]`,
                    `name=${r.id}`,
                    `baseurl=${r.baseurl}`,
                    "enabled=1",
                    `gpgcheck=${r.gpgcheck ? 1 : 0}`,
                    r.gpgkey ? `gpgkey=${r.gpgkey}` : undefined,
                    // module_hotfixes: RHEL AppStream modules would otherwise filter packages out of the sync.
                    "module_hotfixes=1",
                    r.username !== undefined ? `username=${r.username}` : undefined,
                    r.password !== undefined ? `password=${r.password}` : undefined,
                    ...tlsLines(r.tls),
                ]),
            )
            .join("\n\n") + "\n"
    );
}
