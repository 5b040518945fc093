// The stdin bundle: how every step hands its files and secrets to a host script. Secrets never go
// on a command line (the command provider prints it on failure, components/host/step.ts); they
// travel here, on stdin, and the script decodes each field straight into a 0600 file.
//
// The format, owned by this module on the TypeScript side and by rf_read_bundle
// (components/scripts/lib-bundle.sh) on the host:
//   <header>                       first line: "rhcos-forge-<format> v1"
//   <kind> <field> <field> …       one entry a line, fields separated by one space
// Fields are base64 of their UTF-8 text, except plain ones (a file's octal mode) written first.

/** The first line of each bundle a script reads; the script refuses any other. */
export const BUNDLE_HEADERS = {
    /** build-image.sh, put-files.sh, sign-image.sh, sbom-image.sh, prune-images.sh, rhsm-register.sh */
    bundle: "rhcos-forge-bundle v1",
    /** cosa-build.sh */
    cosa: "rhcos-forge-cosa v1",
    /** release-new.sh */
    release: "rhcos-forge-release v1",
} as const;

export type BundleFormat = keyof typeof BUNDLE_HEADERS;

/** One line of a bundle. */
export interface BundleEntry {
    readonly kind: string;
    /** Written as they are, before the values: a file's octal mode. */
    readonly plain?: readonly string[];
    /** Written base64-encoded: names, contents, secrets. */
    readonly values?: readonly string[];
    /** Written as they are after `plain`: values the caller already holds as base64 (binary files). */
    readonly encoded?: readonly string[];
}

/** Base64 of a string's UTF-8 bytes: the one encoding of every bundle field. */
export function b64(text: string): string {
    return Buffer.from(text, "utf8").toString("base64");
}

/** A bundle's text: the header line, then one line per entry, newline-terminated. */
export function renderBundleText(format: BundleFormat, entries: readonly BundleEntry[]): string {
    const lines = entries.map(e => {
        const fields = [...(e.plain ?? []), ...(e.values ?? []).map(b64), ...(e.encoded ?? [])];
        // An empty field (an empty file's content) is allowed; a blank inside one would split it.
        for (const f of fields) if (/\s/.test(f)) throw new Error(`bundle entry ${e.kind}: a field holds whitespace`);
        return [e.kind, ...fields].join(" ");
    });
    return [BUNDLE_HEADERS[format], ...lines].join("\n") + "\n";
}

/** The `authfile <auth.json>` entry, when there is a registry auth. */
export function authEntry(authJson: string | undefined): BundleEntry[] {
    return authJson === undefined ? [] : [{ kind: "authfile", values: [authJson] }];
}

/** The bundle of a step whose only input is the (optional) registry auth. */
export function renderAuthBundle(authJson: string | undefined): string {
    return renderBundleText("bundle", authEntry(authJson));
}
