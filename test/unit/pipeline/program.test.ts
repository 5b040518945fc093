// The dev stack's resource graph under mocks: types, parents, dependencies, secrets, outputs,
// and every OpenShift object validated against the CRD schemas of every supported release.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { crdRelease, validateAgainstCrd } from "../crds";
import * as harness from "../harness";
import { loadStackConfig } from "../stackFile";

harness.installMocks();
harness.setStackConfig(loadStackConfig("dev", harness.TEST_SECRETS));

let program: harness.Program;

before(async () => {
    program = await harness.runProgram();
});

describe("dev stack resource graph", () => {
    it("registers the components with their rhcos-forge type tokens", () => {
        const components = harness.registrations
            .filter(r => !r.custom)
            .map(r => `${r.type}::${r.name}`)
            .sort();
        assert.deepEqual(
            components.filter(c => c.startsWith("rhcos-forge:")),
            [
                "rhcos-forge:host:BuildHost::build",
                "rhcos-forge:image:ClusterBaseImage::base",
                "rhcos-forge:image:LayeredImage::image",
                "rhcos-forge:image:RegistryCleanup::image-cleanup",
                "rhcos-forge:mirror:RepoMirror::mirror",
                "rhcos-forge:rollout:OsImageRollout::rollout",
            ],
        );
    });

    it("builds the DigitalOcean host: key, droplet, volume, attachment, firewall, readiness", () => {
        const host = harness.find("rhcos-forge:host:BuildHost", "build");
        for (const [type, name] of [
            ["digitalocean:index/sshKey:SshKey", "build-key"],
            ["digitalocean:index/volume:Volume", "build-volume"],
            ["digitalocean:index/droplet:Droplet", "build-droplet"],
            ["digitalocean:index/volumeAttachment:VolumeAttachment", "build-attach"],
            ["digitalocean:index/firewall:Firewall", "build-firewall"],
            ["command:remote:Command", "build-ready"],
        ]) {
            assert.equal(harness.find(type, name).parent, host.urn, `${name} is parented to BuildHost`);
        }
        const droplet = harness.find("digitalocean:index/droplet:Droplet", "build-droplet").inputs;
        assert.equal(droplet.size, "s-4vcpu-8gb");
        assert.equal(droplet.region, "fra1");
        assert.equal(droplet.volumeIds, undefined, "volume attached through VolumeAttachment only");
        assert.match(String(droplet.userData), /^#cloud-config/);
        const attach = harness.find("digitalocean:index/volumeAttachment:VolumeAttachment", "build-attach").inputs;
        assert.equal(attach.dropletId, 424242, "dropletId is a number");
        const fw = harness.find("digitalocean:index/firewall:Firewall", "build-firewall").inputs as {
            dropletIds: unknown[];
            inboundRules: { portRange: string; sourceAddresses: string[] }[];
        };
        assert.deepEqual(fw.dropletIds, [424242]);
        assert.deepEqual(fw.inboundRules.map(r => r.portRange).sort(), ["22", "5180"]);
        for (const rule of fw.inboundRules) assert.deepEqual(rule.sourceAddresses, ["203.0.113.0/24"]);
        const ready = harness.find("command:remote:Command", "build-ready");
        assert.ok(
            harness.dependsOnTransitively(
                ready,
                harness.find("digitalocean:index/volumeAttachment:VolumeAttachment", "build-attach"),
            ),
        );
        // The droplet's key is checked from this machine, through the firewall, before the first dial.
        const check = harness.find("command:local:Command", "build-host-key-check");
        assert.ok(
            harness.dependsOnTransitively(
                check,
                harness.find("digitalocean:index/firewall:Firewall", "build-firewall"),
            ),
        );
        for (const r of harness.registrations.filter(x => x.type.startsWith("command:remote:")))
            assert.ok(harness.dependsOnTransitively(r, check), `${r.name} waits for the host key check`);
        const pinned = (harness.find("command:remote:Command", "build-ready").inputs.connection as { hostKey: string })
            .hostKey;
        assert.equal(
            check.inputs.create,
            `node --import tsx components/host/hostKeyCheck.ts 198.51.100.7 22 '${pinned}' 600 'the key ` +
                `rhcos-forge generated for the droplet (cloud-init ssh_keys)'`,
        );
    });

    it("generates the droplet's host key, installs it via cloud-init only as a secret, pins it everywhere", () => {
        const gen = harness.find("command:local:Command", "build-host-key");
        assert.equal(gen.parent, harness.find("rhcos-forge:host:BuildHost", "build").urn);
        for (const out of ["stdout", "stdin"])
            assert.ok(gen.additionalSecretOutputs.includes(out), `the generated pair (${out}) is a secret output`);
        assert.ok(harness.isSecret(gen.raw.stdin), "the generated pair is a secret input too");
        assert.equal(gen.inputs.logging, "none", "the command logs nothing of what it prints");
        assert.equal(gen.inputs.triggers, undefined, "it never re-runs, so the key is stable across runs");
        assert.deepEqual(
            gen.ignoreChanges,
            ["create", "stdin"],
            "a later run's candidate never replaces the kept pair",
        );
        const droplet = harness.find("digitalocean:index/droplet:Droplet", "build-droplet");
        assert.ok(harness.isSecret(droplet.raw.userData), "userData (holding the private key) is a secret");
        const userData = String(droplet.inputs.userData);
        const pem = /^ {2}ed25519_private: \|\n((?: {4}.*\n)+)/m.exec(userData)?.[1]?.replace(/^ {4}/gm, "");
        const pub = /^ {2}ed25519_public: (ssh-ed25519 \S+)/m.exec(userData)?.[1];
        if (pem === undefined || pub === undefined || !pem.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
            assert.fail(userData.slice(0, 300));
        assert.match(userData, /^ssh_deletekeys: true$/m);
        // cc_ssh generates no key when ssh_keys is given, and ssh_keys holds only the pinned pair.
        const doc = yaml.load(userData) as { ssh_keys?: Record<string, unknown>; ssh_genkeytypes?: unknown };
        assert.deepEqual(Object.keys(doc.ssh_keys ?? {}).sort(), ["ed25519_private", "ed25519_public"]);
        assert.equal(doc.ssh_genkeytypes, undefined, "no ssh_genkeytypes: cc_ssh reads it only without ssh_keys");
        // The private half is the public half's key (ssh-keygen derives one from the other).
        const dir = mkdtempSync(join(tmpdir(), "rf-hostkey-"));
        try {
            writeFileSync(join(dir, "key"), pem, { mode: 0o600 });
            assert.equal(
                execFileSync("ssh-keygen", ["-y", "-f", join(dir, "key")], { encoding: "utf8" })
                    .split(" ")
                    .slice(0, 2)
                    .join(" "),
                pub,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const remote = harness.registrations.filter(r => r.type.startsWith("command:remote:"));
        assert.ok(remote.length > 5);
        for (const r of remote)
            assert.equal(
                (r.inputs.connection as { hostKey?: string }).hostKey,
                pub,
                `${r.name} pins the droplet's key`,
            );
        // Nowhere outside a secret: strip every secret and look for the private key's lines.
        const plain = (v: unknown): unknown =>
            Array.isArray(v)
                ? v.map(plain)
                : v !== null && typeof v === "object"
                  ? (v as Record<string, unknown>)[harness.SIG_KEY] === harness.SECRET_SIG
                      ? null
                      : Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]))
                  : v;
        const everything = JSON.stringify(harness.registrations.map(r => plain(r.raw)));
        for (const line of pem.split("\n").filter(l => l.length > 20 && !l.startsWith("-----"))) {
            assert.ok(!everything.includes(line), "a line of the host's private key is in a plain input");
        }
    });

    it("renders droplet user data that cloud-init's own schema accepts (cloud-init schema -c)", () => {
        const userData = String(harness.find("digitalocean:index/droplet:Droplet", "build-droplet").inputs.userData);
        const dir = mkdtempSync(join(tmpdir(), "rf-userdata-"));
        try {
            const file = join(dir, "user-data");
            writeFileSync(file, userData, { mode: 0o600 });
            // Debian's cloud-init (dev/apt-packages.txt); exits 1 and names the key on a schema error.
            const res = spawnSync("cloud-init", ["schema", "-c", file], { encoding: "utf8" });
            assert.equal(res.error, undefined, `cloud-init did not run: ${String(res.error)}`);
            assert.equal(res.status, 0, `cloud-init schema refused the user data:\n${res.stdout}${res.stderr}`);
            assert.match(res.stdout, /^Valid cloud-config: /m);
            assert.doesNotMatch(`${res.stdout}${res.stderr}`, /deprecations?:[ \t]*\S/i, "no deprecated key");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("orders the pipeline: host → mirror → image → MachineConfig", () => {
        const ready = harness.find("command:remote:Command", "build-ready");
        const sync = harness.find("command:remote:Command", "mirror-sync");
        const build = harness.find("command:remote:Command", "image-build");
        assert.ok(harness.dependsOnTransitively(sync, ready), "mirror sync waits for the host");
        assert.ok(harness.dependsOnTransitively(build, ready), "build waits for the host");
        assert.ok(harness.dependsOnTransitively(build, sync), "build waits for the mirror");
        for (const pool of ["canary", "worker"]) {
            const mc = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
                `rollout-${pool}-machineconfig`,
            );
            assert.ok(harness.dependsOnTransitively(mc, build), `${pool} MachineConfig depends on the image build`);
        }
    });

    it("points each pool's MachineConfig at the built digest", async () => {
        const ref = await harness.valueOf(program.image.ref);
        assert.match(ref, /^quay\.io\/example-org\/rhcos-forge@sha256:[a-f0-9]{64}$/);
        for (const pool of ["canary", "worker"]) {
            const mc = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
                `rollout-${pool}-machineconfig`,
            ).inputs as {
                metadata: { name: string; labels: Record<string, string> };
                spec: { osImageURL: string };
            };
            assert.equal(mc.spec.osImageURL, ref);
            assert.equal(mc.metadata.name, `99-${pool}-rhcos-forge-os-image`);
            assert.equal(mc.metadata.labels["machineconfiguration.openshift.io/role"], pool);
        }
    });

    it("creates the canary pool, labels its node; tears down label → worker wait → MachineConfig → pool", () => {
        const pool = harness.find(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPool",
            "rollout-canary-pool",
        );
        const label = harness.find("kubernetes:core/v1:NodePatch", "rollout-canary-node-worker-0.ocp.example.com");
        const mc = harness.find(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig",
            "rollout-canary-machineconfig",
        );
        // Destroy runs in reverse dependency order: the label goes first, then the wait for the
        // worker pool to take the node back, then the pool's MachineConfig, then the pool.
        assert.ok(
            harness.dependsOnTransitively(label, mc),
            "the node label depends on the MachineConfig (deleted first)",
        );
        assert.ok(harness.dependsOnTransitively(mc, pool), "the MachineConfig depends on the pool (pool deleted last)");
        assert.deepEqual((label.inputs as { metadata: { labels: Record<string, string> } }).metadata.labels, {
            "node-role.kubernetes.io/canary": "",
        });
        const spec = (pool.inputs as { spec: Record<string, unknown> }).spec;
        assert.deepEqual(spec.machineConfigSelector, {
            matchExpressions: [
                { key: "machineconfiguration.openshift.io/role", operator: "In", values: ["worker", "canary"] },
                { key: "rhcos-forge.io/pool", operator: "NotIn", values: ["worker"] },
            ],
        });
        const worker = harness.find(
            "kubernetes:machineconfiguration.openshift.io/v1:MachineConfigPoolPatch",
            "rollout-worker-pool",
        );
        assert.equal((worker.inputs as { spec: { maxUnavailable: string } }).spec.maxUnavailable, "10%");
    });

    it("reads the base from the cluster's machine-config-osimageurl ConfigMap", async () => {
        assert.deepEqual(
            harness.reads.map(r => r.id),
            ["openshift-machine-config-operator/machine-config-osimageurl"],
        );
        assert.equal(await harness.valueOf(program.image.base), harness.CLUSTER_BASE);
        assert.match(
            await harness.valueOf(program.containerfile),
            new RegExp(`^FROM ${harness.CLUSTER_BASE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"),
        );
    });

    it("keeps every secret secret in inputs and out of command strings", () => {
        const build = harness.find("command:remote:Command", "image-build");
        assert.ok(harness.isSecret(build.raw.stdin), "build stdin (bundle with registry auth) is secret");
        const sync = harness.find("command:remote:Command", "mirror-sync");
        assert.ok(harness.isSecret(sync.raw.stdin), "mirror stdin (upstream .repo with passwords) is secret");
        for (const cmd of harness.registrations.filter(r => r.type === "command:remote:Command")) {
            assert.ok(
                harness.isSecret(cmd.raw.connection as Record<string, unknown>) ||
                    harness.isSecret((cmd.raw.connection as Record<string, unknown>).privateKey),
                `${cmd.name} connection key is secret`,
            );
            for (const field of ["create", "delete", "update"]) {
                const text = JSON.stringify(cmd.inputs[field] ?? "");
                for (const s of harness.SECRET_VALUES)
                    assert.ok(!text.includes(s), `${cmd.name}.${field} carries no secret`);
            }
            assert.equal(cmd.inputs.addPreviousOutputInEnv, false);
        }
        const k8sProvider = harness.find("pulumi:providers:kubernetes", "cluster-reader");
        assert.ok(harness.isSecret(k8sProvider.raw.kubeconfig), "kubeconfig is secret");
        // Nothing in a plain (non-secret) input anywhere holds a secret value.
        for (const r of harness.registrations) {
            const plain = JSON.stringify(stripSecrets(r.raw));
            for (const s of harness.SECRET_VALUES)
                assert.ok(!plain.includes(s), `${r.type}::${r.name} has a secret in a plain input`);
        }
    });

    it("exports the stack-output contract", async () => {
        const img = await harness.valueOf(pulumi.output(program.image));
        assert.deepEqual(Object.keys(img).sort(), ["base", "digest", "packages", "ref", "sbom"]);
        assert.equal(img.sbom?.tag, `quay.io/example-org/rhcos-forge:${img.digest.replace(":", "-")}.sbom`);
        assert.equal(img.ref, `quay.io/example-org/rhcos-forge@${img.digest}`);
        const mirror = await harness.valueOf(pulumi.output(program.mirror));
        // The mirror binds the droplet's private address (mirror.bind unset): reached there only.
        assert.equal(mirror.baseUrl, "http://10.114.0.2:5180");
        assert.deepEqual(mirror.repos, {
            "epel-9": "http://10.114.0.2:5180/epel-9/",
            "rhel-9-appstream": "http://10.114.0.2:5180/rhel-9-appstream/",
            "rhcos-forge-extras": "http://10.114.0.2:5180/rhcos-forge-extras/",
        });
        assert.deepEqual(await harness.valueOf(pulumi.output(program.buildHost)), {
            address: "198.51.100.7",
            provider: "digitalocean",
        });
        assert.deepEqual(await harness.valueOf(pulumi.output(program.rollout)), {
            method: "machineconfig",
            pools: [
                { name: "canary", machineConfig: "99-canary-rhcos-forge-os-image" },
                { name: "worker", machineConfig: "99-worker-rhcos-forge-os-image" },
            ],
        });
        for (const s of harness.SECRET_VALUES) assert.ok(!JSON.stringify({ img, mirror }).includes(s));
    });

    it("builds against the mirror over the droplet's private address", async () => {
        const cf = await harness.valueOf(program.containerfile);
        assert.match(cf, /baseurl=http:\/\/10\.114\.0\.2:5180\/epel-9\//);
        assert.match(cf, /rpm-ostree install htop tcpdump iperf3/);
    });

    it("serves the mirror closed: on the private address, basic auth, the password a build secret only", async () => {
        const create = String(harness.find("command:remote:Command", "mirror-sync").inputs.create);
        assert.match(create, /RF_MIRROR_BIND=10\.114\.0\.2 /);
        assert.match(create, /RF_MIRROR_AUTH_FILE=\/var\/lib\/rhcos-forge\/upstream\/mirror\.auth /);
        // Generated once, in the program, and kept in the state as a secret output.
        assert.deepEqual(harness.find("command:local:Command", "mirror-password").additionalSecretOutputs, [
            "stdout",
            "stderr",
            "stdin",
        ]);
        assert.ok(
            harness.isSecret(harness.find("command:remote:Command", "mirror-sync").raw.stdin),
            "the password reaches the host on stdin, a secret",
        );
        const cf = await harness.valueOf(program.containerfile);
        assert.ok(
            cf.includes("--mount=type=secret,id=rf-mirror-password,target=/run/secrets/rhcos-forge/mirror/password"),
            cf,
        );
        assert.match(cf, /^ +username=rhcos-forge \\$/m);
        // One mount per RUN, one password line per mirror repo (epel-9, rhel-9-appstream, the package set).
        assert.equal(
            cf.split("id=rf-mirror-password,").length - 1,
            cf.split("\nRUN ").filter(r => r.includes("rhcos-forge-mirror.repo")).length,
        );
        assert.equal(cf.split('"password=$(cat /run/secrets/rhcos-forge/mirror/password)"').length - 1, 3, cf);
        assert.ok(!cf.includes(harness.MOCK_MIRROR_PASSWORD));
        const mirror = await harness.valueOf(pulumi.output(program.mirror));
        assert.ok(!JSON.stringify(mirror).includes(harness.MOCK_MIRROR_PASSWORD), "no stack output holds the password");
        assert.match(mirror.repoFile, /^username=rhcos-forge$/m);
        assert.doesNotMatch(mirror.repoFile, /^password=/m);
    });

    it("declares only objects that validate against the CRD schemas of every supported OpenShift release", () => {
        const objects = harness.registrations.filter(
            r => r.type.startsWith("kubernetes:machineconfiguration.openshift.io/v1:") && !r.type.endsWith("Patch"),
        );
        assert.ok(objects.length >= 3);
        // MachineConfig and MachineConfigPool do not depend on cluster.openshiftVersion (the
        // MachineOSConfig, which does, is checked per release in openshift/manifests.test.ts).
        for (const version of OPENSHIFT_VERSIONS) {
            for (const o of objects) {
                const { apiVersion, kind, metadata, spec } = o.inputs as Record<string, unknown>;
                validateAgainstCrd(crdRelease(version), { apiVersion, kind, metadata, spec });
            }
        }
    });
});

function stripSecrets(value: unknown): unknown {
    if (harness.isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(stripSecrets);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stripSecrets(v)]),
        );
    }
    return value;
}
