// rf-policy-check (dev/policycheck): the node-side signature check, built from the Go module proxy
// into ~/.cache/rhcos-forge/bin once per source change (Debian's skopeo and podman cannot verify
// sigstore signatures: containers/image there is built with sigstore disabled).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEV_DIR, RunResult, run } from "./proc";

const SRC = join(DEV_DIR, "policycheck");

export async function ensurePolicyCheck(): Promise<string> {
    const bin = join(process.env.RF_CACHE_DIR ?? join(homedir(), ".cache", "rhcos-forge"), "bin");
    const exe = join(bin, "rf-policy-check");
    const stamp = `${exe}.stamp`;
    const hash = createHash("sha256");
    for (const f of ["go.mod", "go.sum", "main.go"]) hash.update(readFileSync(join(SRC, f)));
    const want = hash.digest("hex");
    if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return exe;
    mkdirSync(bin, { recursive: true });
    await run("go", ["build", "-mod=readonly", "-tags", "containers_image_openpgp", "-o", exe, "."], {
        cwd: SRC,
        env: { ...process.env, CGO_ENABLED: "0" },
        timeoutMs: 15 * 60 * 1000,
    });
    writeFileSync(stamp, want);
    return exe;
}

/** A node's policy files: policy.json and the registries.d files by name. */
export interface NodePolicyFiles {
    readonly policyJson: string;
    readonly registriesD: Readonly<Record<string, string>>;
}

/** rf-policy-check `exe` on `ref` under `files`, written into `dir`, pulling with `authFile`; a refusal is no throw. */
export async function runPolicyCheck(
    exe: string,
    dir: string,
    files: NodePolicyFiles,
    authFile: string,
    ref: string,
): Promise<RunResult> {
    writeFileSync(join(dir, "policy.json"), files.policyJson);
    mkdirSync(join(dir, "registries.d"), { recursive: true });
    for (const [f, text] of Object.entries(files.registriesD)) writeFileSync(join(dir, "registries.d", f), text);
    const args = [
        "--policy",
        join(dir, "policy.json"),
        "--registries.d",
        join(dir, "registries.d"),
        "--authfile",
        authFile,
        "--tls-verify=false",
        ref,
    ];
    return run(exe, args, { check: false });
}
