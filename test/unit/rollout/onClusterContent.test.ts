// OsImageRollout's on-cluster content under mocks, built directly: the etc-yum-repos-d ConfigMap
// (secret in the state once it carries mirror credentials), the key Secret, the entitlement copy
// on 4.17 only, the rebuild annotation from the content revision (4.19), and every
// MachineOSConfig waiting for the objects its build mounts.
import * as k8s from "@pulumi/kubernetes";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OnClusterRepo, onClusterContentRevision } from "../../../components/openshift/onClusterContent";
import { OsImageRollout } from "../../../components/rollout/osImageRollout";
import { PoolConfig } from "../../../components/config/schema";
import * as harness from "../harness";
import { pemBody, throwawayPkcs8Key } from "../throwawayKeys";

harness.installMocks();

const KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBunitTestKey\n-----END PGP PUBLIC KEY BLOCK-----\n";
const PASSWORD = "mirror-pw-unit-61723";
const ENT_KEY = throwawayPkcs8Key();
const ENT_KEY_BODY = pemBody(ENT_KEY);
const REPOS: OnClusterRepo[] = [
    { id: "epel-9", url: "http://198.51.100.7:5180/epel-9/", gpgcheck: true, gpgKey: KEY },
    {
        id: "rhel-9-appstream",
        url: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/appstream/os/",
        gpgcheck: false,
        entitled: true,
    },
];
const REVISION = "c".repeat(64);
const pools: PoolConfig[] = [
    { name: "canary", nodes: ["worker-0"], maxUnavailable: 1, paused: false },
    { name: "worker", nodes: [], maxUnavailable: 1, paused: false },
] as PoolConfig[];

function rollout(name: string, version: "4.17" | "4.19", withCredentials: boolean): OsImageRollout {
    return new OsImageRollout(name, {
        provider: new k8s.Provider(`${name}-provider`, { renderYamlToDirectory: "out/unit" }),
        pools,
        method: "machineosconfig",
        onCluster: {
            openshiftVersion: version,
            repository: "quay.io/example-org/rhcos-forge",
            containerfile: "FROM configs AS final\n",
            arch: "NoArch",
            registryAuth: harness.TEST_SECRETS.registryAuth,
            content: {
                repos: REPOS,
                gpgKeys: true,
                revision: onClusterContentRevision(REVISION, REPOS),
                mirrorReady: "synced",
                credentials: withCredentials ? { username: "rf", password: PASSWORD } : undefined,
                entitlement: {
                    sslclientcert: "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----\n",
                    sslclientkey: ENT_KEY,
                },
            },
        },
    });
}

before(async () => {
    const a = rollout("v419", "4.19", true);
    const b = rollout("v417", "4.17", false);
    await harness.valueOf(a.pools);
    await harness.valueOf(b.pools);
    await harness.settle();
});

const CM = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";
/** The metadata of an object rhcos-forge manages in the MCO's namespace. */
const inMcoNamespace = (name: string) => ({
    name,
    namespace: "openshift-machine-config-operator",
    labels: { "app.kubernetes.io/managed-by": "rhcos-forge" },
});

describe("on-cluster content objects of OsImageRollout", () => {
    it("creates the ConfigMap in the MCO namespace, secret in the state when it holds credentials", () => {
        const cm = harness.find(CM, "v419-etc-yum-repos-d");
        assert.deepEqual(cm.inputs.metadata, inMcoNamespace("etc-yum-repos-d"));
        const text = (cm.inputs.data as Record<string, string>)["rhcos-forge-mirror.repo"];
        assert.match(text, new RegExp(`\\npassword=${PASSWORD}\\n`));
        assert.ok(harness.isSecret(cm.raw.data), "data is a secret input");
        assert.deepEqual(cm.additionalSecretOutputs, ["data"]);
        // Without credentials the repo file is public, and stays diffable.
        const plain = harness.find(CM, "v417-etc-yum-repos-d");
        assert.ok(!harness.isSecret(plain.raw.data));
        assert.doesNotMatch(JSON.stringify(plain.raw), /password/);
    });

    it("creates the key Secret with the keys as secret data", () => {
        const s = harness.find(SECRET, "v419-etc-pki-rpm-gpg");
        assert.equal((s.inputs.metadata as { name: string }).name, "etc-pki-rpm-gpg");
        assert.deepEqual(s.inputs.stringData, { "RPM-GPG-KEY-rhcos-forge-epel-9": KEY });
        assert.ok(harness.isSecret(s.raw.stringData));
        assert.deepEqual([...new Set(s.additionalSecretOutputs)].sort(), ["data", "stringData"]);
    });

    it("copies the entitlement into the MCO namespace on 4.17 only (4.18+ MCOs clone it per pool)", () => {
        const s = harness.find(SECRET, "v417-etc-pki-entitlement");
        assert.deepEqual(s.inputs.metadata, inMcoNamespace("etc-pki-entitlement"));
        assert.ok(harness.isSecret(s.raw.stringData));
        assert.ok(!JSON.stringify(s.raw.metadata).includes(ENT_KEY_BODY));
        assert.ok(!harness.registrations.some(r => r.name === "v419-etc-pki-entitlement"));
    });

    it("annotates each 4.19 MachineOSConfig with the content revision, and none on 4.17", () => {
        const want = onClusterContentRevision(REVISION, REPOS);
        for (const pool of ["canary", "worker"]) {
            const v1 = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1:MachineOSConfig",
                `v419-${pool}-machineosconfig`,
            );
            const annotations = (v1.inputs.metadata as { annotations: Record<string, string> }).annotations;
            assert.equal(annotations["machineconfiguration.openshift.io/rebuild"], want);
            assert.equal(annotations["pulumi.com/patchForce"], "true");
            assert.ok(
                !harness.isSecret((v1.raw.metadata as Record<string, unknown>).annotations),
                "the annotation is a hash, not a secret",
            );
            const alpha = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1alpha1:MachineOSConfig",
                `v417-${pool}-machineosconfig`,
            );
            assert.deepEqual(
                Object.keys((alpha.inputs.metadata as { annotations: Record<string, string> }).annotations),
                ["pulumi.com/patchForce"],
            );
        }
    });

    it("keeps secrets out of every non-secret input", () => {
        for (const r of harness.registrations) {
            for (const [key, value] of Object.entries(r.raw)) {
                if (harness.isSecret(value)) continue;
                const text = JSON.stringify(value);
                assert.ok(!text.includes(PASSWORD) && !text.includes(ENT_KEY_BODY), `${r.type} ${r.name} ${key}`);
            }
        }
    });

    it("creates each MachineOSConfig after the objects its build mounts", () => {
        for (const [prefix, objects] of [
            [
                "v419",
                [
                    [CM, "etc-yum-repos-d"],
                    [SECRET, "etc-pki-rpm-gpg"],
                ],
            ],
            [
                "v417",
                [
                    [CM, "etc-yum-repos-d"],
                    [SECRET, "etc-pki-rpm-gpg"],
                    [SECRET, "etc-pki-entitlement"],
                ],
            ],
        ] as const) {
            const api = prefix === "v419" ? "v1" : "v1alpha1";
            const mosc = harness.find(
                `kubernetes:machineconfiguration.openshift.io/${api}:MachineOSConfig`,
                `${prefix}-canary-machineosconfig`,
            );
            for (const [type, name] of objects)
                assert.ok(
                    harness.dependsOnTransitively(mosc, harness.find(type, `${prefix}-${name}`)),
                    `${prefix} ${name}`,
                );
        }
    });
});
