// Pure rendering of dnf .repo files: the upstream file RepoMirror syncs from (it may carry
// credentials, so it only ever travels on stdin) and the file that points builds at the mirror.

/** A repo served by the RepoMirror, as build containers (or other hosts) reach it. */
export interface MirrorRepo {
    readonly id: string;
    readonly url: string;
    readonly gpgcheck: boolean;
    readonly gpgkey?: string;
}

/** An upstream repo to mirror; `password` is a secret and only ever rendered into stdin. */
export interface UpstreamRepo {
    readonly id: string;
    readonly baseurl: string;
    readonly gpgcheck: boolean;
    readonly gpgkey?: string;
    readonly username?: string;
    readonly password?: string;
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

/** The .repo text pointing at the mirror (also a RepoMirror output for hosts that want it). */
export function renderRepoFile(repos: readonly MirrorRepo[]): string {
    if (repos.length === 0) return "";
    return repos.map(r => section([
        `[${mirrorSectionId(r.id)}]`,
        `name=rhcos-forge mirror of ${r.id}`,
        `baseurl=${r.url}`,
        "enabled=1",
        `gpgcheck=${r.gpgcheck ? 1 : 0}`,
        r.gpgkey ? `gpgkey=${r.gpgkey}` : undefined,
    ])).join("\n\n") + "\n";
}

/** The upstream .repo file `dnf reposync` and `dnf download` read on the build host. */
export function renderUpstreamRepoFile(repos: readonly UpstreamRepo[]): string {
    if (repos.length === 0) return "";
    return repos.map(r => section([
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
    ])).join("\n\n") + "\n";
}
