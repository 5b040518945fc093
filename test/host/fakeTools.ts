// Running a host script against fake tools (test/host/cosa-fake-podman.sh, release-fake-tools.sh):
// the sandbox's bin first on PATH, each fake appending its command line to FAKE_LOG and keeping
// its state under FAKE_STATE, so a test reads what the script ran without the real tool.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** What a run did: its exit status and output, and the fakes' logged command lines. */
export interface FakeToolRun {
    status: number | null;
    stdout: string;
    stderr: string;
    log: string[];
}

/**
 * `bash <script>` with RF_ROOT, HOME and the fakes' state in `dir`, PATH = `bin` then `systemPath`
 * (a test that must not find a real tool leaves its directory out), `env` on top, `stdin` fed.
 */
export function runWithFakeTools(
    script: string,
    dir: string,
    bin: string,
    opts: {
        readonly logName: string;
        readonly systemPath: string;
        readonly env: Record<string, string>;
        readonly stdin: string;
    },
): FakeToolRun {
    const log = join(dir, opts.logName);
    if (existsSync(log)) rmSync(log);
    const r = spawnSync("bash", [script], {
        input: opts.stdin,
        encoding: "utf8",
        env: {
            PATH: `${bin}:${opts.systemPath}`,
            HOME: dir,
            FAKE_LOG: log,
            FAKE_STATE: join(dir, "fake"),
            RF_ROOT: join(dir, "root"),
            ...opts.env,
        },
    });
    return {
        status: r.status,
        stdout: r.stdout,
        stderr: r.stderr,
        log: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [],
    };
}

/** The one line lib.sh promises when `script` fails: asserts the run failed with exactly one, and returns it. */
export function failureLine(r: FakeToolRun, script: string): string {
    assert.notEqual(r.status, 0, "the script must fail");
    const lines = r.stderr
        .trim()
        .split("\n")
        .filter(l => / failed: /.test(l));
    assert.equal(lines.length, 1, `exactly one failure line, got:\n${r.stderr}`);
    assert.match(lines[0], new RegExp(`^rhcos-forge ${script}: step "[^"]+" failed: `));
    return lines[0];
}
