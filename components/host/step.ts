// Running one of components/scripts/*.sh on a build host, the same way for every provider.
//
// A remote host gets the step's scripts (and the lib*.sh files they source) in one directory copy,
// one SFTP session per step, then runs `env RF_…=… bash <workDir>/scripts/<script>` in one SSH
// session; the local host runs the repo's copy directly.
// Secrets travel on stdin only: @pulumi/command 1.2.1 prints the command string and its whole
// output when a command fails (provider/pkg/provider/remote/commandOutputs.go, `running %q`).
// No remote command has an `environment`: upstream sends each entry with an SSH "env" request
// and fails the command when sshd refuses it (commandOutputs.go, logAndWrapSetenvErr), and a
// stock sshd accepts only LANG and LC_* (Debian's AcceptEnv; RHEL's adds a few locale names).
// Parameters travel as `env NAME=value` in the command string instead (components/shell.ts).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { scriptCommand, sha256 } from "../shell";

export type BuildHostProvider = "digitalocean" | "ssh" | "local";

/** What BuildHost hands to the components that run steps on it. */
export interface HostHandle {
    readonly provider: BuildHostProvider;
    /** SSH connection for remote hosts; undefined for `local`. */
    readonly connection?: pulumi.Output<command.types.input.remote.ConnectionArgs>;
    /** Work directory on the host (scripts, builds, mirror). */
    readonly workDir: string;
    /** Address other machines use to reach the host. */
    readonly address: pulumi.Output<string>;
    /** Address build containers on the host use to reach services on it (e.g. the mirror). */
    readonly buildAddress: pulumi.Output<string>;
    /** The resource that proves the host is ready; every step depends on it. */
    readonly ready: pulumi.Resource;
}

export const SCRIPTS_DIR = path.join(__dirname, "..", "scripts");

/**
 * A command's outputs that the engine stores secret (additionalSecretOutputs): a step's stdout
 * and stderr are whatever the host's tools print, next to the secrets a step reads from stdin or
 * from the host's 0600 files (auth.json, repo passwords, signing key), so the state never holds
 * them in plain text. The engine applies the list to the provider's outputs itself
 * (pulumi/pulumi pkg/resource/deploy/step_executor.go, v3.248.0); the provider only returns them.
 */
export const SECRET_OUTPUTS = ["stdout", "stderr"] as const;

export function scriptText(script: string): string {
    return fs.readFileSync(path.join(SCRIPTS_DIR, script), "utf8");
}

/** The one way a script pulls in a file beside it (components/scripts/README.md). */
const SOURCE_BESIDE = /^\s*source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/([A-Za-z0-9._-]+)"\s*$/gm;

/**
 * A step's files: its scripts (and companions), then every file of components/scripts/ they
 * source from beside them, transitively, each once. `read` gives a file's text (tests change it).
 */
export function stepFiles(scripts: readonly string[], read: (file: string) => string = scriptText): string[] {
    const files = [...new Set(scripts)];
    for (let i = 0; i < files.length; i++) {
        for (const m of read(files[i]).matchAll(SOURCE_BESIDE)) if (!files.includes(m[1])) files.push(m[1]);
    }
    return files;
}

/**
 * Hash of a step's scripts and exactly the libraries they source: a change to one of them re-runs
 * the step, a change to a library it does not source (lib-sbom.sh for the mirror sync) does not.
 */
export function scriptsHash(scripts: readonly string[], read: (file: string) => string = scriptText): string {
    return sha256(
        stepFiles(scripts, read)
            .map(s => `${s}\n${read(s)}`)
            .join("\n"),
    );
}

/**
 * A local directory holding exactly `files` (of components/scripts/), named like the remote
 * directory it is copied to, under a content-addressed parent in the OS temp directory: the same
 * files give the same path on every run, so a no-op preview sees no change (the engine compares
 * archives by their hash, pulumi/pulumi sdk/go/common/resource/archive/archive.go Equals). Written
 * to a fresh directory and renamed into place, so concurrent programs never see a partial copy.
 */
export function stagedScriptsDir(files: readonly string[], remoteDir: string): string {
    const base = path.posix.basename(remoteDir);
    const hash = sha256(`${base}\n${scriptsHash(files)}`).slice(0, 32);
    const root = path.join(os.tmpdir(), "rhcos-forge-ship");
    const dir = path.join(root, hash, base);
    if (fs.existsSync(dir)) return dir;
    fs.mkdirSync(root, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(root, `${hash}.`));
    fs.mkdirSync(path.join(tmp, base));
    for (const f of files) fs.copyFileSync(path.join(SCRIPTS_DIR, f), path.join(tmp, base, f));
    try {
        fs.renameSync(tmp, path.join(root, hash));
    } catch (e) {
        // Another program staged the same files first: theirs is identical.
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!fs.existsSync(dir)) throw e;
    }
    return dir;
}

export interface StepArgs {
    /** Scripts under components/scripts/, run in order (`&&`); `env` holds non-secret parameters only. */
    readonly scripts: readonly {
        readonly script: string;
        readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
        readonly args?: readonly string[];
    }[];
    /** Fed to the first script; the only channel for secrets. */
    readonly stdin?: pulumi.Input<string>;
    /** Values whose change re-runs the step (content hashes). */
    readonly triggers: pulumi.Input<unknown>[];
    /**
     * A non-secret description of what the step makes, for `pulumi preview --diff`: the
     * `environment` of a `<step>-description` command:local:Command that has no create, update or
     * delete command (descriptionRecord below), which the engine prints key by key. It never
     * reaches the host and runs nothing; a change to it alone updates only that record. Never a
     * secret: the state and the display hold it in plain text.
     */
    readonly describe?: pulumi.Input<Record<string, string>>;
    /** Directory the scripts were shipped to, when not `<workDir>/scripts`. */
    readonly remoteDir?: string;
    /** Command run on `pulumi destroy`, if any. */
    readonly onDelete?: { readonly script: string; readonly env?: Readonly<Record<string, string>> };
    /**
     * Other files of components/scripts/ the scripts use from beside them (e.g. a server they
     * start): shipped with them, and a change re-runs the step like a changed script.
     */
    readonly companions?: readonly string[];
}

interface Step {
    readonly resource: pulumi.CustomResource;
    readonly stdout: pulumi.Output<string>;
}

/**
 * The carrier of a step's description: a command:local:Command with only an `environment`.
 * Upstream runs nothing for it, ever: Create returns at once without `create`, Update "If neither
 * are specified, do nothing", Delete without `delete` likewise (pulumi-command v1.2.1
 * provider/pkg/provider/local/commandController.go). `environment` is not replaceOnChanges
 * (only `triggers` is, provider/pkg/provider/common/inputs.go), so a changed description is an
 * in-place update of this record and nothing else: it never replaces or re-runs the step. It
 * waits for the step, so the state holds a description only once the step that made it
 * succeeded, and a failed step leaves the next preview showing the same change again.
 */
export function descriptionRecord(
    name: string,
    describe: pulumi.Input<Record<string, string>>,
    step: pulumi.Resource,
    parent: pulumi.Resource | undefined,
): command.local.Command {
    return new command.local.Command(
        `${name}-description`,
        {
            environment: describe,
            logging: "none",
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: [step], additionalSecretOutputs: [...SECRET_OUTPUTS] },
    );
}

/** Where a script lives when it runs: the host's copy or, for `local`, the repo's own file. */
function scriptPath(host: HostHandle, script: string, remoteDir?: string): string {
    if (host.provider === "local") return path.relative(process.cwd(), path.join(SCRIPTS_DIR, script)) || script;
    return `${remoteDir ?? `${host.workDir}/scripts`}/${script}`;
}

/**
 * Copies a step's files to a remote host in one transfer (no-op for local): one CopyToRemote of a
 * directory, one SSH connection and SFTP session, instead of one per file. Upstream copies a
 * source directory without a trailing slash into `<remotePath>/<its name>`, creating what is
 * missing and overwriting files (pulumi-command v1.2.1 provider/pkg/provider/remote/
 * copyController.go sftpCopy), so the staged directory carries the remote directory's name and
 * the copy goes to its parent. Called by the component that owns the step, so each ships what it
 * runs; files of the directory no step ships any more are left in place, unused.
 */
function shipScripts(
    name: string,
    host: HostHandle,
    files: readonly string[],
    opts: { readonly parent: pulumi.Resource; readonly dependsOn: pulumi.Resource[]; readonly remoteDir?: string },
): pulumi.Resource[] {
    if (host.provider === "local" || host.connection === undefined) return [];
    const remoteDir = opts.remoteDir ?? `${host.workDir}/scripts`;
    return [
        new command.remote.CopyToRemote(
            name,
            {
                connection: host.connection,
                source: new pulumi.asset.FileArchive(stagedScriptsDir(files, remoteDir)),
                remotePath: path.posix.dirname(remoteDir),
                triggers: [scriptsHash(files)],
            },
            { parent: opts.parent, dependsOn: opts.dependsOn },
        ),
    ];
}

/** Runs a step on the host as a command resource that re-runs only when its triggers change. */
function runStep(name: string, host: HostHandle, args: StepArgs, opts: pulumi.CustomResourceOptions): Step {
    const baseEnv = { RF_ROOT: host.workDir };
    const create = pulumi
        .all(args.scripts.map(s => pulumi.output(s.env ?? {})))
        .apply(envs =>
            args.scripts
                .map((s, i) =>
                    scriptCommand(scriptPath(host, s.script, args.remoteDir), { ...baseEnv, ...envs[i] }, s.args ?? []),
                )
                .join(" && "),
        );
    const del = args.onDelete
        ? scriptCommand(scriptPath(host, args.onDelete.script, args.remoteDir), {
              ...baseEnv,
              ...(args.onDelete.env ?? {}),
          })
        : undefined;
    const common = {
        create,
        delete: del,
        stdin: args.stdin,
        triggers: args.triggers,
        // Progress goes to stderr and is worth seeing live; stdout is the JSON result.
        logging: "stderr" as const,
        addPreviousOutputInEnv: false,
    };
    const secretOpts = { ...opts, additionalSecretOutputs: [...SECRET_OUTPUTS] };
    const cmd =
        host.provider === "local" || host.connection === undefined
            ? new command.local.Command(name, { ...common, interpreter: ["/bin/bash", "-c"] }, secretOpts)
            : new command.remote.Command(name, { ...common, connection: host.connection }, secretOpts);
    if (args.describe !== undefined) descriptionRecord(name, args.describe, cmd, opts.parent);
    return { resource: cmd, stdout: cmd.stdout };
}

/**
 * The constructor behind pulumi.Output (@pulumi/pulumi 3.248.0 output.js OutputImpl, exported as
 * `Output` at run time; its type declares only create/isInstance). Used for notRun below only.
 */
type OutputCtor = new <T>(
    resources: Set<pulumi.Resource>,
    value: Promise<T>,
    isKnown: Promise<boolean>,
    isSecret: Promise<boolean>,
    allResources: Promise<Set<pulumi.Resource>>,
) => pulumi.Output<T>;

/**
 * An output that is not known in this deployment: what a value computed from a command that has
 * not run stands for. `pulumi up --target` leaves every other resource out; one not yet in the
 * state is a "skipped create" with no outputs (pulumi/pulumi v3.248.0
 * pkg/resource/deploy/step.go NewSkippedCreateStep), which the SDK resolves as a known
 * `undefined`. Unknown instead, nothing built on it is computed (the apply callbacks do not run)
 * and the engine skips the resources that take it, as it skips anything depending on a skipped
 * create, where parsing the missing stdout would throw and fail the whole targeted run.
 */
export function notRun<T>(): pulumi.Output<T> {
    return plainOutput<T>(undefined as unknown as T, false);
}

function plainOutput<T>(value: T, known: boolean): pulumi.Output<T> {
    const Ctor = pulumi.Output as unknown as OutputCtor;
    return new Ctor<T>(
        new Set(),
        Promise.resolve(value),
        Promise.resolve(known),
        Promise.resolve(false),
        Promise.resolve(new Set()),
    );
}

/** `f(value)`, or notRun() when the command the value comes from has not run (undefined). */
export function whenRan<T, U>(value: T | undefined, f: (v: T) => U): pulumi.Output<U> {
    return value === undefined ? notRun<U>() : plainOutput(f(value), true);
}

/** The scripts print progress on stderr and one JSON result as the last line of stdout. */
export function parseResultLine<T>(stdout: string, step: string): T {
    const last = stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(last) as T;
    } catch {
        throw new Error(`${step}: expected a JSON result line on stdout, got ${JSON.stringify(last.slice(0, 200))}`);
    }
}

export interface ScriptStepArgs<T> extends StepArgs {
    /** Checks the parsed result line and returns what the step produced; throws on a bad result. */
    readonly validate: (result: unknown) => T;
    /** Replace by deleting first (a step whose delete stops what its create starts). */
    readonly deleteBeforeReplace?: boolean;
    /**
     * Never replaced: no triggers (not even the scripts' hash), so a change updates the command in
     * place and its delete runs only when the resource goes (destroy). For a step whose delete
     * must not run on a mere replacement (deleting the stack's images).
     */
    readonly inPlace?: boolean;
}

export interface ScriptStep<T> {
    readonly resource: pulumi.CustomResource;
    /** The validated result line. */
    readonly result: pulumi.Output<T>;
}

/**
 * A script step's whole life, the same for every stage: ship the scripts it runs (and its
 * on-delete script) to the host, run them as one command that re-runs only when the triggers or
 * the scripts change, parse the JSON result line and validate it. A result that fails validation
 * fails the step's outputs, so nothing downstream (a MachineConfig) changes.
 */
export function scriptStep<T>(
    component: string,
    role: string,
    host: HostHandle,
    args: ScriptStepArgs<T>,
    opts: { readonly parent: pulumi.Resource; readonly shipAs?: string; readonly dependsOn?: pulumi.Resource[] },
): ScriptStep<T> {
    const scripts = [
        ...new Set([
            ...args.scripts.map(s => s.script),
            ...(args.onDelete ? [args.onDelete.script] : []),
            ...(args.companions ?? []),
        ]),
    ];
    // Steps run once the host is ready; the readiness step itself names what it waits for.
    const after = opts.dependsOn ?? [host.ready];
    const shipped = shipScripts(opts.shipAs ?? `${component}-scripts`, host, stepFiles(scripts), {
        parent: opts.parent,
        dependsOn: after,
        remoteDir: args.remoteDir,
    });
    const triggers = args.inPlace ? [] : [...args.triggers, scriptsHash(scripts)];
    const step = runStep(
        `${component}-${role}`,
        host,
        { ...args, triggers },
        {
            parent: opts.parent,
            dependsOn: [...after, ...shipped],
            deleteBeforeReplace: args.deleteBeforeReplace,
        },
    );
    const label = `${component}: ${args.scripts.map(s => s.script).join(" + ")}`;
    // stdout is a secret output; what validate returns is the result line's checked fields, which
    // the scripts never fill from a secret, so it leaves the step plain (a secret image ref would
    // hide every MachineConfig's diff in previews).
    return {
        resource: step.resource,
        result: pulumi.unsecret(
            step.stdout.apply(out => whenRan<string, T>(out, o => args.validate(parseResultLine<unknown>(o, label)))),
        ),
    };
}
