// Pure assembly of what a coreos-assembler build receives and reports (no Pulumi types): the
// mirror as a .repo file for the cosa work dir's src/yumrepos/, the stdin bundle for cosa-build.sh, the
// revision that decides whether anything reruns, and the validation of the script's result.
import { BUNDLE_HEADERS, authEntry, renderBundleText } from "../bundle";
import { MirrorRepo, authLines } from "../mirror/repoFiles";
import { contentHash } from "../shell";

/** Day-0 media `cosa osbuild <platform>` produces (`cosa buildextend-<platform>` is an alias). */
export const COSA_PLATFORMS = ["metal", "metal4k", "live"] as const;
export type CosaPlatform = (typeof COSA_PLATFORMS)[number];

/** meta.json `images` keys each platform writes; cosa-build.sh publishes exactly these. */
export const PLATFORM_IMAGES: Readonly<Record<CosaPlatform, readonly string[]>> = {
    metal: ["metal"],
    metal4k: ["metal4k"],
    live: ["live-iso", "live-kernel", "live-initramfs", "live-rootfs"],
};

export const COSA_BUNDLE_HEADER = BUNDLE_HEADERS.cosa;
/**
 * The mirror's .repo as older rhcos-forge wrote it into src/config/; cosa-build.sh now writes
 * src/yumrepos/<variant>.repo (where every cosa reads repos) and removes this one.
 */
export const COSA_REPO_FILE = "rhcos-forge-mirror.repo";
/** Sub-directory of the mirror's served root holding published media. */
export const ARTIFACTS_DIR = "artifacts";

/**
 * The mirror as the cosa config sees it. Unlike the layered build's file, section names are the
 * mirror's repo ids unprefixed: the config's manifest.yaml lists the repos it composes from by id
 * (openshift/os: `rhel-9.6-baseos`, `rhel-9.6-server-ose-4.19`, …), so a mirror repo feeds the build
 * only when its id is exactly one the manifest names. Repos behind the mirror's basic auth carry
 * `username=` and, when `password` is given, `password=` (the text is then a secret: it travels in
 * the stdin bundle and cosa-build.sh writes it 0600); rpm-ostree reads both through libdnf.
 */
export function renderCosaRepoFile(repos: readonly MirrorRepo[], password?: string): string {
    if (repos.length === 0) return "";
    return (
        repos
            .map(r =>
                [
                    `[${r.id}]`,
                    `name=rhcos-forge mirror of ${r.id}`,
                    `baseurl=${r.url}`,
                    "enabled=1",
                    `gpgcheck=${r.gpgcheck ? 1 : 0}`,
                    ...(r.gpgkey ? [`gpgkey=${r.gpgkey}`] : []),
                    // RHEL AppStream modules would otherwise hide packages from rpm-ostree's depsolve.
                    "module_hotfixes=1",
                    ...authLines(r.auth, password),
                ].join("\n"),
            )
            .join("\n\n") + "\n"
    );
}

/** stdin of cosa-build.sh: the .repo text and the registry auth, one base64 field per line. */
export function renderCosaBundle(repoFile: string, authJson?: string): string {
    return renderBundleText("cosa", [{ kind: "repofile", values: [repoFile] }, ...authEntry(authJson)]);
}

export interface CosaInputs {
    readonly container: string;
    readonly configUrl: string;
    readonly branch: string;
    readonly commit?: string;
    readonly variant?: string;
    readonly repoFile: string;
    readonly repository: string;
    readonly artifacts: readonly CosaPlatform[];
    /** Mirror revision: a re-synced mirror may carry newer RPMs. */
    readonly mirrorRevision?: string;
}

/**
 * Content hash of everything that changes what cosa-build.sh produces; the Pulumi trigger.
 * Credentials are left out: rotating a registry password must not rebuild the OS.
 */
export function cosaRevision(inputs: CosaInputs): string {
    return contentHash({
        container: inputs.container,
        configUrl: inputs.configUrl,
        branch: inputs.branch,
        commit: inputs.commit ?? null,
        variant: inputs.variant ?? null,
        repoFile: inputs.repoFile,
        repository: inputs.repository,
        artifacts: [...inputs.artifacts].sort(),
        mirrorRevision: inputs.mirrorRevision ?? null,
    });
}

export interface CosaArtifact {
    /** The platform that produced it (metal, metal4k, live). */
    readonly platform: CosaPlatform;
    /** meta.json image key, e.g. `live-iso`. */
    readonly name: string;
    /** Path relative to the mirror root: `artifacts/<build id>/<file>`. */
    readonly path: string;
    readonly sha256: string;
    readonly size: number;
}

/** What cosa-build.sh prints as its last stdout line. */
export interface CosaResult {
    readonly ref: string;
    readonly digest: string;
    readonly tag: string;
    readonly buildId: string;
    readonly configCommit: string;
    readonly artifacts: readonly CosaArtifact[];
}

export interface PublishedArtifact extends CosaArtifact {
    readonly url: string;
}

/** Rejects anything but `<repository>@sha256:<hex>` and the media that were asked for. */
export function validateCosaResult(
    result: CosaResult,
    repository: string,
    platforms: readonly CosaPlatform[],
): CosaResult {
    if (!/^sha256:[a-f0-9]{64}$/.test(result.digest))
        throw new Error(`cosa build reported an invalid digest ${JSON.stringify(result.digest)}`);
    if (result.ref !== `${repository}@${result.digest}`) {
        throw new Error(
            `cosa build reported ref ${JSON.stringify(result.ref)}, expected ${repository}@${result.digest}`,
        );
    }
    if (!/^[0-9a-f]{40}$/.test(result.configCommit))
        throw new Error(`cosa build reported config commit ${JSON.stringify(result.configCommit)}`);
    for (const platform of platforms) {
        for (const name of PLATFORM_IMAGES[platform]) {
            const a = result.artifacts.find(x => x.platform === platform && x.name === name);
            if (a === undefined) throw new Error(`cosa build did not publish ${name} (platform ${platform})`);
            if (!/^[a-f0-9]{64}$/.test(a.sha256))
                throw new Error(`cosa build reported an invalid sha256 for ${name}: ${JSON.stringify(a.sha256)}`);
            if (!a.path.startsWith(`${ARTIFACTS_DIR}/${result.buildId}/`) || a.path.split("/").includes("..")) {
                throw new Error(
                    `cosa build published ${name} outside ${ARTIFACTS_DIR}/${result.buildId}/: ` +
                        `${JSON.stringify(a.path)}`,
                );
            }
        }
    }
    return result;
}

/** Media as other machines download them from the mirror's HTTP server. */
export function publishedArtifacts(baseUrl: string, artifacts: readonly CosaArtifact[]): PublishedArtifact[] {
    const base = baseUrl.replace(/\/+$/, "");
    return artifacts.map(a => ({ ...a, url: `${base}/${a.path.split("/").map(encodeURIComponent).join("/")}` }));
}
