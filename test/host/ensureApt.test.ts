// scripts/ensure-apt.sh, the front door's first step: silent when every package of the list is
// installed; anywhere it cannot install (not root), the first line it prints is the exact command
// to run, and it stops before anything slow happens.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import { Env, REPO_ROOT, run } from "./harness";

const env = new Env("rf-ensure-apt-");
after(() => env.teardown());
const script = join(REPO_ROOT, "scripts", "ensure-apt.sh");

it("refuses a list it cannot read instead of passing", async () => {
    const res = await run("bash", [script], {
        check: false,
        env: { ...process.env, RF_APT_LIST: join(env.mkdir("none"), "missing.txt") },
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^ensure-apt: cannot read the package list /);
});

it("is silent and succeeds when the project's list is installed", async () => {
    const res = await run("bash", [script]);
    assert.equal(res.stdout + res.stderr, "");
});

it("prints the exact install command first and fails when it cannot install", async () => {
    const dir = env.mkdir("list");
    // readable by the unprivileged user below (the Env root is mkdtemp 0700)
    chmodSync(env.dir, 0o755);
    chmodSync(dir, 0o755);
    const list = join(dir, "apt-packages.txt");
    writeFileSync(list, "# a comment\n\nbash\nrhcos-forge-no-such-package\n", { mode: 0o644 });
    // As an unprivileged user: nobody may run apt-get install.
    // A copy the unprivileged user can read: the checkout may sit under a 0700 directory (mktemp -d).
    const copy = join(dir, "ensure-apt.sh");
    copyFileSync(script, copy);
    chmodSync(copy, 0o755);
    const res = await run(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", "env", `RF_APT_LIST=${list}`, "bash", copy],
        { check: false },
    );
    assert.equal(res.code, 1);
    assert.equal(
        res.stderr.split("\n")[0],
        "sudo sh -c 'apt-get update && apt-get install -y rhcos-forge-no-such-package'",
    );
    assert.equal(res.stdout, "");
});
