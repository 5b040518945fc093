// On-cluster layering with mirror repos, the whole program under mocks (OpenShift 4.19, a
// DigitalOcean build host): the host and mirror exist again, the firewall opens the mirror port
// to the cluster's egress CIDRs, the build's .repo points at the droplet's public address, the
// repo's key is fetched from its gpgkey URL (a loopback HTTP server here) into etc-pki-rpm-gpg,
// and each MachineOSConfig waits for the mirror's sync and carries the rebuild annotation.
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchGpgKey } from "../../../components/pipeline";
import * as harness from "../harness";
import { installFakeCluster } from "../rolloutCluster";

const KEY =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBunitTestKeyServedOnLoopback\n-----END PGP PUBLIC KEY BLOCK-----\n";
let server: http.Server;
let program: harness.Program;
let keyUrl: (path: string) => string;

harness.installMocks();
const cluster = installFakeCluster();

before(async () => {
    const served: string[] = [];
    server = http.createServer((req, res) => {
        served.push(req.url ?? "");
        if (req.url === "/RPM-GPG-KEY-EPEL-9") {
            res.writeHead(200);
            res.end(KEY);
            return;
        }
        if (req.url === "/not-a-key") {
            res.writeHead(200);
            res.end("<html>mirror index</html>");
            return;
        }
        res.writeHead(404);
        res.end();
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const config: Record<string, unknown> = {
        buildHost: {
            provider: "digitalocean",
            region: "fra1",
            allowedCidrs: ["192.0.2.10/32"],
            sshPublicKey: "ssh-ed25519 AAAA x",
        },
        image: { base: "cluster", repository: "quay.io/example-org/rhcos-forge", packages: ["htop"] },
        cluster: { openshiftVersion: "4.19", egressCidrs: ["203.0.113.0/28"] },
        mirror: {
            repos: [
                {
                    id: "epel-9",
                    baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/",
                    gpgkey: `http://127.0.0.1:${port}/RPM-GPG-KEY-EPEL-9`,
                },
            ],
        },
        rollout: { method: "machineosconfig", pools: [{ name: "canary", nodes: ["worker-0"] }, { name: "worker" }] },
    };
    pulumi.runtime.setAllConfig(
        {
            ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`rhcos-forge:${k}`, JSON.stringify(v)])),
            "rhcos-forge:registryAuth": harness.TEST_SECRETS.registryAuth,
            "rhcos-forge:kubeconfig": harness.TEST_SECRETS.kubeconfig,
            "rhcos-forge:sshPrivateKey": harness.TEST_SECRETS.sshPrivateKey,
        },
        ["rhcos-forge:registryAuth", "rhcos-forge:kubeconfig", "rhcos-forge:sshPrivateKey"],
    );
    program = await harness.runProgram({ access: cluster.access });
    assert.deepEqual(served, ["/RPM-GPG-KEY-EPEL-9"], "the key was fetched once");
    keyUrl = (p: string) => `http://127.0.0.1:${port}${p}`;
});
after(() => {
    server.close();
});

describe("on-cluster layering with mirror repos (4.19, DigitalOcean)", () => {
    it("fails on a key URL that serves no key, naming the repo and URL", async () => {
        await assert.rejects(fetchGpgKey("epel-9", keyUrl("/missing")), {
            message:
                `rhcos-forge:mirror.repos "epel-9" gpgkey ${keyUrl("/missing")}: could not fetch the key for the ` +
                `on-cluster build's etc-pki-rpm-gpg Secret (HTTP 404)`,
        });
        await assert.rejects(fetchGpgKey("epel-9", keyUrl("/not-a-key")), {
            message:
                `rhcos-forge:mirror.repos "epel-9" gpgkey ${keyUrl("/not-a-key")} is not an armored PGP public ` +
                `key (-----BEGIN PGP PUBLIC KEY BLOCK-----)`,
        });
        assert.equal(await fetchGpgKey("epel-9", keyUrl("/RPM-GPG-KEY-EPEL-9")), KEY);
    });

    it("creates the build host and mirror, but no image build", () => {
        const types = new Set(harness.registrations.map(r => r.type));
        assert.ok(types.has("rhcos-forge:host:BuildHost"));
        assert.ok(types.has("rhcos-forge:mirror:RepoMirror"));
        assert.ok(!types.has("rhcos-forge:image:LayeredImage"));
    });

    it("opens the mirror port, and only it, to the cluster's egress CIDRs", () => {
        const fw = harness.find("digitalocean:index/firewall:Firewall", "build-firewall");
        const rules = fw.inputs.inboundRules as { portRange: string; sourceAddresses: string[] }[];
        assert.deepEqual(rules.find(r => r.portRange === "5180")?.sourceAddresses, ["192.0.2.10/32", "203.0.113.0/28"]);
        assert.deepEqual(rules.find(r => r.portRange === "22")?.sourceAddresses, ["192.0.2.10/32"]);
    });

    it("points the build's repo file at the droplet's public address, its key in etc-pki-rpm-gpg", async () => {
        const cm = harness.find("kubernetes:core/v1:ConfigMap", "rollout-etc-yum-repos-d");
        const text = (cm.inputs.data as Record<string, string>)["rhcos-forge-mirror.repo"];
        assert.match(text, /^\[rhcos-forge-epel-9\]\n/);
        assert.match(text, /\nbaseurl=http:\/\/198\.51\.100\.7:5180\/epel-9\/\n/);
        assert.match(text, /\ngpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-rhcos-forge-epel-9\n/);
        assert.deepEqual(harness.find("kubernetes:core/v1:Secret", "rollout-etc-pki-rpm-gpg").inputs.stringData, {
            "RPM-GPG-KEY-rhcos-forge-epel-9": KEY,
        });
        assert.equal(await harness.valueOf(program.mirror.baseUrl), "http://198.51.100.7:5180");
        assert.equal(await harness.valueOf(program.buildHost.address), "198.51.100.7");
    });

    it("annotates each MachineOSConfig for rebuilds and creates it after the mirror synced", () => {
        const sync = harness.registrations.find(
            r => r.type === "command:remote:Command" && r.name.startsWith("mirror-sync"),
        );
        assert.ok(
            sync,
            harness.registrations
                .filter(r => r.type === "command:remote:Command")
                .map(r => r.name)
                .join(", "),
        );
        for (const pool of ["canary", "worker"]) {
            const mosc = harness.find(
                "kubernetes:machineconfiguration.openshift.io/v1:MachineOSConfig",
                `rollout-${pool}-machineosconfig`,
            );
            const annotations = (mosc.inputs.metadata as { annotations: Record<string, string> }).annotations;
            assert.match(annotations["machineconfiguration.openshift.io/rebuild"], /^[0-9a-f]{64}$/);
            assert.ok(harness.dependsOnTransitively(mosc, sync), `${pool} waits for the sync`);
        }
    });
});
