// Pure assembly of what a remote build receives: the stdin bundle (Containerfile, context and the
// registry auth, so no secret is ever in a command string) and the build id that decides whether
// anything needs to be built at all.
import { ContextFile } from "./containerfile";
import { BUNDLE_HEADERS, BundleEntry, authEntry, renderBundleText } from "../bundle";
import { contentHash } from "../shell";

export const BUNDLE_HEADER = BUNDLE_HEADERS.bundle;

/** One line per entry; build-image.sh unpacks it (see components/scripts/build-image.sh). */
export function renderBundle(
    containerfile: string,
    context: readonly ContextFile[],
    authJson?: string,
    secrets: Readonly<Record<string, string>> = {},
): string {
    const entries: BundleEntry[] = [
        { kind: "file", plain: ["0644"], values: ["Containerfile", containerfile] },
        // Files from the repository are already base64 of their bytes (binary-safe end to end:
        // build-image.sh decodes each field straight into the file).
        ...context.map(f =>
            f.encoding === "base64"
                ? { kind: "file", plain: [f.mode], values: [f.path], encoded: [f.content] }
                : { kind: "file", plain: [f.mode], values: [f.path, f.content] },
        ),
        ...authEntry(authJson),
        // Build secrets (TLS files of `fetch: build` repos): podman build --secret, never the context.
        ...Object.entries(secrets)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([id, content]) => ({ kind: "secret", values: [id, content] })),
    ];
    return renderBundleText("bundle", entries);
}

export interface BuildIdInputs {
    readonly containerfile: string;
    readonly context: readonly ContextFile[];
    readonly base: string;
    readonly repository: string;
    /** Hash of the mirror's inputs: a re-synced mirror may carry newer RPMs, so it rebuilds. */
    readonly mirrorRevision?: string;
}

/**
 * The content hash of exactly what changes the pushed image: the Containerfile (which carries
 * the base digest and the mirror URLs), the context files, the target repository and the mirror's
 * revision. Registry
 * credentials are left out on purpose: rotating a password must not rebuild every node.
 */
export function buildId(inputs: BuildIdInputs): string {
    return (
        "rf-" +
        contentHash({
            containerfile: inputs.containerfile,
            context: [...inputs.context].sort((a, b) => a.path.localeCompare(b.path)),
            base: inputs.base,
            repository: inputs.repository,
            mirrorRevision: inputs.mirrorRevision,
        }).slice(0, 40)
    );
}
