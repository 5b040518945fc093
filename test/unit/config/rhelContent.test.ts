// RHEL content config: client-certificate repos (rhcos-forge:mirrorClientCerts), sslcacert,
// entitlement: cluster, fetch: build, and buildHost.register with its two secrets. Each bad
// combination is rejected naming the key; no secret value is ever echoed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import * as cases from "../configCases";
import { TEST_SECRETS } from "../harness";
import { pemBody, throwawayOpenSshKey, throwawayPkcs8Key } from "../throwawayKeys";

const pem = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
const CERT = pem("CERTIFICATE", "MIIcertBodyForConfigTests");
const KEY = throwawayPkcs8Key();
const SSH_KEY = throwawayOpenSshKey();
const KUBECONFIG = TEST_SECRETS.kubeconfig;

const RHEL = {
    id: "rhel-9-baseos",
    baseurl: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/baseos/os/",
    gpgcheck: false,
};

/** A stack with one client-certificate repo and its certificate. */
function certStack(): cases.JsonTree {
    return {
        ...cases.patched(cases.minimalStack, c => {
            c.mirror = { repos: [{ ...RHEL }] };
        }),
        mirrorClientCerts: { [RHEL.id]: { sslclientcert: CERT, sslclientkey: KEY } },
    };
}

const withRepo = (patch: Record<string, unknown>, extra: cases.JsonTree = {}): cases.JsonTree => ({
    ...cases.patched(cases.minimalStack, c => {
        c.mirror = { repos: [{ ...RHEL, ...patch }] };
    }),
    ...extra,
});

const sshHost = { provider: "ssh", host: "rhel-builder.example.com", hostKey: cases.TEST_HOST_KEY, register: true };

describe("RHEL content config", () => {
    it("accepts a client-certificate repo, a cluster-entitled fetch: build repo and a registered ssh host", () => {
        assert.deepEqual(cases.parseProblems(certStack()), []);
        const entitled = withRepo(
            { entitlement: "cluster", fetch: "build", sslcacert: CERT },
            { kubeconfig: KUBECONFIG },
        );
        const cfg = parseStackConfig(cases.asAllConfig(entitled));
        assert.equal(cfg.mirror.repos[0].entitlement, "cluster");
        assert.equal(cfg.mirror.repos[0].fetch, "build");
        assert.equal(parseStackConfig(cases.asAllConfig(cases.minimalStack())).mirror.repos.length, 0);
        const registered = {
            ...cases.patched(cases.minimalStack, c => {
                c.buildHost = sshHost;
            }),
            sshPrivateKey: SSH_KEY,
            rhsmOrg: "1234567",
            rhsmActivationKey: "rhcos-forge-builders",
        };
        assert.deepEqual(cases.parseProblems(registered), []);
        assert.equal(
            parseStackConfig(cases.asAllConfig(certStack())).mirror.repos[0].fetch,
            "mirror",
            "repos are mirrored unless fetch: build",
        );
    });

    cases.rejectsEach([
        [
            "a certificate without its key",
            { ...certStack(), mirrorClientCerts: { [RHEL.id]: { sslclientcert: CERT } } },
            "rhcos-forge:mirrorClientCerts.rhel-9-baseos.sslclientkey is required with " +
                "sslclientcert (the certificate's private key), got nothing",
        ],
        [
            "a key without its certificate",
            { ...certStack(), mirrorClientCerts: { [RHEL.id]: { sslclientkey: KEY } } },
            "rhcos-forge:mirrorClientCerts.rhel-9-baseos.sslclientcert is required with " +
                "sslclientkey (the key's certificate), got nothing",
        ],
        [
            "a certificate for a repo that does not exist",
            { ...certStack(), mirrorClientCerts: { ghost: { sslclientcert: CERT, sslclientkey: KEY } } },
            "rhcos-forge:mirrorClientCerts.ghost names no repo in rhcos-forge:mirror.repos, got a secret value",
        ],
        [
            "a key that is not PEM",
            {
                ...certStack(),
                mirrorClientCerts: { [RHEL.id]: { sslclientcert: CERT, sslclientkey: "not-a-key-value-secret" } },
            },
            "rhcos-forge:mirrorClientCerts.rhel-9-baseos.sslclientkey must be a PEM private key " +
                "(-----BEGIN ... PRIVATE KEY----- ...), got a secret value",
        ],
        [
            "entitlement: cluster without a kubeconfig",
            withRepo({ entitlement: "cluster" }),
            'rhcos-forge:mirror.repos[0].entitlement is "cluster", which reads the Secret ' +
                "openshift-config-managed/etc-pki-entitlement and needs rhcos-forge:kubeconfig (set it " +
                'with --secret), or give the certificate in rhcos-forge:mirrorClientCerts, got "cluster"',
        ],
        [
            "entitlement: cluster and a certificate for the same repo",
            { ...certStack(), mirror: { repos: [{ ...RHEL, entitlement: "cluster" }] }, kubeconfig: KUBECONFIG },
            'rhcos-forge:mirror.repos[0].entitlement is "cluster" but rhcos-forge:mirrorClientCerts ' +
                'also has a certificate for "rhel-9-baseos"; keep one of the two, got "cluster"',
        ],
        [
            "an entitlement other than cluster",
            withRepo({ entitlement: "host" }),
            'rhcos-forge:mirror.repos[0].entitlement must be "cluster", got "host"',
        ],
        [
            "a client certificate over plain http",
            { ...certStack(), mirror: { repos: [{ ...RHEL, baseurl: "http://cdn.example.com/rhel/" }] } },
            "rhcos-forge:mirror.repos[0].baseurl must be an https:// URL: the repo has a client " +
                "certificate, entitlement or sslcacert, which only TLS uses, got " +
                '"http://cdn.example.com/rhel/"',
        ],
        [
            "an sslcacert that is not PEM",
            withRepo({ sslcacert: "/etc/rhsm/ca/redhat-uep.pem" }),
            "rhcos-forge:mirror.repos[0].sslcacert must be PEM certificate text (-----BEGIN " +
                'CERTIFICATE----- ...), got "/etc/rhsm/ca/redhat-uep.pem"',
        ],
        [
            "fetch: build with a username",
            withRepo({ fetch: "build", username: "robot" }, { mirrorPasswords: { [RHEL.id]: "pw-secret-value" } }),
            "rhcos-forge:mirror.repos[0].fetch must be mirror for a repo with a username (a " +
                'password cannot be passed to the build without a layer seeing it), got "build"',
        ],
        [
            "fetch: build with the cosa builder",
            cases.patched(
                () => withRepo({ fetch: "build" }),
                c => {
                    c.image.builder = "cosa";
                    c.image.cosa = {
                        container: `quay.io/coreos-assembler/coreos-assembler@sha256:${"b".repeat(64)}`,
                        config: "https://github.com/openshift/os.git",
                        branch: "release-4.19",
                    };
                },
            ),
            "rhcos-forge:mirror.repos[0].fetch must be mirror with rhcos-forge:image.builder cosa " +
                '(cosa builds read the mirror only), got "build"',
        ],
        [
            "a package set with only fetch: build repos",
            cases.patched(
                () => withRepo({ fetch: "build" }),
                c => {
                    c.mirror.packageSet = { packages: ["htop"] };
                },
            ),
            "rhcos-forge:mirror.packageSet.packages needs at least one repo of " +
                'rhcos-forge:mirror.repos with fetch mirror to download from, got ["htop"]',
        ],
        [
            "buildHost.register without the org and activation key",
            {
                ...cases.patched(cases.minimalStack, c => {
                    c.buildHost = sshHost;
                }),
                sshPrivateKey: SSH_KEY,
            },
            "rhcos-forge:rhsmActivationKey is required with rhcos-forge:buildHost.register (set it " +
                "with --secret), got nothing",
        ],
        [
            "an activation key without buildHost.register",
            { ...cases.minimalStack(), rhsmActivationKey: "ak-secret-value-1" },
            "rhcos-forge:rhsmActivationKey is set but rhcos-forge:buildHost.register is not true " +
                "(an ssh build host registers only when asked), got a secret value",
        ],
        [
            "buildHost.register on a local host",
            cases.patched(cases.minimalStack, c => {
                c.buildHost = { provider: "local", register: true };
            }),
            "rhcos-forge:buildHost.register is not a known key (check its spelling against the " +
                "README's config reference)",
        ],
    ] as const);

    it("never echoes a certificate, key, org or activation key", () => {
        const problems = cases
            .problemsOf({
                ...certStack(),
                mirrorClientCerts: { [RHEL.id]: { sslclientkey: KEY }, ghost: { sslclientcert: CERT } },
                rhsmOrg: "org-secret-777",
                rhsmActivationKey: "ak-secret-888",
            })
            .join("\n");
        for (const s of [pemBody(KEY), "MIIcertBodyForConfigTests", "org-secret-777", "ak-secret-888"])
            assert.ok(!problems.includes(s), s);
    });
});
