// The mirror's HTTP basic auth, pure: the generated password and the server's credentials file
// (no Pulumi types).
import { randomBytes } from "crypto";

/** The mirror's basic auth credentials; a secret (one shape for the build and the on-cluster repos). */
export interface MirrorCredentials {
    readonly username: string;
    readonly password: string;
}

/** The user of the mirror's HTTP basic auth; the password is the secret. */
export const MIRROR_USER = "rhcos-forge";

/** 32 random bytes, base64url: 43 characters the .repo file and the config schema both take. */
export function generateMirrorPassword(): string {
    return randomBytes(32).toString("base64url");
}

/** mirror-server.py's --auth-file: one `<user>:<password>` line. A secret. */
export function renderMirrorAuthFile(username: string, password: string): string {
    return `${username}:${password}\n`;
}
