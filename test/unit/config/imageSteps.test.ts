// Config errors of image.steps, image.stages, files from the repository and image.dialect: each
// bad value is refused with a message naming its key; the dialect default follows the release.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import { imageDialect } from "../../../components/pipeline/image";
import type { JsonTree } from "../configCases";
import { DIGEST, asAllConfig, minimalStack, parseProblems, patched, problemsOf, withKeys } from "../configCases";
import { TEST_SECRETS } from "../harness";

/** Like rejectsEach, but `expected` is the problem up to the value parseStackConfig appends (", got …"). */
function rejectsEach(cases: readonly (readonly [string, JsonTree, string])[]): void {
    for (const [what, cfg, expected] of cases) {
        it(`rejects ${what}`, () => {
            const problems = problemsOf(cfg);
            assert.ok(
                problems.some(p => p === expected || p.startsWith(`${expected}, got `)),
                `expected:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`,
            );
        });
    }
}

const DTK = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${DIGEST}`;
const KERNEL = "https://mirror.stream.centos.org/9-stream/BaseOS/x86_64/os/Packages";
const kernel = (subs: string[]) => subs.map(s => `${KERNEL}/${s}-5.14.0-295.el9.x86_64.rpm`);
/** The minimal stack with these image.* keys set. */
const withImage = (image: JsonTree) =>
    withKeys(minimalStack, Object.fromEntries(Object.entries(image).map(([k, v]) => [`image.${k}`, v])));
/** A driver-toolkit stage named kmod. */
const kmodStage = [{ name: "kmod", base: DTK, steps: [{ run: ["make"] }] }];

describe("image.steps and image.stages config", () => {
    it("accepts every construct, and sources relative to the project root", () => {
        const cfg = withImage({
            stages: kmodStage,
            files: [{ path: "/etc/rf/readme", source: "README.md" }],
            steps: [
                { install: ["htop", "https://example.com/a-1.0.x86_64.rpm", { source: "package.json" }] },
                { remove: ["podman-docker"] },
                {
                    replace: kernel([
                        "kernel",
                        "kernel-core",
                        "kernel-modules",
                        "kernel-modules-core",
                        "kernel-modules-extra",
                    ]),
                },
                { files: [{ path: "/usr/lib/rf/components", source: "components/image" }] },
                { enable: ["rf.service"] },
                { run: ["true"] },
                { copy: [{ from: "kmod", src: "/out", dst: "/usr/lib/rf" }] },
                { kernelModules: [{ name: "simple_kmod", stage: "kmod", path: "/build/simple-kmod.ko" }] },
            ],
        });
        assert.deepEqual(parseProblems(cfg), []);
    });

    it("accepts driver-toolkit as a stage base when the stack has a kubeconfig", () => {
        const cfg = patched(minimalStack, c => {
            c.kubeconfig = TEST_SECRETS.kubeconfig;
            c.image.stages = [{ name: "kmod", base: "driver-toolkit", steps: [{ run: ["make"] }] }];
            c.image.steps = [
                { kernelModules: [{ name: "simple_kmod", stage: "kmod", path: "/build/simple-kmod.ko" }] },
            ];
        });
        assert.deepEqual(parseProblems(cfg), []);
    });

    it("defaults the dialect from cluster.openshiftVersion and lets image.dialect override it", () => {
        const parse = (version: string, dialect?: string) =>
            parseStackConfig(
                asAllConfig(
                    patched(minimalStack, c => {
                        c.cluster.openshiftVersion = version;
                        if (dialect !== undefined) c.image.dialect = dialect;
                    }),
                ),
            );
        assert.equal(imageDialect(parse("4.19")), "rpm-ostree");
        // The MCO's build template still ends RUNs with ostree container commit on 4.20–4.22.
        assert.equal(imageDialect(parse("4.20")), "rpm-ostree");
        assert.equal(imageDialect(parse("4.22")), "rpm-ostree");
        assert.equal(imageDialect(parse("4.20", "dnf")), "dnf");
        assert.equal(imageDialect(parse("4.22", "rpm-ostree")), "rpm-ostree");
        assert.equal(imageDialect(parse("4.16", "dnf")), "dnf");
    });

    rejectsEach([
        [
            "a step with two actions",
            withImage({ steps: [{ install: ["htop"], remove: ["vim"] }] }),
            "rhcos-forge:image.steps[0] must have exactly one of install, remove, replace, files, enable, " +
                'run, copy, kernelModules, got install and remove, got {"install":["htop"],"remove":["vim"]}',
        ],
        [
            "a step with no action",
            withImage({ steps: [{}] }),
            "rhcos-forge:image.steps[0] must have exactly one of install, remove, replace, files, enable, " +
                "run, copy, kernelModules, got {}",
        ],
        [
            "a multi-line run command (the extraSteps check)",
            withImage({ steps: [{ run: ["true\nRUN false"] }] }),
            "rhcos-forge:image.steps[0].run[0] must be one shell command on one line (a newline ends the RUN " +
                "and podman refuses the next line as an unknown instruction); join commands with && or use one " +
                'entry per command, got "true\\nRUN false"',
        ],
        [
            "a run command that is an instruction",
            withImage({ steps: [{ run: ["COPY a /b"] }] }),
            "rhcos-forge:image.steps[0].run[0] must be a shell command, not a Containerfile instruction " +
                "(COPY): each entry is rendered as `RUN <entry> && ostree container commit`; other instructions " +
                'are not supported (files go in image.files, labels in image.labels), got "COPY a /b"',
        ],
        [
            "a missing source",
            withImage({ files: [{ path: "/etc/rf/x", source: "no/such/file" }] }),
            `rhcos-forge:image.files[0].source names no file or directory under the Pulumi project root ` +
                `${process.cwd()}, got "no/such/file"`,
        ],
        [
            "a source outside the project",
            withImage({ steps: [{ files: [{ path: "/etc/rf/x", source: "../etc/passwd" }] }] }),
            "rhcos-forge:image.steps[0].files[0].source must not contain .. (sources stay inside the " +
                'project), got "../etc/passwd"',
        ],
        [
            "a missing RPM source",
            withImage({ steps: [{ install: [{ source: "rpms/agent.rpm" }] }] }),
            `rhcos-forge:image.steps[0].install[0].source names no file or directory under the Pulumi project ` +
                `root ${process.cwd()}, got "rpms/agent.rpm"`,
        ],
        [
            "a file with content and source",
            withImage({ files: [{ path: "/etc/rf/x", content: "x", source: "README.md" }] }),
            "rhcos-forge:image.files[0].source must not be set together with content (keep one of the two), " +
                'got "README.md"',
        ],
        [
            "a file with neither",
            withImage({ steps: [{ files: [{ path: "/etc/rf/x" }] }] }),
            "rhcos-forge:image.steps[0].files[0].content must be set, or source (a file or directory of the " +
                "repository), got nothing",
        ],
        [
            "a stage base by tag",
            withImage({ stages: [{ name: "build", base: "docker.io/library/golang:1.19" }] }),
            "rhcos-forge:image.stages[0].base must be pinned by digest (…@sha256:<64 hex>) or be " +
                '"driver-toolkit", got "docker.io/library/golang:1.19"',
        ],
        [
            "driver-toolkit as a stage base without a kubeconfig",
            withImage({ stages: [{ name: "kmod", base: "driver-toolkit" }] }),
            'rhcos-forge:image.stages[0].base is "driver-toolkit", which reads the cluster\'s ImageStream ' +
                "openshift/driver-toolkit and needs rhcos-forge:kubeconfig; set it, or pin the base by digest " +
                '(`oc adm release info --image-for=driver-toolkit <release>`), got "driver-toolkit"',
        ],
        [
            "a stage base that is neither a digest nor driver-toolkit",
            withImage({ stages: [{ name: "kmod", base: "toolkit" }] }),
            "rhcos-forge:image.stages[0].base must be pinned by digest (…@sha256:<64 hex>) or be " +
                '"driver-toolkit", got "toolkit"',
        ],
        [
            "a stage listed twice",
            withImage({
                stages: [
                    { name: "b", base: DTK },
                    { name: "b", base: DTK },
                ],
            }),
            'rhcos-forge:image.stages[1].name is listed twice, got "b"',
        ],
        [
            "an install step in a stage",
            withImage({ stages: [{ name: "b", base: DTK, steps: [{ install: ["gcc"] }] }] }),
            "rhcos-forge:image.stages[0].steps[0].install is not a known key (check its spelling against the " +
                "README's config reference)",
        ],
        [
            "a copy from an unknown stage",
            withImage({ stages: kmodStage, steps: [{ copy: [{ from: "builder", src: "/out", dst: "/usr/lib/x" }] }] }),
            "rhcos-forge:image.steps[0].copy[0].from must name a stage of rhcos-forge:image.stages",
        ],
        [
            "a stage copying from a later stage",
            withImage({
                stages: [
                    { name: "a", base: DTK, steps: [{ copy: [{ from: "b", src: "/x", dst: "/x" }] }] },
                    { name: "b", base: DTK },
                ],
            }),
            "rhcos-forge:image.stages[0].steps[0].copy[0].from must name a stage defined before a in " +
                "rhcos-forge:image.stages",
        ],
        [
            "a kernel module from an unknown stage",
            withImage({ steps: [{ kernelModules: [{ name: "m", stage: "kmod", path: "/m.ko" }] }] }),
            "rhcos-forge:image.steps[0].kernelModules[0].stage must name a stage of rhcos-forge:image.stages",
        ],
        [
            "a kernel module path that is not a .ko",
            withImage({
                stages: kmodStage,
                steps: [{ kernelModules: [{ name: "m", stage: "kmod", path: "/build/m.o" }] }],
            }),
            "rhcos-forge:image.steps[0].kernelModules[0].path must be the absolute path of a .ko file, got " +
                '"/build/m.o"',
        ],
        [
            "a copy path with a space",
            withImage({ stages: kmodStage, steps: [{ copy: [{ from: "kmod", src: "/a b", dst: "/usr/lib/x" }] }] }),
            "rhcos-forge:image.steps[0].copy[0].src must be an absolute path of plain characters (COPY takes " +
                'it literally), got "/a b"',
        ],
        [
            "a copy into /var",
            withImage({ stages: kmodStage, steps: [{ copy: [{ from: "kmod", src: "/out", dst: "/var/lib/x" }] }] }),
            "rhcos-forge:image.steps[0].copy[0].dst must be an absolute path under /etc, /usr or /opt (the " +
                'rest of an RHCOS image is not kept), got "/var/lib/x"',
        ],
        [
            "part of the kernel in a replace step",
            withImage({ steps: [{ replace: kernel(["kernel", "kernel-core", "kernel-modules"]) }] }),
            "rhcos-forge:image.steps[0].replace replaces only some kernel subpackages (kernel, kernel-core, " +
                "kernel-modules): a kernel is replaced as kernel, kernel-core, kernel-modules, " +
                "kernel-modules-core, kernel-modules-extra together; add kernel-modules-core, " +
                "kernel-modules-extra",
        ],
        [
            "part of the kernel in image.replace",
            withImage({ replace: kernel(["kernel"]) }),
            "rhcos-forge:image.replace replaces only some kernel subpackages (kernel): a kernel is replaced " +
                "as kernel, kernel-core, kernel-modules, kernel-modules-core, kernel-modules-extra together; add " +
                "kernel-core, kernel-modules, kernel-modules-core, kernel-modules-extra",
        ],
        [
            "a replace by name without a mirror",
            withImage({ steps: [{ replace: ["openssh"] }] }),
            "rhcos-forge:image.steps[0].replace names packages, which come from the build host's mirror, but " +
                "rhcos-forge:mirror has no repos; add the repo they come from, or give RPM URLs",
        ],
        [
            "from on a step that is not replace",
            withImage({ steps: [{ install: ["htop"], from: "epel-9" }] }),
            "rhcos-forge:image.steps[0].from is only for a replace step",
        ],
        [
            "from naming no mirror repo",
            withImage({ steps: [{ replace: ["openssh"], from: "epel-9" }] }),
            "rhcos-forge:image.steps[0].from names no repo of rhcos-forge:mirror (rhcos-forge-extras)",
        ],
        [
            "an unknown dialect",
            withImage({ dialect: "apt" }),
            'rhcos-forge:image.dialect must be one of "rpm-ostree", "dnf", got "apt"',
        ],
        [
            "steps with the cosa builder",
            patched(minimalStack, c => {
                c.image.builder = "cosa";
                c.image.cosa = {
                    container: `quay.io/coreos-assembler/coreos-assembler@${DIGEST}`,
                    config: "https://github.com/openshift/os.git",
                    branch: "release-4.19",
                };
                c.image.steps = [{ run: ["true"] }];
            }),
            "rhcos-forge:image.steps must be empty with rhcos-forge:image.builder cosa (put packages and " +
                "files into the cosa config's manifest instead)",
        ],
    ]);
});
