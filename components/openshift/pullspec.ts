// Image pullspec rules. Nodes boot images only by digest: a tag can move under a MachineConfig
// that names it, so every image reference a node may boot is checked against DIGEST_REF.
// No imports on purpose: the policy pack uses this module too and declares no dependencies for it.

/** `registry/repo@sha256:<64 hex>`: the only way rhcos-forge lets a node boot an image. */
export const DIGEST_REF =
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+@sha256:[a-f0-9]{64}$/;

/** A push repository: registry host (with a dot, a port or `localhost`) and path, no tag, no digest. */
export const REPOSITORY = new RegExp(
    [
        // the host: localhost, a dotted name, any name with a port, or a bracketed IPv6 address with a port
        String.raw`^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+`,
        String.raw`|[a-z0-9.-]+:[0-9]{1,5}|\[[0-9a-f:]+\]:[0-9]{1,5})`,
        // an optional port, then one or more path components
        String.raw`(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$`,
    ].join(""),
);

/**
 * What a registry, podman or skopeo refuses in a reference's name although DIGEST_REF and
 * REPOSITORY match it, said as the end of a sentence about the key; undefined when nothing is
 * wrong (and for the keywords "cluster" and "driver-toolkit", which hold no slash):
 * - a port outside 1-65535 (the regexes take any five digits; the push or pull then fails to dial);
 * - a host name label over 63 characters (RFC 1035 2.3.4: the host cannot be resolved);
 * - a name (host and path, without tag or digest) over 255 characters: the reference grammar's
 *   NameTotalLengthMax = 255 (github.com/distribution/reference reference.go, "repository name
 *   must not be more than 255 characters"), which podman and skopeo refuse as they parse it.
 */
export function referenceNameProblem(ref: string): string | undefined {
    const slash = ref.indexOf("/");
    if (slash < 0) return undefined;
    const name = ref.replace(/@sha256:[a-f0-9]{64}$/, "");
    const host = name.slice(0, slash);
    const port = /:([0-9]+)$/.exec(host)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
        return `names registry port ${port}, which no registry can listen on (a TCP port is 1-65535); fix the port`;
    }
    const hostname = port === undefined ? host : host.slice(0, -(port.length + 1));
    const long = hostname.startsWith("[") ? undefined : hostname.split(".").find(label => label.length > 63);
    if (long !== undefined) {
        return (
            `has a registry host name label of ${long.length} characters (${long.slice(0, 12)}…), over DNS's 63, ` +
            `so the host cannot be resolved; use the registry's real host name`
        );
    }
    if (name.length > 255) {
        return (
            `has a repository name of ${name.length} characters (host and path), over the 255 that podman, skopeo ` +
            `and registries accept (distribution/reference NameTotalLengthMax); use a shorter path`
        );
    }
    return undefined;
}
