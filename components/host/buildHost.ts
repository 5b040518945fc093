// BuildHost: where builds run. A DigitalOcean droplet made for it, an existing host over SSH, or
// the machine running Pulumi. Every provider ends in the same readiness step (host-ready.sh), and
// hands the other components one HostHandle.
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { contentHash, nodeProgramCommand } from "../shell";
import { generatedSecret } from "./generatedSecret";
import { HostKeyPair, authorizedKey, generateHostKeyPair, parseHostKeyLine } from "../ssh/hostKey";
import { HostHandle, SECRET_OUTPUTS, scriptStep, scriptText } from "./step";
import { renderSubscriptionBundle } from "./subscription";

/** What every build host has. */
interface BuildHostCommon {
    /** Directory on the build host for scripts, builds and the mirror. */
    readonly workDir: string;
}

/** A DigitalOcean droplet made for the builds, with a volume and a firewall. */
export interface DigitalOceanBuildHost extends BuildHostCommon {
    readonly provider: "digitalocean";
    /** Region slug, e.g. fra1. */
    readonly region: string;
    /** Droplet size slug; builds want at least 4 vCPU / 8 GB. */
    readonly size: string;
    /** Droplet image slug: an EL9 with KVM for nested virtualization (cosa builds). */
    readonly image: string;
    /** Size of the volume holding container storage and the RPM mirror. */
    readonly volumeSizeGb: number;
    /** Source CIDRs allowed to reach SSH and the mirror port. */
    readonly allowedCidrs: readonly string[];
    /** Public half of the SSH private key, installed on the droplet. */
    readonly sshPublicKey: string;
    /** SSH user. */
    readonly user: string;
}

/** An existing host reached over SSH. */
export interface SshBuildHost extends BuildHostCommon {
    readonly provider: "ssh";
    /** Host name or address. */
    readonly host: string;
    /** SSH port. */
    readonly port: number;
    /** SSH user. */
    readonly user: string;
    /** The host's SSH host key, one ssh-keyscan line; unset accepts any key (insecure). */
    readonly hostKey?: string;
}

/** The machine running Pulumi. */
export interface LocalBuildHost extends BuildHostCommon {
    readonly provider: "local";
}

/** Which host builds run on and how to reach it (rhcos-forge:buildHost satisfies it). */
export type BuildHostSpec = DigitalOceanBuildHost | SshBuildHost | LocalBuildHost;

export interface BuildHostArgs {
    /** Which host and how to reach it (rhcos-forge:buildHost). */
    readonly config: BuildHostSpec;
    /** SSH private key for ssh/digitalocean hosts; a secret. */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** Port the RPM mirror is served on, opened in the droplet firewall; undefined: bound to loopback, not opened. */
    readonly mirrorPort?: number;
    /** Override for the address build containers use to reach the host's services. */
    readonly buildAddress?: string;
    /**
     * More sources allowed to the mirror port only (rhcos-forge:cluster.egressCidrs: the cluster's
     * nodes, whose on-cluster builds install from the mirror); none when unset.
     */
    readonly mirrorCidrs?: readonly string[];
    /**
     * buildHost.register (ssh): subscription-manager org and activation key; secrets. The host is
     * registered once it is ready (every step waits for it) and unregistered on destroy.
     */
    readonly subscription?: { readonly org: pulumi.Input<string>; readonly activationKey: pulumi.Input<string> };
    /**
     * The host must offer KVM (image.builder cosa: coreos-assembler builds inside a VM). The
     * readiness step checks /dev/kvm before anything else, so a host without nested
     * virtualization fails there, naming the config key, before the mirror or any build exists.
     */
    readonly needsKvm?: boolean;
}

/** What host-ready.sh reports about a host that can build. */
export interface HostFacts {
    readonly arch: string;
    readonly podman: string;
}

function validateReadyResult(r: unknown): HostFacts {
    const f = r as { ready?: unknown; arch?: unknown; podman?: unknown } | null;
    if (
        f === null ||
        typeof f !== "object" ||
        f.ready !== true ||
        typeof f.arch !== "string" ||
        typeof f.podman !== "string"
    ) {
        throw new Error(
            `host-ready.sh reported ${JSON.stringify(r)?.slice(0, 200)}, expected {"ready": true, "arch", "podman"}`,
        );
    }
    return { arch: f.arch, podman: f.podman };
}

/** The provider's connection.hostKey for a pinned line (the schema has validated it). */
export function pinnedHostKey(line: string): string {
    const key = parseHostKeyLine(line);
    if (typeof key === "string") throw new Error(`host key ${JSON.stringify(line)} ${key}`);
    return authorizedKey(key);
}

/**
 * cloud-config that installs the droplet's SSH host key, writes prepare-host.sh and its env file,
 * then runs it once on first boot. The host key goes through cloud-init's cc_ssh: `ssh_deletekeys`
 * removes the image's own keys (`/etc/ssh/ssh_host_*key*`) and `ssh_keys` (`ed25519_private` /
 * `ed25519_public`) installs the pair. No `ssh_genkeytypes`: cc_ssh's `handle` reads it only when
 * `ssh_keys` is absent (`if "ssh_keys" in cfg: ... else: genkeys = ...ssh_genkeytypes`), so with
 * the pair given it generates no key of any type, and sshd presents only the key the connections
 * pin (canonical/cloud-init cloudinit/config/cc_ssh.py, main and 22.4.2, Debian bookworm's). An
 * empty list, which said the same thing, is invalid: the schema requires at least one type
 * (schema-cloud-config-v1.json `ssh_genkeytypes.minItems: 1`), and `cloud-init schema` refused the
 * whole file with "ssh_genkeytypes: [] is too short". test/unit/pipeline/program.test.ts runs
 * `cloud-init schema -c` on this text. cc_ssh runs in cloud-init's network stage, which systemd
 * orders before sshd-keygen and sshd (systemd/cloud-init-network.service.tmpl, main:
 * `Before=sshd.service`; systemd/disable-sshd-keygen-if-cloud-init-active.conf keeps RHEL's
 * sshd-keygen@ from adding the other types), so sshd never presents another key first; that
 * matters, as the host key check (hostKeyCheck.ts) fails the up at once on a key other than the
 * pinned one. The text holds a private key: callers wrap it in pulumi.secret.
 */
export function renderCloudInit(workDir: string, volumeName: string, hostKey: HostKeyPair): string {
    const script = Buffer.from(scriptText("prepare-host.sh"), "utf8").toString("base64");
    return [
        "#cloud-config",
        "ssh_deletekeys: true",
        "ssh_keys:",
        "  ed25519_private: |",
        ...hostKey.privateKey
            .trimEnd()
            .split("\n")
            .map(l => `    ${l}`),
        `  ed25519_public: ${hostKey.publicKey}`,
        "write_files:",
        "  - path: /etc/rhcos-forge/host.env",
        "    permissions: '0644'",
        "    content: |",
        `      RF_ROOT=${workDir}`,
        `      RF_VOLUME_NAME=${volumeName}`,
        "  - path: /usr/local/libexec/rhcos-forge/prepare-host.sh",
        "    permissions: '0755'",
        "    encoding: b64",
        `    content: ${script}`,
        "runcmd:",
        "  - [/usr/local/libexec/rhcos-forge/prepare-host.sh]",
        "",
    ].join("\n");
}

/**
 * The check that the host offers the pinned key, before anything connects to it with the command
 * provider (hostKeyCheck.ts says why: upstream's own refusal names neither host nor key, after
 * retrying). Its command line holds only the address and the public key; a changed address or
 * pin runs it again. `waitSeconds`: how long a host may take to answer at all.
 */
function hostKeyCheck(
    name: string,
    host: pulumi.Input<string>,
    port: number,
    pinned: pulumi.Input<string>,
    waitSeconds: number,
    pinnedBy: string,
    opts: { readonly parent: pulumi.Resource; readonly dependsOn: pulumi.Resource[] },
): command.local.Command {
    return new command.local.Command(
        `${name}-host-key-check`,
        {
            create: pulumi
                .all([host, pinned])
                .apply(([h, key]) =>
                    nodeProgramCommand(__dirname, "hostKeyCheck", [
                        h,
                        String(port),
                        key,
                        String(waitSeconds),
                        pinnedBy,
                    ]),
                ),
            interpreter: ["/bin/sh", "-c"],
            logging: "stderr",
            addPreviousOutputInEnv: false,
        },
        { parent: opts.parent, dependsOn: opts.dependsOn, additionalSecretOutputs: [...SECRET_OUTPUTS] },
    );
}

/** The pair as the state keeps it (JSON of generateHostKeyPair's result). */
function parseHostKeyPair(kept: string): HostKeyPair {
    const p = JSON.parse(kept) as Partial<HostKeyPair>;
    if (
        typeof p.privateKey !== "string" ||
        !p.privateKey.includes("OPENSSH PRIVATE KEY") ||
        typeof p.publicKey !== "string" ||
        typeof parseHostKeyLine(p.publicKey) === "string"
    ) {
        throw new Error("the host key kept in the state is no {privateKey, publicKey} pair");
    }
    return { privateKey: p.privateKey, publicKey: p.publicKey };
}

export class BuildHost extends pulumi.ComponentResource {
    /** Address other machines use to reach the host. */
    public readonly address: pulumi.Output<string>;
    /** Which provider made the host. */
    public readonly provider: BuildHostSpec["provider"];
    /** What other components use to run steps on the host. */
    public readonly handle: HostHandle;
    /** Architecture and podman version the readiness check found. */
    public readonly facts: pulumi.Output<HostFacts>;

    constructor(name: string, args: BuildHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rhcos-forge:host:BuildHost", name, {}, opts);
        const cfg = args.config;
        this.provider = cfg.provider;

        let connection: pulumi.Output<command.types.input.remote.ConnectionArgs> | undefined;
        let address: pulumi.Output<string>;
        let buildAddress: pulumi.Output<string>;
        let infra: pulumi.Resource[] = [];

        switch (cfg.provider) {
            case "digitalocean": {
                const volumeName = `${name}-data`;
                // The droplet's host key is made here, not on the droplet, so the first connection
                // already pins it (no trust on first use). Made once in this process and kept in
                // the state, encrypted, for every later `pulumi up` (generatedSecret.ts).
                const generated = generatedSecret(`${name}-host-key`, JSON.stringify(generateHostKeyPair()), this);
                const hostKey = pulumi.secret(generated.apply(parseHostKeyPair));
                const pinned = pulumi.unsecret(hostKey.apply(k => pinnedHostKey(k.publicKey)));
                const key = new digitalocean.SshKey(
                    `${name}-key`,
                    {
                        name: `${name}-rhcos-forge`,
                        publicKey: cfg.sshPublicKey,
                    },
                    { parent: this },
                );
                const volume = new digitalocean.Volume(
                    `${name}-volume`,
                    {
                        name: volumeName,
                        region: cfg.region,
                        size: cfg.volumeSizeGb,
                        initialFilesystemType: "ext4",
                        description: "rhcos-forge container storage and RPM mirror",
                    },
                    { parent: this },
                );
                const droplet = new digitalocean.Droplet(
                    `${name}-droplet`,
                    {
                        name: `${name}-rhcos-forge`,
                        region: cfg.region,
                        size: cfg.size,
                        image: cfg.image,
                        sshKeys: [key.fingerprint],
                        userData: pulumi.secret(hostKey.apply(k => renderCloudInit(cfg.workDir, volumeName, k))),
                        monitoring: true,
                        tags: ["rhcos-forge"],
                    },
                    { parent: this },
                );
                const attachment = new digitalocean.VolumeAttachment(
                    `${name}-attach`,
                    {
                        dropletId: droplet.id.apply(Number),
                        volumeId: volume.id,
                    },
                    { parent: this },
                );
                const firewall = new digitalocean.Firewall(
                    `${name}-firewall`,
                    {
                        name: `${name}-rhcos-forge`,
                        dropletIds: [droplet.id.apply(Number)],
                        inboundRules: [
                            { protocol: "tcp", portRange: "22", sourceAddresses: [...cfg.allowedCidrs] },
                            ...(args.mirrorPort === undefined
                                ? []
                                : [
                                      {
                                          protocol: "tcp",
                                          portRange: String(args.mirrorPort),
                                          sourceAddresses: [
                                              ...new Set([...cfg.allowedCidrs, ...(args.mirrorCidrs ?? [])]),
                                          ],
                                      },
                                  ]),
                        ],
                        outboundRules: [
                            { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                            { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                            { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
                        ],
                    },
                    { parent: this },
                );
                address = droplet.ipv4Address;
                buildAddress =
                    args.buildAddress !== undefined ? pulumi.output(args.buildAddress) : droplet.ipv4AddressPrivate;
                connection = pulumi.output({
                    host: droplet.ipv4Address,
                    user: cfg.user,
                    privateKey: pulumi.secret(args.sshPrivateKey ?? ""),
                    hostKey: pinned,
                    dialErrorLimit: 60,
                    perDialTimeout: 10,
                });
                // The droplet boots and cloud-init installs its key before sshd starts: the check
                // waits as long as the connection's dials would (60 x 10 s).
                const check = hostKeyCheck(
                    name,
                    droplet.ipv4Address,
                    22,
                    pinned,
                    600,
                    "the key rhcos-forge generated for the droplet (cloud-init ssh_keys)",
                    { parent: this, dependsOn: [firewall] },
                );
                infra = [attachment, firewall, check];
                break;
            }
            case "ssh":
                address = pulumi.output(cfg.host);
                buildAddress = pulumi.output(args.buildAddress ?? cfg.host);
                connection = pulumi.output({
                    host: cfg.host,
                    port: cfg.port,
                    user: cfg.user,
                    privateKey: pulumi.secret(args.sshPrivateKey ?? ""),
                    // Unset only with buildHost.insecureAcceptAnyHostKey (the schema requires one
                    // or the other): the provider then accepts any key.
                    ...(cfg.hostKey !== undefined ? { hostKey: pinnedHostKey(cfg.hostKey) } : {}),
                });
                if (cfg.hostKey !== undefined) {
                    infra = [
                        hostKeyCheck(
                            name,
                            cfg.host,
                            cfg.port,
                            pinnedHostKey(cfg.hostKey),
                            30,
                            "rhcos-forge:buildHost.hostKey",
                            { parent: this, dependsOn: [] },
                        ),
                    ];
                }
                break;
            case "local":
                address = pulumi.output("127.0.0.1");
                buildAddress = pulumi.output(args.buildAddress ?? "127.0.0.1");
                break;
        }

        // Readiness: shipped and run like every other step; it waits for cloud-init where there is
        // one. Its scripts go outside workDir, which cloud-init may not have mounted yet.
        const unready = { provider: cfg.provider, connection, workDir: cfg.workDir, address, buildAddress };
        const remoteDir = `/tmp/rhcos-forge-ready`;
        const ready = scriptStep(
            name,
            "ready",
            { ...unready, ready: this },
            {
                scripts: [{ script: "host-ready.sh", env: args.needsKvm ? { RF_NEED_KVM: "1" } : {} }],
                triggers: [],
                remoteDir,
                validate: validateReadyResult,
            },
            { parent: this, shipAs: `${name}-ready-script`, dependsOn: infra },
        );

        // A registered RHEL host: podman passes its entitlement into builds (the MCO's layering
        // docs, "Entitled Packages"). Registering is part of being ready.
        let readyResource: pulumi.Resource = ready.resource;
        if (args.subscription !== undefined) {
            const stdin = pulumi.secret(
                pulumi
                    .all([args.subscription.org, args.subscription.activationKey])
                    .apply(([org, key]) => renderSubscriptionBundle(org, key)),
            );
            const registered = scriptStep(
                name,
                "register",
                { ...unready, ready: ready.resource },
                {
                    scripts: [{ script: "rhsm-register.sh", env: { RF_RHSM_ACTION: "register" } }],
                    stdin,
                    // A new org or key registers again on the next up only if the host is unregistered
                    // (the script keeps an existing identity); the hash only re-runs the step.
                    triggers: [stdin.apply(t => contentHash(t))],
                    onDelete: { script: "rhsm-register.sh", env: { RF_RHSM_ACTION: "unregister" } },
                    validate: r => {
                        const v = r as { registered?: unknown } | null;
                        if (v === null || typeof v !== "object" || v.registered !== true)
                            throw new Error(
                                `rhsm-register.sh reported ${JSON.stringify(r)?.slice(0, 200)}, expected ` +
                                    `{"registered": true}`,
                            );
                        return true;
                    },
                },
                { parent: this },
            );
            readyResource = registered.resource;
        }

        this.address = address;
        this.handle = { ...unready, ready: readyResource };
        this.facts = ready.result;
        this.registerOutputs({ address: this.address, provider: this.provider, facts: this.facts });
    }
}
