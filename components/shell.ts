// Pure helpers for the command lines rhcos-forge runs on build hosts.
//
// Non-secret parameters travel as `env NAME=value` prefixes in the command string, not as the
// command's `environment`: pulumi-command 1.2.1 sends that with SSH "env" requests and fails the
// command when sshd does not AcceptEnv a name (provider/pkg/provider/remote/commandOutputs.go;
// stock sshd accepts LANG and LC_*). The provider prints the command string on failure, which is
// fine for these values. Secrets never go here: they travel on stdin.
import { createHash } from "crypto";

/** POSIX single-quote quoting: safe for any byte string. */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `env A='x' B='y' bash <script>`: the one command shape every remote step uses. */
export function scriptCommand(scriptPath: string, env: Readonly<Record<string, string>>, args: readonly string[] = []): string {
    const assignments = Object.keys(env).sort().map(k => {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${k}`);
        return `${k}=${shellQuote(env[k])}`;
    });
    return ["env", ...assignments, "bash", shellQuote(scriptPath), ...args.map(shellQuote)].join(" ");
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/** Canonical JSON (sorted keys) so equal inputs always hash equal. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        return `{${Object.keys(obj).sort().filter(k => obj[k] !== undefined)
            .map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

export function contentHash(value: unknown): string {
    return sha256(canonicalJson(value));
}
