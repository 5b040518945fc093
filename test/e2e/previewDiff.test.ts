// `pulumi preview --diff` with the real engine shows the OS change before it happens: on a fresh
// stack the Containerfile, after an `up` the changed file (path and line) and package, and each
// MachineConfig's osImageURL as the digest the build is about to push (never as removed). A file
// marked secret shows by hash only. The description is the `environment` of the
// image-build-description record (components/host/step.ts descriptionRecord), which runs nothing:
// a change to the description alone plans that record's update and nothing else.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { E2e, assertStateHoldsNoSecrets, plannedChanges, setUpE2e } from "./setup";

const STACK = "e2e-preview";
// Unique per run, so finding it in the output can only mean it leaked.
const SECRET_TEXT = `rf-preview-secret-${randomBytes(8).toString("hex")}`;
const HELLO = "/etc/rf/hello.conf";

let e2e: E2e;
const image = (hello: string, packages: string[], helloSecret = false): Record<string, unknown> => ({
    packages,
    files: [
        { path: HELLO, mode: "0644", content: hello, ...(helloSecret ? { secret: true } : {}) },
        { path: "/etc/rf/token", mode: "0600", content: `${SECRET_TEXT}\n`, secret: true },
    ],
});

before(async () => {
    e2e = await setUpE2e(STACK);
    e2e.configure({ image: image("greeting=hello from rhcos-forge\nlevel=1\nmode=e2e\n", ["rf-hello"]) });
});
after(async () => {
    await e2e?.env.teardown();
});

/** The engine's colourless text output of one command. */
async function previewDiff(): Promise<string> {
    const res = await e2e.run(["preview", "--diff", "--color", "never"]);
    return res.stdout + res.stderr;
}

describe("pulumi preview --diff shows the OS change", () => {
    it("1. a first preview of a fresh stack shows the Containerfile, not [unknown]", async () => {
        const out = await previewDiff();
        assert.doesNotMatch(out, /containerfile\s*:\s*\[unknown\]/, out);
        assert.match(
            out,
            new RegExp(
                [
                    String.raw`RF_IMAGE_CONTAINERFILE\s*:\s*"# Rendered by rhcos-forge[^\n]*\\nFROM `,
                    String.raw`127\.0\.0\.1:\d+\/fixtures\/fake-rhcos@sha256:[a-f0-9]{64}\\n`,
                ].join(""),
            ),
            out,
        );
        assert.ok(out.includes(`FROM ${e2e.services.baseRef}`), out);
        assert.ok(!out.includes(SECRET_TEXT), "a secret file's text is not in the preview");
    });

    it("2. after an up, a changed file line and an added package are named; osImageURL is not removed", async () => {
        await e2e.run(["up", "--yes"]);
        assert.ok(
            (await assertStateHoldsNoSecrets(e2e, STACK, [SECRET_TEXT])) >= 3,
            "the secret file's text is not in the state",
        );
        e2e.configure({
            image: image("greeting=hello from rhcos-forge\nlevel=2\nmode=e2e\n", ["rf-hello", "rf-extra"]),
        });
        const out = await previewDiff();
        // The file by path, its changed line as a line diff, and the package added to the install list.
        assert.match(out, /RF_IMAGE_FILES\s*:\s*\(json\) \{/, out);
        assert.ok(out.includes(HELLO), out);
        assert.match(out, /^\s*-\s+level=1$/m, out);
        assert.match(out, /^\s*\+\s+level=2$/m, out);
        assert.match(
            out,
            /RF_IMAGE_PACKAGES\s*:\s*\(json\) \{[\s\S]*?install\s*:\s*\[[\s\S]*?\+\s*\[1\]: "rf-extra"/,
            out,
        );
        assert.match(out, /^\s*\+\s+rpm-ostree install rf-hello rf-extra/m, out);
        // Each MachineConfig: the old digest => [unknown] (the build's), never `- osImageURL`.
        assert.doesNotMatch(out, /^\s*-\s+osImageURL\s*:/m, out);
        const updates =
            out.match(
                /^\s*~\s+osImageURL\s*:\s*"127\.0\.0\.1:\d+\/rhcos-forge\/node@sha256:[a-f0-9]{64}" => \[unknown\]$/gm,
            ) ?? [];
        assert.equal(updates.length, 2, out);
        // The secret file is there by hash only: its entry, never its text.
        assert.ok(!out.includes(SECRET_TEXT), "a secret file's text is not in the preview");
    });

    it("3. a file newly marked secret updates only the description record: no build replaced or re-run", async () => {
        const hello = "greeting=hello from rhcos-forge\nlevel=2\nmode=e2e\n";
        e2e.configure({ image: image(hello, ["rf-hello", "rf-extra"]) });
        await e2e.run(["up", "--yes"]);
        const builds = e2e.buildCount();
        e2e.configure({ image: image(hello, ["rf-hello", "rf-extra"], true) });
        const out = await previewDiff();
        // The file's text leaves the description (removed, with the secret reason added); its hash stays.
        assert.match(out, /^\s*~ \/etc\/rf\/hello\.conf: \{$/m, out);
        assert.match(out, /^\s*\+ hidden: "secret"$/m, out);
        assert.match(out, /^\s*- text\s*: "greeting=hello from rhcos-forge\\n/m, out);
        const json = await e2e.run(["preview", "--json"]);
        assert.deepEqual(plannedChanges(json.stdout), ["update command:local:Command::image-build-description"]);
        await e2e.run(["up", "--yes"]);
        assert.equal(e2e.buildCount(), builds, "no build");
        assert.deepEqual(plannedChanges((await e2e.run(["preview", "--json"])).stdout), []);
    });
});
