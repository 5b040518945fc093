// The rendered RHEL-content files: the upstream .repo's TLS lines, the put-files.sh bundle, the
// build secrets of fetch: build repos, and the entitlement Secret as the cluster holds it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    ENTITLEMENT_PATH,
    entitlementFromSecret,
    readClusterEntitlement,
} from "../../../components/mirror/clusterEntitlement";
import * as repoFiles from "../../../components/mirror/repoFiles";
import { renderBundle } from "../../../components/image/buildInputs";
import { throwawayPkcs8Key } from "../throwawayKeys";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----";
const KEY = throwawayPkcs8Key();
const CA = "-----BEGIN CERTIFICATE-----\nMIIca\n-----END CERTIFICATE-----\n";
const b64 = (t: string) => Buffer.from(t).toString("base64");

describe("TLS files of a repo", () => {
    const inputs = { id: "rhel-9-baseos", sslcacert: CA, client: { sslclientcert: CERT, sslclientkey: KEY } };

    it("names each file under the repo id, newline-terminated, with its build secret id", () => {
        assert.deepEqual(repoFiles.tlsFiles(inputs), [
            { path: "rhel-9-baseos/ca.pem", option: "sslcacert", secret: "rf-rhel-9-baseos-ca", content: CA },
            {
                path: "rhel-9-baseos/client.pem",
                option: "sslclientcert",
                secret: "rf-rhel-9-baseos-cert",
                content: `${CERT}\n`,
            },
            {
                path: "rhel-9-baseos/client-key.pem",
                option: "sslclientkey",
                secret: "rf-rhel-9-baseos-key",
                content: KEY,
            },
        ]);
        assert.deepEqual(repoFiles.tlsFiles({ id: "epel-9" }), []);
    });

    it("renders the upstream .repo with paths, never the PEM", () => {
        const text = repoFiles.renderUpstreamRepoFile([
            {
                id: "rhel-9-baseos",
                baseurl: "https://cdn.redhat.com/x/",
                gpgcheck: false,
                tls: repoFiles.tlsOptions(inputs, "/w/upstream/tls"),
            },
        ]);
        assert.equal(
            text,
            [
                "[rhel-9-baseos]",
                "name=rhel-9-baseos",
                "baseurl=https://cdn.redhat.com/x/",
                "enabled=1",
                "gpgcheck=0",
                "module_hotfixes=1",
                "sslcacert=/w/upstream/tls/rhel-9-baseos/ca.pem",
                "sslclientcert=/w/upstream/tls/rhel-9-baseos/client.pem",
                "sslclientkey=/w/upstream/tls/rhel-9-baseos/client-key.pem",
                "sslverify=1",
                "",
            ].join("\n"),
        );
        assert.ok(!text.includes("MII"));
        // a repo without TLS inputs keeps its old lines exactly
        assert.ok(
            !repoFiles
                .renderUpstreamRepoFile([
                    {
                        id: "epel-9",
                        baseurl: "https://x/",
                        gpgcheck: false,
                        tls: repoFiles.tlsOptions({ id: "epel-9" }, "/t"),
                    },
                ])
                .includes("ssl"),
        );
    });

    it("bundles the files for put-files.sh, each 0600", () => {
        const bundle = repoFiles.renderSecretFilesBundle([
            { path: "upstream.repo", content: "[a]\n" },
            { path: "tls/a/client-key.pem", content: KEY },
        ]);
        assert.equal(
            bundle,
            `rhcos-forge-bundle v1\nfile 0600 ${b64("upstream.repo")} ${b64("[a]\n")}\nfile 0600 ` +
                `${b64("tls/a/client-key.pem")} ${b64(KEY)}\n`,
        );
    });

    it("gives a fetch: build repo its upstream URL, secret mounts and the build secrets by id", () => {
        const repo = repoFiles.directBuildRepo({
            ...inputs,
            baseurl: "https://cdn.redhat.com/x/",
            gpgcheck: false,
            entitled: true,
        });
        assert.deepEqual(repo.mounts, [
            { id: "rf-rhel-9-baseos-ca", target: "/run/secrets/rhcos-forge/rhel-9-baseos/ca.pem" },
            { id: "rf-rhel-9-baseos-cert", target: "/run/secrets/rhcos-forge/rhel-9-baseos/client.pem" },
            { id: "rf-rhel-9-baseos-key", target: "/run/secrets/rhcos-forge/rhel-9-baseos/client-key.pem" },
        ]);
        assert.match(
            repoFiles.renderRepoFile([repo]),
            new RegExp(
                [
                    String.raw`^baseurl=https:\/\/cdn\.redhat\.com\/x\/\n`,
                    String.raw`(.+\n)*sslclientkey=\/run\/secrets\/rhcos-forge\/rhel-9-baseos\/client-key\.pem$`,
                ].join(""),
                "m",
            ),
        );
        assert.deepEqual(repoFiles.directBuildSecrets([inputs]), {
            "rf-rhel-9-baseos-ca": CA,
            "rf-rhel-9-baseos-cert": `${CERT}\n`,
            "rf-rhel-9-baseos-key": KEY,
        });
        const bundle = renderBundle("FROM x\n", [], undefined, { "rf-b": "B", "rf-a": "A" });
        assert.deepEqual(bundle.trim().split("\n").slice(2), [
            `secret ${b64("rf-a")} ${b64("A")}`,
            `secret ${b64("rf-b")} ${b64("B")}`,
        ]);
    });
});

describe("the cluster entitlement Secret", () => {
    const secret = { data: { "entitlement.pem": b64(CERT), "entitlement-key.pem": b64(KEY) } };

    it("is read from openshift-config-managed/etc-pki-entitlement and decoded", async () => {
        const asked: string[] = [];
        const ent = await readClusterEntitlement({
            get: async p => {
                asked.push(p);
                return secret;
            },
        });
        assert.deepEqual(asked, [ENTITLEMENT_PATH]);
        assert.equal(ENTITLEMENT_PATH, "/api/v1/namespaces/openshift-config-managed/secrets/etc-pki-entitlement");
        assert.deepEqual(ent, { sslclientcert: CERT, sslclientkey: KEY });
    });

    it("fails naming what is missing, never a value", () => {
        assert.throws(
            () => entitlementFromSecret(undefined),
            new RegExp(
                [
                    String.raw`^Error: Secret openshift-config-managed\/etc-pki-entitlement does not exist: the `,
                    String.raw`cluster has no RHEL entitlement`,
                ].join(""),
            ),
        );
        assert.throws(
            () => entitlementFromSecret({ data: { "entitlement.pem": b64(CERT) } }),
            /has no entitlement-key\.pem$/,
        );
        assert.throws(
            () =>
                entitlementFromSecret({
                    data: { "entitlement.pem": b64("MIIsecretbody"), "entitlement-key.pem": b64(KEY) },
                }),
            e => {
                assert.match(String(e), /entitlement\.pem is not PEM/);
                assert.ok(!String(e).includes("MIIsecretbody"));
                return true;
            },
        );
    });
});
