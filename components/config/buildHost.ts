// rhcos-forge:buildHost: where builds run (digitalocean, ssh or local).
import { z } from "zod";
import { parseHostKeyLine } from "../ssh/hostKey";
import { cidr, port, workDir } from "./validators";

const buildHostCommon = {
    workDir: workDir.describe("Directory on the build host for scripts, builds and the mirror."),
};

/** The user rhcos-forge logs in as on a droplet or an ssh host. */
const sshUser = z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, "must be a user name")
    .default("root")
    .describe("SSH user.");

export const buildHostSchema = z.discriminatedUnion(
    "provider",
    [
        z
            .object({
                provider: z.literal("digitalocean").describe("Where builds run: digitalocean, ssh or local."),
                region: z
                    .string({ required_error: 'is required for a digitalocean build host (e.g. "fra1")' })
                    .regex(/^[a-z]{3}[0-9]$/, "must be a DigitalOcean region slug such as fra1 or nyc3")
                    .describe("DigitalOcean region slug."),
                size: z
                    .string()
                    .regex(/^[a-z0-9-]+$/, "must be a droplet size slug")
                    .default("s-4vcpu-8gb")
                    .describe("Droplet size; builds want at least 4 vCPU / 8 GB."),
                image: z
                    .string()
                    .regex(/^[a-z0-9.-]+$/, "must be a droplet image slug")
                    .default("centos-stream-9-x64")
                    .describe("Droplet image: an EL9 with KVM for nested virtualization (cosa builds)."),
                volumeSizeGb: z
                    .number()
                    .int()
                    .min(50, "must be at least 50 (container storage and the mirror)")
                    .max(16384)
                    .default(200)
                    .describe("Size of the volume holding container storage and the RPM mirror."),
                allowedCidrs: z
                    .array(cidr)
                    .min(1, "must list at least one CIDR allowed to reach SSH and the mirror")
                    .describe("Source CIDRs allowed to reach SSH and the mirror port."),
                sshPublicKey: z
                    .string()
                    .regex(
                        /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/,
                        "must be an OpenSSH public key line",
                    )
                    .describe("Public half of rhcos-forge:sshPrivateKey, installed on the droplet."),
                user: sshUser,
                nestedVirtualization: z
                    .boolean()
                    .default(false)
                    .describe(
                        "You state that droplets of this size expose /dev/kvm (nested virtualization): " +
                            "image.builder cosa needs it, and DigitalOcean documents no list of sizes that do.",
                    ),
                ...buildHostCommon,
            })
            .strict(),
        z
            .object({
                provider: z.literal("ssh").describe("Where builds run: digitalocean, ssh or local."),
                host: z
                    .string()
                    .min(1, "must be a host name or address")
                    .regex(/^[A-Za-z0-9.:\[\]-]+$/, "must be a host name or address")
                    .describe("Address of an existing build host."),
                port: port.default(22).describe("SSH port."),
                user: sshUser,
                register: z
                    .boolean()
                    .default(false)
                    .describe(
                        "Register the RHEL host with subscription-manager (rhcos-forge:rhsmOrg, " +
                            "rhcos-forge:rhsmActivationKey) when it is made ready and unregister it on destroy; " +
                            "podman then passes the host's entitlement into builds.",
                    ),
                hostKey: z
                    .string()
                    .superRefine((line, ctx) => {
                        const key = parseHostKeyLine(line);
                        if (typeof key === "string") ctx.addIssue({ code: z.ZodIssueCode.custom, message: key });
                    })
                    .optional()
                    .describe(
                        "The host's SSH host key, one `ssh-keyscan -t ed25519 -p <port> <host>` line (checked " +
                            "out of band); checked before the first connection, a mismatch naming both " +
                            "fingerprints, and every connection refuses any other key.",
                    ),
                insecureAcceptAnyHostKey: z
                    .boolean()
                    .default(false)
                    .describe(
                        "Connect without hostKey, accepting whatever key the host presents (anyone on the " +
                            "path can impersonate the build host).",
                    ),
                ...buildHostCommon,
            })
            .strict(),
        z
            .object({
                provider: z.literal("local").describe("Where builds run: digitalocean, ssh or local."),
                ...buildHostCommon,
            })
            .strict(),
    ],
    { errorMap: () => ({ message: "must have provider digitalocean, ssh or local" }) },
);

/**
 * Whether the stack has a build host: always, except on-cluster layering without mirror content
 * (the host then serves only the mirror the on-cluster build installs from).
 */
export function needsBuildHost(cfg: {
    rollout: { method: string };
    mirror: { repos: readonly unknown[]; packageSet: { packages: readonly unknown[] } };
}): boolean {
    return (
        cfg.rollout.method !== "machineosconfig" ||
        cfg.mirror.repos.length > 0 ||
        cfg.mirror.packageSet.packages.length > 0
    );
}
