// Harness for the host tests (test/host/*.test.ts) and the bench.
//
// Stands up, on loopback only and on free high ports, the pieces a real
// rhcos-forge run talks to: an sshd acting as the build host, a
// docker-registry with htpasswd auth, an upstream RPM repo served by
// python3 http.server, and a fake base image (NOT RHCOS) pushed by digest.
// Everything is torn down by Env.teardown(), which the tests call from
// after() so it also runs when a test fails.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync, readdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "..", "..");
export const SCRIPTS_DIR = join(REPO_ROOT, "components", "scripts");
export const FIXTURES_DIR = join(REPO_ROOT, "test", "fixtures");

// ------------------------------------------------------------------ output log
// Every byte any command run through the harness printed, for the secret scan.
const outputLog: string[] = [];
export function allOutput(): string {
  return outputLog.join("\n");
}
export function recordOutput(s: string): void {
  if (s) outputLog.push(s);
}

/** Secrets the tests hand out; assertNoSecrets() searches all output for them. */
export const secrets = new Set<string>();
export function addSecret(s: string): void {
  if (s.length >= 6) secrets.add(s);
}
/** Returns the secrets found in the collected output (should be empty). */
export function leakedSecrets(): string[] {
  const out = allOutput();
  return [...secrets].filter((s) => out.includes(s));
}

// ------------------------------------------------------------------ processes
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** throw when the exit code is not 0 (default true) */
  check?: boolean;
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<RunResult> {
  const check = opts.check ?? true;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    }
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const res: RunResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      recordOutput(res.stdout);
      recordOutput(res.stderr);
      if (check && res.code !== 0) {
        reject(
          new Error(
            `${cmd} ${args.join(" ")} exited ${res.code}\n--- stdout\n${res.stdout.slice(-4000)}\n--- stderr\n${res.stderr.slice(-4000)}`,
          ),
        );
      } else {
        resolvePromise(res);
      }
    });
    child.stdin.on("error", () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** bash -c helper for small local commands */
export function sh(script: string, opts: RunOpts = {}): Promise<RunResult> {
  return run("bash", ["-euo", "pipefail", "-c", script], opts);
}

export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr && typeof addr === "object") {
        const port = addr.port;
        srv.close(() => resolvePromise(port));
      } else {
        srv.close(() => reject(new Error("no port")));
      }
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function tcpOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const net = require("node:net") as typeof import("node:net");
    const s = net.connect({ port, host });
    s.once("connect", () => {
      s.destroy();
      resolvePromise(true);
    });
    s.once("error", () => resolvePromise(false));
  });
}

// ------------------------------------------------------------------ environment
export class Env {
  readonly dir: string;
  private cleanups: Array<() => Promise<void> | void> = [];
  private daemons: ChildProcess[] = [];

  constructor(prefix = "rf-host-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  mkdir(...p: string[]): string {
    const d = this.path(...p);
    mkdirSync(d, { recursive: true });
    return d;
  }

  onTeardown(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** start a long-running process; its output goes to <dir>/<name>.log */
  daemon(name: string, cmd: string, args: string[]): ChildProcess {
    const log = this.path(`${name}.log`);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: string[] = [];
    const collect = (d: Buffer) => chunks.push(d.toString("utf8"));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.on("close", () => {
      try {
        writeFileSync(log, chunks.join(""));
      } catch {
        // dir may be gone
      }
    });
    this.daemons.push(child);
    return child;
  }

  async teardown(): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`teardown step failed: ${String(e)}\n`);
      }
    }
    for (const d of this.daemons) {
      if (d.exitCode === null && d.signalCode === null) {
        d.kill("SIGTERM");
        const exited = await Promise.race([
          new Promise<boolean>((r) => d.once("close", () => r(true))),
          sleep(3000).then(() => false),
        ]);
        if (!exited) d.kill("SIGKILL");
      }
    }
    if (!process.env.RF_KEEP_TMP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** kill a process we started indirectly (e.g. the background mirror server) by its pid file */
export function killPidFile(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

// ------------------------------------------------------------------ sshd = the build host
/** The JSON result line the scripts print: the fields tests read, plus whatever else a script reports. */
export interface ScriptJson {
  ref: string;
  digest: string;
  tag: string;
  packages: { added: string[]; removed: string[]; changed: { name: string; from: string; to: string }[] };
  [field: string]: unknown;
}

/**
 * repo-mirror.sh's environment as the RepoMirror component sets it for a loopback test host:
 * the `fixtures` upstream repo, served in background mode on 127.0.0.1:<port>.
 */
export function mirrorEnv(root: string, repoFile: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RF_ROOT: root,
    RF_UPSTREAM_REPOFILE: repoFile,
    RF_REPO_IDS: "fixtures",
    RF_SERVE_MODE: "background",
    RF_MIRROR_BIND: "127.0.0.1",
    RF_MIRROR_PORT: String(port),
    ...extra,
  };
}

/** The result line of a run that must have one (fails the test with the script's stderr if not). */
export function resultJson(res: { json?: ScriptJson; stderr: string }): ScriptJson {
  if (res.json === undefined) throw new Error(`no JSON result line; stderr:\n${res.stderr.slice(-3000)}`);
  return res.json;
}

export interface RemoteResult extends RunResult {
  /** the last stdout line parsed as JSON, when it is JSON */
  json?: ScriptJson;
  /** the "rhcos-forge <script>: step ... failed" line, when present */
  failure?: { script: string; step: string; why: string };
}

export class BuildHost {
  constructor(
    readonly env: Env,
    readonly port: number,
    readonly keyFile: string,
    readonly knownHosts: string,
    readonly scriptsDir: string,
  ) {}

  sshArgs(): string[] {
    return [
      "-i", this.keyFile,
      "-p", String(this.port),
      "-o", "BatchMode=yes",
      "-o", "IdentitiesOnly=yes",
      "-o", "StrictHostKeyChecking=no",
      "-o", `UserKnownHostsFile=${this.knownHosts}`,
      "-o", "LogLevel=ERROR",
      "-o", "ConnectTimeout=10",
    ];
  }

  ssh(command: string, opts: RunOpts = {}): Promise<RunResult> {
    return run("ssh", [...this.sshArgs(), "root@127.0.0.1", command], opts);
  }

  /** copy a local file to the host the way the component does: ssh 'cat > path' */
  async put(localContent: string | Buffer, remotePath: string, mode = "0644"): Promise<void> {
    const dir = remotePath.replace(/\/[^/]*$/, "") || "/";
    await this.ssh(`mkdir -p ${shq(dir)} && cat > ${shq(remotePath)} && chmod ${mode} ${shq(remotePath)}`, {
      input: localContent,
    });
  }

  /** ship every components/scripts/*.sh (lib.sh beside the others) */
  async shipScripts(): Promise<void> {
    for (const f of readdirSync(SCRIPTS_DIR).filter((n) => n.endsWith(".sh"))) {
      await this.put(readFileSync(join(SCRIPTS_DIR, f)), `${this.scriptsDir}/${f}`, "0755");
    }
  }

  /** run a shipped script: ssh root@host 'env K=V ... bash <path> args', stdin piped */
  async script(
    name: string,
    vars: Record<string, string>,
    opts: { input?: string | Buffer; args?: string[] } = {},
  ): Promise<RemoteResult> {
    const envPart = Object.entries(vars)
      .map(([k, v]) => `${k}=${shq(v)}`)
      .join(" ");
    const argPart = (opts.args ?? []).map(shq).join(" ");
    const cmd = `env ${envPart} bash ${shq(`${this.scriptsDir}/${name}`)} ${argPart}`;
    const res = await this.ssh(cmd, { input: opts.input ?? "", check: false, timeoutMs: 15 * 60 * 1000 });
    return parseRemote(res);
  }
}

export function parseRemote(res: RunResult): RemoteResult {
  const out: RemoteResult = { ...res };
  const lines = res.stdout.trim().split("\n").filter((l) => l.length > 0);
  const last = lines[lines.length - 1];
  if (last) {
    try {
      out.json = JSON.parse(last);
    } catch {
      // not JSON
    }
  }
  const fails = res.stderr
    .split("\n")
    .map((l) => /^rhcos-forge (\S+): step "([^"]+)" failed: (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const f = fails[fails.length - 1];
  if (f) out.failure = { script: f[1]!, step: f[2]!, why: f[3]! };
  return out;
}

export function failureLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^rhcos-forge \S+: step "[^"]+" failed: /.test(l));
}

export async function startBuildHost(env: Env): Promise<BuildHost> {
  const d = env.mkdir("sshd");
  const hostKey = join(d, "ssh_host_ed25519_key");
  const clientKey = join(d, "client_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rf-host-test", "-f", hostKey]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rf-client-test", "-f", clientKey]);
  // the private key must never show up in any output
  for (const line of readFileSync(clientKey, "utf8").split("\n")) {
    if (line && !line.startsWith("-----")) addSecret(line);
  }
  const authorized = join(d, "authorized_keys");
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`));
  chmodSync(authorized, 0o600);
  const port = await freePort();
  const config = join(d, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(d, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorized}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "X11Forwarding no",
      "PrintMotd no",
      "MaxSessions 20",
      "MaxStartups 20:30:60",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  env.daemon("sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", config]);
  const host = new BuildHost(env, port, clientKey, join(d, "known_hosts"), env.path("remote", "scripts"));
  await waitFor("sshd", async () => (await host.ssh("true", { check: false })).code === 0, 20000);
  return host;
}

// ------------------------------------------------------------------ registry
export class Registry {
  constructor(
    readonly port: number,
    readonly user: string,
    readonly password: string,
  ) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  authJson(password = this.password): string {
    const auth = Buffer.from(`${this.user}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [this.host]: { auth } } });
  }

  private headers(): Record<string, string> {
    return { Authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString("base64")}` };
  }

  /** tags of a repository via the registry HTTP API ([] when the repo does not exist) */
  async tags(name: string): Promise<string[]> {
    const r = await fetch(`http://${this.host}/v2/${name}/tags/list`, { headers: this.headers() });
    if (r.status === 404) return [];
    if (!r.ok) throw new Error(`tags/list ${name}: HTTP ${r.status}`);
    const body = (await r.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  async catalog(): Promise<string[]> {
    const r = await fetch(`http://${this.host}/v2/_catalog`, { headers: this.headers() });
    if (!r.ok) throw new Error(`_catalog: HTTP ${r.status}`);
    return ((await r.json()) as { repositories?: string[] }).repositories ?? [];
  }

  /** digest of a pushed image as the registry reports it (skopeo, like an outside client) */
  async skopeoDigest(ref: string): Promise<string> {
    const res = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${this.user}:${this.password}`,
      "--format",
      "{{.Digest}}",
      `docker://${ref}`,
    ]);
    return res.stdout.trim();
  }
}

/**
 * Writes a docker-registry config serving 127.0.0.1:<port> from <dir>/data with htpasswd auth
 * (the password goes to htpasswd on stdin, never on a command line); returns its path.
 */
export async function writeRegistryConfig(dir: string, port: number, user: string, password: string, realm: string): Promise<string> {
  const htpasswd = join(dir, "htpasswd");
  await run("htpasswd", ["-B", "-i", "-c", htpasswd, user], { input: password });
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "auth:",
      "  htpasswd:",
      `    realm: ${realm}`,
      `    path: ${htpasswd}`,
      "",
    ].join("\n"),
  );
  return config;
}

export async function startRegistry(env: Env): Promise<Registry> {
  const d = env.mkdir("registry");
  const user = "rfpusher";
  const password = `regpw-${randomToken()}`;
  addSecret(password);
  const port = await freePort();
  const config = await writeRegistryConfig(d, port, user, password, "rhcos-forge-test");
  env.daemon("registry", "/usr/bin/docker-registry", ["serve", config]);
  await waitFor("registry", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/v2/`);
    return r.status === 401;
  });
  const reg = new Registry(port, user, password);
  // drop the images this run pulled/built for this registry from local
  // storage; images that also carry another name (the fixture cache tags
  // localhost/rhcos-forge-fixtures/...) are kept
  env.onTeardown(async () => {
    const res = await run("podman", ["images", "--format", "json"], { check: false });
    let images: Array<{ Id: string; Names?: string[] | null; RepoDigests?: string[] | null }> = [];
    try {
      images = JSON.parse(res.stdout || "[]");
    } catch {
      return;
    }
    const ours = (n: string) => n.startsWith(`${reg.host}/`);
    for (const img of images) {
      const names = [...(img.Names ?? []), ...(img.RepoDigests ?? [])];
      if (names.length === 0 || !names.some(ours)) continue;
      if ((img.Names ?? []).some((n) => !ours(n))) continue;
      await run("podman", ["image", "unmount", "-f", img.Id], { check: false });
      await run("podman", ["rmi", "-f", img.Id], { check: false });
    }
  });
  return reg;
}

export function randomToken(): string {
  return require("node:crypto").randomBytes(12).toString("hex") as string;
}

// ------------------------------------------------------------------ bundle
export interface BundleFile {
  path: string;
  mode?: string;
  content: string | Buffer;
}

export function makeBundle(files: BundleFile[], authJson?: string): string {
  const lines = ["rhcos-forge-bundle v1"];
  for (const f of files) {
    const b64p = Buffer.from(f.path).toString("base64");
    const b64c = Buffer.from(f.content).toString("base64");
    lines.push(`file ${f.mode ?? "0644"} ${b64p} ${b64c}`);
  }
  if (authJson !== undefined) lines.push(`authfile ${Buffer.from(authJson).toString("base64")}`);
  return lines.join("\n") + "\n";
}

// ------------------------------------------------------------------ file tree fingerprint
/** "path size mtime sha256" for every file under dir (for idempotency checks) */
export async function treeListing(dir: string): Promise<string> {
  const res = await sh(
    `cd ${shq(dir)} && find . -printf '%p %y %s %T@\\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`,
  );
  return res.stdout;
}
