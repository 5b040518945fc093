// On-cluster content config (issue 12 item 3): mirror repos with rollout.method machineosconfig
// bring the build host back (it serves the mirror), the cluster's egress CIDRs open its firewall,
// only what the MCO mounts into the build may authenticate a repo, and node settings the
// release's MCO drops for layered pools are refused with what to do instead.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import { needsBuildHost } from "../../../components/config/buildHost";
import { RELEASES } from "../../../components/openshift/releases";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { JsonTree, TEST_HOST_KEY, asAllConfig, patched, problemsOf } from "../configCases";
import { TEST_SECRETS } from "../harness";

const EPEL = {
    id: "epel-9",
    baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/",
    gpgkey: "https://dl.fedoraproject.org/pub/epel/RPM-GPG-KEY-EPEL-9",
};
const RHEL = {
    id: "rhel-9-appstream",
    baseurl: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/appstream/os/",
    gpgkey: "https://www.redhat.com/security/data/fd431d51.txt",
    entitlement: "cluster",
    fetch: "build",
};

const onCluster = (version = "4.19"): JsonTree => ({
    buildHost: {
        provider: "digitalocean",
        region: "fra1",
        allowedCidrs: ["198.51.100.7/32"],
        sshPublicKey: "ssh-ed25519 AAAA x",
    },
    image: { base: "cluster", repository: "quay.io/example-org/rhcos-forge", packages: ["htop"] },
    cluster: { openshiftVersion: version, egressCidrs: ["203.0.113.0/28"] },
    mirror: { repos: [EPEL] },
    rollout: { method: "machineosconfig", pools: [{ name: "worker" }] },
    registryAuth: TEST_SECRETS.registryAuth,
    kubeconfig: TEST_SECRETS.kubeconfig,
    sshPrivateKey: TEST_SECRETS.sshPrivateKey,
});

function rejects(cfg: JsonTree, expected: string): void {
    const problems = problemsOf(cfg);
    assert.ok(
        problems.some(p => p.startsWith(expected)),
        `expected:\n  ${expected}\ngot:\n  ${problems.join("\n  ")}`,
    );
}

describe("on-cluster content config", () => {
    it("accepts mirror repos with machineosconfig on every release, and then needs the build host", () => {
        for (const version of OPENSHIFT_VERSIONS) {
            const cfg = parseStackConfig(asAllConfig(onCluster(version)));
            assert.deepEqual(cfg.cluster.egressCidrs, ["203.0.113.0/28"]);
            assert.equal(needsBuildHost(cfg), true, version);
        }
        const bare = parseStackConfig(
            asAllConfig(
                patched(onCluster, c => {
                    delete c.mirror;
                    delete c.cluster.egressCidrs;
                }),
            ),
        );
        assert.equal(needsBuildHost(bare), false, "no mirror content: no build host");
        assert.deepEqual(bare.cluster.egressCidrs, []);
    });

    it("accepts an entitled fetch: build repo (the MCO mounts the entitlement into the build)", () => {
        parseStackConfig(
            asAllConfig(
                patched(onCluster, c => {
                    c.mirror.repos = [EPEL, RHEL];
                }),
            ),
        );
    });

    it("requires the SSH key and host key again once the host serves the mirror", () => {
        rejects(
            patched(onCluster, c => {
                delete c.sshPrivateKey;
            }),
            "rhcos-forge:sshPrivateKey is required for a digitalocean build host (set it with --secret)",
        );
        rejects(
            patched(onCluster, c => {
                c.buildHost = { provider: "ssh", host: "build.example.com" };
            }),
            "rhcos-forge:buildHost.hostKey is required for an ssh build host",
        );
        parseStackConfig(
            asAllConfig(
                patched(onCluster, c => {
                    c.buildHost = { provider: "ssh", host: "build.example.com", hostKey: TEST_HOST_KEY };
                }),
            ),
        );
    });

    it("requires the cluster's egress CIDRs for a DigitalOcean mirror", () => {
        rejects(
            patched(onCluster, c => {
                delete c.cluster.egressCidrs;
            }),
            "rhcos-forge:cluster.egressCidrs must list the cluster's egress CIDRs with " +
                "rhcos-forge:rollout.method machineosconfig and mirror repos: the on-cluster build fetches from " +
                "the build host's mirror, whose firewall opens the mirror port only to these (e.g. the NAT " +
                "gateway's address/32), got nothing",
        );
        rejects(
            patched(onCluster, c => {
                c.cluster.egressCidrs = ["203.0.113.0/33"];
            }),
            "rhcos-forge:cluster.egressCidrs[0] must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32, got " +
                '"203.0.113.0/33"',
        );
    });

    it("refuses a remote host's mirror bound to loopback (a local host's cluster is on the same machine)", () => {
        rejects(
            patched(onCluster, c => {
                c.mirror.bind = "127.0.0.1";
            }),
            "rhcos-forge:mirror.bind must not be a loopback address with rhcos-forge:rollout.method " +
                "machineosconfig and a digitalocean build host: the cluster reaches the mirror at the build " +
                'host\'s address, got "127.0.0.1"',
        );
        parseStackConfig(
            asAllConfig(
                patched(onCluster, c => {
                    c.buildHost = { provider: "local" };
                    c.mirror.bind = "127.0.0.1";
                    delete c.cluster.egressCidrs;
                }),
            ),
        );
    });

    it("refuses fetch: build repos the on-cluster build cannot authenticate", () => {
        rejects(
            patched(onCluster, c => {
                c.mirror.repos = [{ ...EPEL, fetch: "build" }];
            }),
            "rhcos-forge:mirror.repos[0].fetch must be mirror with rhcos-forge:rollout.method machineosconfig " +
                "unless the repo has entitlement: cluster (the only client certificate the MCO mounts into the " +
                'build, at /etc/pki/entitlement), got "build"',
        );
        rejects(
            patched(onCluster, c => {
                c.mirror.repos = [
                    { ...RHEL, sslcacert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
                ];
            }),
            "rhcos-forge:mirror.repos[0].sslcacert must be unset for a fetch: build repo with " +
                "rhcos-forge:rollout.method machineosconfig (the MCO mounts no CA into the build); use fetch: " +
                "mirror",
        );
    });

    // RELEASES[v].onCluster.layeredPoolIgnores: kernelType on 4.18 and 4.19 (pkg/daemon/update.go
    // skips it for layered pools, and the build template switches kernels only from 4.20).
    for (const version of OPENSHIFT_VERSIONS) {
        const ignored = RELEASES[version].onCluster.layeredPoolIgnores.includes("kernelType");
        it(`${ignored ? "refuses" : "accepts"} kernelType realtime on a layered pool on ${version}`, () => {
            const cfg = patched(
                () => onCluster(version),
                c => {
                    c.rollout.pools = [{ name: "worker", kernelType: "realtime", extensions: ["usbguard"] }];
                },
            );
            if (!ignored) {
                parseStackConfig(asAllConfig(cfg));
                return;
            }
            rejects(
                cfg,
                `rhcos-forge:rollout.pools[0].kernelType is realtime, which OpenShift ${version}'s MCO ` +
                    `ignores for a pool built on the cluster (the node agent skips it for layered pools and the ` +
                    `build does not switch the kernel before 4.20), so nodes would keep the default kernel; ` +
                    `install the kernel into the image (image.replace) or use rhcos-forge:rollout.method ` +
                    `machineconfig, got "realtime"`,
            );
        });
    }

    it("keeps kernelType on the build-host method (the node agent applies it there)", () => {
        parseStackConfig(
            asAllConfig(
                patched(onCluster, c => {
                    c.rollout.method = "machineconfig";
                    c.image.base = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "a".repeat(64);
                    c.rollout.pools = [{ name: "worker", kernelType: "realtime" }];
                }),
            ),
        );
    });
});
