// The on-cluster build's content objects per release (openshift/onClusterContent.ts): the
// etc-yum-repos-d ConfigMap, the etc-pki-rpm-gpg Secret, the entitlement copy where the MCO makes
// none (4.16, 4.17), and the MachineOSConfig carrying the rebuild annotation (4.18+), as golden
// YAML (regenerate with UPDATE_GOLDEN=1 and review the diff); the MachineOSConfig validated
// against the release's CRDs, the core objects against the API server's name and key rules.
import * as fs from "fs";
import * as yaml from "js-yaml";
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { KubeObject } from "../../../components/openshift/machineConfig";
import { renderMachineOSConfig } from "../../../components/openshift/machineOsConfig";
import {
    CoreObject,
    OnClusterRepo,
    RPM_GPG_SECRET,
    YUM_REPOS_CONFIGMAP,
    onClusterContentRevision,
    rebuildAnnotations,
    renderEntitlementSecret,
    renderOnClusterRepoFile,
    renderRpmGpgSecret,
    renderYumReposConfigMap,
} from "../../../components/openshift/onClusterContent";
import { RELEASES } from "../../../components/openshift/releases";
import { OPENSHIFT_VERSIONS, OpenShiftVersion } from "../../../components/openshift/versions";
import { crdRelease, validateAgainstCrd } from "../crds";
import { ROOT } from "../stackFile";
import { throwawayPkcs8Key } from "../throwawayKeys";

const KEY =
    "-----BEGIN PGP PUBLIC KEY " +
    "BLOCK-----\n\nmQINBGE3mOsBEACsU+XwJWDJVkItBaugXhXIIkb9oe+7aadELuVo0kBmc3HXt/Yp\n-----END PGP PUBLIC KEY " +
    "BLOCK-----\n";
// The certificate is a placeholder shaped like PEM; the key is made for this run (none is committed).
const CERT = {
    sslclientcert: "-----BEGIN CERTIFICATE-----\nMIIFtest\n-----END CERTIFICATE-----\n",
    sslclientkey: throwawayPkcs8Key(),
};
const KEY_MARK = "<the private key made for the test run>";

/** `rendered` with the run's key in one line of KEY_MARK: the golden files hold no key. */
function maskKey(rendered: string): string {
    const keyLines = CERT.sslclientkey.trimEnd().split("\n");
    return rendered
        .split("\n")
        .flatMap(line => {
            const at = keyLines.indexOf(line.trim());
            if (at < 0) return [line];
            return at === 0 ? [line.replace(keyLines[0], KEY_MARK)] : [];
        })
        .join("\n");
}
const REPOS: OnClusterRepo[] = [
    { id: "epel-9", url: "http://198.51.100.20:5180/epel-9/", gpgcheck: true, gpgKey: KEY },
    { id: "rhcos-forge-extras", url: "http://198.51.100.20:5180/rhcos-forge-extras/", gpgcheck: false },
    {
        id: "rhel-9-appstream",
        url: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/appstream/os/",
        gpgcheck: true,
        gpgKey: KEY,
        entitled: true,
    },
];
const REVISION = "f".repeat(64);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/** What the API server checks of a ConfigMap/Secret that the tests can: names, keys, size. */
function validateCore(obj: CoreObject): void {
    assert.match(obj.metadata.name, DNS_SUBDOMAIN);
    assert.ok(obj.metadata.name.length <= 253);
    const data = { ...obj.data, ...obj.stringData };
    for (const key of Object.keys(data)) assert.match(key, DATA_KEY, `${obj.kind} ${obj.metadata.name} key ${key}`);
    // A ConfigMap or Secret holds at most 1 MiB.
    assert.ok(JSON.stringify(data).length < 1024 * 1024);
    if (obj.kind === "Secret") assert.equal(obj.type, "Opaque");
}

function objectsFor(version: OpenShiftVersion): (CoreObject | KubeObject)[] {
    const mosc = renderMachineOSConfig({
        version,
        pool: "worker",
        pushSpec: "quay.io/example-org/rhcos-forge:worker",
        containerfile: "FROM configs AS final\nRUN rpm-ostree install htop && ostree container commit\n",
        arch: "NoArch",
    });
    mosc.metadata.annotations = rebuildAnnotations(version, onClusterContentRevision(REVISION, REPOS));
    const ent = renderEntitlementSecret(version, "worker", CERT);
    return [renderYumReposConfigMap(REPOS), renderRpmGpgSecret(REPOS) as CoreObject, ...(ent ? [ent] : []), mosc];
}

describe("on-cluster content objects", () => {
    for (const version of OPENSHIFT_VERSIONS) {
        it(`matches test/golden/onCluster-content/${version}.yaml and validates`, () => {
            const objects = objectsFor(version);
            const rendered = maskKey(objects.map(o => yaml.dump(o, { lineWidth: -1, noRefs: true })).join("---\n"));
            const file = path.join(ROOT, "test", "golden", "onCluster-content", `${version}.yaml`);
            if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, rendered);
            assert.equal(rendered, fs.readFileSync(file, "utf8"));
            for (const o of objects) {
                if (o.apiVersion === "v1") validateCore(o as CoreObject);
                else validateAgainstCrd(crdRelease(version), o as unknown as Record<string, unknown>);
            }
        });
    }

    it("names the objects the build controller looks up, in the MCO namespace", () => {
        for (const version of OPENSHIFT_VERSIONS) {
            const [cm, gpg, ...rest] = objectsFor(version) as CoreObject[];
            assert.deepEqual(
                [cm.kind, cm.metadata.name, cm.metadata.namespace],
                ["ConfigMap", YUM_REPOS_CONFIGMAP, "openshift-machine-config-operator"],
            );
            assert.deepEqual(
                [gpg.kind, gpg.metadata.name, gpg.metadata.namespace],
                ["Secret", RPM_GPG_SECRET, "openshift-machine-config-operator"],
            );
            const ent = rest.find(o => o.kind === "Secret");
            // 4.18+ clone openshift-config-managed/etc-pki-entitlement per pool themselves.
            assert.equal(ent !== undefined, !RELEASES[version].onCluster.mcoClonesEntitlement, version);
            if (ent)
                assert.deepEqual(
                    [ent.metadata.name, Object.keys(ent.stringData ?? {})],
                    ["etc-pki-entitlement", ["entitlement.pem", "entitlement-key.pem"]],
                );
        }
    });

    it("sets the rebuild annotation to the content revision where the MCO has one", () => {
        for (const version of OPENSHIFT_VERSIONS) {
            const a = rebuildAnnotations(version, REVISION);
            if (version === "4.16" || version === "4.17") assert.deepEqual(a, {}, version);
            else assert.deepEqual(a, { "machineconfiguration.openshift.io/rebuild": REVISION }, version);
        }
    });

    it("changes the revision with the mirror's revision, a repo or a key, not with the mirror's address", () => {
        const base = onClusterContentRevision(REVISION, REPOS);
        assert.match(base, /^[0-9a-f]{64}$/);
        assert.equal(
            onClusterContentRevision(
                REVISION,
                REPOS.map(r => ({ ...r })),
            ),
            base,
            "deterministic",
        );
        assert.notEqual(onClusterContentRevision("e".repeat(64), REPOS), base, "mirror revision");
        assert.notEqual(onClusterContentRevision(REVISION, REPOS.slice(0, 2)), base, "a repo fewer");
        assert.notEqual(
            onClusterContentRevision(REVISION, [
                { ...REPOS[0], gpgKey: KEY.replace("mQINB", "mQINC") },
                ...REPOS.slice(1),
            ]),
            base,
            "a new key",
        );
        assert.notEqual(
            onClusterContentRevision(REVISION, [{ ...REPOS[0], gpgcheck: false }, ...REPOS.slice(1)]),
            base,
            "gpgcheck",
        );
        // A new build host serves the same content: no rebuild, and the revision needs no address.
        assert.equal(
            onClusterContentRevision(REVISION, [
                { ...REPOS[0], url: "http://198.51.100.21:5180/epel-9/" },
                ...REPOS.slice(1),
            ]),
            base,
            "a new mirror address",
        );
    });

    it("points keys and entitlement at the build's mounts, credentials only into mirror sections", () => {
        const text = renderOnClusterRepoFile(REPOS, { username: "rf-mirror", password: "s3cret-pw" });
        const sections = text.split(/\n(?=\[)/);
        assert.equal(sections.length, 3);
        assert.match(sections[0], /^\[rhcos-forge-epel-9\]\n/);
        assert.match(sections[0], /\ngpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-rhcos-forge-epel-9\n/);
        assert.match(sections[0], /\nusername=rf-mirror\npassword=s3cret-pw\n/);
        assert.match(sections[1], /\ngpgcheck=0\n/);
        assert.doesNotMatch(sections[1], /gpgkey=/);
        assert.match(sections[1], /\npassword=s3cret-pw\n/);
        assert.match(
            sections[2],
            new RegExp(
                [
                    String.raw`\nsslclientcert=\/etc\/pki\/entitlement\/entitlement\.pem\n`,
                    String.raw`sslclientkey=\/etc\/pki\/entitlement\/entitlement-key\.pem\n`,
                ].join(""),
            ),
        );
        assert.doesNotMatch(sections[2], /password|username/, "the upstream never sees the mirror's credentials");
        assert.doesNotMatch(renderOnClusterRepoFile(REPOS), /password|username/);
    });

    it("renders no key Secret without keys", () => {
        assert.equal(renderRpmGpgSecret([REPOS[1]]), undefined);
    });
});
