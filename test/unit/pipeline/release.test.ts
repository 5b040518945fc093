// The resource graph of a stack with image.builder cosa, a custom release and rollout.method
// release, under mocks: what is built where, what travels as a secret, the ClusterVersion patch
// (retained on destroy, valid against the CRD once merged), and the config errors of these keys.
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";
import { validateAgainstCrd } from "../crds";
import { JsonTree, asAllConfig, parseProblems, patched, sshCosaStack } from "../configCases";
import { parseStackConfig } from "../../../components/config/parse";
import { buildPipeline } from "../../../components/pipeline";
import * as harness from "../harness";

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const FROM = `quay.io/openshift-release-dev/ocp-release@${D("f")}`;
const CONTAINER = `quay.io/coreos-assembler/coreos-assembler@${D("c")}`;
const CONSOLE = `quay.io/example-org/console@${D("e")}`;

const stack: Record<string, unknown> = {
    ...sshCosaStack(CONTAINER, ["metal", "live"]),
    rollout: { method: "release", force: true, allowMaster: true },
    release: {
        from: FROM,
        repository: "quay.io/example-org/ocp-release",
        overrides: { console: CONSOLE },
        manifests: [
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "brand", namespace: "openshift-config" },
                data: { title: "x" },
            },
        ],
    },
};

harness.installMocks();
// The shared harness answers for the layered build's scripts; these answer for cosa and oc.
const monitor = settings.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
const inner = monitor.mocks;
const scriptCalls: string[] = [];
monitor.mocks = {
    call: args => inner.call(args),
    newResource: args => {
        const create = String((args.inputs as Record<string, unknown>).create ?? "");
        const env = (n: string): string =>
            create.match(new RegExp(`${n}=('[^']*'|\\S+)`))?.[1]?.replace(/^'|'$/g, "") ?? "";
        const digest = (seed: string): string => `sha256:${createHash("sha256").update(seed).digest("hex")}`;
        let stdout: string | undefined;
        if (create.includes("cosa-build.sh")) {
            scriptCalls.push("cosa-build.sh");
            const d = digest(env("RF_COSA_CONFIG_URL"));
            const id = "419.96.202501010000-0";
            stdout = JSON.stringify({
                ref: `${env("RF_IMAGE_REPO")}@${d}`,
                digest: d,
                tag: `${env("RF_IMAGE_REPO")}:${id}`,
                buildId: id,
                configCommit: "0".repeat(40),
                ran: [],
                artifacts: [
                    ["metal", "metal"],
                    ["live", "live-iso"],
                    ["live", "live-kernel"],
                    ["live", "live-initramfs"],
                    ["live", "live-rootfs"],
                ].map(([platform, name]) => ({
                    platform,
                    name,
                    path: `artifacts/${id}/rhcos-${id}-${name}.x86_64.raw`,
                    sha256: "a".repeat(64),
                    size: 1,
                })),
            });
        } else if (create.includes("release-new.sh")) {
            scriptCalls.push("release-new.sh");
            const d = digest(env("RF_RELEASE_ID"));
            stdout = JSON.stringify({
                ref: `${env("RF_RELEASE_REPO")}@${d}`,
                digest: d,
                tag: `${env("RF_RELEASE_REPO")}:${env("RF_RELEASE_ID")}`,
                version: "4.19.10",
                from: env("RF_FROM_RELEASE"),
            });
        }
        if (stdout === undefined) return inner.newResource(args);
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout: `progress\n${stdout}\n`, stderr: "" } };
    },
};
const secrets = {
    sshPrivateKey: harness.TEST_SECRETS.sshPrivateKey,
    registryAuth: harness.TEST_SECRETS.registryAuth,
    kubeconfig: harness.TEST_SECRETS.kubeconfig,
};
harness.setStackConfig(asAllConfig({ ...stack, ...secrets }), secrets);

let program: harness.Program;

before(async () => {
    program = buildPipeline(parseStackConfig(pulumi.runtime.allConfig()), {});
    await harness.valueOf(pulumi.output(program.release));
    await harness.valueOf(pulumi.output(program.cosa));
    await harness.valueOf(program.rollout.method);
    await harness.settle();
});

describe("cosa + release + rollout.method release", () => {
    it("registers CosaBuild, ReleaseImage and ReleaseRollout instead of LayeredImage and OsImageRollout", () => {
        const components = harness.registrations
            .filter(r => !r.custom && r.type.startsWith("rhcos-forge:"))
            .map(r => `${r.type}::${r.name}`)
            .sort();
        assert.deepEqual(components, [
            "rhcos-forge:host:BuildHost::build",
            "rhcos-forge:image:ClusterBaseImage::base",
            "rhcos-forge:image:CosaBuild::image",
            "rhcos-forge:image:ImageSbom::image-sbom",
            "rhcos-forge:image:RegistryCleanup::image-cleanup",
            "rhcos-forge:mirror:RepoMirror::mirror",
            "rhcos-forge:release:ReleaseImage::release",
            "rhcos-forge:rollout:ReleaseRollout::rollout",
        ]);
        assert.deepEqual(scriptCalls.sort(), ["cosa-build.sh", "release-new.sh"]);
    });

    it("orders mirror → cosa build → release → ClusterVersion", async () => {
        const sync = harness.find("command:remote:Command", "mirror-sync");
        const build = harness.find("command:remote:Command", "image-build");
        const rel = harness.find("command:remote:Command", "release-new");
        const cv = harness.find("kubernetes:config.openshift.io/v1:ClusterVersionPatch", "rollout-clusterversion");
        assert.ok(harness.dependsOnTransitively(build, sync));
        assert.ok(harness.dependsOnTransitively(rel, build));
        assert.ok(harness.dependsOnTransitively(cv, rel));
        assert.ok(
            (await harness.shippedScripts("image-scripts")).files.includes("cosa-build.sh"),
            "cosa-build.sh is shipped",
        );
        assert.ok(
            (await harness.shippedScripts("release-scripts")).files.includes("release-new.sh"),
            "release-new.sh is shipped",
        );
    });

    it("runs cosa with the config, variant, media and the mirror's dir; secrets only on stdin", () => {
        const build = harness.find("command:remote:Command", "image-build");
        const create = String(build.inputs.create);
        for (const part of [
            `RF_COSA_CONTAINER=${CONTAINER}`,
            "RF_COSA_CONFIG_URL=https://github.com/openshift/os.git",
            "RF_COSA_BRANCH=release-4.19",
            "RF_COSA_VARIANT=ocp-rhel-9.6",
            "RF_COSA_ARTIFACTS='metal live'",
            "RF_TLS_VERIFY=true",
            "RF_ARTIFACTS_DIR=/var/lib/rhcos-forge/mirror/artifacts",
            "RF_IMAGE_REPO=quay.io/example-org/rhcos",
            "bash /var/lib/rhcos-forge/scripts/cosa-build.sh",
        ]) {
            assert.ok(create.includes(part), `${part} in ${create}`);
        }
        assert.ok(harness.isSecret(build.raw.stdin), "the cosa bundle (registry auth) is secret");
        const bundle = String(build.inputs.stdin);
        const repo = Buffer.from(bundle.split("\n")[1].split(" ")[1], "base64").toString("utf8");
        assert.match(
            repo,
            /^\[rhel-9\.6-baseos\]\nname=.*\nbaseurl=http:\/\/builder\.example\.com:5180\/rhel-9\.6-baseos\//,
        );
        // The mirror's basic auth: cosa's repo file (written 0600 on the host) carries it, only here.
        assert.match(repo, /^username=rhcos-forge\npassword=s3cr3tMirrorPasswordGeneratedByTheMocks0000$/m);
        for (const cmd of harness.registrations.filter(r => r.type === "command:remote:Command")) {
            for (const s of harness.SECRET_VALUES)
                assert.ok(!JSON.stringify(cmd.inputs.create ?? "").includes(s), `${cmd.name} create carries no secret`);
        }
    });

    it("attaches the cosa image's SBOM (sbom-image.sh, config commit as origin) before the release", async () => {
        const [build, sbomStep, rel] = harness.commands("image-build", "image-sbom-sbom", "release-new");
        assert.ok(harness.dependsOnTransitively(sbomStep, build));
        assert.ok(harness.dependsOnTransitively(rel, sbomStep), "the release waits for the SBOM");
        const create = String(sbomStep.inputs.create);
        const osRef = await harness.valueOf(program.image.ref);
        assert.ok(create.includes(`RF_IMAGE_REF=${osRef}`), create);
        assert.ok(create.includes(`RF_SBOM_SOURCE=https://github.com/openshift/os.git@${"0".repeat(40)}`), create);
        assert.ok(harness.isSecret(sbomStep.raw.stdin), "registry auth on secret stdin");
        assert.ok(
            (await harness.shippedScripts("image-sbom-scripts")).files.includes("sbom-image.sh"),
            "sbom-image.sh is shipped",
        );
        const sbom = await harness.valueOf(pulumi.output(program.image.sbom));
        assert.equal(sbom?.tag, `quay.io/example-org/rhcos:${osRef.split("@")[1]!.replace(":", "-")}.sbom`);
        assert.equal(sbom?.packages, 498);
    });

    it("makes the release from the digest with the built OS as rhel-coreos and annotated manifests", async () => {
        const rel = harness.find("command:remote:Command", "release-new");
        const create = String(rel.inputs.create);
        const osRef = await harness.valueOf(program.image.ref);
        assert.ok(create.includes(`RF_FROM_RELEASE=${FROM}`));
        assert.ok(create.includes("RF_OS_COMPONENT=rhel-coreos "), create);
        assert.ok(create.includes(`RF_OVERRIDES='console=${CONSOLE} rhel-coreos=${osRef}'`), create);
        assert.match(create, /RF_RELEASE_ID=rf-[a-f0-9]{40}/);
        assert.ok(harness.isSecret(rel.raw.stdin));
        const lines = String(rel.inputs.stdin).trim().split("\n");
        const manifest = lines.find(l => l.startsWith("manifest "))?.split(" ") ?? [];
        const obj = JSON.parse(Buffer.from(manifest[2], "base64").toString("utf8"));
        assert.equal(obj.metadata.annotations["include.release.openshift.io/self-managed-high-availability"], "true");
        assert.equal(obj.metadata.annotations["release.openshift.io/create-only"], "true");
        assert.ok(lines.some(l => l.startsWith("authfile ")));
    });

    it("patches ClusterVersion desiredUpdate like oc adm upgrade --force, retained on destroy", async () => {
        const release = await harness.valueOf(pulumi.output(program.release));
        assert.match(String(release?.ref), /^quay\.io\/example-org\/ocp-release@sha256:[a-f0-9]{64}$/);
        const cv = harness.find("kubernetes:config.openshift.io/v1:ClusterVersionPatch", "rollout-clusterversion");
        const inputs = cv.inputs as {
            metadata: { name: string; annotations: Record<string, string> };
            spec: { desiredUpdate: unknown };
        };
        assert.equal(inputs.metadata.name, "version");
        assert.deepEqual(inputs.spec.desiredUpdate, { image: release?.ref, version: "", force: true });
        validateAgainstCrd("release-4.19", {
            apiVersion: "config.openshift.io/v1",
            kind: "ClusterVersion",
            metadata: { name: "version" },
            spec: { clusterID: "711b9e46-6ffd-4662-9bab-c61dfc9d6cc6", ...inputs.spec },
        });
        const notice = harness.find("command:local:Command", "rollout-destroy-notice");
        assert.match(String(notice.inputs.delete), /OpenShift cannot be downgraded/);
        for (const c of harness.registrations.filter(
            r => r.type === "command:local:Command" || r.type === "command:remote:Command",
        )) {
            for (const out of ["stdout", "stderr"])
                assert.ok(c.additionalSecretOutputs.includes(out), `${c.name}: ${out} is a secret output`);
        }
        assert.deepEqual(await harness.valueOf(pulumi.output(program.rollout)), { method: "release", pools: [] });
    });

    it("exports the media URLs and the build's identity", async () => {
        const cosa = await harness.valueOf(pulumi.output(program.cosa));
        assert.equal(cosa?.buildId, "419.96.202501010000-0");
        assert.deepEqual(
            cosa?.artifacts.map(a => a.url)[0],
            "http://builder.example.com:5180/artifacts/419.96.202501010000-0/rhcos-419.96.2025010100" +
                "00-0-metal.x86_64.raw",
        );
    });
});

describe("config of these keys", () => {
    const base = (): JsonTree =>
        JSON.parse(
            JSON.stringify({
                ...stack,
                kubeconfig: harness.TEST_SECRETS.kubeconfig,
                sshPrivateKey: harness.TEST_SECRETS.sshPrivateKey,
            }),
        ) as JsonTree;
    const problems = (patch: (c: JsonTree) => void): string[] => parseProblems(patched(base, patch));
    const cases: [string, (c: JsonTree) => void, string][] = [
        ["the stack above", () => undefined, ""],
        [
            "a cosa container by tag",
            c => {
                c.image.cosa.container = "quay.io/coreos-assembler/coreos-assembler:latest";
            },
            "rhcos-forge:image.cosa.container must be pinned by digest (…@sha256:<64 hex>), e.g. " +
                "quay.io/coreos-assembler/coreos-assembler@sha256:…, got " +
                '"quay.io/coreos-assembler/coreos-assembler:latest"',
        ],
        [
            "cosa without image.cosa",
            c => {
                delete c.image.cosa;
            },
            "rhcos-forge:image.cosa is required with rhcos-forge:image.builder cosa ({container, config, " +
                "branch, ...}), got nothing",
        ],
        [
            "an unknown medium",
            c => {
                c.image.cosa.artifacts = ["qemu"];
            },
            'rhcos-forge:image.cosa.artifacts[0] must be one of "metal", "metal4k", "live", got "qemu"',
        ],
        [
            "podman-only keys with cosa",
            c => {
                c.image.packages = ["htop"];
            },
            "rhcos-forge:image.packages must be empty with rhcos-forge:image.builder cosa (put packages and " +
                'files into the cosa config\'s manifest instead), got ["htop"]',
        ],
        [
            "a release by tag",
            c => {
                c.release.from = "quay.io/openshift-release-dev/ocp-release:4.19.10-x86_64";
            },
            "rhcos-forge:release.from must be a release image pinned by digest (…@sha256:<64 hex>), got " +
                '"quay.io/openshift-release-dev/ocp-release:4.19.10-x86_64"',
        ],
        [
            "an override by tag",
            c => {
                c.release.overrides.console = "quay.io/x/console:latest";
            },
            "rhcos-forge:release.overrides.console must be pinned by digest (…@sha256:<64 hex>), got " +
                '"quay.io/x/console:latest"',
        ],
        [
            "overriding the OS component",
            c => {
                c.release.overrides["rhel-coreos"] = CONSOLE;
            },
            `rhcos-forge:release.overrides.rhel-coreos is the built OS image ` +
                `(rhcos-forge:release.osComponent); remove it from the overrides, got "${CONSOLE}"`,
        ],
        [
            "method release without a release",
            c => {
                delete c.release;
            },
            "rhcos-forge:release is required with rhcos-forge:rollout.method release ({from, repository, " +
                "...}), got nothing",
        ],
        [
            "pools with method release",
            c => {
                c.rollout.pools = [{ name: "worker" }];
            },
            "rhcos-forge:rollout.pools must be empty with rhcos-forge:rollout.method release (the release " +
                'upgrade updates every pool), got [{"name":"worker"}]',
        ],
        [
            "no pools with method machineconfig",
            c => {
                c.rollout = {};
            },
            "rhcos-forge:rollout.pools must list at least one pool, got nothing",
        ],
        [
            "a manifest without a name",
            c => {
                c.release.manifests = [{ apiVersion: "v1", kind: "ConfigMap", metadata: {} }];
            },
            "rhcos-forge:release.manifests[0].metadata.name is required, got nothing",
        ],
    ];
    for (const [what, patch, expected] of cases) {
        it(expected === "" ? "accepts the stack above" : `rejects ${what}`, () => {
            const p = problems(patch);
            if (expected === "") assert.deepEqual(p, []);
            else assert.ok(p.includes(expected), `expected\n  ${expected}\ngot\n  ${p.join("\n  ")}`);
        });
    }
});
