// rhcos-forge:mirror: the RPM repos mirrored on the build host and how the mirror is served.
import { z } from "zod";
import { repoContentFields } from "./rhelContent";
import { REPO_ID, httpUrl, isIpAddress, port, rpmName } from "./validators";

const repoSchema = z
    .object({
        id: z
            .string()
            .regex(REPO_ID, "must be a repo id (letters, digits, . _ -)")
            .describe("dnf repo id; also the mirror sub-directory."),
        baseurl: httpUrl.describe("Upstream baseurl."),
        gpgcheck: z.boolean().default(true).describe("Check package signatures when building."),
        gpgkey: httpUrl.optional().describe("GPG key URL; required while gpgcheck is true."),
        username: z
            .string()
            .regex(/^[^\s'"\\]+$/, "must be a user name without spaces or quotes")
            .optional()
            .describe("User for an authenticated upstream; the password is rhcos-forge:mirrorPasswords.<id>."),
        ...repoContentFields,
    })
    .strict();

export const mirrorSchema = z
    .object({
        port: port.default(5180).describe("HTTP port the mirror is served on."),
        // An address, not just its characters ("..", "1.2.3" passed the character check and failed on the host).
        bind: z
            .string()
            .refine(isIpAddress, "must be an IP address such as 10.0.0.5, 127.0.0.1 or 0.0.0.0")
            .optional()
            .describe(
                "Address the HTTP server binds (default: the address builds reach the mirror at, " +
                    "rhcos-forge:mirror.buildAddress or the host's: a droplet's private IPv4, an ssh host's " +
                    "address, 127.0.0.1 for local; 0.0.0.0 serves every interface).",
            ),
        auth: z
            .enum(["basic", "none"])
            .default("basic")
            .describe(
                "basic: every request needs HTTP basic auth (user rhcos-forge, the password " +
                    "rhcos-forge:mirrorPassword or one generated and kept secret in the state); none: anyone who " +
                    "reaches the port reads the mirror.",
            ),
        serve: z
            .enum(["systemd", "background", "none"])
            .default("systemd")
            .describe("How the mirror is served: a systemd unit, a background process, or not at all."),
        newestOnly: z.boolean().default(true).describe("Mirror only the newest version of each package."),
        refresh: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, "must be a short token such as 2026-12-07 or errata-42")
            .optional()
            .describe(
                "Change it (e.g. to today's date) to sync the mirror again with unchanged repos and package " +
                    "set, picking up newer upstream RPMs such as errata: the next up syncs, rebuilds and installs " +
                    "the packages anew (the mirror's revision keys the build's layers).",
            ),
        repos: z.array(repoSchema).default([]).describe("Upstream repos mirrored with `dnf reposync`."),
        packageSet: z
            .object({
                id: z
                    .string()
                    .regex(REPO_ID, "must be a repo id")
                    .default("rhcos-forge-extras")
                    .describe("Repo id (and directory) of the package set."),
                packages: z
                    .array(rpmName)
                    .default([])
                    .describe(
                        "Packages downloaded with their dependencies into the package-set repo (`dnf download " +
                            "--resolve`).",
                    ),
                allDeps: z
                    .boolean()
                    .default(false)
                    .describe("Also download dependencies the build host already has (`--alldeps`)."),
            })
            .strict()
            .default({})
            .describe("Packages downloaded with their dependencies (`dnf download --resolve`) into one repo."),
        buildAddress: z
            .string()
            .regex(/^[A-Za-z0-9.:\[\]-]+$/, "must be a host name or address")
            .optional()
            .describe(
                "Address build containers use to reach the mirror (default: the host's private address, or " +
                    "127.0.0.1 for local).",
            ),
    })
    .strict();

/**
 * The address the mirror's server binds: mirror.bind, else the address builds reach it at
 * (mirror.buildAddress, else the provider's: an ssh host's address, 127.0.0.1 for local); an IP
 * address or a host name the build host resolves.
 * undefined for a DigitalOcean host without either: the droplet's private IPv4, known once it
 * exists (BuildHost's buildAddress).
 */
export function mirrorBindAddress(cfg: {
    buildHost: { provider: string; host?: string };
    mirror: { bind?: string; buildAddress?: string };
}): string | undefined {
    if (cfg.mirror.bind !== undefined) return cfg.mirror.bind;
    if (cfg.mirror.buildAddress !== undefined) return cfg.mirror.buildAddress;
    if (cfg.buildHost.provider === "ssh") return cfg.buildHost.host;
    if (cfg.buildHost.provider === "local") return "127.0.0.1";
    return undefined;
}
