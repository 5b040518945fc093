// Pure rendering of the image spec into a Containerfile and its build context (no Pulumi types).
//
// The shape follows OpenShift's out-of-cluster layering docs: FROM the base by digest, package
// changes through rpm-ostree, and `ostree container commit` closing every RUN so /var and /tmp
// content is cleaned and the layer stays a valid ostree commit. image.steps, image.stages and the
// dnf dialect are rendered by ./steps.ts.
import { MirrorRepo, REPO_FILE, mirrorSectionId } from "../mirror/repoFiles";
import { shellQuote } from "../shell";
import {
    BuildStage,
    ContextFile,
    Dialect,
    ImageStep,
    LINT_LINE,
    ReadSource,
    SpecFile,
    expandFile,
    installCommand,
    removeCommand,
    renderStages,
    renderSteps,
    repoFileCommands,
    runLine,
} from "./steps";

export type { ContextFile } from "./steps";
import type { OnClusterImageSpec } from "../openshift/onClusterContainerfile";
export { type OnClusterImageSpec, renderOnClusterContainerfile } from "../openshift/onClusterContainerfile";

/** A file of the image: inline `content` or a `source` of the repository (see ./steps.ts SpecFile). */
export type ImageFile = SpecFile;

/** The on-cluster spec's keys (packages, remove, units, extraSteps, labels) and the build's own. */
export interface ImageSpec extends OnClusterImageSpec {
    /** FROM image, `repo@sha256:…`. */
    readonly base: string;
    /** RPM URLs, or package names resolved from `replaceRepo`. */
    readonly replace: readonly string[];
    readonly files: readonly ImageFile[];
    /** Ordered steps after the shorthand keys above (./steps.ts). */
    readonly steps?: readonly ImageStep[];
    /** Builder stages before the image's FROM. */
    readonly stages?: readonly BuildStage[];
    /** rpm-ostree when unset (the layering examples' form). */
    readonly dialect?: Dialect;
}

export interface RenderOptions {
    /** Mirror repos written into the build-time .repo file. */
    readonly repos: readonly MirrorRepo[];
    /** Repo id (without prefix) that package names in `replace` come from. */
    readonly replaceRepo?: string;
    /** Reads a `source` of the repository (files and install steps); see ./sources.ts. */
    readonly readSource?: ReadSource;
    /** The build host is registered with subscription-manager: installing RUNs remove redhat.repo. */
    readonly entitledHost?: boolean;
}

/**
 * The build argument holding the mirror's revision (RepoMirror.revision: a hash of the repos, the
 * package set and `mirror.refresh`), declared just before the first RUN that reads the mirror; the
 * build passes it (build-image.sh). podman keeps the layer of a RUN whose instruction text is
 * unchanged, so a re-synced mirror behind the same Containerfile would rebuild into the old
 * packages. A RUN after an ARG carries the ARG's value in its cache key: moby
 * docs/reference/builder.md "Impact on build caching" ("a cache miss occurs upon its first usage"),
 * which buildah follows by writing ARG values into the history of RUN steps only (containers/buildah
 * commit 0624455, "history should not contain ARG values"); its history line reads
 * `|1 RF_MIRROR_REVISION=<value> /bin/sh -c …` and a layer is reused only when it matches. So the
 * RUNs that install run again exactly when what the mirror serves may have changed.
 */
export const MIRROR_REVISION_ARG = "RF_MIRROR_REVISION";

export interface RenderedImage {
    readonly containerfile: string;
    /** Files the Containerfile COPYs, relative to the context. */
    readonly context: readonly ContextFile[];
}

function isUrl(s: string): boolean {
    return /^https?:\/\//.test(s);
}

export function renderContainerfile(spec: ImageSpec, opts: RenderOptions): RenderedImage {
    const dialect = spec.dialect ?? "rpm-ostree";
    const stages = renderStages(spec.stages ?? [], opts.readSource);
    const lines: string[] = [
        "# Rendered by rhcos-forge from the stack config; edit the config, not this file.",
        ...stages.lines,
        `FROM ${spec.base}`,
    ];
    const finalFrom = lines.length - 1;
    const sorted = [...spec.files].sort((a, b) => a.path.localeCompare(b.path));
    const files = sorted.map(f => expandFile(f, "files", opts.readSource));
    const context: ContextFile[] = [...stages.context, ...files.flatMap(f => f.context)];
    if (files.length > 0) lines.push("COPY files/ /");

    const steps: string[] = [];
    const needsRepos = spec.packages.length > 0 || spec.replace.some(r => !isUrl(r));
    // Written and removed inside one RUN: the mirror's address never ships in a layer.
    const repoFile = needsRepos
        ? repoFileCommands(opts.repos, opts.entitledHost)
        : { write: [], remove: [], mounts: [] };
    steps.push(...repoFile.write);
    if (spec.remove.length > 0) steps.push(...removeCommand(dialect, spec.remove));
    const replaceUrls = spec.replace.filter(isUrl);
    const replaceNames = spec.replace.filter(r => !isUrl(r));
    if (replaceUrls.length > 0) steps.push(`rpm-ostree override replace ${replaceUrls.map(shellQuote).join(" ")}`);
    if (replaceNames.length > 0) {
        const repo = opts.replaceRepo ?? opts.repos[0]?.id;
        if (repo === undefined) throw new Error("package names in image.replace need a mirror repo to come from");
        steps.push(
            `rpm-ostree override replace --experimental --from repo=${mirrorSectionId(repo)} ` +
                `${replaceNames.map(shellQuote).join(" ")}`,
        );
    }
    if (spec.packages.length > 0) steps.push(...installCommand(dialect, spec.packages));
    for (const [path, mode] of files.flatMap(f => f.chmod)) steps.push(`chmod ${mode} ${shellQuote(path)}`);
    if (spec.units.length > 0) steps.push(`systemctl enable ${spec.units.map(shellQuote).join(" ")}`);
    steps.push(...repoFile.remove);
    if ((dialect === "rpm-ostree" && spec.remove.length > 0) || spec.replace.length > 0)
        steps.push("rpm-ostree cleanup -m");
    if (steps.length > 0) lines.push(runLine(steps, dialect, repoFile.mounts));

    for (const step of spec.extraSteps) lines.push(runLine([step], dialect));

    const ordered = renderSteps(spec.steps ?? [], "steps/", {
        dialect,
        repos: opts.repos,
        replaceRepo: opts.replaceRepo,
        readSource: opts.readSource,
        entitledHost: opts.entitledHost,
    });
    lines.push(...ordered.lines);
    context.push(...ordered.context);
    if (dialect === "dnf") lines.push(LINT_LINE);
    // Every RUN that reads the mirror writes its .repo file first (repoFileCommands).
    const firstMirrorRun = lines.findIndex((l, i) => i > finalFrom && l.startsWith("RUN") && l.includes(REPO_FILE));
    if (firstMirrorRun >= 0) lines.splice(firstMirrorRun, 0, `ARG ${MIRROR_REVISION_ARG}`);

    const labels = Object.entries(spec.labels).sort(([a], [b]) => a.localeCompare(b));
    const allLabels: [string, string][] = [["io.rhcos-forge.base", spec.base], ...labels];
    lines.push(`LABEL ${allLabels.map(([k, v]) => `${k}="${v}"`).join(" \\\n      ")}`);
    return { containerfile: lines.join("\n") + "\n", context };
}
