// The on-cluster Containerfile: what a MachineOSConfig's containerFile[].content carries for
// on-cluster layering. Pure rendering of OpenShift's contract (the MCO supplies the base as
// `FROM configs`), so the config schema can render it to check the API server's rules on it.
import { b64 } from "../bundle";
import { shellQuote } from "../shell";

/** Joins the commands of one RUN, one per line. */
export const RUN_CONTINUATION = " && \\\n    ";

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);

/** The image spec as on-cluster layering sees it: the MCO supplies the base (`FROM configs`). */
export interface OnClusterImageSpec {
    /** Files written into the image: inline content only (an on-cluster build has no context). */
    readonly files: readonly { readonly path: string; readonly content?: string; readonly mode?: string }[];
    readonly remove: readonly string[];
    /** RPM URLs (names from the mirror are not reachable from the cluster). */
    readonly replace: readonly string[];
    readonly packages: readonly string[];
    readonly units: readonly string[];
    readonly extraSteps: readonly string[];
    readonly labels: Readonly<Record<string, string>>;
}

/**
 * The same image spec as a Containerfile for on-cluster layering (a MachineOSConfig's
 * `containerFile[].content`). The MCO builds it `FROM configs AS final`, a stage it defines from
 * the pool's rendered config on the cluster's own base image, so there is no FROM digest here.
 * There is no build context either, so files travel inline (base64, written with `install -D`
 * so parent directories exist and the mode is set in one step). Packages come from the repos the
 * in-cluster build can reach (the base image's, or RHEL entitlements); names from the rhcos-forge
 * mirror are not available, so `replace` must be URLs (the config schema enforces it).
 */
export function renderOnClusterContainerfile(spec: OnClusterImageSpec): string {
    const lines: string[] = [
        "# Rendered by rhcos-forge from the stack config; edit the config, not this file.",
        "FROM configs AS final",
    ];
    const steps: string[] = [];
    for (const f of [...spec.files].sort((a, b) => a.path.localeCompare(b.path))) {
        // No build context on the cluster: the schema refuses `source` files with machineosconfig.
        if (f.content === undefined)
            throw new Error(
                `image file ${f.path} comes from the repository (source), which an on-cluster build cannot receive`,
            );
        steps.push(
            `printf '%s' ${shellQuote(b64(f.content))} | base64 -d | install -D -m ${f.mode ?? "0644"} ` +
                `/dev/stdin ${shellQuote(f.path)}`,
        );
    }
    if (spec.remove.length > 0) steps.push(`rpm-ostree override remove ${spec.remove.map(shellQuote).join(" ")}`);
    const names = spec.replace.filter(r => !isUrl(r));
    if (names.length > 0)
        throw new Error(
            `image.replace entries ${names.join(", ")} name mirror packages, which an on-cluster build cannot reach`,
        );
    if (spec.replace.length > 0) steps.push(`rpm-ostree override replace ${spec.replace.map(shellQuote).join(" ")}`);
    if (spec.packages.length > 0) steps.push(`rpm-ostree install ${spec.packages.map(shellQuote).join(" ")}`);
    if (spec.units.length > 0) steps.push(`systemctl enable ${spec.units.map(shellQuote).join(" ")}`);
    if (spec.remove.length > 0 || spec.replace.length > 0) steps.push("rpm-ostree cleanup -m");
    if (steps.length > 0) lines.push(`RUN ${[...steps, "ostree container commit"].join(RUN_CONTINUATION)}`);

    for (const step of spec.extraSteps) lines.push(`RUN ${step}${RUN_CONTINUATION}ostree container commit`);

    const labels = Object.entries(spec.labels).sort(([a], [b]) => a.localeCompare(b));
    if (labels.length > 0) lines.push(`LABEL ${labels.map(([k, v]) => `${k}="${v}"`).join(" \\\n      ")}`);
    return lines.join("\n") + "\n";
}
