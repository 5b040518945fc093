// Stack config: the committed stacks parse; every bad value fails with a message naming the key,
// the value given and what is expected; secrets are never echoed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isValidCidr } from "../../../components/config/validators";
import { ConfigError, parseStackConfig } from "../../../components/config/parse";
import * as cases from "../configCases";
import { TEST_SECRETS } from "../harness";
import { loadStackConfig } from "../stackFile";
import { throwawayOpenSshKey } from "../throwawayKeys";

/** The first line of an OpenSSH private key, taken from one made for this run. */
const PRIVATE_KEY_HEADER = throwawayOpenSshKey().split("\n")[0];

const withPatch = (patch: (cfg: cases.JsonTree) => void): cases.JsonTree => cases.patched(cases.minimalStack, patch);
/** The minimal stack with one key (dotted, as in rhcos-forge:<key>) set to `value`. */
const withKey = (key: string, value: unknown): cases.JsonTree =>
    withPatch(c => {
        const path = key.split(".");
        const last = path.pop() as string;
        const parent = path.reduce((at: cases.JsonTree, k) => at[k], c);
        parent[last] = value;
    });
/** The minimal stack with these image.extraSteps. */
const withExtraSteps = (...steps: string[]): cases.JsonTree => withKey("image.extraSteps", steps);
/** The minimal stack with this build host and an ssh private key. */
const withHost = (buildHost: cases.JsonTree): cases.JsonTree =>
    withPatch(c => {
        c.buildHost = buildHost;
        c.sshPrivateKey = TEST_SECRETS.sshPrivateKey;
    });
/** An ssh build host at build.example.com with these settings. */
const sshHost = (extra: cases.JsonTree): cases.JsonTree =>
    withHost({ provider: "ssh", host: "build.example.com", ...extra });
/** A DigitalOcean droplet build host with these settings. */
const dropletHost = (extra: cases.JsonTree): cases.JsonTree =>
    withHost({ provider: "digitalocean", sshPublicKey: "ssh-ed25519 AAAA x", ...extra });

describe("stack config", () => {
    it("parses the minimal local stack with explicit defaults", () => {
        const cfg = parseStackConfig(cases.asAllConfig(cases.minimalStack()));
        assert.equal(cfg.mirror.port, 5180);
        assert.equal(cfg.mirror.serve, "systemd");
        assert.equal(cfg.buildHost.workDir, "/var/lib/rhcos-forge");
        assert.equal(cfg.cluster.openshiftVersion, "4.19");
        assert.deepEqual(cfg.rollout.pools[0], { name: "worker", nodes: [], maxUnavailable: 1, paused: false });
        assert.equal(cfg.rollout.method, "machineconfig");
    });

    it("parses the committed dev stack once its secrets are set", () => {
        cases.assertExampleStack(parseStackConfig(loadStackConfig("dev", TEST_SECRETS)));
    });

    it("rejects the dev stack without its secrets, naming each missing one", () => {
        const problems = cases.problemsOf(
            Object.fromEntries(
                Object.entries(loadStackConfig("dev")).map(([k, v]) => [
                    k.replace("rhcos-forge:", ""),
                    JSON.parse(v.startsWith("{") || v.startsWith("[") ? v : JSON.stringify(v)),
                ]),
            ),
        );
        cases.assertProblem(problems, "rhcos-forge:sshPrivateKey is required for a digitalocean build host");
        cases.assertProblem(problems, "rhcos-forge:kubeconfig is required");
        cases.assertProblem(
            problems,
            "rhcos-forge:mirror.repos[1].username is set but rhcos-forge:mirrorPasswords has no password for " +
                '"rhel-9-appstream"',
        );
    });

    const bad: [string, Record<string, unknown>, string][] = [
        [
            "a tag instead of a digest",
            withKey("image.base", "quay.io/x/rhcos:4.16"),
            'rhcos-forge:image.base must be pinned by digest (…@sha256:<64 hex>) or be "cluster", got ' +
                '"quay.io/x/rhcos:4.16"',
        ],
        [
            "a short digest",
            withKey("image.base", "quay.io/x/rhcos@sha256:abc"),
            'rhcos-forge:image.base must be pinned by digest (…@sha256:<64 hex>) or be "cluster", got ' +
                '"quay.io/x/rhcos@sha256:abc"',
        ],
        [
            "an unknown top-level key",
            withKey("imagee", {}),
            "rhcos-forge:imagee is not a known key (check its spelling against the README's config reference)",
        ],
        [
            "an unknown nested key",
            withKey("image.pacakges", ["htop"]),
            "rhcos-forge:image.pacakges is not a known key (check its spelling against the README's config reference)",
        ],
        [
            "a master pool without the allow flag",
            withKey("rollout.pools", [{ name: "master" }]),
            "rhcos-forge:rollout.pools[0].name is master: rolling a custom OS to control-plane nodes needs " +
                'rhcos-forge:rollout.allowMaster=true, got "master"',
        ],
        [
            "an empty package name",
            withKey("image.packages", ["htop", ""]),
            'rhcos-forge:image.packages[1] must be a non-empty RPM package name, got ""',
        ],
        [
            "a package name with shell characters",
            withKey("image.packages", ["htop; rm -rf /"]),
            "rhcos-forge:image.packages[0] must be an RPM package name (letters, digits, . _ + - : ~ ^; no " +
                'spaces or shell characters), got "htop; rm -rf /"',
        ],
        [
            "a port out of range",
            withKey("mirror", { port: 70000 }),
            "rhcos-forge:mirror.port must be a port number (1-65535), got 70000",
        ],
        [
            "a port that is not a number",
            withKey("mirror", { port: "http" }),
            'rhcos-forge:mirror.port must be a port number (1-65535), got "http"',
        ],
        [
            "a CIDR that does not parse",
            dropletHost({ region: "fra1", allowedCidrs: ["10.0.0.0/33"] }),
            "rhcos-forge:buildHost.allowedCidrs[0] must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32, " +
                'got "10.0.0.0/33"',
        ],
        [
            "a digitalocean host without a region",
            dropletHost({ allowedCidrs: ["10.0.0.0/8"] }),
            'rhcos-forge:buildHost.region is required for a digitalocean build host (e.g. "fra1"), got nothing',
        ],
        [
            "an unknown build host provider",
            withKey("buildHost", { provider: "aws" }),
            'rhcos-forge:buildHost.provider must be one of "digitalocean", "ssh", "local", got "aws"',
        ],
        [
            "a push repository with a tag",
            withKey("image.repository", "quay.io/org/rhcos:latest"),
            "rhcos-forge:image.repository must be a registry repository without tag or digest (e.g. " +
                'quay.io/org/rhcos-custom), got "quay.io/org/rhcos:latest"',
        ],
        [
            "a file outside /etc, /usr and /opt",
            withKey("image.files", [{ path: "/var/lib/agent.conf", content: "x" }]),
            "rhcos-forge:image.files[0].path must be an absolute path under /etc, /usr or /opt (the rest of " +
                'an RHCOS image is not kept), got "/var/lib/agent.conf"',
        ],
        [
            "a unit without a unit suffix",
            withKey("image.units", ["iperf3"]),
            'rhcos-forge:image.units[0] must be a systemd unit name such as foo.service, got "iperf3"',
        ],
        [
            "a bad maxUnavailable",
            withKey("rollout.pools", [{ name: "worker", maxUnavailable: 0 }]),
            "rhcos-forge:rollout.pools[0].maxUnavailable must be a positive count or a percentage such as 10%, got 0",
        ],
        [
            "an unsupported OpenShift version",
            withKey("cluster", { renderTo: "out", openshiftVersion: "4.12" }),
            'rhcos-forge:cluster.openshiftVersion must be one of "4.16", "4.17", "4.18", "4.19", "4.20", ' +
                '"4.21", "4.22", got "4.12"',
        ],
        // Unquoted in the stack file, `openshiftVersion: 4.20` reaches the program as the number 4.2.
        [
            "an unquoted OpenShift version (a YAML number)",
            withKey("cluster", { renderTo: "out", openshiftVersion: 4.2 }),
            'rhcos-forge:cluster.openshiftVersion must be one of "4.16", "4.17", "4.18", "4.19", "4.20", ' +
                '"4.21", "4.22", got 4.2 (a YAML number: write it quoted, "4.20")',
        ],
        [
            "an unquoted OpenShift version that keeps its digits",
            withKey("cluster", { renderTo: "out", openshiftVersion: 4.16 }),
            'rhcos-forge:cluster.openshiftVersion must be one of "4.16", "4.17", "4.18", "4.19", "4.20", ' +
                '"4.21", "4.22", got 4.16 (a YAML number: write it quoted, "4.16")',
        ],
        [
            "an unquoted OpenShift version that is not supported",
            withKey("cluster", { renderTo: "out", openshiftVersion: 4.3 }),
            'rhcos-forge:cluster.openshiftVersion must be one of "4.16", "4.17", "4.18", "4.19", "4.20", ' +
                '"4.21", "4.22", got 4.3 (a YAML number: versions are quoted strings)',
        ],
        [
            "a package both installed and removed",
            withPatch(c => {
                c.image.packages = ["htop", "tcpdump"];
                c.image.remove = ["podman-docker", "tcpdump"];
            }),
            "rhcos-forge:image.remove[1] is also installed by rhcos-forge:image.packages[1]: a package cannot " +
                'be both removed and installed; keep it in one of the two lists, got "tcpdump"',
        ],
        [
            "two files with the same path",
            withKey("image.files", [
                { path: "/etc/chrony.conf", content: "a" },
                { path: "/etc/motd", content: "b" },
                { path: "/etc//chrony.conf", content: "c" },
            ]),
            "rhcos-forge:image.files[2].path is also the path of rhcos-forge:image.files[0] (this entry would " +
                'silently replace it); keep one entry per path, got "/etc//chrony.conf"',
        ],
        [
            "a file under /opt (a symlink into /var on RHCOS)",
            withKey("image.files", [{ path: "/opt/falcon/falcon.conf", content: "x" }]),
            "rhcos-forge:image.files[0].path is under /opt, which on RHCOS is a symlink to /var/opt: an " +
                "image's /var content reaches only newly provisioned nodes, so existing nodes never get this " +
                "file; put it under /usr (e.g. /usr/lib/<name>/...) and, if it must appear at /opt, add an " +
                'image.files entry /usr/lib/tmpfiles.d/<name>.conf with "L+ /opt/<name> - - - - /usr/lib/<name>", ' +
                'got "/opt/falcon/falcon.conf"',
        ],
        [
            "a file under /usr/local (a symlink into /var on RHCOS)",
            withKey("image.files", [{ path: "/usr/local/bin/agent", content: "x", mode: "0755" }]),
            "rhcos-forge:image.files[0].path is under /usr/local, which on RHCOS is a symlink to " +
                "/var/usrlocal: an image's /var content reaches only newly provisioned nodes, so existing nodes " +
                "never get this file; put it under /usr (e.g. /usr/lib/<name>/...) and, if it must appear at " +
                '/usr/local, add an image.files entry /usr/lib/tmpfiles.d/<name>.conf with "L+ /usr/local/<name> ' +
                '- - - - /usr/lib/<name>", got "/usr/local/bin/agent"',
        ],
        [
            "a signature check without a key",
            withKey("mirror", {
                repos: [{ id: "epel-9", baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/" }],
            }),
            "rhcos-forge:mirror.repos[0].gpgkey is required with rhcos-forge:mirror.repos[0].gpgcheck true " +
                '(the default): without it dnf has no key to verify "epel-9"\'s packages and refuses them; set ' +
                "gpgkey to the repo's key URL, or gpgcheck to false, got nothing",
        ],
        [
            "a multi-line extra step",
            withExtraSteps("mkdir -p /usr/lib/falcon", "dnf clean all\nrm -rf /var/cache/dnf"),
            "rhcos-forge:image.extraSteps[1] must be one shell command on one line (a newline ends the RUN " +
                "and podman refuses the next line as an unknown instruction); join commands with && or use one " +
                'entry per command, got "dnf clean all\\nrm -rf /var/cache/dnf"',
        ],
        [
            "an extra step that starts with RUN",
            withExtraSteps("RUN mkdir -p /usr/lib/falcon"),
            "rhcos-forge:image.extraSteps[0] must be a shell command, not a Containerfile instruction (RUN): " +
                "each entry is rendered as `RUN <entry> && ostree container commit`; drop the leading RUN, got " +
                '"RUN mkdir -p /usr/lib/falcon"',
        ],
        [
            "an extra step that is another Containerfile instruction",
            withExtraSteps("  COPY agent.rpm /tmp/"),
            "rhcos-forge:image.extraSteps[0] must be a shell command, not a Containerfile instruction (COPY): " +
                "each entry is rendered as `RUN <entry> && ostree container commit`; other instructions are not " +
                'supported (files go in image.files, labels in image.labels), got "  COPY agent.rpm /tmp/"',
        ],
        [
            "no cluster access at all",
            withKey("cluster", {}),
            "rhcos-forge:kubeconfig is required unless rhcos-forge:cluster.renderTo is set (set it with " +
                "--secret), got nothing",
        ],
        [
            "a password for a repo that does not exist",
            withKey("mirrorPasswords", { ghost: "pw-value-123" }),
            "rhcos-forge:mirrorPasswords.ghost names no repo in rhcos-forge:mirror.repos, got a secret value",
        ],
        [
            "an ssh host without a private key",
            withKey("buildHost", { provider: "ssh", host: "build.example.com", hostKey: cases.TEST_HOST_KEY }),
            "rhcos-forge:sshPrivateKey is required for a ssh build host (set it with --secret), got nothing",
        ],
        [
            "an ssh host with neither a pinned host key nor the insecure flag",
            sshHost({ port: 2222 }),
            "rhcos-forge:buildHost.hostKey is required for an ssh build host: the line `ssh-keyscan -t " +
                "ed25519 -p 2222 build.example.com` prints, checked out of band (or set " +
                "rhcos-forge:buildHost.insecureAcceptAnyHostKey=true to accept any key), got nothing",
        ],
        [
            "a pinned host key and the insecure flag together",
            sshHost({ hostKey: cases.TEST_HOST_KEY, insecureAcceptAnyHostKey: true }),
            "rhcos-forge:buildHost.insecureAcceptAnyHostKey must not be true while " +
                "rhcos-forge:buildHost.hostKey pins the key, got true",
        ],
        [
            "a host key that is a private key",
            sshHost({ hostKey: PRIVATE_KEY_HEADER }),
            `rhcos-forge:buildHost.hostKey must be an ssh-keyscan line (<host> <type> <base64>) with type ` +
                `ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa, got ` +
                JSON.stringify(PRIVATE_KEY_HEADER),
        ],
        [
            "a host key whose blob is not a key of its type",
            sshHost({ hostKey: "build.example.com ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ" }),
            "rhcos-forge:buildHost.hostKey must carry a ssh-ed25519 key blob after its type (this one does " +
                'not decode as one), got "build.example.com ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ"',
        ],
        [
            "two ssh-keyscan lines as the host key",
            sshHost({ hostKey: "h ssh-ed25519 AAAA\nh ssh-rsa AAAA" }),
            "rhcos-forge:buildHost.hostKey must be one line (run ssh-keyscan with -t ed25519 to get one key), " +
                'got "h ssh-ed25519 AAAA\\nh ssh-rsa AAAA"',
        ],
        [
            "a pool listed twice",
            withKey("rollout.pools", [{ name: "worker" }, { name: "worker" }]),
            'rhcos-forge:rollout.pools[1].name is listed twice, got "worker"',
        ],
    ];
    cases.rejectsEach(bad);

    it("accepts a pinned ssh-keyscan line, a .pub line, or the explicit insecure flag for an ssh host", () => {
        const key = cases.TEST_HOST_KEY.split(" ").slice(1).join(" ");
        for (const buildHost of [
            { provider: "ssh", host: "build.example.com", hostKey: cases.TEST_HOST_KEY },
            { provider: "ssh", host: "build.example.com", port: 2222, hostKey: `[build.example.com]:2222 ${key}` },
            { provider: "ssh", host: "build.example.com", hostKey: `${key} root@build` },
            { provider: "ssh", host: "build.example.com", insecureAcceptAnyHostKey: true },
        ]) {
            const cfg = parseStackConfig(cases.asAllConfig(withHost(buildHost)));
            assert.equal(cfg.buildHost.provider, "ssh");
        }
    });

    it("accepts what the cross-field checks must not refuse", () => {
        const cfg = parseStackConfig(
            cases.asAllConfig(
                withPatch(c => {
                    c.cluster = { renderTo: "out", openshiftVersion: "4.22" };
                    c.image.packages = ["htop"];
                    c.image.remove = ["podman-docker"];
                    c.image.files = [
                        { path: "/usr/lib/falcon/falcon.conf", content: "x" },
                        {
                            path: "/usr/lib/tmpfiles.d/falcon.conf",
                            content: "L+ /opt/falcon - - - - /usr/lib/falcon\n",
                        },
                    ];
                    c.image.extraSteps = ["env FOO=1 /usr/bin/true", "RUNLEVEL=3 /usr/bin/true"];
                    c.mirror = {
                        repos: [
                            {
                                id: "epel-9",
                                baseurl: "https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/",
                                gpgkey: "https://dl.fedoraproject.org/pub/epel/RPM-GPG-KEY-EPEL-9",
                            },
                            { id: "internal", baseurl: "https://rpm.example.com/el9/", gpgcheck: false },
                        ],
                    };
                }),
            ),
        );
        assert.equal(cfg.cluster.openshiftVersion, "4.22");
        assert.equal(cfg.image.files.length, 2);
    });

    it("reports every bad key at once", () => {
        const problems = cases.problemsOf(
            withPatch(c => {
                c.image.base = "quay.io/x/rhcos:4.16";
                c.mirror = { port: 0 };
                c.rollout.pools = [{ name: "master" }];
            }),
        );
        assert.equal(problems.length, 3, problems.join("\n"));
    });

    it("never echoes a secret value in an error", () => {
        const problems = cases.problemsOf(
            withPatch(c => {
                c.registryAuth = "not-json-but-secret-token-xyz";
                c.kubeconfig = "";
            }),
        );
        assert.ok(
            problems.some(
                p =>
                    p ===
                    'rhcos-forge:registryAuth must be a containers auth.json ({"auths": {...}}), got a secret value',
            ),
            problems.join("\n"),
        );
        assert.ok(!problems.join("\n").includes("secret-token-xyz"));
    });

    it("fails on malformed structured values", () => {
        const problems = (() => {
            try {
                parseStackConfig({ ...cases.asAllConfig(cases.minimalStack()), "rhcos-forge:rollout": "pools" });
            } catch (e) {
                return (e as ConfigError).problems;
            }
            return [];
        })();
        assert.deepEqual(problems, ['rhcos-forge:rollout must be a structured value (YAML map or list), got "pools"']);
    });

    it("checks CIDRs for real", () => {
        for (const good of ["0.0.0.0/0", "203.0.113.0/24", "::/0", "2001:db8::/32", "fe80::1/128"])
            assert.ok(isValidCidr(good), good);
        for (const badCidr of ["203.0.113.0", "256.0.0.0/8", "10.0.0.0/-1", "2001:db8:::/32", "10.0.0/8", "x/8"])
            assert.ok(!isValidCidr(badCidr), badCidr);
    });
});
