// Validators the config sections share: names, addresses, ports, URLs, paths.
import { z } from "zod";

/** RPM package names and NEVRAs: no spaces or shell metacharacters (they are rendered into RUN lines). */
export const RPM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+:~^-]*$/;
/** Repo ids and pool names double as dnf section names, directory names and Kubernetes names. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.(service|socket|timer|path|mount|target)$/;
export const OCTAL_MODE = /^0?[0-7]{3,4}$/;

export function isAuthJson(text: string): boolean {
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null && "auths" in parsed;
    } catch {
        return false;
    }
}

/** An IPv4 or IPv6 address literal (no prefix, no host name). */
export function isIpAddress(value: string): boolean {
    return isValidCidr(`${value}/32`) || isValidCidr(`${value}/128`);
}

export function isValidCidr(value: string): boolean {
    const [addr, prefix, ...rest] = value.split("/");
    if (rest.length > 0 || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
    const bits = Number(prefix);
    if (/^[0-9.]+$/.test(addr)) {
        const octets = addr.split(".");
        return octets.length === 4 && octets.every(o => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255) && bits <= 32;
    }
    if (!/^[0-9a-fA-F:]+$/.test(addr) || bits > 128) return false;
    const halves = addr.split("::");
    if (halves.length > 2) return false;
    const groups = halves.flatMap(h => (h === "" ? [] : h.split(":")));
    if (!groups.every(g => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
    return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

export const port = z
    .number({ invalid_type_error: "must be a port number (1-65535)" })
    .int("must be a port number (1-65535)")
    .min(1, "must be a port number (1-65535)")
    .max(65535, "must be a port number (1-65535)");
export const cidr = z.string().refine(isValidCidr, "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
export const rpmName = z
    .string()
    .min(1, "must be a non-empty RPM package name")
    .regex(RPM_NAME, "must be an RPM package name (letters, digits, . _ + - : ~ ^; no spaces or shell characters)");
// No control characters either: the URL is rendered into .repo lines (a NUL passed \s).
export const httpUrl = z
    .string()
    .regex(
        /^https?:\/\/[^\s'"\\\u0000-\u001f\u007f]+$/,
        "must be an http(s) URL without spaces, quotes or control characters",
    );
export const workDir = z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path of plain characters")
    .default("/var/lib/rhcos-forge");
