// Build triggers: equal inputs give equal build ids; any change to what ends up in the image
// gives a different one. The stdin bundle round-trips and keeps secrets off the command line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUNDLE_HEADER, BuildIdInputs, buildId, renderBundle } from "../../../components/image/buildInputs";
import { ImageSpec, renderContainerfile } from "../../../components/image/containerfile";
import { parseResultLine } from "../../../components/host/step";
import { canonicalJson, scriptCommand, shellQuote } from "../../../components/shell";

const BASE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "1".repeat(64);
const spec: ImageSpec = {
    base: BASE,
    packages: ["htop"],
    remove: [],
    replace: [],
    units: [],
    extraSteps: [],
    labels: {},
    files: [{ path: "/etc/a.conf", content: "a=1\n", mode: "0644" }],
};
const repos = [{ id: "extras", url: "http://127.0.0.1:5180/extras/", gpgcheck: false }];
function inputs(over: Partial<ImageSpec> = {}, extra: Partial<BuildIdInputs> = {}): BuildIdInputs {
    const r = renderContainerfile({ ...spec, ...over }, { repos });
    return {
        containerfile: r.containerfile,
        context: r.context,
        base: over.base ?? BASE,
        repository: "registry.example.com/rf/node",
        mirrorRevision: "m1",
        ...extra,
    };
}

describe("build id", () => {
    it("is equal for equal inputs, whatever the key order", () => {
        assert.equal(buildId(inputs()), buildId(inputs()));
        const a = inputs();
        const reordered: BuildIdInputs = {
            repository: a.repository,
            base: a.base,
            context: [...a.context].reverse(),
            containerfile: a.containerfile,
            mirrorRevision: a.mirrorRevision,
        };
        assert.equal(buildId(a), buildId(reordered));
        assert.match(buildId(a), /^rf-[a-f0-9]{40}$/);
    });

    const changes: [string, BuildIdInputs][] = [
        ["a package added", inputs({ packages: ["htop", "tcpdump"] })],
        ["a package removed from the base", inputs({ remove: ["nano"] })],
        ["an override", inputs({ replace: ["https://example.com/kernel.rpm"] })],
        ["a file's content", inputs({ files: [{ path: "/etc/a.conf", content: "a=2\n", mode: "0644" }] })],
        ["a file's mode", inputs({ files: [{ path: "/etc/a.conf", content: "a=1\n", mode: "0600" }] })],
        ["a unit enabled", inputs({ units: ["a.service"] })],
        ["an extra step", inputs({ extraSteps: ["true"] })],
        ["a label", inputs({ labels: { a: "b" } })],
        [
            "the base digest",
            inputs({ base: "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "2".repeat(64) }),
        ],
        ["the push repository", inputs({}, { repository: "registry.example.com/rf/other" })],
        ["the mirror revision", inputs({}, { mirrorRevision: "m2" })],
    ];
    for (const [what, changed] of changes) {
        it(`changes with ${what}`, () => assert.notEqual(buildId(changed), buildId(inputs())));
    }
    it("gives eleven different ids for eleven different changes", () => {
        assert.equal(new Set(changes.map(([, c]) => buildId(c))).size, changes.length);
    });
});

describe("stdin bundle", () => {
    it("carries Containerfile, context and auth as base64 lines", () => {
        const auth = JSON.stringify({ auths: { "r.example.com": { auth: "dTpw" } } });
        const bundle = renderBundle(
            "FROM x\n",
            [
                { path: "files/etc/a b.conf", content: "é\n", mode: "0600" },
                { path: "files/etc/empty", content: "", mode: "0644" },
            ],
            auth,
        );
        const lines = bundle.trimEnd().split("\n");
        assert.equal(lines[0], BUNDLE_HEADER);
        const decode = (s: string) => Buffer.from(s, "base64").toString("utf8");
        const entries = lines.slice(1).map(l => l.split(" "));
        assert.deepEqual(
            entries.map(e => e[0]),
            ["file", "file", "file", "authfile"],
        );
        assert.deepEqual([decode(entries[0][2]), decode(entries[0][3])], ["Containerfile", "FROM x\n"]);
        assert.deepEqual(
            [entries[1][1], decode(entries[1][2]), decode(entries[1][3])],
            ["0600", "files/etc/a b.conf", "é\n"],
        );
        assert.deepEqual([decode(entries[2][2]), entries[2][3]], ["files/etc/empty", ""]);
        assert.equal(decode(entries[3][1]), auth);
        for (const e of entries) for (const field of e.slice(1)) assert.doesNotMatch(field, /\s/);
    });
});

describe("command lines", () => {
    it("quote every value and sort the environment", () => {
        assert.equal(
            scriptCommand("/var/lib/rhcos-forge/scripts/x.sh", { RF_B: "two words", RF_A: "it's" }, ["/p"]),
            "env RF_A='it'\\''s' RF_B='two words' bash /var/lib/rhcos-forge/scripts/x.sh /p",
        );
        assert.equal(shellQuote(""), "''");
        assert.throws(() => scriptCommand("x", { "bad name": "v" }));
    });
    it("parse the last stdout line as the result and say which step broke", () => {
        assert.deepEqual(parseResultLine<{ a: number }>('noise\n{"a":1}\n', "s"), { a: 1 });
        assert.throws(
            () => parseResultLine("no json", "repo-mirror.sh"),
            /repo-mirror\.sh: expected a JSON result line/,
        );
    });
    it("hash canonically", () => {
        assert.equal(canonicalJson({ b: 1, a: [2, { d: 1, c: undefined }] }), '{"a":[2,{"d":1}],"b":1}');
    });
});
