// Pure rendering of image.steps, image.stages and the per-release dialect (no Pulumi types, no
// file system: files from the repository arrive through RenderOptions.readSource).
//
// Each construct is the declarative form of something in OpenShift's own layering examples
// (github.com/openshift/rhcos-image-layering-examples, read at edefbba):
//   install  fish/, htop/ (RPMs by URL and by name), libreswan/ (an extra RHEL package)
//   files    libreswan/ (a config file COPYed from the repository)
//   enable   libreswan/ (systemctl enable ipsec)
//   replace  override-kernel/ (rpm-ostree cliwrap install-to-root /, then every kernel
//            subpackage replaced together)
//   stages + copy        dir-walker/ (a build stage, COPY --from into the node image)
//   kernelModules        loading-kernel-module/ (a driver-toolkit stage, the .ko under
//                        /usr/lib/modules/<kver>/, depmod, a modules-load.d entry); a stage's
//                        base "driver-toolkit" is the cluster's, read by ./driverToolkit.ts
//   run      the rest of dir-walker/ and sops/ (tarball unpacking, moving out of /opt, /usr/local)
// Their structure is followed; none of their text is reused.
import type { LayeringDialect } from "../openshift/releases";
import { REPO_FILE, MirrorRepo, mirrorSectionId, renderRepoFile } from "../mirror/repoFiles";
import { shellQuote } from "../shell";
import { KERNEL_SUBPACKAGES, kernelSubpackage } from "../openshift/kernel";
import { RUN_CONTINUATION } from "../openshift/onClusterContainerfile";

export type Dialect = LayeringDialect;

/** An RPM to install: a package name, an http(s) URL, or an RPM file of the repository. */
export type InstallItem = string | { readonly source: string };

/** A file of the image: inline `content`, or a file or directory of the repository (`source`). */
export interface SpecFile {
    readonly path: string;
    readonly content?: string;
    readonly source?: string;
    /** Octal mode; unset on a `source` keeps the repository file's mode, on `content` is 0644. */
    readonly mode?: string;
}

export interface StageCopy {
    /** Stage name. */
    readonly from: string;
    /** Absolute path in the stage. */
    readonly src: string;
    /** Absolute path in the image. */
    readonly dst: string;
}

export interface KernelModule {
    /** Module name as modprobe knows it (the .ko file name without .ko). */
    readonly name: string;
    /** The stage the module was built in. */
    readonly stage: string;
    /** Absolute path of the .ko in that stage. */
    readonly path: string;
}

/**
 * One step of image.steps: exactly one action key is set (the schema checks it), `from` only
 * with `replace`.
 */
export interface ImageStep {
    readonly install?: readonly InstallItem[];
    readonly remove?: readonly string[];
    readonly replace?: readonly string[];
    /** Mirror repo id package names in `replace` come from (default: the first mirror repo). */
    readonly from?: string;
    readonly files?: readonly SpecFile[];
    readonly enable?: readonly string[];
    readonly run?: readonly string[];
    readonly copy?: readonly StageCopy[];
    readonly kernelModules?: readonly KernelModule[];
}

/** The steps a builder stage may take: files, run, and copy from an earlier stage. */
export type StageStep = Pick<ImageStep, "files" | "run" | "copy">;

export interface BuildStage {
    readonly name: string;
    /** FROM, by digest. */
    readonly base: string;
    readonly steps: readonly StageStep[];
}

/** A file or directory of the repository, as RenderOptions.readSource returns it. */
export interface SourceEntry {
    /** Path below the source ("" when the source is the file itself). */
    readonly rel: string;
    readonly data: Uint8Array;
    /** The file's own octal mode, e.g. "0755". */
    readonly mode: string;
}

export type ReadSource = (source: string) => readonly SourceEntry[];

export interface ContextFile {
    /** Path relative to the build context. */
    readonly path: string;
    /** The content; base64 of the bytes when `encoding` is base64 (files from the repository). */
    readonly content: string;
    readonly mode: string;
    readonly encoding?: "base64";
}

export { KERNEL_SUBPACKAGES, kernelSubpackage } from "../openshift/kernel";

/** True when `items` replace every kernel subpackage (the only kernel replacement rendered with cliwrap). */
export function replacesWholeKernel(items: readonly string[]): boolean {
    const subs = new Set(items.map(kernelSubpackage));
    return KERNEL_SUBPACKAGES.every(s => subs.has(s));
}

export const continuation = RUN_CONTINUATION;
const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

/** The command that closes every RUN of the dialect (rpm-ostree: the layer must be an ostree commit). */
export function commitCommand(dialect: Dialect): string[] {
    return dialect === "rpm-ostree" ? ["ostree container commit"] : [];
}

/** `RUN [--mount ... \\\n    ]<commands> && <commit>`; mounts are build-time only (never in the layer). */
export function runLine(commands: readonly string[], dialect: Dialect, mounts: readonly string[] = []): string {
    return (
        `RUN ` +
        `${mounts.map(m => `${m} \\\n    `).join("")}${[...commands, ...commitCommand(dialect)].join(continuation)}`
    );
}

/**
 * Written by subscription-manager's dnf plugin when a RUN sees an entitlement (a registered
 * build host's, or one mounted at /etc/pki/entitlement); removed in the same RUN, because the
 * certificates are gone after the build and rpm-ostree on the node would try the repos and fail
 * (openshift/machine-config-operator docs/UsingLayering.md, "Entitled Packages").
 */
export const REDHAT_REPO_FILE = "/etc/yum.repos.d/redhat.repo";

export interface RepoFileCommands {
    readonly write: string[];
    readonly remove: string[];
    /** `--mount=type=secret,...` flags of the RUN (the `fetch: build` repos' TLS files). */
    readonly mounts: string[];
}

/**
 * The commands around an installing RUN: the mirror's .repo file written and removed (so it never
 * ships), the build secrets it mounts, and redhat.repo removed when the RUN is entitled
 * (`entitledHost`: the build host is registered, so podman passes its entitlement in).
 */
export function repoFileCommands(repos: readonly MirrorRepo[], entitledHost = false): RepoFileCommands {
    const secrets = [
        ...repos.flatMap(r => r.mounts ?? []),
        ...repos.flatMap(r => (r.auth === undefined ? [] : [r.auth.secret])),
    ];
    const mounts = [...new Set(secrets.map(m => `--mount=type=secret,id=${m.id},target=${m.target}`))];
    const redhatRepo = entitledHost || repos.some(r => r.entitled === true) ? [`rm -f ${REDHAT_REPO_FILE}`] : [];
    if (repos.length === 0) return { write: [], remove: redhatRepo, mounts };
    // The mirror's password line is read from its secret mount when the RUN runs (the shell
    // expands it inside double quotes): the Containerfile names only the path.
    const passwordFile = repos.find(r => r.auth !== undefined)?.auth?.secret.target;
    const repoLines = renderRepoFile(repos, passwordFile === undefined ? undefined : PASSWORD_PLACEHOLDER)
        .trimEnd()
        .split("\n")
        .map(
            l =>
                `        ` +
                `${l === `password=${PASSWORD_PLACEHOLDER}` ? `"password=$(cat ${passwordFile})"` : shellQuote(l)}`,
        )
        .join(" \\\n");
    return {
        write: [`printf '%s\\n' \\\n${repoLines} \\\n        > ${REPO_FILE}`],
        remove: [`rm -f ${REPO_FILE}`, ...redhatRepo],
        mounts,
    };
}

/** Stands for the password while the .repo text is rendered; never reaches a Containerfile. */
const PASSWORD_PLACEHOLDER = "@RF_MIRROR_PASSWORD@";

export function installCommand(dialect: Dialect, items: readonly string[]): string[] {
    const args = items.map(shellQuote).join(" ");
    return dialect === "rpm-ostree" ? [`rpm-ostree install ${args}`] : [`dnf install -y ${args}`, "dnf clean all"];
}

export function removeCommand(dialect: Dialect, names: readonly string[]): string[] {
    const args = names.map(shellQuote).join(" ");
    return dialect === "rpm-ostree"
        ? [`rpm-ostree override remove ${args}`]
        : [`dnf remove -y ${args}`, "dnf clean all"];
}

/**
 * Replacing base packages stays `rpm-ostree override replace` in both dialects: it swaps a
 * package whichever way its version goes, and rpm-ostree is in every RHCOS. A whole-kernel
 * replacement first installs cliwrap, as the override-kernel example does, so the kernel
 * scripts' calls are intercepted.
 */
export function replaceCommands(items: readonly string[], repo: string | undefined): string[] {
    const urls = items.filter(isUrl);
    const names = items.filter(r => !isUrl(r));
    const out: string[] = [];
    if (replacesWholeKernel(items)) out.push("rpm-ostree cliwrap install-to-root /");
    if (urls.length > 0) out.push(`rpm-ostree override replace ${urls.map(shellQuote).join(" ")}`);
    if (names.length > 0) {
        if (repo === undefined) throw new Error("package names in a replace step need a mirror repo to come from");
        out.push(
            `rpm-ostree override replace --experimental --from repo=${mirrorSectionId(repo)} ` +
                `${names.map(shellQuote).join(" ")}`,
        );
    }
    out.push("rpm-ostree cleanup -m");
    return out;
}

function octal(mode: string): string {
    return mode.length === 3 ? `0${mode}` : mode;
}

/** The context files and image paths of one file entry (a directory source is expanded). */
export function expandFile(
    f: SpecFile,
    dir: string,
    readSource: ReadSource | undefined,
): { context: ContextFile[]; chmod: [string, string][] } {
    if (f.source === undefined) {
        const mode = f.mode ?? "0644";
        return { context: [{ path: `${dir}${f.path}`, content: f.content ?? "", mode }], chmod: [[f.path, mode]] };
    }
    if (readSource === undefined)
        throw new Error(`image file ${f.path} comes from source ${f.source}, but no source reader was given`);
    const entries = [...readSource(f.source)].sort((a, b) => a.rel.localeCompare(b.rel));
    const context: ContextFile[] = [];
    const chmod: [string, string][] = [];
    for (const e of entries) {
        const target = e.rel === "" ? f.path : `${f.path.replace(/\/$/, "")}/${e.rel}`;
        const mode = octal(f.mode ?? e.mode);
        context.push({
            path: `${dir}${target}`,
            content: Buffer.from(e.data).toString("base64"),
            mode,
            encoding: "base64",
        });
        chmod.push([target, mode]);
    }
    return { context, chmod };
}

export interface StepRenderOptions {
    readonly dialect: Dialect;
    readonly repos: readonly MirrorRepo[];
    /** Default repo for package names in replace steps. */
    readonly replaceRepo?: string;
    readonly readSource?: ReadSource;
    /** The build host is registered (its entitlement reaches every RUN): remove redhat.repo. */
    readonly entitledHost?: boolean;
}

/**
 * The KVER the base image boots: the `%{VERSION}-%{RELEASE}.%{ARCH}` of its one kernel-core, which
 * is also the name of its /usr/lib/modules/<kver>/ directory (RHEL's kernel-core ships that
 * directory; the loading-kernel-module example's Makefile builds for the same string). Each query
 * result ends in a space, so two kernel-core packages show as two words rather than one glued
 * string; no kernel-core at all fails here with its own message instead of a bare rpm exit code.
 */
const BASE_KVER = [
    '{ KVER="$(rpm -q --qf \'%{VERSION}-%{RELEASE}.%{ARCH} \' kernel-core)" || { echo "rhcos-forge: ' +
        "kernelModules: the base image has no kernel-core package, so there is no kernel to install the modules " +
        'for" >&2; exit 1; }; }',
    'KVER="${KVER% }"',
    '{ case "$KVER" in *" "*) echo "rhcos-forge: kernelModules: the base image has more than one kernel-core ' +
        '($KVER); modules are built for exactly one kernel" >&2; exit 1;; esac; }',
    '{ test -d "/usr/lib/modules/$KVER" || { echo "rhcos-forge: kernelModules: the base image\'s kernel-core ' +
        '$KVER has no /usr/lib/modules/$KVER" >&2; exit 1; }; }',
];

function kernelModuleCommands(mods: readonly KernelModule[]): string[] {
    const out = [...BASE_KVER];
    for (const m of mods) {
        const tmp = `/tmp/rhcos-forge-kmods/${m.name}.ko`;
        // vermagic starts with the release the module was built against; a module of another
        // kernel would fail to load on every node, so the build stops here, naming both kernels.
        // modinfo of a file that is no module prints nothing (the pipeline's status is cut's).
        out.push(
            `built="$(modinfo -F vermagic ${tmp} | cut -d' ' -f1)"`,
            `{ [ -n "$built" ] || { echo "rhcos-forge: kernelModules: ${m.name} (${m.path} of stage ` +
                `${m.stage}) has no vermagic: it is not a kernel module" >&2; exit 1; }; }`,
            `{ [ "$built" = "$KVER" ] || { echo "rhcos-forge: kernelModules: ${m.name} from stage ${m.stage} ` +
                `was built for kernel $built, but the base image's kernel-core is $KVER; build it against the ` +
                `base's kernel (for a driver-toolkit stage: the driver-toolkit of the cluster's release)" >&2; ` +
                `exit 1; }; }`,
            `install -D -m 0644 ${tmp} "/usr/lib/modules/$KVER/extra/${m.name}.ko"`,
            `mkdir -p /usr/lib/modules-load.d`,
            `printf '%s\\n' ${m.name} > /usr/lib/modules-load.d/${m.name}.conf`,
        );
    }
    out.push("rm -rf /tmp/rhcos-forge-kmods", 'depmod -a "$KVER"');
    return out;
}

/** Containerfile lines and context files of a list of steps; `dir` prefixes their context paths. */
export function renderSteps(
    steps: readonly ImageStep[],
    dir: string,
    opts: StepRenderOptions,
): { lines: string[]; context: ContextFile[] } {
    const lines: string[] = [];
    const context: ContextFile[] = [];
    const { write, remove, mounts } = repoFileCommands(opts.repos, opts.entitledHost);
    steps.forEach((step, i) => {
        const stepDir = `${dir}${i}`;
        if (step.install !== undefined) {
            const names: string[] = [];
            const sources: string[] = [];
            for (const item of step.install) {
                if (typeof item === "string") {
                    names.push(item);
                    continue;
                }
                if (opts.readSource === undefined)
                    throw new Error(`RPM ${item.source} comes from the repository, but no source reader was given`);
                for (const e of opts.readSource(item.source)) {
                    const base = (e.rel === "" ? item.source : e.rel).split("/").pop() ?? "";
                    context.push({
                        path: `${stepDir}/${base}`,
                        content: Buffer.from(e.data).toString("base64"),
                        mode: "0644",
                        encoding: "base64",
                    });
                    sources.push(`/tmp/rhcos-forge-rpms/${base}`);
                }
            }
            if (sources.length > 0) lines.push(`COPY ${stepDir}/ /tmp/rhcos-forge-rpms/`);
            lines.push(
                runLine(
                    [
                        ...write,
                        ...installCommand(opts.dialect, [...names, ...sources]),
                        ...(sources.length > 0 ? ["rm -rf /tmp/rhcos-forge-rpms"] : []),
                        ...remove,
                    ],
                    opts.dialect,
                    mounts,
                ),
            );
        } else if (step.remove !== undefined) {
            lines.push(runLine(removeCommand(opts.dialect, step.remove), opts.dialect));
        } else if (step.replace !== undefined) {
            const needsRepo = step.replace.some(r => !isUrl(r));
            const repo = step.from ?? opts.replaceRepo ?? opts.repos[0]?.id;
            lines.push(
                runLine(
                    [...(needsRepo ? write : []), ...replaceCommands(step.replace, repo), ...(needsRepo ? remove : [])],
                    opts.dialect,
                    needsRepo ? mounts : [],
                ),
            );
        } else if (step.files !== undefined) {
            const chmod: [string, string][] = [];
            for (const f of step.files) {
                const x = expandFile(f, stepDir, opts.readSource);
                context.push(...x.context);
                chmod.push(...x.chmod);
            }
            lines.push(`COPY ${stepDir}/ /`);
            lines.push(
                runLine(
                    chmod.map(([p, m]) => `chmod ${m} ${shellQuote(p)}`),
                    opts.dialect,
                ),
            );
        } else if (step.enable !== undefined) {
            lines.push(runLine([`systemctl enable ${step.enable.map(shellQuote).join(" ")}`], opts.dialect));
        } else if (step.run !== undefined) {
            lines.push(runLine(step.run, opts.dialect));
        } else if (step.copy !== undefined) {
            for (const c of step.copy)
                // COPY takes paths literally (the schema allows only plain characters): no quoting.
                lines.push(`COPY --from=${c.from} ${c.src} ${c.dst}`);
        } else if (step.kernelModules !== undefined) {
            for (const m of step.kernelModules)
                lines.push(`COPY --from=${m.stage} ${m.path} /tmp/rhcos-forge-kmods/${m.name}.ko`);
            lines.push(runLine(kernelModuleCommands(step.kernelModules), opts.dialect));
        } else {
            throw new Error(`image step ${i} has no action`);
        }
    });
    return { lines, context };
}

/** The builder stages, each `FROM <digest> AS <name>` with its own steps, before the image's FROM. */
export function renderStages(
    stages: readonly BuildStage[],
    readSource: ReadSource | undefined,
): { lines: string[]; context: ContextFile[] } {
    const lines: string[] = [];
    const context: ContextFile[] = [];
    for (const s of stages) {
        lines.push(`FROM ${s.base} AS ${s.name}`);
        // A builder stage is not a node image: no ostree commit, no mirror (it never ships).
        const r = renderSteps(s.steps, `stages/${s.name}/`, { dialect: "dnf", repos: [], readSource });
        lines.push(...r.lines);
        context.push(...r.context);
    }
    return { lines, context };
}

/**
 * The last instruction of a dnf-dialect image: bootc's own checks of a bootable container (one
 * kernel, no /usr/etc, ...). Fatal on error, like a failed RUN.
 */
export const LINT_LINE = "RUN bootc container lint";
