// The image description `pulumi preview --diff` prints (components/image/description.ts): what it
// shows of each file, what it never shows (secrets, binaries, large files), and that it changes
// exactly when the build id does for the inputs a reviewer edits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildId } from "../../../components/image/buildInputs";
import { ImageSpec, RenderedImage, renderContainerfile } from "../../../components/image/containerfile";
import {
    DescribedRender,
    FILES_TEXT_BUDGET,
    FILE_TEXT_LIMIT,
    describeImage,
    descriptionEnvironment,
    imagePath,
    isShowableText,
} from "../../../components/image/description";
import { sha256 } from "../../../components/shell";

const BASE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "1".repeat(64);
const repos = [{ id: "extras", url: "http://127.0.0.1:5180/extras/", gpgcheck: false }];
const spec: ImageSpec = {
    base: BASE,
    packages: ["htop", "tcpdump"],
    remove: ["nano"],
    replace: [],
    units: ["rf.service"],
    extraSteps: [],
    labels: {},
    files: [
        { path: "/etc/rf/hello.conf", content: "greeting=hello\nlevel=1\n", mode: "0644" },
        { path: "/etc/rf/token", content: "s3cr3t-token-value\n", mode: "0600" },
    ],
};
const render = (s: ImageSpec): RenderedImage => renderContainerfile(s, { repos });
const envOf = (s: ImageSpec, secret: readonly string[] = []): Record<string, string> =>
    descriptionEnvironment(describeImage(s, render(s), secret));
const files = (
    env: Record<string, string>,
): Record<string, { sha256: string; text?: string; hidden?: string; mode: string }> =>
    JSON.parse(env.RF_IMAGE_FILES) as Record<string, { sha256: string; text?: string; hidden?: string; mode: string }>;

describe("image description", () => {
    it("names base, packages, each file by image path with hash and text, the units and the Containerfile", () => {
        const env = envOf(spec);
        assert.equal(env.RF_IMAGE_BASE, BASE);
        assert.deepEqual(JSON.parse(env.RF_IMAGE_PACKAGES), {
            install: ["htop", "tcpdump"],
            remove: ["nano"],
            replace: [],
        });
        assert.deepEqual(JSON.parse(env.RF_IMAGE_UNITS), ["rf.service"]);
        assert.deepEqual(files(env)["/etc/rf/hello.conf"], {
            mode: "0644",
            sha256: `sha256:${sha256("greeting=hello\nlevel=1\n")}`,
            bytes: 23,
            text: "greeting=hello\nlevel=1\n",
        });
        assert.equal(env.RF_IMAGE_CONTAINERFILE, render(spec).containerfile);
        assert.equal(env.RF_IMAGE_STAGES, undefined, "no stages, no key");
        for (const k of Object.keys(env)) assert.match(k, /^RF_IMAGE_[A-Z]+$/);
    });

    it("shows a secret file, or one below a secret directory, by hash only", () => {
        const env = envOf(spec, ["/etc/rf/token"]);
        const token = files(env)["/etc/rf/token"];
        assert.equal(token.text, undefined);
        assert.equal(token.hidden, "secret");
        assert.equal(token.sha256, `sha256:${sha256("s3cr3t-token-value\n")}`);
        assert.ok(
            !JSON.stringify(env).includes("s3cr3t-token-value"),
            "the secret's text is nowhere in the description",
        );
        assert.equal(files(envOf(spec, ["/etc/rf"]))["/etc/rf/hello.conf"].hidden, "secret");
    });

    it("shows large, binary and non-UTF-8 files by hash only, and keeps all texts within the budget", () => {
        const big = "x".repeat(FILE_TEXT_LIMIT + 1);
        const s: ImageSpec = {
            ...spec,
            files: [
                { path: "/etc/big", content: big, mode: "0644" },
                { path: "/etc/ctl", content: "a\u0001b", mode: "0644" },
                { path: "/etc/edge", content: "y".repeat(FILE_TEXT_LIMIT), mode: "0644" },
            ],
        };
        const f = files(envOf(s));
        assert.equal(f["/etc/big"].hidden, "larger than 4 KiB");
        assert.equal(f["/etc/ctl"].hidden, "not UTF-8 text");
        assert.equal(f["/etc/edge"].text?.length, FILE_TEXT_LIMIT, "exactly the limit is still shown");
        assert.equal(isShowableText(Buffer.from([0xc3, 0x28])), false, "invalid UTF-8");
        assert.equal(isShowableText(Buffer.from("grüße\tok\r\n", "utf8")), true);

        const many: ImageSpec = {
            ...spec,
            files: Array.from({ length: 20 }, (_, i) => ({
                path: `/etc/f${String(i).padStart(2, "0")}`,
                content: "z".repeat(FILE_TEXT_LIMIT),
                mode: "0644",
            })),
        };
        const m = Object.values(files(envOf(many)));
        const shown = m.filter(x => x.text !== undefined).length;
        assert.equal(shown, Math.floor(FILES_TEXT_BUDGET / FILE_TEXT_LIMIT));
        assert.ok(m.slice(shown).every(x => x.hidden === "over the preview's text budget"));
        // Bounded like one environment string (Linux's MAX_ARG_STRLEN, 128 KiB): a readable preview.
        for (const v of Object.values(envOf(many))) assert.ok(Buffer.byteLength(v) < 128 * 1024);
    });

    it("describes repository files (base64 context) by what they ship, and the stages", () => {
        const rendered: DescribedRender = {
            containerfile: "FROM x\n",
            context: [
                {
                    path: "files/usr/lib/rf/tool.sh",
                    content: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
                    mode: "0755",
                    encoding: "base64",
                },
                {
                    path: "files/usr/lib/rf/blob",
                    content: Buffer.from([0, 1, 2, 255]).toString("base64"),
                    mode: "0644",
                    encoding: "base64",
                },
            ],
        };
        const d = describeImage({ ...spec, stages: [{ name: "build", base: BASE }] }, rendered);
        assert.equal(d.files["/usr/lib/rf/tool.sh"].text, "#!/bin/sh\necho hi\n");
        assert.equal(d.files["/usr/lib/rf/blob"].hidden, "not UTF-8 text");
        assert.equal(d.files["/usr/lib/rf/blob"].bytes, 4);
        assert.deepEqual(JSON.parse(descriptionEnvironment(d).RF_IMAGE_STAGES), [{ name: "build", base: BASE }]);
        assert.equal(imagePath("steps/1/etc/x"), "steps/1/etc/x");
    });

    it("changes when, and for these inputs only when, the build id changes", () => {
        const id = (s: ImageSpec): string => {
            const r = render(s);
            return buildId({ containerfile: r.containerfile, context: r.context, base: s.base, repository: "r/x" });
        };
        const variants: ImageSpec[] = [
            spec,
            { ...spec, packages: ["htop"] },
            { ...spec, files: [{ ...spec.files[0], content: "greeting=bye\nlevel=1\n" }, spec.files[1]] },
            { ...spec, files: [{ ...spec.files[0], mode: "0640" }, spec.files[1]] },
            { ...spec, units: [] },
            { ...spec, base: BASE.replace(/1{64}$/, "2".repeat(64)) },
        ];
        for (const a of variants) {
            for (const b of variants) {
                const sameId = id(a) === id(b);
                const sameDescription = JSON.stringify(envOf(a)) === JSON.stringify(envOf(b));
                assert.equal(sameDescription, sameId, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
            }
        }
    });
});
