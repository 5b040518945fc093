// Pure helpers for the command lines rhcos-forge runs on build hosts.
//
// Non-secret parameters travel as `env NAME=value` prefixes in the command string, not as the
// command's `environment`: pulumi-command 1.2.1 sends that with SSH "env" requests and fails the
// command when sshd does not AcceptEnv a name (provider/pkg/provider/remote/commandOutputs.go;
// stock sshd accepts LANG and LC_*). The provider prints the command string on failure, which is
// fine for these values. Secrets never go here: they travel on stdin.
import { createHash } from "crypto";
import * as path from "path";

/** POSIX single-quote quoting: safe for any byte string. */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `env A='x' B='y' bash <script>`: the one command shape every remote step uses. */
export function scriptCommand(
    scriptPath: string,
    env: Readonly<Record<string, string>>,
    args: readonly string[] = [],
): string {
    const assignments = Object.keys(env)
        .sort()
        .map(k => {
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
        return `{${Object.keys(obj)
            .sort()
            .filter(k => obj[k] !== undefined)
            .map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value);
}

export function contentHash(value: unknown): string {
    return sha256(canonicalJson(value));
}

/**
 * The command that runs one of rhcos-forge's own helper programs (a host key or password
 * generator, a destroy-time wait) with node on the machine running Pulumi, given its directory
 * and base name. From the compiled package (dist/) it is plain JavaScript; from this repository's
 * sources it is TypeScript, run under tsx, the loader the stack program itself runs under
 * (program.js). The path is relative to the working directory (the
 * engine runs local commands in the project directory), so the state does not hold a checkout's
 * absolute path.
 */
export function nodeProgramCommand(
    dir: string,
    base: string,
    args: readonly string[] = [],
    cwd: string = process.cwd(),
): string {
    // This module's own extension says which of the two it is running from.
    const compiled = !__filename.endsWith(".ts");
    const file = path.relative(cwd, path.join(dir, `${base}${compiled ? ".js" : ".ts"}`)) || `${base}.ts`;
    return [...(compiled ? ["node"] : ["node", "--import", "tsx"]), file, ...args].map(shellQuote).join(" ");
}
