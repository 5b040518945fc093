// Harness for the host tests (test/host/*.test.ts) and the bench.
//
// Stands up, on loopback only and on free high ports, an sshd acting as the build host, and
// re-exports the loopback services of dev/ (registry, processes, ports) that the tests share with
// the demo. Everything is torn down by Env.teardown(), which the tests call from after() so it
// also runs when a test fails.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
    Env,
    REPO_ROOT,
    RunOpts,
    RunResult,
    addSecret,
    freePort,
    killPidFile,
    run,
    sh,
    shq,
    waitFor,
} from "../../dev/proc";
import assert from "node:assert/strict";
import { BaseImages, buildBaseImages } from "../../dev/baseImage";
import { Registry, startRegistry } from "../../dev/registry";
import { buildFixtureRpms } from "../../dev/rpms";
import { Upstream, startUpstream } from "../../dev/upstream";
import { generateHostKeyPair } from "../../components/ssh/hostKey";
import { authEntry, renderBundleText } from "../../components/bundle";
import { buildId, renderBundle } from "../../components/image/buildInputs";
import { ImageSpec, renderContainerfile } from "../../components/image/containerfile";
import { sourceReader } from "../../components/image/sources";
import { MirrorRepo } from "../../components/mirror/repoFiles";

export * from "../../dev/proc";
export * from "../../dev/registry";

export const SCRIPTS_DIR = join(REPO_ROOT, "components", "scripts");

// An image spec that changes nothing: a test adds `base` and what it installs.
export { emptyOnCluster } from "../unit/imageSpecs";

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
export function mirrorEnv(
    root: string,
    repoFile: string,
    port: number,
    extra: Record<string, string> = {},
): Record<string, string> {
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
        /** The sshd's host key as `ssh-keyscan -p <port> 127.0.0.1` prints it: what a stack pins. */
        readonly hostKeyLine: string,
        /** The sshd's config file (startBuildHost: Debian's default plus a droplet's settings). */
        readonly sshdConfig: string,
    ) {}

    sshArgs(): string[] {
        return [
            "-i",
            this.keyFile,
            "-p",
            String(this.port),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            `UserKnownHostsFile=${this.knownHosts}`,
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
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

    /** ship every components/scripts/*.sh (lib.sh beside the others) and the mirror's server */
    async shipScripts(): Promise<void> {
        for (const f of readdirSync(SCRIPTS_DIR).filter(n => n.endsWith(".sh") || n.endsWith(".py"))) {
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
    const lines = res.stdout
        .trim()
        .split("\n")
        .filter(l => l.length > 0);
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
        .map(l => /^rhcos-forge (\S+): step "([^"]+)" failed: (.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null);
    const f = fails[fails.length - 1];
    if (f) out.failure = { script: f[1]!, step: f[2]!, why: f[3]! };
    return out;
}

export function failureLines(stderr: string): string[] {
    return stderr.split("\n").filter(l => /^rhcos-forge \S+: step "[^"]+" failed: /.test(l));
}

/**
 * Debian's default sshd_config as openssh-server ships it (the package keeps the pristine copy
 * here; /etc/ssh/sshd_config may carry local edits): `AcceptEnv LANG LC_*`, UsePAM, StrictModes
 * (the compiled default) and the rest as a stock Debian host runs them.
 */
export const DEBIAN_SSHD_CONFIG = "/usr/share/openssh/sshd_config";

/**
 * What a DigitalOcean CentOS Stream 9 droplet created with an SSH key adds to a stock config, and
 * only that: root logs in with a key (`PermitRootLogin prohibit-password`, CentOS Stream 9's and
 * OpenSSH's default, spelled out) and passwords are off (`PasswordAuthentication no`, which
 * cloud-init writes to sshd_config.d/50-cloud-init.conf for a droplet created with a key; DO's
 * "I lost the SSH key for my Droplet" page). Nothing about AcceptEnv: RHEL's own list is locale
 * names only where it has any (LANG, LC_*, LANGUAGE, XMODIFIERS), like Debian's.
 */
export const DROPLET_SSHD_SETTINGS = ["PermitRootLogin prohibit-password", "PasswordAuthentication no"] as const;

/** `sshd -T`: the effective settings of a config file, keyword (lower case) to its values in order. */
export async function effectiveSshdConfig(configFile: string): Promise<Map<string, string[]>> {
    const res = await run("/usr/sbin/sshd", ["-T", "-f", configFile]);
    const settings = new Map<string, string[]>();
    for (const line of res.stdout.split("\n").filter(l => l.trim() !== "")) {
        const [key, ...rest] = line.trim().split(" ");
        settings.set(key!, [...(settings.get(key!) ?? []), rest.join(" ")]);
    }
    return settings;
}

/**
 * The build host every host and e2e test uses: a stock sshd on a free loopback port. Its config
 * is the test's own plumbing (port, loopback address, a per-run host key, pid file and
 * authorized_keys), then DROPLET_SSHD_SETTINGS, then Debian's default file verbatim; sshd takes
 * the first value of a keyword, and the plumbing sets none the other two do. `sshd -T` must show
 * AcceptEnv as exactly Debian's (LANG, LC_*): a machine whose sshd_config.d adds names fails here,
 * not later in a test that would then prove nothing. Its files live under /run, not the Env's /tmp
 * directory: with the default StrictModes, sshd refuses an authorized_keys file below a
 * world-writable directory.
 */
export async function startBuildHost(env: Env): Promise<BuildHost> {
    const d = mkdtempSync("/run/rf-sshd-");
    env.onTeardown(() => {
        if (!process.env.RF_KEEP_TMP) rmSync(d, { recursive: true, force: true });
    });
    const hostKey = join(d, "ssh_host_ed25519_key");
    const clientKey = join(d, "client_ed25519");
    // The host key is made the way BuildHost makes a droplet's (components/ssh/hostKey.ts), so
    // every test against this sshd also proves sshd serves that format.
    const pair = generateHostKeyPair("rf-host-test");
    writeFileSync(hostKey, pair.privateKey, { mode: 0o600 });
    writeFileSync(`${hostKey}.pub`, `${pair.publicKey}\n`);
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
            "# test plumbing: a free loopback port, this run's keys, its own pid file",
            `Port ${port}`,
            "ListenAddress 127.0.0.1",
            `HostKey ${hostKey}`,
            `PidFile ${join(d, "sshd.pid")}`,
            `AuthorizedKeysFile ${authorized}`,
            "# a DigitalOcean CentOS Stream 9 droplet created with an SSH key",
            ...DROPLET_SSHD_SETTINGS,
            `# ${DEBIAN_SSHD_CONFIG}, Debian's default, verbatim`,
            readFileSync(DEBIAN_SSHD_CONFIG, "utf8"),
        ].join("\n"),
    );
    const acceptEnv = (await effectiveSshdConfig(config)).get("acceptenv") ?? [];
    assert.deepEqual(
        acceptEnv,
        ["LANG", "LC_*"],
        `the test sshd must accept only Debian's default AcceptEnv names; sshd -T -f ${config} shows ` +
            `${acceptEnv.join(" ")}`,
    );
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    env.daemon("sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", config]);
    // The client pins the host key too: known_hosts holds it before the first connection.
    const typeAndKey = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    const hostKeyLine = `[127.0.0.1]:${port} ${typeAndKey}`;
    writeFileSync(join(d, "known_hosts"), `${hostKeyLine}\n`);
    const host = new BuildHost(
        env,
        port,
        clientKey,
        join(d, "known_hosts"),
        env.path("remote", "scripts"),
        hostKeyLine,
        config,
    );
    await waitFor("sshd", async () => (await host.ssh("true", { check: false })).code === 0, 20000);
    return host;
}

// ------------------------------------------------------------------ bundle
export interface BundleFile {
    path: string;
    mode?: string;
    content: string | Buffer;
}

/** build-image.sh's bundle of these files (components/bundle.ts writes it, as the build step does). */
export function makeBundle(files: BundleFile[], authJson?: string): string {
    return renderBundleText("bundle", [
        ...files.map(f => ({
            kind: "file",
            plain: [f.mode ?? "0644"],
            values: [f.path],
            encoded: [Buffer.from(f.content).toString("base64")],
        })),
        ...authEntry(authJson),
    ]);
}

/** What a build-image.sh run on the test host builds: the build id, the base and where it pushes. */
export interface ImageBuild {
    readonly root: string;
    readonly id: string;
    readonly repository: string;
    readonly base: string;
}

/** build-image.sh as LayeredImage runs it, on the loopback host (chroot isolation, plain-HTTP registry). */
export function runBuildImage(
    host: BuildHost,
    b: ImageBuild,
    input: string,
    vars: Record<string, string> = {},
): Promise<RemoteResult> {
    return host.script(
        "build-image.sh",
        {
            RF_ROOT: b.root,
            RF_BUILD_ID: b.id,
            RF_IMAGE_REPO: b.repository,
            RF_BASE_IMAGE: b.base,
            RF_PODMAN_BUILD_ARGS: "--isolation chroot --network host",
            RF_TLS_VERIFY: "false",
            ...vars,
        },
        { input },
    );
}

/**
 * An image spec rendered (renderContainerfile, buildId and renderBundle, as LayeredImage does) and
 * built by build-image.sh; the Containerfile comes back with the result.
 */
export async function buildSpec(
    fx: Pick<BuildFixture, "host" | "reg" | "root">,
    spec: ImageSpec,
    opts: { repository: string; repos: MirrorRepo[]; project: string },
): Promise<RemoteResult & { containerfile: string }> {
    const r = renderContainerfile(spec, { repos: opts.repos, readSource: sourceReader(opts.project) });
    const res = await buildRendered(fx, r, { base: spec.base, repository: opts.repository });
    return { ...res, containerfile: r.containerfile };
}

/**
 * A rendered Containerfile built by build-image.sh with its build id, bundle and mirror revision as
 * LayeredImage makes them.
 */
export function buildRendered(
    fx: Pick<BuildFixture, "host" | "reg" | "root">,
    r: ReturnType<typeof renderContainerfile>,
    b: { base: string; repository: string; mirrorRevision?: string },
    secrets: Readonly<Record<string, string>> = {},
): Promise<RemoteResult> {
    const { mirrorRevision, ...image } = b;
    const id = buildId({ containerfile: r.containerfile, context: r.context, ...image, mirrorRevision });
    const bundle = renderBundle(r.containerfile, r.context, fx.reg.authJson(), secrets);
    const vars: Record<string, string> = mirrorRevision === undefined ? {} : { RF_MIRROR_REVISION: mirrorRevision };
    return runBuildImage(fx.host, { root: fx.root, id, ...image }, bundle, vars);
}

/** A blob of a `dir:` image copy (Registry.copyToDir), un-gzipped when it is a gzipped layer. */
export function readBlob(dir: string, digest: string): Buffer {
    // read here, not through a command: a layer's bytes are no command output
    const raw = readFileSync(join(dir, digest.replace(/^sha256:/, "")));
    return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

// ------------------------------------------------------------------ file tree fingerprint
/** "path size mtime sha256" for every file under dir (for idempotency checks) */
export async function treeListing(dir: string): Promise<string> {
    const res = await sh(
        `cd ${shq(dir)} && find . -printf '%p %y %s %T@\\n' | LC_ALL=C sort && find . -type f -print0 | ` +
            `LC_ALL=C sort -z | xargs -0 -r sha256sum`,
    );
    return res.stdout;
}

// ------------------------------------------------------------------ pushed images
/** Pulls a pushed image by digest into local storage and mounts it; unmounted at teardown. */
export async function mountPushed(env: Env, reg: Registry, ref: string): Promise<string> {
    await run("podman", ["pull", "-q", "--tls-verify=false", "--creds", `${reg.user}:${reg.password}`, ref]);
    const mnt = (await run("podman", ["image", "mount", ref])).stdout.trim();
    env.onTeardown(() => run("podman", ["image", "unmount", ref], { check: false }).then(() => undefined));
    return mnt;
}

/** Every RPM in a mounted image, one `rpm -qa --qf <format>` line each, sorted. */
export async function rpmQa(mnt: string, format = "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}"): Promise<string[]> {
    const res = await run("rpm", ["--dbpath", join(mnt, "usr/share/rpm"), "-qa", "--qf", `${format}\\n`]);
    return res.stdout
        .split("\n")
        .filter(l => l)
        .sort();
}

// ------------------------------------------------------------------ a build host with its mirror
export interface BuildFixture {
    readonly host: BuildHost;
    readonly reg: Registry;
    readonly up: Upstream;
    readonly bases: BaseImages;
    /** RF_ROOT on the host. */
    readonly root: string;
    readonly mirrorPort: number;
    /** The upstream .repo file on the host (put-file.sh wrote it). */
    readonly repoFile: string;
}

/**
 * What the build tests start from, set up as the components do it: an sshd build host with the
 * scripts shipped and host-ready.sh passed, the loopback registry, the fixture RPMs served by an
 * upstream repo, the stand-in base images pushed, and the host's mirror of the upstream serving.
 */
export async function startBuildFixture(env: Env): Promise<BuildFixture> {
    const host = await startBuildHost(env);
    await host.shipScripts();
    const reg = await startRegistry(env);
    const rpms = await buildFixtureRpms(env.path("rpms"));
    const up = await startUpstream(env, rpms.upstream);
    const bases = await buildBaseImages(env, reg, rpms.base);
    const root = env.path("remote", "root");
    const mirrorPort = await freePort();
    const repoFile = join(root, "secrets", "upstream.repo");
    env.onTeardown(() => killPidFile(join(root, "mirror-server.pid")));
    const ready = await host.script("host-ready.sh", { RF_ROOT: root });
    assert.equal(ready.code, 0, ready.stderr);
    const put = await host.script("put-file.sh", {}, { input: up.repoFile(), args: [repoFile] });
    assert.equal(put.code, 0, put.stderr);
    const mirror = await host.script("repo-mirror.sh", mirrorEnv(root, repoFile, mirrorPort));
    assert.equal(mirror.code, 0, mirror.stderr);
    return { host, reg, up, bases, root, mirrorPort, repoFile };
}
