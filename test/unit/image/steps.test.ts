// image.steps, image.stages, the dnf dialect and files from the repository: golden Containerfiles
// for each construct (the upstream layering example each one writes declaratively is named in
// the case), the mirror .repo invariant per fetching step, binary-safe context and build id.
// Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "node:test";
import { buildId, renderBundle } from "../../../components/image/buildInputs";
import { ImageSpec, RenderOptions, renderContainerfile } from "../../../components/image/containerfile";
import { readSourceTree } from "../../../components/image/sources";
import { ReadSource, SourceEntry, kernelSubpackage, replacesWholeKernel } from "../../../components/image/steps";
import { BASE, emptySpec, mirrorRepos } from "../imageSpecs";
import { ROOT } from "../stackFile";

const GOLANG = "docker.io/library/golang@sha256:" + "fedcba9876543210".repeat(4);
const DTK = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "00112233445566778899aabbccddeeff".repeat(2);
const empty = emptySpec;
const repos = mirrorRepos;
const KERNEL = "https://mirror.stream.centos.org/9-stream/BaseOS/x86_64/os/Packages";
const kernelSet = ["kernel", "kernel-core", "kernel-modules", "kernel-modules-core", "kernel-modules-extra"].map(
    p => `${KERNEL}/${p}-5.14.0-295.el9.x86_64.rpm`,
);

/** A repository of fixed bytes: a binary file, a directory of two, an RPM. */
const fakeRepo: Record<string, SourceEntry[]> = {
    "files/agent.bin": [{ rel: "", data: Uint8Array.from([0, 1, 2, 255, 10, 13, 0]), mode: "0755" }],
    "files/ipsec.d": [
        { rel: "a.conf", data: Buffer.from("conn a\n"), mode: "0600" },
        { rel: "sub/b.conf", data: Buffer.from("conn b\n"), mode: "0640" },
    ],
    "rpms/falcon-sensor-7.0.x86_64.rpm": [{ rel: "", data: Buffer.from("not really an rpm"), mode: "0644" }],
    "src/dir-walker": [
        { rel: "main.go", data: Buffer.from("package main\n"), mode: "0644" },
        { rel: "Makefile", data: Buffer.from("all:\n"), mode: "0644" },
    ],
};
const readSource: ReadSource = s => {
    const e = fakeRepo[s];
    if (e === undefined) throw new Error(`no source ${s}`);
    return e;
};

const cases: [string, ImageSpec, RenderOptions][] = [
    // fish/ and htop/ (RPMs by URL and name), libreswan/ (package, config file, unit), override-kernel/
    [
        "steps-ordered",
        {
            ...empty,
            steps: [
                {
                    install: [
                        "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/Packages/f/fish-3" +
                            ".3.1-3.el9.x86_64.rpm",
                        "htop",
                    ],
                },
                { remove: ["podman-docker"] },
                {
                    files: [
                        { path: "/etc/ipsec.d/my-host-to-host.conf", content: "conn host-to-host\n", mode: "0600" },
                        { path: "/etc/ipsec.d", source: "files/ipsec.d" },
                    ],
                },
                { install: ["libreswan"] },
                { enable: ["ipsec.service"] },
                { replace: kernelSet },
                { replace: ["openssh-9.9p1-1.el9"], from: "rhcos-forge-extras" },
                { run: ["mkdir -p /usr/lib/falcon", "echo 'managed by rhcos-forge' > /usr/lib/falcon/README"] },
            ],
        },
        { repos, readSource },
    ],
    // An agent RPM kept in the repository, and a binary file with its own mode.
    [
        "steps-from-repository",
        {
            ...empty,
            files: [{ path: "/usr/lib/agent/agent.bin", source: "files/agent.bin" }],
            steps: [{ install: [{ source: "rpms/falcon-sensor-7.0.x86_64.rpm" }, "htop"] }],
        },
        { repos, readSource },
    ],
    // dir-walker/: a build stage, its output copied in, unpacked out of /opt by a run step
    [
        "stages-copy",
        {
            ...empty,
            stages: [
                {
                    name: "build",
                    base: GOLANG,
                    steps: [
                        { files: [{ path: "/usr/src/dir-walker", source: "src/dir-walker" }] },
                        { run: ["make -C /usr/src/dir-walker install DESTDIR=/out"] },
                    ],
                },
            ],
            steps: [
                { copy: [{ from: "build", src: "/out/opt/dir-walker", dst: "/usr/lib/dir-walker" }] },
                {
                    files: [
                        {
                            path: "/usr/lib/tmpfiles.d/dir-walker.conf",
                            content: "L+ /opt/dir-walker - - - - /usr/lib/dir-walker\n",
                        },
                    ],
                },
            ],
        },
        { repos, readSource },
    ],
    // loading-kernel-module/: a driver-toolkit stage builds against the base's kernel
    [
        "kernel-module",
        {
            ...empty,
            stages: [
                {
                    name: "kmod",
                    base: DTK,
                    steps: [
                        {
                            run: [
                                "git clone https://github.com/openshift-psap/simple-kmod.git /build/simple-kmod",
                                'make -C /build/simple-kmod all KVER="$(rpm -q --qf ' +
                                    "'%{VERSION}-%{RELEASE}.%{ARCH}' kernel-core)\"",
                            ],
                        },
                    ],
                },
            ],
            steps: [
                { kernelModules: [{ name: "simple_kmod", stage: "kmod", path: "/build/simple-kmod/simple-kmod.ko" }] },
            ],
        },
        { repos: [] },
    ],
    // The shorthand keys and steps in the dnf dialect, linted at the end.
    [
        "dnf-dialect",
        {
            ...empty,
            dialect: "dnf",
            packages: ["htop"],
            remove: ["podman-docker"],
            units: ["iperf3.service"],
            extraSteps: ["mkdir -p /usr/lib/falcon"],
            steps: [{ install: ["tcpdump"] }, { run: ["true"] }],
        },
        { repos },
    ],
];

const goldenFile = (name: string): string => path.join(ROOT, "test", "golden", `${name}.Containerfile`);
const runs = (containerfile: string): string[] =>
    containerfile.split(/^(?=[A-Z]+ )/m).filter(l => l.startsWith("RUN "));
const REPO = "/etc/yum.repos.d/rhcos-forge-mirror.repo";

describe("image.steps, image.stages and the dialect", () => {
    for (const [name, spec, opts] of cases) {
        it(`matches test/golden/${name}.Containerfile`, () => {
            const rendered = renderContainerfile(spec, opts);
            if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(goldenFile(name), rendered.containerfile);
            assert.equal(rendered.containerfile, fs.readFileSync(goldenFile(name), "utf8"));
        });
    }

    it("writes the mirror .repo in every RUN that fetches packages and removes it in that RUN", () => {
        for (const [name, spec, opts] of cases) {
            for (const run of runs(renderContainerfile(spec, opts).containerfile)) {
                const fetches = /rpm-ostree install|dnf install|--from repo=/.test(run);
                const writes = run.includes(`> ${REPO}`);
                assert.equal(writes, fetches && opts.repos.length > 0, `${name}: ${run.slice(0, 120)}`);
                if (writes)
                    assert.ok(
                        run.indexOf(`rm -f ${REPO}`) > run.indexOf(`> ${REPO}`),
                        `${name}: removed in the same RUN`,
                    );
            }
        }
    });

    it("renders steps in the order given", () => {
        const cf = renderContainerfile(cases[0][1], cases[0][2]).containerfile;
        const at = [
            "fish-3.3.1",
            "override remove podman-docker",
            "COPY steps/2/ /",
            "install libreswan",
            "systemctl enable ipsec.service",
            "cliwrap install-to-root",
            "--from repo=rhcos-forge-extras",
            "mkdir -p /usr/lib/falcon",
        ].map(s => cf.indexOf(s));
        assert.ok(
            at.every(i => i >= 0),
            String(at),
        );
        assert.deepEqual(
            at,
            [...at].sort((a, b) => a - b),
        );
    });

    it("replaces the kernel the override-kernel way only with every subpackage", () => {
        assert.ok(replacesWholeKernel(kernelSet));
        assert.ok(!replacesWholeKernel(kernelSet.slice(0, 4)));
        assert.equal(
            kernelSubpackage(`${KERNEL}/kernel-modules-core-5.14.0-295.el9.x86_64.rpm`),
            "kernel-modules-core",
        );
        assert.equal(kernelSubpackage("kernel-tools"), undefined);
        assert.equal(kernelSubpackage("kernel-core"), "kernel-core");
        const partial = renderContainerfile(
            { ...empty, steps: [{ replace: kernelSet.slice(0, 1) }] },
            { repos },
        ).containerfile;
        assert.ok(!partial.includes("cliwrap"));
    });

    it("ends a dnf-dialect image with bootc container lint and no ostree commit; rpm-ostree never lints", () => {
        const dnf = renderContainerfile(cases[4][1], cases[4][2]).containerfile;
        assert.match(dnf, /RUN bootc container lint\nLABEL /);
        assert.ok(!dnf.includes("ostree container commit"));
        assert.match(dnf, /dnf install -y htop && \\\n    dnf clean all/);
        const ostree = renderContainerfile(cases[0][1], cases[0][2]).containerfile;
        assert.ok(!ostree.includes("bootc"));
        for (const run of runs(ostree)) assert.match(run, /ostree container commit\n*$/);
    });

    it("ships repository files byte for byte with their own mode, base64 in the bundle", () => {
        const r = renderContainerfile(cases[1][1], cases[1][2]);
        const bin = r.context.find(f => f.path === "files/usr/lib/agent/agent.bin");
        assert.deepEqual(bin, {
            path: "files/usr/lib/agent/agent.bin",
            content: Buffer.from([0, 1, 2, 255, 10, 13, 0]).toString("base64"),
            mode: "0755",
            encoding: "base64",
        });
        const line = renderBundle(r.containerfile, r.context)
            .split("\n")
            .find(l => l.startsWith(`file 0755 ${Buffer.from("files/usr/lib/agent/agent.bin").toString("base64")} `));
        assert.ok(line !== undefined);
        assert.deepEqual([...Buffer.from(line.split(" ")[3], "base64")], [0, 1, 2, 255, 10, 13, 0]);
        assert.match(r.containerfile, /chmod 0755 \/usr\/lib\/agent\/agent.bin/);
    });

    it("changes the build id with one byte of a repository file", () => {
        const id = (data: Uint8Array): string => {
            const r = renderContainerfile(cases[1][1], {
                ...cases[1][2],
                readSource: s => (s === "files/agent.bin" ? [{ rel: "", data, mode: "0755" }] : readSource(s)),
            });
            return buildId({
                containerfile: r.containerfile,
                context: r.context,
                base: BASE,
                repository: "quay.io/x/y",
            });
        };
        assert.equal(id(Uint8Array.from([1, 2])), id(Uint8Array.from([1, 2])));
        assert.notEqual(id(Uint8Array.from([1, 2])), id(Uint8Array.from([1, 3])));
    });

    it("reads a source file or directory under the project root, bytes and modes; refuses escapes, symlinks", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "rf-sources-"));
        try {
            fs.mkdirSync(path.join(root, "d", "sub"), { recursive: true });
            const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
            fs.writeFileSync(path.join(root, "d", "blob"), bytes, { mode: 0o750 });
            fs.writeFileSync(path.join(root, "d", "sub", "t.txt"), "x\n", { mode: 0o644 });
            fs.chmodSync(path.join(root, "d", "blob"), 0o750);
            const got = readSourceTree(root, "d");
            assert.deepEqual(
                got.map(e => [e.rel, e.mode]),
                [
                    ["blob", "0750"],
                    ["sub/t.txt", "0644"],
                ],
            );
            assert.ok(Buffer.from(got[0].data).equals(bytes));
            assert.deepEqual(
                readSourceTree(root, "d/blob").map(e => e.rel),
                [""],
            );
            assert.throws(() => readSourceTree(root, "../etc"), /outside the project root/);
            fs.symlinkSync("/etc/passwd", path.join(root, "d", "link"));
            assert.throws(() => readSourceTree(root, "d"), /symlink/);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
