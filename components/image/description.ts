// Pure description of a layered image as a reviewer reads it in `pulumi preview --diff`: the base
// digest, the package changes, each file by path with a content hash (and, for small non-secret
// text files, the text), the units and the rendered Containerfile. No Pulumi types.
//
// LayeredImage hands it to the build step as its `describe`, which scriptStep carries as the
// `environment` (RF_IMAGE_* entries) of `<name>-build-description`, a command:local:Command with
// no command to run (components/host/step.ts descriptionRecord). Why there:
//   * the engine prints each changed key of that map, and a value that is JSON text as a decoded
//     object diff, key by key and element by element (printEncodedValueDiff / decodeValue in
//     pulumi pkg/backend/display/object_diff.go), and a multi-line string as a line diff with
//     two lines of context (printTextDiff / printLineDiff, same file): the changed line of a file
//     shows as `- old` / `+ new`;
//   * not the build command's own `environment`: upstream pulumi-command sends every entry with
//     an SSH "env" request and fails the build when sshd does not AcceptEnv it
//     (provider/pkg/provider/remote/commandOutputs.go), and a stock sshd accepts LANG and LC_*;
//   * not its `triggers`: they replace the command (provider/pkg/provider/common/inputs.go,
//     replaceOnChanges), so a description that changes alone (a new rhcos-forge version's
//     shape, a file newly marked secret) would show the build replaced and every MachineConfig's
//     osImageURL as [unknown] for an image that does not change;
//   * not in the command string (a heredoc): the string travels in the SSH exec request, reaches
//     bash as one argument (128 KiB at most, MAX_ARG_STRLEN) and is printed whole when the
//     command fails.
// The record runs nothing, so a description that changes alone updates only the record: no
// replacement, no build, not even a re-run of build-image.sh.
// The record never becomes a process's environment, but the texts stay bounded so a preview
// stays readable: file texts are shown up to FILE_TEXT_LIMIT bytes each and FILES_TEXT_BUDGET
// bytes in all.
import { sha256 } from "../shell";

/** Files up to this many bytes are shown as text; larger ones by hash only. */
export const FILE_TEXT_LIMIT = 4096;
/** All file texts together; files past it (in path order) are shown by hash only. */
export const FILES_TEXT_BUDGET = 64 * 1024;
/** A larger Containerfile is shown by hash only. */
export const CONTAINERFILE_TEXT_LIMIT = 96 * 1024;

export type HiddenReason = "secret" | "larger than 4 KiB" | "not UTF-8 text" | "over the preview's text budget";

export interface FileDescription {
    readonly mode: string;
    /** `sha256:<hex>` of the bytes, always present. */
    readonly sha256: string;
    readonly bytes: number;
    /** The content, only for small non-secret UTF-8 text. */
    readonly text?: string;
    /** Why `text` is absent. */
    readonly hidden?: HiddenReason;
}

export interface ImageDescription {
    readonly base: string;
    /** Builder stages before the image's FROM (image.stages), when there are any. */
    readonly stages?: readonly { readonly name: string; readonly base: string }[];
    readonly packages: {
        readonly install: readonly string[];
        readonly remove: readonly string[];
        readonly replace: readonly string[];
    };
    /** Every file the build context ships, by image path (`/etc/…`) or, outside files/, context path. */
    readonly files: Readonly<Record<string, FileDescription>>;
    readonly units: readonly string[];
    /** The rendered Containerfile, or its hash when it is too large to show. */
    readonly containerfile: string;
}

/** The image spec fields the description reads (components/image/containerfile.ts ImageSpec). */
export interface DescribedSpec {
    readonly base: string;
    readonly packages: readonly string[];
    readonly remove: readonly string[];
    readonly replace: readonly string[];
    readonly units: readonly string[];
    readonly stages?: readonly { readonly name: string; readonly base: string }[];
}

/** A build context file as renderContainerfile returns it (its ContextFile). */
export interface DescribedContextFile {
    /** Path relative to the build context. */
    readonly path: string;
    /** The content; base64 of the bytes when `encoding` is base64. */
    readonly content: string;
    readonly mode: string;
    readonly encoding?: "base64";
}

/** What renderContainerfile returns (its RenderedImage). */
export interface DescribedRender {
    readonly containerfile: string;
    readonly context: readonly DescribedContextFile[];
}

/**
 * Bytes a terminal shows as they are: valid UTF-8 and no control characters but tab, newline and
 * carriage return.
 */
export function isShowableText(bytes: Uint8Array): boolean {
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        return false;
    }
    return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}

const bytesOf = (f: DescribedContextFile): Buffer =>
    Buffer.from(f.content, f.encoding === "base64" ? "base64" : "utf8");

/** `files/etc/x` (the COPY files/ / tree) is `/etc/x` in the image; other context paths stay. */
export function imagePath(contextPath: string): string {
    return contextPath.startsWith("files/") ? contextPath.slice("files".length) : contextPath;
}

/** A path is secret when it is, or lies below, one of `secretPaths` (image paths). */
function isSecret(path: string, secretPaths: readonly string[]): boolean {
    return secretPaths.some(s => path === s || path.startsWith(`${s.replace(/\/$/, "")}/`) || path.endsWith(s));
}

function describeFiles(
    context: readonly DescribedContextFile[],
    secretPaths: readonly string[],
): Record<string, FileDescription> {
    let budget = FILES_TEXT_BUDGET;
    const out: Record<string, FileDescription> = {};
    for (const f of [...context].sort((a, b) => a.path.localeCompare(b.path))) {
        const path = imagePath(f.path);
        const data = bytesOf(f);
        const common = { mode: f.mode, sha256: `sha256:${sha256(data)}`, bytes: data.length };
        const hidden: HiddenReason | undefined = isSecret(path, secretPaths)
            ? "secret"
            : data.length > FILE_TEXT_LIMIT
              ? "larger than 4 KiB"
              : !isShowableText(data)
                ? "not UTF-8 text"
                : data.length > budget
                  ? "over the preview's text budget"
                  : undefined;
        if (hidden === undefined) {
            budget -= data.length;
            out[path] = { ...common, text: data.toString("utf8") };
        } else {
            out[path] = { ...common, hidden };
        }
    }
    return out;
}

/**
 * What `pulumi preview --diff` shows of an image. Files come from the rendered build context, so
 * a file of the repository (`source`) is described by what it ships, like an inline one.
 * `secretPaths` are the image paths of image.files entries marked `secret: true`.
 */
export function describeImage(
    spec: DescribedSpec,
    rendered: DescribedRender,
    secretPaths: readonly string[] = [],
): ImageDescription {
    const cf = rendered.containerfile;
    const size = Buffer.byteLength(cf, "utf8");
    const stages = (spec.stages ?? []).map(s => ({ name: s.name, base: s.base }));
    return {
        base: spec.base,
        ...(stages.length > 0 ? { stages } : {}),
        packages: { install: [...spec.packages], remove: [...spec.remove], replace: [...spec.replace] },
        files: describeFiles(rendered.context, secretPaths),
        units: [...spec.units],
        containerfile:
            size <= CONTAINERFILE_TEXT_LIMIT ? cf : `sha256:${sha256(cf)} (${size} bytes, too large to show)`,
    };
}

/**
 * The description as the description record's `environment`. Structured parts are JSON (file paths
 * sorted, lists in config order, as the Containerfile installs them), which the engine's display
 * decodes and diffs structurally; the Containerfile stays plain text for a line diff.
 */
export function descriptionEnvironment(d: ImageDescription): Record<string, string> {
    return {
        RF_IMAGE_BASE: d.base,
        ...(d.stages === undefined ? {} : { RF_IMAGE_STAGES: JSON.stringify(d.stages) }),
        RF_IMAGE_PACKAGES: JSON.stringify(d.packages),
        RF_IMAGE_FILES: JSON.stringify(d.files),
        RF_IMAGE_UNITS: JSON.stringify(d.units),
        RF_IMAGE_CONTAINERFILE: d.containerfile,
    };
}
