// The kernelModules step built for real: the TypeScript renderer's Containerfile and bundle go
// through build-image.sh on the loopback build host, FROM stand-in bases (NOT RHCOS: the Debian
// rootfs of dev/baseImage.ts) that carry a fixture kernel-core RPM of one kernel version
// (dev/rpms.ts buildKernelCoreRpm: the /usr/lib/modules/<kver>/ directory, no kernel).
//
// A real kernel module cannot be built here (no kernel-devel of a RHEL kernel, and nothing could
// load it). The builder stage instead does what a driver-toolkit stage does around the compiler:
// it reads its own kernel-core's version (the driver-toolkit image has kernel-core installed:
// openshift/driver-toolkit Dockerfile, release-4.20, installs kernel-modules and queries
// `rpm -qi kernel-core`), builds for it as the loading-kernel-module example's Makefile does,
// and assembles with binutils' `as` a real ELF relocatable object whose real .modinfo section
// carries `vermagic=<that kver> …` and `name=`. That is all the step reads (modinfo, depmod), so
// the check against the base's kernel, the install under /usr/lib/modules/<kver>/extra/, depmod
// and the modules-load.d entry all run on real tools (kmod's modinfo and depmod in the base).
//
// Three builds: the stage's kernel equals the base's (the image has the module, its modules.dep
// entry and its modules-load.d file); the stage's kernel differs (the build fails naming both
// versions, and nothing is pushed); the base has no kernel-core at all (the build says so).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as harness from "./harness";
import { type BaseImages, buildKernelBase } from "../../dev/baseImage";
import { buildKernelCoreRpm, rpmArch } from "../../dev/rpms";
import { ImageSpec } from "../../components/image/containerfile";

let env: harness.Env;
let host: harness.BuildHost;
let reg: harness.Registry;
let bases: BaseImages;
let root: string;
let project: string;
/** The node base: kernel-core KVER. */
let nodeBase: string;
/** A stand-in driver-toolkit of another release: kernel-core OTHER_KVER. */
let otherToolkit: string;

const KVER = `5.14.0-427.13.1.el9_4.${rpmArch()}`;
const OTHER_KVER = `5.14.0-570.12.1.el9_6.${rpmArch()}`;
const REPO_NAME = "rhcos-forge/kernel-modules";
const MODULE = "rf_fixture";

// Assembler source of the fixture module; @KVER@ is filled in by the stage from its kernel-core.
const MODULE_SOURCE = [
    '\t.section .modinfo,"a"',
    '\t.asciz "vermagic=@KVER@ SMP preempt mod_unload modversions "',
    `\t.asciz "name=${MODULE}"`,
    '\t.asciz "license=Apache-2.0"',
    '\t.asciz "description=rhcos-forge test fixture (an ELF object with a .modinfo section; not loadable)"',
    '\t.section .gnu.linkonce.this_module,"aw"',
    "\t.zero 64",
    "\t.text",
    "\t.globl init_module",
    "init_module:",
    "\tnop",
    "",
].join("\n");

const noSpec = harness.emptyOnCluster;

function imageRepo(): string {
    return `${reg.host}/${REPO_NAME}`;
}

/** The image FROM nodeBase with a builder stage FROM `toolkit` and the kernelModules step. */
function kernelModuleSpec(toolkit: string): Omit<ImageSpec, "base"> {
    return {
        ...noSpec,
        stages: [
            {
                name: "kmod",
                base: toolkit,
                steps: [
                    { files: [{ path: "/usr/src/rf-fixture/rf_fixture.S.in", source: "kmod/rf_fixture.S.in" }] },
                    {
                        run: [
                            "KVER=\"$(rpm -q --qf '%{VERSION}-%{RELEASE}.%{ARCH}' kernel-core)\"",
                            'sed "s/@KVER@/$KVER/" /usr/src/rf-fixture/rf_fixture.S.in > /tmp/rf_fixture.S',
                            "mkdir -p /build",
                            `as -o /build/${MODULE}.ko /tmp/rf_fixture.S`,
                        ],
                    },
                ],
            },
        ],
        steps: [{ kernelModules: [{ name: MODULE, stage: "kmod", path: `/build/${MODULE}.ko` }] }],
    };
}

function build(
    spec: Omit<ImageSpec, "base">,
    base = nodeBase,
): Promise<harness.RemoteResult & { containerfile: string }> {
    return harness.buildSpec({ host, reg, root }, { ...spec, base }, { repository: imageRepo(), repos: [], project });
}

before(async () => {
    env = new harness.Env("rf-kernel-modules-test-");
    ({ host, reg, root, bases } = await harness.startBuildFixture(env));
    const rpmDir = env.mkdir("kernel-rpms");
    nodeBase = await buildKernelBase(env, reg, await buildKernelCoreRpm(rpmDir, KVER), "kernel-a");
    otherToolkit = await buildKernelBase(env, reg, await buildKernelCoreRpm(rpmDir, OTHER_KVER), "kernel-b");

    project = env.mkdir("project");
    mkdirSync(join(project, "kmod"), { recursive: true });
    writeFileSync(join(project, "kmod", "rf_fixture.S.in"), MODULE_SOURCE);
});

after(async () => {
    await env?.teardown();
});

test("a module built for the base's kernel is in /usr/lib/modules/<kver>/extra/, modules.dep, loaded", async () => {
    const res = await build(kernelModuleSpec(nodeBase));
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.match(res.containerfile, /^FROM \S+@sha256:[0-9a-f]{64} AS kmod$/m);
    const mnt = await harness.mountPushed(env, reg, harness.resultJson(res).ref);
    assert.ok((await harness.rpmQa(mnt)).includes(`kernel-core-${KVER}`), "the base's kernel-core is the fixture's");

    const ko = join(mnt, "usr/lib/modules", KVER, "extra", `${MODULE}.ko`);
    assert.ok(existsSync(ko), `${ko} exists`);
    const elf = readFileSync(ko);
    assert.ok(elf.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), "an ELF file");
    assert.equal(elf.readUInt16LE(16), 1, "ET_REL, as a .ko is");
    // The host's kmod reads the installed file: the vermagic is the base's kernel.
    const vermagic = (await harness.run("modinfo", ["-F", "vermagic", ko])).stdout.trim();
    assert.equal(vermagic.split(" ")[0], KVER);
    assert.equal((await harness.run("modinfo", ["-F", "name", ko])).stdout.trim(), MODULE);

    const dep = readFileSync(join(mnt, "usr/lib/modules", KVER, "modules.dep"), "utf8");
    assert.match(dep, new RegExp(`^extra/${MODULE}\\.ko:`, "m"), dep);
    assert.ok(existsSync(join(mnt, "usr/lib/modules", KVER, "modules.dep.bin")), "depmod wrote its binary index too");
    assert.equal(readFileSync(join(mnt, "usr/lib/modules-load.d", `${MODULE}.conf`), "utf8"), `${MODULE}\n`);
    assert.ok(!existsSync(join(mnt, "tmp/rhcos-forge-kmods")), "the staging copy is removed");
    assert.ok(!existsSync(join(mnt, "build")), "nothing else of the stage ships");
});

test("a module whose vermagic is not the base's kernel-core fails the build, naming both versions", async () => {
    const tagsBefore = await reg.tags(REPO_NAME);
    const res = await build(kernelModuleSpec(otherToolkit));
    assert.notEqual(res.code, 0, "the build must fail");
    assert.match(
        res.stderr,
        new RegExp(
            `${MODULE} from stage kmod was built for kernel ${OTHER_KVER.replace(/\./g, "\\.")}, but the base ` +
                `image's kernel-core is ${KVER.replace(/\./g, "\\.")}`,
        ),
    );
    assert.ok(
        harness.failureLines(res.stderr).some(l => l.includes("build")),
        harness.failureLines(res.stderr).join("\n"),
    );
    assert.deepEqual(await reg.tags(REPO_NAME), tagsBefore, "nothing is pushed");
});

test("a base image without kernel-core fails the build saying there is no kernel to install for", async () => {
    const tagsBefore = await reg.tags(REPO_NAME);
    const res = await build(kernelModuleSpec(nodeBase), bases.plain);
    assert.notEqual(res.code, 0, "the build must fail");
    assert.match(
        res.stderr,
        new RegExp(
            [
                String.raw`rhcos-forge: kernelModules: the base image has no kernel-core package, so there is no `,
                String.raw`kernel to install the modules for`,
            ].join(""),
        ),
    );
    assert.deepEqual(await reg.tags(REPO_NAME), tagsBefore, "nothing is pushed");
});
