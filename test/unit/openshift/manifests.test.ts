// The objects a rollout declares, for every supported OpenShift release: the one MachineConfig per
// pool (image + node extras), the MachineOSConfig of on-cluster layering and its Containerfile
// (golden files, regenerate with UPDATE_GOLDEN=1 and review the diff), each validated against the
// CRD schema of ../shared/crds/<release>/, and the CEL rules the schema check cannot see.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { OPENSHIFT_VERSIONS, OpenShiftVersion } from "../../../components/openshift/versions";
import { OnClusterImageSpec, renderOnClusterContainerfile } from "../../../components/image/containerfile";
import {
    MAX_CONTAINERFILE_CHARS,
    checkContainerfile,
    checkMachineOSConfigName,
    checkRenderedImagePushSpec,
    currentImageOf,
    renderMachineOSConfig,
    renderedImagePushSpec,
} from "../../../components/openshift/machineOsConfig";
import {
    hasNodeSettings,
    renderMachineConfig,
    renderMachineConfigPool,
} from "../../../components/openshift/machineConfig";
import { RELEASES } from "../../../components/openshift/releases";
import { crdRelease, validateAgainstCrd } from "../crds";
import { configFiles, debugTools, emptyOnCluster, kernelHotfix } from "../imageSpecs";
import { ROOT } from "../stackFile";

const REF = "quay.io/example-org/rhcos-forge@sha256:" + "0123456789abcdef".repeat(4);
const empty = emptyOnCluster;

const goldens: [string, OnClusterImageSpec][] = [
    ["debug-tools", { ...empty, ...debugTools }],
    ["kernel-hotfix", { ...empty, ...kernelHotfix }],
    [
        "config-only",
        {
            ...empty,
            files: configFiles,
            extraSteps: ["mkdir -p /usr/lib/falcon && echo 'managed by rhcos-forge' > /usr/lib/falcon/README"],
        },
    ],
    ["base-only", empty],
];

describe("on-cluster Containerfiles", () => {
    for (const [name, spec] of goldens) {
        it(`matches test/golden/onCluster-${name}.Containerfile`, () => {
            const rendered = renderOnClusterContainerfile(spec);
            const file = path.join(ROOT, "test", "golden", `onCluster-${name}.Containerfile`);
            if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, rendered);
            assert.equal(rendered, fs.readFileSync(file, "utf8"));
        });
    }

    it("builds FROM the MCO's configs stage, ends every RUN with ostree container commit, has no build context", () => {
        for (const [, spec] of goldens) {
            const cf = renderOnClusterContainerfile(spec);
            assert.deepEqual(
                cf.split("\n").filter(l => l.startsWith("FROM ")),
                ["FROM configs AS final"],
            );
            assert.doesNotMatch(cf, /^(COPY|ADD) /m);
            for (const run of cf.split(/^RUN /m).slice(1))
                assert.match(run.split(/^LABEL /m)[0].trimEnd(), /ostree container commit$/);
            assert.ok(checkContainerfile(cf) === undefined, "fits one containerFile entry");
        }
    });

    it("carries file contents inline, byte for byte", () => {
        const content = "conn host-to-host\n  left=%defaultroute\n  # it's quoted: $HOME `x`\n";
        const cf = renderOnClusterContainerfile({
            ...empty,
            files: [{ path: "/etc/ipsec.d/a b.conf", mode: "0600", content }],
        });
        const b64 =
            /printf '%s' (\S+) \| base64 -d \| install -D -m 0600 \/dev\/stdin '\/etc\/ipsec\.d\/a b\.conf'/.exec(
                cf,
            )?.[1];
        assert.ok(b64, cf);
        assert.equal(Buffer.from(b64, "base64").toString("utf8"), content);
    });

    it("refuses mirror package names (an on-cluster build cannot reach the mirror)", () => {
        assert.throws(
            () => renderOnClusterContainerfile({ ...empty, replace: ["openssh-9.9p1-1.el9"] }),
            /cannot reach/,
        );
    });

    it("reports a Containerfile over the containerFile limit", () => {
        assert.equal(checkContainerfile("x".repeat(MAX_CONTAINERFILE_CHARS)), undefined);
        assert.match(
            checkContainerfile("x".repeat(MAX_CONTAINERFILE_CHARS + 1)) ?? "",
            /4097 characters.*at most 4096/,
        );
    });
});

describe("the pool's MachineConfig", () => {
    it("carries the image and every node extra in one object", () => {
        const mc = renderMachineConfig("canary", {
            osImageURL: REF,
            extensions: ["usbguard", "sysstat"],
            kernelType: "realtime",
            kernelArguments: ["nosmt", "hugepagesz=1G"],
        });
        assert.equal(mc.metadata.name, "99-canary-rhcos-forge-os-image");
        assert.deepEqual(mc.spec, {
            osImageURL: REF,
            extensions: ["usbguard", "sysstat"],
            kernelType: "realtime",
            kernelArguments: ["nosmt", "hugepagesz=1G"],
        });
    });

    it("leaves out what is not set, including the default kernel", () => {
        assert.deepEqual(
            renderMachineConfig("worker", {
                osImageURL: REF,
                extensions: [],
                kernelType: "default",
                kernelArguments: [],
            }).spec,
            { osImageURL: REF },
        );
        assert.deepEqual(renderMachineConfig("worker", REF).spec, { osImageURL: REF }, "the string form still works");
        assert.equal(hasNodeSettings({ kernelType: "default" }), false);
        assert.equal(hasNodeSettings({ kernelArguments: ["nosmt"] }), true);
    });

    for (const version of OPENSHIFT_VERSIONS) {
        it(`validates against the ${version} MachineConfig CRD`, () => {
            for (const settings of [
                {
                    osImageURL: REF,
                    extensions: ["ipsec", "two-node-ha"],
                    kernelType: "64k-pages" as const,
                    kernelArguments: ["nosmt"],
                },
                { extensions: ["wasm"] },
                { osImageURL: REF },
            ]) {
                validateAgainstCrd(crdRelease(version), { ...renderMachineConfig("worker", settings) });
            }
        });
    }
});

describe("the custom MachineConfigPool", () => {
    for (const version of OPENSHIFT_VERSIONS) {
        it(`validates against the ${version} MachineConfigPool CRD`, () => {
            for (const pool of [
                { name: "canary", maxUnavailable: 1, paused: false },
                { name: "rt", maxUnavailable: "10%", paused: true },
            ]) {
                validateAgainstCrd(crdRelease(version), { ...renderMachineConfigPool(pool) });
            }
            assert.throws(
                () =>
                    validateAgainstCrd(crdRelease(version), {
                        ...renderMachineConfigPool({ name: "canary", maxUnavailable: 1, paused: false }),
                        spec: { paused: "no" },
                    }),
                /paused/,
                "the schema check can fail",
            );
        });
    }
});

describe("MachineOSConfig", () => {
    const containerfile = renderOnClusterContainerfile(goldens[0][1]);
    const render = (version: OpenShiftVersion, pool = "canary") =>
        renderMachineOSConfig({
            version,
            pool,
            pushSpec: renderedImagePushSpec("quay.io/example-org/rhcos-forge", pool),
            containerfile,
            arch: "NoArch",
        });

    for (const version of OPENSHIFT_VERSIONS) {
        it(`validates against the ${version} MachineOSConfig CRD`, () => {
            for (const pool of ["canary", "worker"])
                validateAgainstCrd(crdRelease(version), { ...render(version, pool) });
        });
    }

    it("uses v1 with a Job builder from 4.18", () => {
        const mosc = render("4.18");
        assert.equal(mosc.apiVersion, "machineconfiguration.openshift.io/v1");
        assert.deepEqual(mosc.spec, {
            machineConfigPool: { name: "canary" },
            imageBuilder: { imageBuilderType: "Job" },
            renderedImagePushSpec: "quay.io/example-org/rhcos-forge:canary",
            renderedImagePushSecret: { name: "rhcos-forge-registry-push" },
            baseImagePullSecret: { name: "rhcos-forge-registry-push" },
            containerFile: [{ containerfileArch: "NoArch", content: containerfile }],
        });
    });

    it("uses v1alpha1 buildInputs/buildOutputs with a PodImageBuilder on 4.16 and 4.17", () => {
        for (const version of ["4.16", "4.17"] as const) {
            const mosc = renderMachineOSConfig({
                version,
                pool: "canary",
                pushSpec: "quay.io/example-org/rhcos-forge:canary",
                containerfile,
                arch: "ARM64",
            });
            assert.equal(mosc.apiVersion, "machineconfiguration.openshift.io/v1alpha1");
            assert.deepEqual(mosc.spec, {
                machineConfigPool: { name: "canary" },
                buildInputs: {
                    imageBuilder: { imageBuilderType: "PodImageBuilder" },
                    baseImagePullSecret: { name: "rhcos-forge-registry-push" },
                    renderedImagePushspec: "quay.io/example-org/rhcos-forge:canary",
                    renderedImagePushSecret: { name: "rhcos-forge-registry-push" },
                    containerFile: [{ containerfileArch: "arm64", content: containerfile }],
                },
                buildOutputs: { currentImagePullSecret: { name: "rhcos-forge-registry-pull" } },
            });
            validateAgainstCrd(crdRelease(version), { ...mosc });
        }
    });

    it("reads the built image from the status field of each API version", () => {
        const digest = "quay.io/example-org/rhcos-forge@sha256:" + "f".repeat(64);
        assert.equal(currentImageOf("v1", { currentImagePullSpec: digest }), digest);
        assert.equal(currentImageOf("v1alpha1", { currentImagePullspec: digest }), digest);
        assert.equal(currentImageOf("v1", { currentImagePullspec: digest }), undefined);
        assert.equal(currentImageOf("v1", undefined), undefined);
    });
});

describe("CEL rules the CRD schema check does not evaluate", () => {
    it("v1: a MachineOSConfig is named after its pool", () => {
        const mosc = renderMachineOSConfig({
            version: "4.19",
            pool: "canary",
            pushSpec: "quay.io/o/r:canary",
            containerfile: "FROM configs AS final\n",
            arch: "NoArch",
        });
        assert.equal(checkMachineOSConfigName(mosc), undefined);
        const renamed = { ...mosc, metadata: { ...mosc.metadata, name: "layered" } };
        assert.equal(
            checkMachineOSConfigName(renamed),
            'MachineOSConfig "layered" must be named after its pool "canary"',
        );
        // The JSON schema alone accepts the renamed object: this rule exists only as CEL.
        validateAgainstCrd("release-4.19", { ...renamed });
    });

    const v1: [string, boolean][] = [
        ["quay.io/org/rhcos:canary", true],
        ["registry.example.com:5000/org/team/rhcos:worker", true],
        ["image-registry.openshift-image-registry.svc:5000/openshift-machine-config-operator/os-image:latest", true],
        ["localhost:5000/org/rhcos:canary", false],
        ["registry/org/rhcos:canary", false],
        ["quay.io/org/rhcos", false],
        ["quay.io/org/rhcos@sha256:" + "a".repeat(64), false],
    ];
    for (const [spec, ok] of v1) {
        it(`v1 renderedImagePushSpec ${ok ? "accepts" : "rejects"} ${spec}`, () => {
            for (const version of OPENSHIFT_VERSIONS.filter(v => RELEASES[v].machineOSConfigApi === "v1")) {
                assert.equal(checkRenderedImagePushSpec(version, spec) === undefined, ok);
            }
        });
    }

    const v1alpha1: [string, boolean][] = [
        ["quay.io/org/rhcos:canary", true],
        ["image-registry.openshift-image-registry.svc:5000/openshift/os-image:latest", true],
        ["registry.example.com:5000/org/rhcos:canary", false],
        ["quay.io/org/team/rhcos:canary", false],
        ["registry/org/rhcos:canary", false],
        ["quay.io/org/rhcos", false],
    ];
    for (const [spec, ok] of v1alpha1) {
        it(`v1alpha1 renderedImagePushspec ${ok ? "accepts" : "rejects"} ${spec}`, () => {
            for (const version of OPENSHIFT_VERSIONS.filter(v => RELEASES[v].machineOSConfigApi === "v1alpha1")) {
                assert.equal(checkRenderedImagePushSpec(version, spec) === undefined, ok);
            }
        });
    }

    it("refuses to render a MachineOSConfig that would break a CEL rule", () => {
        assert.throws(
            () =>
                renderMachineOSConfig({
                    version: "4.16",
                    pool: "canary",
                    pushSpec: "registry.example.com:5000/o/r:canary",
                    containerfile: "",
                    arch: "NoArch",
                }),
            /exactly one ':'/,
        );
        assert.throws(
            () =>
                renderMachineOSConfig({
                    version: "4.19",
                    pool: "canary",
                    pushSpec: "quay.io/o/r:canary",
                    containerfile: "x".repeat(5000),
                    arch: "NoArch",
                }),
            /at most 4096/,
        );
    });
});
