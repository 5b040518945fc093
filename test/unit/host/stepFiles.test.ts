// A step ships and hashes only what it runs: its scripts and the lib*.sh files they source
// (components/host/step.ts stepFiles, scriptsHash). An edit to the SBOM library must not re-run
// the mirror sync; an edit to a library the sync sources must.
import assert from "node:assert/strict";
import { it } from "node:test";
import { scriptText, scriptsHash, stepFiles } from "../../../components/host/step";

/** The mirror step's files, as components/mirror/repoMirror.ts runs them. */
const MIRROR_STEP = ["put-files.sh", "repo-mirror.sh", "mirror-stop.sh", "mirror-server.py"];

/** scriptText with one file's content changed. */
const edited =
    (file: string) =>
    (f: string): string =>
        f === file ? `${scriptText(f)}\n# an edit\n` : scriptText(f);

it("finds what each step sources from beside it, transitively, and nothing else", () => {
    assert.deepEqual(stepFiles(MIRROR_STEP), [...MIRROR_STEP, "lib-bundle.sh", "lib.sh"]);
    assert.deepEqual(stepFiles(["build-image.sh"]).sort(), [
        "build-image.sh",
        "lib-bundle.sh",
        "lib-registry.sh",
        "lib-sbom.sh",
        "lib.sh",
    ]);
    assert.deepEqual(stepFiles(["sign-image.sh"]).sort(), [
        "lib-bundle.sh",
        "lib-registry.sh",
        "lib.sh",
        "sign-image.sh",
    ]);
    assert.deepEqual(stepFiles(["host-ready.sh"]), ["host-ready.sh", "lib.sh"]);
});

it("the mirror step's trigger hash ignores an edit to the SBOM library and follows an edit to what it sources", () => {
    const before = scriptsHash(MIRROR_STEP);
    assert.equal(scriptsHash(MIRROR_STEP, edited("lib-sbom.sh")), before, "lib-sbom.sh is not the mirror's");
    assert.equal(scriptsHash(MIRROR_STEP, edited("lib-registry.sh")), before, "lib-registry.sh is not the mirror's");
    for (const file of ["lib.sh", "lib-bundle.sh", "put-files.sh", "repo-mirror.sh", "mirror-server.py"]) {
        assert.notEqual(scriptsHash(MIRROR_STEP, edited(file)), before, `${file} is the mirror's`);
    }
    // The build sources the SBOM library, so the same edit re-runs it.
    assert.notEqual(scriptsHash(["build-image.sh"], edited("lib-sbom.sh")), scriptsHash(["build-image.sh"]));
});

it("a script that sources a file the repository does not have fails the hash, not the host", () => {
    const read = (f: string): string =>
        f === "x.sh" ? `source "$(dirname "\${BASH_SOURCE[0]}")/lib-missing.sh"\n` : scriptText(f);
    assert.throws(() => stepFiles(["x.sh"], read), /ENOENT|lib-missing/);
});
