// The mirror's HTTP basic auth, pure: the generated password, the server's credentials file and
// the generator's output check (no Pulumi types).
import { randomBytes } from "crypto";

/** The mirror's basic auth credentials; a secret (one shape for the build and the on-cluster repos). */
export type { MirrorCredentials } from "../openshift/onClusterContent";

/** The user of the mirror's HTTP basic auth; the password is the secret. */
export const MIRROR_USER = "rhcos-forge";

/** 32 random bytes, base64url: 43 characters the .repo file and the config schema both take. */
export function generateMirrorPassword(): string {
    return randomBytes(32).toString("base64url");
}

/** What mirrorPasswordGen.ts prints (its last stdout line); throws on anything else. */
export function parseGeneratedPassword(stdout: string): string {
    let parsed: unknown;
    try {
        parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "");
    } catch {
        parsed = undefined;
    }
    const p = (parsed ?? {}) as { password?: unknown };
    if (typeof p.password !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(p.password)) {
        throw new Error("mirrorPasswordGen.ts printed no {password}");
    }
    return p.password;
}

/** mirror-server.py's --auth-file: one `<user>:<password>` line. A secret. */
export function renderMirrorAuthFile(username: string, password: string): string {
    return `${username}:${password}\n`;
}
