// RHEL content under mocks: a client-certificate repo mirrored on the host, a repo with the
// cluster's entitlement that the build reaches itself (fetch: build), and an ssh build host
// registered with subscription-manager. The certificates, keys, org and activation key travel
// only in secret stdin; the Containerfile mounts build secrets and removes redhat.repo.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ENTITLEMENT_PATH } from "../../../components/mirror/clusterEntitlement";
import * as harness from "../harness";
import { TEST_HOST_KEY } from "../configCases";
import { loadStackConfig } from "../stackFile";
import { throwawayPkcs8Key, throwawayRsaKey } from "../throwawayKeys";

const pem = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
const REPO_CERT = pem("CERTIFICATE", "MIIrepoCertificateBodyLineForUnitTestsOnly0123456789abcdef");
const REPO_KEY = throwawayPkcs8Key();
const ENT_CERT = pem("CERTIFICATE", "MIIentitlementCertificateBodyLineForUnitTests0123456789");
const ENT_KEY = throwawayRsaKey();
const ORG = "org-unit-7731942";
const ACTIVATION_KEY = "ak-unit-secret-key-55";
// Regex parts of the rendered .repo file, the Containerfile's RUN and the register step's command.
const TLS_DIR = String.raw`\/var\/lib\/rhcos-forge\/upstream\/tls\/rhel-9-baseos`;
const secretMount = (id: string, path: string) =>
    String.raw`--mount=type=secret,id=${id},target=\/run\/secrets\/rhcos-forge\/${path} \\\n    `;
const RHSM_RUN = String.raw` RF_ROOT=\/var\/lib\/rhcos-forge bash \/var\/lib\/rhcos-forge\/scripts\/rhsm-register\.sh$`;
const SECRET_TEXTS = [REPO_CERT, REPO_KEY, ENT_CERT, ENT_KEY].map(p => p.split("\n")[1]).concat([ORG, ACTIVATION_KEY]);

harness.installMocks();
const secrets = {
    ...harness.TEST_SECRETS,
    mirrorClientCerts: JSON.stringify({ "rhel-9-baseos": { sslclientcert: REPO_CERT, sslclientkey: REPO_KEY } }),
    rhsmOrg: ORG,
    rhsmActivationKey: ACTIVATION_KEY,
};
const config = loadStackConfig("dev", secrets);
config["rhcos-forge:buildHost"] = JSON.stringify({
    provider: "ssh",
    host: "rhel-builder.example.com",
    hostKey: TEST_HOST_KEY,
    register: true,
});
const mirror = JSON.parse(config["rhcos-forge:mirror"]) as { repos: unknown[] };
mirror.repos.push(
    {
        id: "rhel-9-baseos",
        baseurl: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/baseos/os/",
        gpgcheck: false,
        sslcacert: pem("CERTIFICATE", "MIIredhatUepCaForUnitTests"),
    },
    {
        id: "rhel-9-appstream-cdn",
        baseurl: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/appstream/os/",
        gpgcheck: false,
        entitlement: "cluster",
        fetch: "build",
    },
);
config["rhcos-forge:mirror"] = JSON.stringify(mirror);
// Render mode: the cluster is read (base image, entitlement), nothing is waited for.
config["rhcos-forge:cluster"] = JSON.stringify({ openshiftVersion: "4.19", renderTo: "out/manifests" });
harness.setStackConfig(config, secrets);

const asked: string[] = [];
const b64 = (t: string) => Buffer.from(t).toString("base64");
const entitlement = { kind: "Secret", data: { "entitlement.pem": b64(ENT_CERT), "entitlement-key.pem": b64(ENT_KEY) } };
const access = harness.answeringAccess(ENTITLEMENT_PATH, () => entitlement, asked);

before(() => harness.runProgram({ access }));

/** The bundle entries of a stdin: kind, then each field base64-decoded. */
function entries(stdin: string): string[][] {
    return stdin
        .trim()
        .split("\n")
        .slice(1)
        .map(l => {
            const [kind, ...fields] = l.split(" ");
            return [kind, ...fields.map(f => (/^[0-7]{4}$/.test(f) ? f : Buffer.from(f, "base64").toString("utf8")))];
        });
}

describe("RHEL content", () => {
    it("reads the entitlement Secret openshift-config-managed/etc-pki-entitlement through the cluster access", () => {
        assert.ok(asked.includes("/api/v1/namespaces/openshift-config-managed/secrets/etc-pki-entitlement"));
        // never a resource of its own (it would be in the state)
        assert.equal(harness.registrations.filter(r => r.type === "kubernetes:core/v1:Secret").length, 0);
    });

    it("writes .repo and TLS files with put-files.sh from secret stdin; reposync skips the fetch: build repo", () => {
        const sync = harness.find("command:remote:Command", "mirror-sync");
        assert.ok(harness.isSecret(sync.raw.stdin), "stdin is a secret");
        const create = String(sync.inputs.create);
        assert.match(create, /put-files\.sh \/var\/lib\/rhcos-forge\/upstream && /);
        assert.match(create, /RF_REPO_IDS='epel-9 rhel-9-appstream rhel-9-baseos'/);
        const files = Object.fromEntries(
            entries(String(sync.inputs.stdin)).map(([, mode, path, content]) => [path, { mode, content }]),
        );
        // mirror.auth: the closed mirror's credentials file (mirror.auth basic, the default).
        assert.deepEqual(Object.keys(files).sort(), [
            "mirror.auth",
            "tls/rhel-9-baseos/ca.pem",
            "tls/rhel-9-baseos/client-key.pem",
            "tls/rhel-9-baseos/client.pem",
            "upstream.repo",
        ]);
        for (const f of Object.values(files)) assert.equal(f.mode, "0600");
        assert.equal(files["tls/rhel-9-baseos/client-key.pem"].content, REPO_KEY);
        const repo = files["upstream.repo"].content;
        assert.match(
            repo,
            new RegExp(
                [
                    String.raw`^\[rhel-9-baseos\]\n(.+\n)*`,
                    String.raw`sslcacert=${TLS_DIR}\/ca\.pem\n`,
                    String.raw`sslclientcert=${TLS_DIR}\/client\.pem\n`,
                    String.raw`sslclientkey=${TLS_DIR}\/client-key\.pem\n`,
                    String.raw`sslverify=1$`,
                ].join(""),
                "m",
            ),
        );
        assert.ok(!repo.includes("rhel-9-appstream-cdn"), "a fetch: build repo is not mirrored");
    });

    // The entitlement travels in the secret bundle.
    it("mounts the entitled repo's TLS files as build secrets in the installing RUN, removing redhat.repo", () => {
        const build = harness.find("command:remote:Command", "image-build");
        assert.ok(harness.isSecret(build.raw.stdin));
        const bundle = entries(String(build.inputs.stdin));
        const containerfile = bundle.find(e => e[0] === "file" && e[2] === "Containerfile")?.[3] ?? "";
        assert.match(
            containerfile,
            new RegExp(
                [
                    "^RUN ",
                    secretMount("rf-rhel-9-appstream-cdn-cert", String.raw`rhel-9-appstream-cdn\/client\.pem`),
                    secretMount("rf-rhel-9-appstream-cdn-key", String.raw`rhel-9-appstream-cdn\/client-key\.pem`),
                    secretMount("rf-mirror-password", String.raw`mirror\/password`),
                    "printf",
                ].join(""),
                "m",
            ),
        );
        assert.match(
            containerfile,
            / baseurl=https:\/\/cdn\.redhat\.com\/content\/dist\/rhel9\/9\/x86_64\/appstream\/os\/ /,
        );
        assert.match(
            containerfile,
            / sslclientkey=\/run\/secrets\/rhcos-forge\/rhel-9-appstream-cdn\/client-key\.pem /,
        );
        assert.match(
            containerfile,
            /rm -f \/etc\/yum\.repos\.d\/rhcos-forge-mirror\.repo && \\\n    rm -f \/etc\/yum\.repos\.d\/redhat\.repo/,
        );
        const buildSecrets = Object.fromEntries(
            bundle.filter(e => e[0] === "secret").map(([, id, content]) => [id, content]),
        );
        assert.deepEqual(buildSecrets, {
            "rf-rhel-9-appstream-cdn-cert": ENT_CERT,
            "rf-rhel-9-appstream-cdn-key": ENT_KEY,
            "rf-mirror-password": harness.MOCK_MIRROR_PASSWORD,
        });
    });

    it("registers the ssh host after readiness from secret stdin, unregisters on destroy; every step waits", () => {
        const register = harness.find("command:remote:Command", "build-register");
        assert.equal(register.parent, harness.find("rhcos-forge:host:BuildHost", "build").urn);
        assert.ok(harness.isSecret(register.raw.stdin));
        assert.match(String(register.inputs.create), new RegExp(`RF_RHSM_ACTION=register${RHSM_RUN}`));
        assert.match(String(register.inputs.delete), new RegExp(`RF_RHSM_ACTION=unregister${RHSM_RUN}`));
        const stdin = entries(String(register.inputs.stdin));
        assert.deepEqual(stdin, [
            ["secret", "org", ORG],
            ["secret", "activationkey", ACTIVATION_KEY],
        ]);
        assert.ok(harness.dependsOnTransitively(register, harness.find("command:remote:Command", "build-ready")));
        assert.ok(harness.dependsOnTransitively(harness.find("command:remote:Command", "mirror-sync"), register));
        assert.ok(harness.dependsOnTransitively(harness.find("command:remote:Command", "image-build"), register));
    });

    it("keeps every certificate, key, org and activation key out of plain inputs and command strings", () => {
        for (const r of harness.registrations) {
            const text = harness.plainJson(r.raw);
            for (const s of SECRET_TEXTS)
                assert.ok(!text.includes(s), `${r.type} ${r.name} holds a secret in plain text`);
        }
    });
});
