// The one place stack configuration is defined, defaulted and validated.
//
// index.ts reads every `rhcos-forge:*` key once, hands the raw values to `parseStackConfig`, and
// only then registers resources: a bad stack fails with one message listing every bad key, the
// value given and what is expected, and nothing is created. Components never read config.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { renderOnClusterContainerfile } from "../image/containerfile";
import { KERNEL_SUBPACKAGES, kernelSubpackage } from "../image/steps";
import { KERNEL_TYPES } from "../openshift/machineConfig";
import {
    CONTAINERFILE_ARCHES, checkContainerfile, checkRenderedImagePushSpec, machineOSConfigApi, renderedImagePushSpec,
} from "../openshift/machineOsConfig";
import { DIGEST_REF, REPOSITORY } from "../openshift/pullspec";
import { EXTENSIONS, OS_IMAGE_COMPONENTS, RELEASES, cosaBranchRelease, layeringDialect, supportedExtensions } from "../openshift/releases";
import { semverProblem } from "../openshift/semver";
import { OPENSHIFT_VERSIONS, OpenShiftVersion } from "../openshift/versions";
import { kubeconfigProblem } from "./kubeconfig";
import { checkRhelContent, repoContentFields, rhelSecrets } from "./rhelContent";
import { checkRetention, checkSigning, retentionSchema, signingSchema, signingSecrets } from "./signing";
import { checkFleet, poolHealthFields, upgradeSchema } from "./fleet";
import { parseHostKeyLine } from "../ssh/hostKey";

export const NAMESPACE = "rhcos-forge";

/** RPM package names and NEVRAs: no spaces or shell metacharacters (they are rendered into RUN lines). */
const RPM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+:~^-]*$/;
/** Repo ids and pool names double as dnf section names, directory names and Kubernetes names. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.(service|socket|timer|path|mount|target)$/;
const OCTAL_MODE = /^0?[0-7]{3,4}$/;

function isAuthJson(text: string): boolean {
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === "object" && parsed !== null && "auths" in parsed;
    } catch {
        return false;
    }
}

/** An IPv4 or IPv6 address literal (no prefix, no host name). */
export function isIpAddress(value: string): boolean {
    return isValidCidr(`${value}/32`) || isValidCidr(`${value}/128`);
}

export function isValidCidr(value: string): boolean {
    const [addr, prefix, ...rest] = value.split("/");
    if (rest.length > 0 || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
    const bits = Number(prefix);
    if (/^[0-9.]+$/.test(addr)) {
        const octets = addr.split(".");
        return octets.length === 4 && octets.every(o => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255) && bits <= 32;
    }
    if (!/^[0-9a-fA-F:]+$/.test(addr) || bits > 128) return false;
    const halves = addr.split("::");
    if (halves.length > 2) return false;
    const groups = halves.flatMap(h => (h === "" ? [] : h.split(":")));
    if (!groups.every(g => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
    return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

const port = z.number({ invalid_type_error: "must be a port number (1-65535)" })
    .int("must be a port number (1-65535)")
    .min(1, "must be a port number (1-65535)")
    .max(65535, "must be a port number (1-65535)");
const cidr = z.string().refine(isValidCidr, "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
const rpmName = z.string()
    .min(1, "must be a non-empty RPM package name")
    .regex(RPM_NAME, "must be an RPM package name (letters, digits, . _ + - : ~ ^; no spaces or shell characters)");
// No control characters either: the URL is rendered into .repo lines (a NUL passed \s).
const httpUrl = z.string().regex(/^https?:\/\/[^\s'"\\\u0000-\u001f\u007f]+$/, "must be an http(s) URL without spaces, quotes or control characters");
const workDir = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path of plain characters").default("/var/lib/rhcos-forge");

const buildHostCommon = {
    workDir: workDir.describe("Directory on the build host for scripts, builds and the mirror."),
};

export const buildHostSchema = z.discriminatedUnion("provider", [
    z.object({
        provider: z.literal("digitalocean").describe("Where builds run: digitalocean, ssh or local."),
        region: z.string({ required_error: "is required for a digitalocean build host (e.g. \"fra1\")" })
            .regex(/^[a-z]{3}[0-9]$/, "must be a DigitalOcean region slug such as fra1 or nyc3")
            .describe("DigitalOcean region slug."),
        size: z.string().regex(/^[a-z0-9-]+$/, "must be a droplet size slug").default("s-4vcpu-8gb")
            .describe("Droplet size; builds want at least 4 vCPU / 8 GB."),
        image: z.string().regex(/^[a-z0-9.-]+$/, "must be a droplet image slug").default("centos-stream-9-x64")
            .describe("Droplet image: an EL9 with KVM for nested virtualization (cosa builds)."),
        volumeSizeGb: z.number().int().min(50, "must be at least 50 (container storage and the mirror)").max(16384).default(200)
            .describe("Size of the volume holding container storage and the RPM mirror."),
        allowedCidrs: z.array(cidr).min(1, "must list at least one CIDR allowed to reach SSH and the mirror")
            .describe("Source CIDRs allowed to reach SSH and the mirror port."),
        sshPublicKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, "must be an OpenSSH public key line")
            .describe("Public half of rhcos-forge:sshPrivateKey, installed on the droplet."),
        user: z.string().regex(/^[a-z_][a-z0-9_-]*$/).default("root").describe("SSH user."),
        ...buildHostCommon,
    }).strict(),
    z.object({
        provider: z.literal("ssh").describe("Where builds run: digitalocean, ssh or local."),
        host: z.string().min(1, "must be a host name or address").regex(/^[A-Za-z0-9.:\[\]-]+$/, "must be a host name or address")
            .describe("Address of an existing build host."),
        port: port.default(22).describe("SSH port."),
        user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user name").default("root").describe("SSH user."),
        register: z.boolean().default(false)
            .describe("Register the RHEL host with subscription-manager (rhcos-forge:rhsmOrg, rhcos-forge:rhsmActivationKey) when it is made ready and unregister it on destroy; podman then passes the host's entitlement into builds."),
        hostKey: z.string().superRefine((line, ctx) => {
            const key = parseHostKeyLine(line);
            if (typeof key === "string") ctx.addIssue({ code: z.ZodIssueCode.custom, message: key });
        }).optional()
            .describe("The host's SSH host key, one `ssh-keyscan -t ed25519 -p <port> <host>` line (checked out of band); checked before the first connection, a mismatch naming both fingerprints, and every connection refuses any other key."),
        insecureAcceptAnyHostKey: z.boolean().default(false)
            .describe("Connect without hostKey, accepting whatever key the host presents (anyone on the path can impersonate the build host)."),
        ...buildHostCommon,
    }).strict(),
    z.object({
        provider: z.literal("local").describe("Where builds run: digitalocean, ssh or local."),
        ...buildHostCommon,
    }).strict(),
], { errorMap: () => ({ message: "must have provider digitalocean, ssh or local" }) });

const repoSchema = z.object({
    id: z.string().regex(REPO_ID, "must be a repo id (letters, digits, . _ -)").describe("dnf repo id; also the mirror sub-directory."),
    baseurl: httpUrl.describe("Upstream baseurl."),
    gpgcheck: z.boolean().default(true).describe("Check package signatures when building."),
    gpgkey: httpUrl.optional().describe("GPG key URL; required while gpgcheck is true."),
    username: z.string().regex(/^[^\s'"\\]+$/, "must be a user name without spaces or quotes").optional()
        .describe("User for an authenticated upstream; the password is rhcos-forge:mirrorPasswords.<id>."),
    ...repoContentFields,
}).strict();

export const mirrorSchema = z.object({
    port: port.default(5180).describe("HTTP port the mirror is served on."),
    // An address, not just its characters ("..", "1.2.3" passed the character check and failed on the host).
    bind: z.string().refine(isIpAddress, "must be an IP address such as 10.0.0.5, 127.0.0.1 or 0.0.0.0")
        .optional().describe("Address the HTTP server binds (default: the address builds reach the mirror at, rhcos-forge:mirror.buildAddress or the host's: a droplet's private IPv4, an ssh host's address, 127.0.0.1 for local; 0.0.0.0 serves every interface)."),
    auth: z.enum(["basic", "none"]).default("basic")
        .describe("basic: every request needs HTTP basic auth (user rhcos-forge, the password rhcos-forge:mirrorPassword or one generated and kept secret in the state); none: anyone who reaches the port reads the mirror."),
    serve: z.enum(["systemd", "background", "none"]).default("systemd").describe("How the mirror is served: a systemd unit, a background process, or not at all."),
    newestOnly: z.boolean().default(true).describe("Mirror only the newest version of each package."),
    repos: z.array(repoSchema).default([]).describe("Upstream repos mirrored with `dnf reposync`."),
    packageSet: z.object({
        id: z.string().regex(REPO_ID, "must be a repo id").default("rhcos-forge-extras").describe("Repo id (and directory) of the package set."),
        packages: z.array(rpmName).default([]).describe("Packages downloaded with their dependencies into the package-set repo (`dnf download --resolve`)."),
        allDeps: z.boolean().default(false).describe("Also download dependencies the build host already has (`--alldeps`)."),
    }).strict().default({}).describe("Packages downloaded with their dependencies (`dnf download --resolve`) into one repo."),
    buildAddress: z.string().regex(/^[A-Za-z0-9.:\[\]-]+$/, "must be a host name or address").optional()
        .describe("Address build containers use to reach the mirror (default: the host's private address, or 127.0.0.1 for local)."),
}).strict();

/** `/etc//a/./b/` and `/etc/a/b` are one file: compare paths in this form. */
export function normalFilePath(p: string): string {
    return p.split("/").filter(seg => seg !== "" && seg !== ".").reduce((acc, seg) => `${acc}/${seg}`, "") || "/";
}

/**
 * RHCOS keeps /opt and /usr/local as symlinks into /var: rpm-ostree composes /opt → /var/opt and
 * /usr/local → /var/usrlocal unless a treefile sets opt-usrlocal, which openshift/os does not
 * (openshift/os build-node-image.sh on release-4.20 creates /var/opt before composing for that
 * reason). An image's /var is copied to a node only when the node's /var is still empty, that is
 * at first boot, and never updated afterwards (ostreedev/ostree docs/var.md, "Default
 * commit/image /var handling" and "Pitfalls"; the example there is exactly /opt). So a file
 * there reaches newly provisioned nodes only, and never the existing nodes a rollout targets.
 */
const VAR_SYMLINKS: readonly (readonly [string, string])[] = [["/opt", "/var/opt"], ["/usr/local", "/var/usrlocal"]];

function varSymlinkProblem(p: string): string | undefined {
    const path = normalFilePath(p);
    const hit = VAR_SYMLINKS.find(([dir]) => path === dir || path.startsWith(`${dir}/`));
    if (hit === undefined) return undefined;
    const [dir, target] = hit;
    return `is under ${dir}, which on RHCOS is a symlink to ${target}: an image's /var content reaches only newly provisioned nodes, so existing nodes never get this file; ` +
        `put it under /usr (e.g. /usr/lib/<name>/...) and, if it must appear at ${dir}, add an image.files entry /usr/lib/tmpfiles.d/<name>.conf with "L+ ${dir}/<name> - - - - /usr/lib/<name>"`;
}

/**
 * The Containerfile instructions buildah's parser dispatches (openshift/imagebuilder
 * dockerfile/parser/parser.go, the `dispatch` table). An extraSteps entry is rendered as
 * `RUN <entry> && ostree container commit`, so an entry that is itself an instruction (`RUN dnf
 * ...`, `COPY a b`) becomes a shell command of that name. Matched in upper case only: the parser
 * ignores case, but lower-case `env FOO=1 cmd` is a real shell command.
 */
const CONTAINERFILE_INSTRUCTIONS = [
    "FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR", "LABEL", "ENTRYPOINT", "CMD", "VOLUME", "EXPOSE",
    "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER",
] as const;
const INSTRUCTION_START = new RegExp(`^\\s*(${CONTAINERFILE_INSTRUCTIONS.join("|")})(\\s|$)`);

const extraStep = z.string().min(1, "must be a non-empty shell command")
    // A newline ends the RUN line: podman reads the rest as the next instruction and stops with
    // "Unknown instruction".
    .refine(step => !/[\r\n]/.test(step), "must be one shell command on one line (a newline ends the RUN and podman refuses the next line as an unknown instruction); join commands with && or use one entry per command")
    // Any other control character (a NUL, an escape) breaks or garbles the RUN line; tabs are fine.
    .refine(step => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(step), "must not hold control characters (tabs are fine)")
    .superRefine((step, ctx) => {
        const word = INSTRUCTION_START.exec(step)?.[1];
        if (word !== undefined) {
            ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message: `must be a shell command, not a Containerfile instruction (${word}): each entry is rendered as \`RUN <entry> && ostree container commit\`; ${word === "RUN" ? "drop the leading RUN" : "other instructions are not supported (files go in image.files, labels in image.labels)"}`,
            });
        }
    });

const imagePath = z.string().regex(/^\/(etc|usr|opt)\/[A-Za-z0-9._@+/-]+$/, "must be an absolute path under /etc, /usr or /opt (the rest of an RHCOS image is not kept)")
    .refine(p => !p.split("/").includes(".."), "must not contain ..")
    .superRefine((p, ctx) => {
        const problem = varSymlinkProblem(p);
        if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    });

/**
 * A file or directory of the repository, relative to the Pulumi project root (the program's
 * working directory); it must exist when the stack is parsed, so a typo fails before anything
 * is built.
 */
const repoSource = z.string()
    .regex(/^[A-Za-z0-9._][A-Za-z0-9._@+/-]*$/, "must be a path relative to the Pulumi project root (plain characters)")
    .refine(p => !p.split("/").includes(".."), "must not contain .. (sources stay inside the project)")
    .refine(p => fs.existsSync(path.resolve(process.cwd(), p)), () => ({ message: `names no file or directory under the Pulumi project root ${process.cwd()}` }));

const fileSchema = z.object({
    path: imagePath
        .describe("Absolute path in the image (not under /opt or /usr/local: on RHCOS those live in /var, which existing nodes never receive)."),
    content: z.string().optional().describe("File content (or set source)."),
    source: repoSource.optional()
        .describe("A file or directory of the repository, relative to the Pulumi project root, copied byte for byte (a directory lands below path); shipped in the build context and hashed into the build id."),
    mode: z.string().regex(OCTAL_MODE, "must be an octal mode such as 0644").optional()
        .describe("Octal file mode; 0644 for content, the repository file's own mode for source when unset."),
    secret: z.boolean().default(false)
        .describe("Never show the content (`pulumi preview --diff` shows its hash only); set the content with `pulumi config set --secret --path`."),
}).strict();

/** Plain absolute paths: COPY takes its arguments literally (no shell quoting to hide characters in). */
const copyPath = z.string().regex(/^\/[A-Za-z0-9._@+/*-]*$/, "must be an absolute path of plain characters (COPY takes it literally)");
const STAGE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const stageName = z.string().regex(STAGE_NAME, "must be a stage name (lower-case letters, digits, -)");

const stageCopy = z.object({
    from: stageName.describe("Stage the path comes from."),
    src: copyPath.describe("Path in the stage."),
    dst: copyPath.describe("Path in the image."),
}).strict();

const runList = z.array(extraStep).min(1, "must list at least one command");
const stageStepSchema = z.object({
    files: z.array(fileSchema).min(1).optional().describe("Files written into the stage."),
    run: runList.optional().describe("Shell commands, one line each, run in one RUN of the stage."),
    copy: z.array(stageCopy).min(1).optional().describe("`COPY --from=<earlier stage> src dst`."),
}).strict();

const installItem = z.union([httpUrl, rpmName, z.object({ source: repoSource }).strict()], {
    errorMap: () => ({ message: "must be a package name, an http(s) RPM URL or {source: <RPM file of the repository>}" }),
});

const STEP_ACTIONS = ["install", "remove", "replace", "files", "enable", "run", "copy", "kernelModules"] as const;
const stepSchema = z.object({
    install: z.array(installItem).min(1).optional().describe("RPMs installed (names from the mirror, http(s) URLs, or {source} RPM files of the repository); the mirror's .repo file exists only inside this RUN."),
    remove: z.array(rpmName).min(1).optional().describe("Base packages removed."),
    replace: z.array(z.union([httpUrl, rpmName])).min(1).optional()
        .describe("Base packages swapped with rpm-ostree override replace (URLs, or names from the mirror); replacing the kernel takes all of kernel, kernel-core, kernel-modules, kernel-modules-core, kernel-modules-extra and installs cliwrap first."),
    from: z.string().regex(REPO_ID).optional().describe("Mirror repo id package names in replace come from (default: the first mirror repo)."),
    files: z.array(fileSchema).min(1).optional().describe("Files added (content or source), COPYed and chmodded in this step."),
    enable: z.array(z.string().regex(UNIT_NAME, "must be a systemd unit name such as foo.service")).min(1).optional().describe("systemd units enabled."),
    run: runList.optional().describe("Shell commands, one line each, run in one RUN."),
    copy: z.array(stageCopy.extend({ dst: imagePath.describe("Path in the image (under /etc or /usr, as image.files).") }))
        .min(1).optional().describe("Paths copied from a builder stage (`COPY --from=<stage> src dst`)."),
    kernelModules: z.array(z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a kernel module name").describe("Module name (file name without .ko)."),
        stage: stageName.describe("Builder stage the module was built in."),
        path: z.string().regex(/^\/[A-Za-z0-9._@+/-]+\.ko$/, "must be the absolute path of a .ko file").describe("Path of the .ko in the stage."),
    }).strict()).min(1).optional()
        .describe("Kernel modules from a builder stage: checked against the base image's kernel-core (vermagic), installed under /usr/lib/modules/<kver>/extra/, depmod, and loaded at boot (/usr/lib/modules-load.d)."),
}).strict();

const stageSchema = z.object({
    name: stageName.describe("Stage name (`FROM … AS <name>`)."),
    base: z.string().refine(v => v === "driver-toolkit" || DIGEST_REF.test(v), "must be pinned by digest (…@sha256:<64 hex>) or be \"driver-toolkit\"")
        .describe("The stage's FROM, by digest, or \"driver-toolkit\": the cluster's driver-toolkit image (ImageStream openshift/driver-toolkit, tag latest, by digest; needs rhcos-forge:kubeconfig), for building kernel modules against the release's kernel."),
    steps: z.array(stageStepSchema).default([]).describe("Steps of the stage, in order."),
}).strict();

/** Day-0 media `cosa osbuild <platform>` makes (metal, metal4k, live). */
export const COSA_ARTIFACTS = ["metal", "metal4k", "live"] as const;

const cosaSchema = z.object({
    container: z.string({ required_error: "is required: the coreos-assembler image pinned by digest" })
        .regex(DIGEST_REF, "must be pinned by digest (…@sha256:<64 hex>), e.g. quay.io/coreos-assembler/coreos-assembler@sha256:…")
        .describe("coreos-assembler container image, pinned by digest."),
    config: z.string({ required_error: "is required: the cosa config git repository (e.g. https://github.com/openshift/os.git)" })
        .regex(/^(https?|git|ssh):\/\/[^\s'"\\]+$/, "must be a git URL (https://, git:// or ssh://)")
        .describe("Config git repository `cosa init` clones (openshift/os for RHCOS/SCOS, or a fork)."),
    branch: z.string({ required_error: "is required: the config branch (e.g. release-4.19)" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, "must be a git branch name")
        .describe("Config branch (`cosa init --branch`)."),
    commit: z.string().regex(/^[0-9a-f]{40}$/, "must be a full 40-hex commit id").optional()
        .describe("Pin the config to this commit; unset builds the branch head at each run."),
    variant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a variant name such as ocp-rhel-9.6").optional()
        .describe("`cosa init --variant` (openshift/os: ocp-rhel-9.6, …); the config's default when unset. Only variants with the OpenShift components, unless allowNonOpenShiftVariant."),
    allowNonOpenShiftVariant: z.boolean().default(false)
        .describe("Allow a variant (or config) without kubelet and CRI-O (openshift/os rhel-9.x, c9s, c10s; coreos/rhel-coreos-config): nodes booting it leave the cluster."),
    artifacts: z.array(z.enum(COSA_ARTIFACTS)).default([])
        .describe("Day-0 media built with `cosa osbuild` and served from the mirror under artifacts/<build id>/."),
}).strict();

export const imageSchema = z.object({
    base: z.string().refine(v => v === "cluster" || DIGEST_REF.test(v), "must be pinned by digest (…@sha256:<64 hex>) or be \"cluster\"")
        .describe("Base RHCOS image by digest, or \"cluster\" to read the cluster's baseOSContainerImage."),
    repository: z.string({ required_error: "is required: the registry repository the image is pushed to" })
        .regex(REPOSITORY, "must be a registry repository without tag or digest (e.g. quay.io/org/rhcos-custom)")
        .describe("Registry repository the layered image is pushed to."),
    packages: z.array(rpmName).default([]).describe("Packages installed with rpm-ostree install."),
    remove: z.array(rpmName).default([]).describe("Base packages removed with rpm-ostree override remove."),
    replace: z.array(z.union([httpUrl, rpmName])).default([])
        .describe("RPMs (URLs or package names from the mirror) swapped in with rpm-ostree override replace."),
    files: z.array(fileSchema).default([]).describe("Files added to the image."),
    units: z.array(z.string().regex(UNIT_NAME, "must be a systemd unit name such as foo.service")).default([])
        .describe("systemd units enabled in the image."),
    extraSteps: z.array(extraStep).default([])
        .describe("Shell commands, one per entry and one line each, each rendered as its own `RUN <command> && ostree container commit` after the package step."),
    steps: z.array(stepSchema).default([])
        .describe("Ordered steps after the keys above, one RUN (or COPY) each: each has exactly one of install, remove, replace, files, enable, run, copy, kernelModules."),
    stages: z.array(stageSchema).default([])
        .describe("Builder stages (`FROM <digest> AS <name>`) whose output copy and kernelModules steps take into the image."),
    dialect: z.enum(["rpm-ostree", "dnf"]).optional()
        .describe("rpm-ostree (rpm-ostree install, ostree container commit) or dnf (dnf install && dnf clean all, a final bootc container lint); the default follows rhcos-forge:cluster.openshiftVersion (components/openshift/releases.ts: rpm-ostree on 4.16–4.22, as the MCO's own build template writes it; dnf is opt-in)."),
    // Values go into the Containerfile's LABEL k="v": a control character breaks the line and the
    // builder expands $VAR there, so the label would not be the value given.
    labels: z.record(z.string().regex(/^[a-z0-9.\/_-]+$/),
        z.string().regex(/^[^"\\$\u0000-\u001f\u007f]*$/, "must be a label value without \", \\, $ or control characters")).default({})
        .describe("OCI labels added to the image."),
    // The rules build-image.sh enforces on RF_PODMAN_BUILD_ARGS, here where the message names the key.
    buildArgs: z.array(z.string().regex(/^--?[A-Za-z0-9][A-Za-z0-9-]*(=[^\s'"\\]*)?$|^[^\s'"\\-][^\s'"\\]*$/, "must be a plain podman build flag or value")
        .refine(a => /[\s'"\\]/.test(a) || /^[A-Za-z0-9_./:=,+%@-]+$/.test(a), "must be a plain podman build flag or value (letters, digits and _ . / : = , + % @ -; no shell characters)")
        .refine(a => !/^(-v|--volume|--mount)(=|$)/.test(a), "must not mount host paths into the build (-v, --volume, --mount)")
        .refine(a => !/(^|=)\//.test(a) && !/(^|[/=])\.\.(\/|$)/.test(a), "must not name a path outside the build context (absolute, or with ..)")).default([])
        .describe("Extra `podman build` flags (e.g. --isolation chroot)."),
    tlsVerify: z.boolean().default(true).describe("Verify TLS for pulls, pushes and inspects."),
    allowBaseMismatch: z.boolean().default(false)
        .describe("Roll out even when image.base is not the cluster's current baseOSContainerImage (nodes would leave the cluster's RHCOS)."),
    builder: z.enum(["podman", "cosa"]).default("podman")
        .describe("podman: layer image.* onto image.base with podman build. cosa: a full OS build with coreos-assembler (image.cosa); needs /dev/kvm on the build host, which its readiness step checks first, before the mirror or any build."),
    cosa: cosaSchema.optional().describe("The coreos-assembler build (image.builder cosa)."),
    signing: signingSchema,
    retention: retentionSchema,
}).strict();


const VERSION_LIST = OPENSHIFT_VERSIONS.map(v => JSON.stringify(v)).join(", ");

/**
 * An unquoted `openshiftVersion: 4.20` in a stack file is a YAML number: the engine hands the
 * program `{"openshiftVersion": 4.2}`, which no message about strings explains. Name the version
 * it was meant to be.
 */
const openshiftVersion = z.preprocess((value, ctx) => {
    if (typeof value !== "number") return value;
    const meant = OPENSHIFT_VERSIONS.find(v => Number(v) === value);
    ctx.addIssue({
        code: z.ZodIssueCode.custom,
        fatal: true,
        message: `must be one of ${VERSION_LIST}`,
        params: { hint: meant === undefined ? "a YAML number: versions are quoted strings" : `a YAML number: write it quoted, "${meant}"` },
    });
    return value;
}, z.enum(OPENSHIFT_VERSIONS));

export const clusterSchema = z.object({
    openshiftVersion: openshiftVersion.default("4.19")
        .describe(`OpenShift minor version, quoted (${OPENSHIFT_VERSIONS[0]}–${OPENSHIFT_VERSIONS[OPENSHIFT_VERSIONS.length - 1]}); selects API versions, CRD schemas and the extensions a pool may use.`),
    renderTo: z.string().min(1).optional().describe("Render manifests into this directory (GitOps) instead of applying them."),
    context: z.string().min(1).optional().describe("kubeconfig context to use."),
    egressCidrs: z.array(cidr).default([])
        .describe("Source CIDRs the cluster's nodes reach the internet from; with rollout.method machineosconfig and mirror repos they may reach the build host's mirror port (DigitalOcean firewall)."),
    upgrade: upgradeSchema.optional()
        .describe("Upgrade the cluster with one drain and reboot per layered node (docs/fleet.md): {version: x.y.z | image: <release@sha256:...>, eus}."),
}).strict().default({});

const MAX_UNAVAILABLE = "must be a positive count or a percentage such as 10%";
const maxUnavailable = z.union([
    z.number().int(MAX_UNAVAILABLE).min(1, MAX_UNAVAILABLE),
    z.string().regex(/^([1-9][0-9]?|100)%$/, MAX_UNAVAILABLE),
], { errorMap: () => ({ message: MAX_UNAVAILABLE }) });

/** "4.16–4.17: a, b; 4.18: a, b, c; …": releases with the same list grouped, for the config reference. */
function describeExtensionsByRelease(): string {
    const groups: { from: OpenShiftVersion; to: OpenShiftVersion; list: string }[] = [];
    for (const v of OPENSHIFT_VERSIONS) {
        const list = RELEASES[v].extensions.join(", ");
        const last = groups[groups.length - 1];
        if (last !== undefined && last.list === list) last.to = v;
        else groups.push({ from: v, to: v, list });
    }
    return groups.map(g => `${g.from === g.to ? g.from : `${g.from}–${g.to}`}: ${g.list}`).join("; ");
}

const poolSchema = z.object({
    name: z.string().regex(DNS_LABEL, "must be a pool name (lowercase letters, digits, -)").describe("MachineConfigPool name."),
    nodes: z.array(z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a node name")).default([])
        .describe("Nodes labelled into a custom pool."),
    maxUnavailable: maxUnavailable.default(1).describe("Nodes updated at once."),
    paused: z.boolean().default(false).describe("Pause the pool (the MachineConfig is applied when unpaused)."),
    // The node extras are optional rather than defaulted: unset means "rhcos-forge does not manage
    // it", and the MachineConfig then leaves the field out (see manifests.ts renderMachineConfig).
    extensions: z.array(z.enum(EXTENSIONS)).optional()
        .describe(`RHCOS extensions the MCO installs on the pool's nodes; which exist depends on rhcos-forge:cluster.openshiftVersion (${describeExtensionsByRelease()}); none when unset.`),
    kernelType: z.enum(KERNEL_TYPES).optional()
        .describe("Kernel the pool's nodes boot: default, realtime, or 64k-pages (aarch64 only); default when unset."),
    kernelArguments: z.array(z.string().regex(/^[^\s"'\\]+$/, "must be one kernel argument without whitespace or quotes (e.g. nosmt or hugepagesz=1G)")).optional()
        .describe("Kernel arguments added on the pool's nodes, one argument per entry; none when unset."),
    ...poolHealthFields,
}).strict();

export const ROLLOUT_METHODS = ["machineconfig", "machineosconfig", "release"] as const;

export const rolloutSchema = z.object({
    method: z.enum(ROLLOUT_METHODS).default("machineconfig")
        .describe("How the image reaches nodes: machineconfig (built on the build host, a MachineConfig osImageURL) or machineosconfig (built on the cluster by the MCO from a MachineOSConfig)."),
    // Checked in stackConfigSchema: rollout.method release moves the whole cluster, no pools.
    pools: z.array(poolSchema).default([]).describe("Pools in rollout order (canary first); not used with method release."),
    allowMaster: z.boolean().default(false).describe("Allow rolling a custom OS image to the master pool; required by method release, whose ClusterVersion update moves every pool."),
    timeoutMinutes: z.number({ invalid_type_error: "must be a number of minutes (1-1440)" })
        .int("must be a number of minutes (1-1440)").min(1, "must be a number of minutes (1-1440)").max(1440, "must be a number of minutes (1-1440)")
        .default(120)
        .describe("How long one pool may take to update (and, on-cluster, build) before the rollout fails; the next pool starts only after the previous one is updated."),
    containerfileArch: z.enum(CONTAINERFILE_ARCHES).default("NoArch")
        .describe("machineosconfig: the architecture the on-cluster Containerfile is for."),
    force: z.boolean().default(true)
        .describe("release: ClusterVersion desiredUpdate.force (`oc adm upgrade --force`); a custom release has no Red Hat signature, so the CVO refuses it without force."),
}).strict();

const releaseOverrideName = /^[a-z0-9][a-z0-9-]*$/;

const manifestSchema = z.object({
    apiVersion: z.string().regex(/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/, "must be an apiVersion such as v1 or config.openshift.io/v1")
        .describe("The object's apiVersion."),
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, "must be a Kind such as ConfigMap").describe("The object's kind."),
    metadata: z.object({
        name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name").describe("The object's name."),
        namespace: z.string().regex(DNS_LABEL, "must be a namespace name").optional().describe("The object's namespace (namespaced kinds)."),
        annotations: z.record(z.string()).optional()
            .describe("Annotations; the CVO include.release.openshift.io/* and release.openshift.io/create-only ones are added when missing."),
    }).passthrough(),
}).passthrough();

export const releaseSchema = z.object({
    from: z.string({ required_error: "is required: the release image to start from, pinned by digest" })
        .regex(DIGEST_REF, "must be a release image pinned by digest (…@sha256:<64 hex>)")
        .describe("Release image the custom release starts from (`oc adm release new --from-release`)."),
    repository: z.string({ required_error: "is required: the registry repository the release is pushed to" })
        .regex(REPOSITORY, "must be a registry repository without tag or digest (e.g. quay.io/org/ocp-release)")
        .describe("Registry repository the custom release is pushed to (`--to-image`)."),
    name: z.string().superRefine((v, ctx) => {
        const why = semverProblem(v);
        if (why !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a semantic version such as 4.19.10-custom.1 (oc adm release new --name refuses any other): it ${why}` });
    }).optional()
        .describe("Release name (`--name`), a semantic version such as 4.19.10-custom.1; the from-release's version when unset."),
    osComponent: z.enum([...OS_IMAGE_COMPONENTS, "machine-os-content"]).default("rhel-coreos")
        .describe("Release component the built OS image replaces: rhel-coreos, or rhel-coreos-10 on 4.21+ (the MCO's install/image-references). machine-os-content is refused: no 4.16+ release has it."),
    overrides: z.record(z.string().regex(releaseOverrideName, "must be a release component name"), z.string().regex(DIGEST_REF, "must be pinned by digest (…@sha256:<64 hex>)"))
        .default({})
        .describe("Other components replaced in the release: name → image@sha256:…."),
    manifests: z.array(manifestSchema).default([])
        .describe("Kubernetes objects added to the release payload; CVO include/create-only annotations are added when missing."),
    tlsVerify: z.boolean().default(true).describe("Verify TLS when reading and pushing release images."),
}).strict();

const stackObjectSchema = z.object({
    buildHost: buildHostSchema,
    mirror: mirrorSchema.default({}),
    image: imageSchema,
    cluster: clusterSchema,
    rollout: rolloutSchema,
    release: releaseSchema.optional().describe("A custom OpenShift release carrying the built OS (`oc adm release new`)."),
    sshPrivateKey: z.string().includes("PRIVATE KEY", { message: "must be an OpenSSH private key (PEM)" }).optional()
        .describe("Secret. SSH private key for the ssh and digitalocean build hosts."),
    registryAuth: z.string().refine(isAuthJson, "must be a containers auth.json ({\"auths\": {...}})").optional()
        .describe("Secret. containers auth.json: the cluster pull secret plus push credentials for image.repository."),
    mirrorPasswords: z.record(z.string().regex(REPO_ID), z.string().min(1)).default({})
        .describe("Secret. Map of upstream repo id to password."),
    // One line of a .repo file and of the server's credentials file: no whitespace, quotes,
    // backslash, `$` (dnf substitutes variables in option values) or `#`/`;` (comment starts).
    mirrorPassword: z.string().min(16, "must be at least 16 characters").max(1024, "must be at most 1024 characters")
        .regex(/^[A-Za-z0-9._~+=:,@!%^*\/-]+$/, "must be letters, digits and . _ ~ + = : , @ ! % ^ * / - only (no spaces, quotes, $, # or ;)").optional()
        .describe("Secret. Password of the mirror's HTTP basic auth (mirror.auth basic); generated once and kept in the state when unset."),
    kubeconfig: z.string().min(1).optional().describe("Secret. kubeconfig of the target cluster. Checked before any resource: a YAML kubeconfig whose context (`cluster.context`, else its `current-context`) names a cluster with a server URL and a user with credentials (token, client certificate, basic auth or exec plugin); the error names what is missing, never the value."),
    ...signingSecrets,
    ...rhelSecrets,
}).strict();

export const stackConfigSchema = stackObjectSchema.superRefine((cfg, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    // With machineosconfig the build host exists only to serve the mirror (Pulumi.yaml still requires the key).
    const hostNeeded = needsBuildHost(cfg);
    if (hostNeeded && cfg.buildHost.provider !== "local" && cfg.sshPrivateKey === undefined) {
        issue(["sshPrivateKey"], `is required for a ${cfg.buildHost.provider} build host (set it with --secret)`);
    }
    if (hostNeeded && cfg.buildHost.provider === "ssh") {
        const host = cfg.buildHost;
        if (host.hostKey === undefined && !host.insecureAcceptAnyHostKey) {
            issue(["buildHost", "hostKey"], `is required for an ssh build host: the line \`ssh-keyscan -t ed25519 -p ${host.port} ${host.host}\` prints, checked out of band (or set rhcos-forge:buildHost.insecureAcceptAnyHostKey=true to accept any key)`);
        }
        if (host.hostKey !== undefined && host.insecureAcceptAnyHostKey) {
            issue(["buildHost", "insecureAcceptAnyHostKey"], "must not be true while rhcos-forge:buildHost.hostKey pins the key");
        }
    }
    checkPools(cfg, issue);
    checkFleet(cfg, issue);
    checkAcrossFields(cfg, issue);
    checkImageSteps(cfg, issue);
    const repoIds = cfg.mirror.repos.map(r => r.id);
    repoIds.forEach((id, i) => { if (repoIds.indexOf(id) !== i) issue(["mirror", "repos", i, "id"], "is listed twice"); });
    if (repoIds.includes(cfg.mirror.packageSet.id)) issue(["mirror", "packageSet", "id"], "collides with a mirrored repo id");
    cfg.mirror.repos.forEach((r, i) => {
        if (r.username !== undefined && cfg.mirrorPasswords[r.id] === undefined) {
            issue(["mirror", "repos", i, "username"], `is set but rhcos-forge:mirrorPasswords has no password for ${JSON.stringify(r.id)}`);
        }
    });
    for (const id of Object.keys(cfg.mirrorPasswords)) {
        if (!repoIds.includes(id)) issue(["mirrorPasswords", id], "names no repo in rhcos-forge:mirror.repos");
    }
    if (cfg.mirror.packageSet.packages.length > 0 && cfg.mirror.repos.length === 0) {
        issue(["mirror", "packageSet", "packages"], "needs at least one upstream repo in rhcos-forge:mirror.repos to download from");
    }
    // A package name in image.replace is installed from a mirror repo (override replace --from
    // repo=...): with none at all the Containerfile cannot be rendered.
    if (cfg.image.builder === "podman" && cfg.rollout.method !== "machineosconfig" && cfg.mirror.repos.length === 0) {
        cfg.image.replace.forEach((r, i) => {
            if (!/^https?:\/\//.test(r)) issue(["image", "replace", i], "is a package name, which comes from the build host's mirror, but rhcos-forge:mirror.repos is empty; add the repo it comes from, or give an RPM URL");
        });
    }
    if (cfg.cluster.renderTo === undefined && cfg.kubeconfig === undefined) {
        issue(["kubeconfig"], "is required unless rhcos-forge:cluster.renderTo is set (set it with --secret)");
    }
    if (cfg.kubeconfig !== undefined) {
        const problem = kubeconfigProblem(cfg.kubeconfig, cfg.cluster.context);
        if (problem !== undefined) issue(problem.key.split("."), problem.message);
    }
    if (cfg.rollout.method === "machineosconfig") checkOnCluster(cfg, issue);
    if (cfg.rollout.method !== "machineosconfig" && cfg.image.builder === "podman" && cfg.image.base === "cluster" && cfg.kubeconfig === undefined) {
        issue(["image", "base"], "is \"cluster\", which reads the cluster's ConfigMap and needs rhcos-forge:kubeconfig");
    }
    if (cfg.rollout.method !== "release" && cfg.rollout.pools.length === 0) issue(["rollout", "pools"], "must list at least one pool");
    checkCosaAndRelease(cfg, issue);
    checkSigning(cfg, issue);
    checkRetention(cfg, issue);
    checkRhelContent(cfg, issue);
    checkMirrorAccess(cfg, issue);
});

/**
 * The pools of any stack, building or not: master only when allowed, no node lists on the MCO's
 * own pools, extensions of the cluster's release, no pool twice, worker after the custom pools.
 */
export function checkPools(cfg: { rollout: { allowMaster: boolean; pools: readonly PoolConfig[] }; cluster: { openshiftVersion: OpenShiftVersion } }, issue: (path: (string | number)[], message: string) => void): void {
    cfg.rollout.pools.forEach((pool, i) => {
        if (pool.name === "master" && !cfg.rollout.allowMaster) {
            issue(["rollout", "pools", i, "name"], "is master: rolling a custom OS to control-plane nodes needs rhcos-forge:rollout.allowMaster=true");
        }
        if ((pool.name === "worker" || pool.name === "master") && pool.nodes.length > 0) {
            issue(["rollout", "pools", i, "nodes"], `must be empty for the built-in ${pool.name} pool (nodes are labelled only into custom pools)`);
        }
        const extensions = pool.extensions ?? [];
        const supported = supportedExtensions(cfg.cluster.openshiftVersion);
        extensions.forEach((ext, j) => {
            if (extensions.indexOf(ext) !== j) issue(["rollout", "pools", i, "extensions", j], "is listed twice");
            // The MCO refuses a MachineConfig naming an extension its release does not have, and
            // the pool degrades mid-rollout; EXTENSIONS (the schema's list) is every release's.
            if (!supported.includes(ext)) {
                issue(["rollout", "pools", i, "extensions", j],
                    `is not an extension of OpenShift ${cfg.cluster.openshiftVersion} (rhcos-forge:cluster.openshiftVersion); its MCO supports ${supported.map(e => JSON.stringify(e)).join(", ")}`);
            }
            // The MCO maps kernel-devel to the default kernel's packages; with another kernel the
            // pool degrades on a package conflict instead of failing here.
            if (ext === "kernel-devel" && pool.kernelType !== undefined && pool.kernelType !== "default") {
                issue(["rollout", "pools", i, "extensions", j], `must not be kernel-devel with kernelType ${pool.kernelType} (kernel-devel matches only the default kernel)`);
            }
        });
    });
    const names = cfg.rollout.pools.map(p => p.name);
    names.forEach((n, i) => { if (names.indexOf(n) !== i) issue(["rollout", "pools", i, "name"], "is listed twice"); });
    checkPoolOrder(names, issue);
}

/**
 * Pools roll out in list order, each waiting for the one before (components/rollout). A custom
 * pool's nodes are worker nodes given a custom role label, and the pool inherits every worker
 * MachineConfig (openshift/machine-config-operator docs/custom-pools.md, release-4.21), so the rule is: `worker`, when listed, comes after every custom pool.
 * Listed first, worker would take the image onto every worker node, the canary's included
 * (it is still a worker until labelled), before the canary proved anything.
 */
function checkPoolOrder(names: readonly string[], issue: (path: (string | number)[], message: string) => void): void {
    const worker = names.indexOf("worker");
    if (worker < 0) return;
    const later = names.map((n, i) => ({ n, i })).filter(p => p.i > worker && p.n !== "master" && p.n !== "worker");
    if (later.length === 0) return;
    const list = later.map(p => `${p.n} (rollout.pools[${p.i}])`).join(", ");
    issue(["rollout", "pools", worker, "name"],
        `is worker, listed before the custom pool${later.length > 1 ? "s" : ""} ${list}: pools roll in list order and a custom pool's nodes are worker nodes until labelled, so every node would get the image at the worker stage and the canary would protect nothing; list worker after every custom pool`);
}

/**
 * The address the mirror's server binds: mirror.bind, else the address builds reach it at
 * (mirror.buildAddress, else the provider's: an ssh host's address, 127.0.0.1 for local); an IP
 * address or a host name the build host resolves.
 * undefined for a DigitalOcean host without either: the droplet's private IPv4, known once it
 * exists (BuildHost's buildAddress).
 */
export function mirrorBindAddress(cfg: { buildHost: { provider: string; host?: string }; mirror: { bind?: string; buildAddress?: string } }): string | undefined {
    if (cfg.mirror.bind !== undefined) return cfg.mirror.bind;
    if (cfg.mirror.buildAddress !== undefined) return cfg.mirror.buildAddress;
    if (cfg.buildHost.provider === "ssh") return cfg.buildHost.host;
    if (cfg.buildHost.provider === "local") return "127.0.0.1";
    return undefined;
}

const WILDCARD = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);

/**
 * mirror.bind, mirror.buildAddress and mirror.auth together: the server must listen where builds
 * look for it, and a password needs basic auth to be used.
 */
function checkMirrorAccess(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    if (cfg.rollout.method === "machineosconfig") return;
    const m = cfg.mirror;
    // Unset, the server binds where builds reach it; a host name is resolved on the host (and the
    // sync's serve step fails, naming mirror.bind, when it is not one of the host's addresses).
    if (m.bind !== undefined) {
        // Where builds look for the mirror (BuildHost's buildAddress); a droplet's is its private
        // IPv4, unknown here.
        const reach = mirrorBindAddress({ ...cfg, mirror: { buildAddress: m.buildAddress } });
        const from = m.buildAddress !== undefined ? "rhcos-forge:mirror.buildAddress" : cfg.buildHost.provider === "ssh" ? "rhcos-forge:buildHost.host" : "the local host's 127.0.0.1";
        if (isIpAddress(m.bind) && !WILDCARD.has(m.bind) && reach !== undefined && isIpAddress(reach) && reach !== m.bind) {
            issue(["mirror", "bind"], `is ${JSON.stringify(m.bind)}, but builds reach the mirror at ${reach} (${from}), where nothing would listen; bind that address, 0.0.0.0, or set rhcos-forge:mirror.buildAddress to ${m.bind}`);
        }
    }
    if (m.auth === "none" && cfg.mirrorPassword !== undefined) {
        issue(["mirrorPassword"], "is set but rhcos-forge:mirror.auth is none (no password is asked for); set mirror.auth to basic or unset the password");
    }
}

/**
 * Values that are each valid but contradict another key: accepted, they would build or roll out
 * something other than what the stack says.
 */
function checkAcrossFields(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    // The package step removes image.remove, then installs image.packages (containerfile.ts), so
    // a package in both is removed and installed again: the stack asks for two opposite things.
    cfg.image.remove.forEach((pkg, j) => {
        const i = cfg.image.packages.indexOf(pkg);
        if (i >= 0) issue(["image", "remove", j], `is also installed by rhcos-forge:image.packages[${i}]: a package cannot be both removed and installed; keep it in one of the two lists`);
    });
    // Files are written in order, so a second entry for a path silently replaces the first.
    const paths = cfg.image.files.map(f => normalFilePath(f.path));
    paths.forEach((p, i) => {
        const first = paths.indexOf(p);
        if (first !== i) issue(["image", "files", i, "path"], `is also the path of rhcos-forge:image.files[${first}] (this entry would silently replace it); keep one entry per path`);
    });
    // The MCO stops managing a node that matches two custom pools' selectors ("node %s belongs to
    // %d custom roles, cannot proceed with this Node": openshift/machine-config-operator
    // pkg/helpers/helpers.go GetPoolsForNode, release-4.16 … release-4.22).
    const poolOf = new Map<string, number>();
    cfg.rollout.pools.forEach((pool, i) => {
        pool.nodes.forEach((node, k) => {
            const other = poolOf.get(node);
            if (other === undefined) poolOf.set(node, i);
            else if (other !== i) {
                issue(["rollout", "pools", i, "nodes", k],
                    `is also in rhcos-forge:rollout.pools[${other}].nodes (pool ${cfg.rollout.pools[other].name}): a node labelled into two custom pools is left unmanaged by the MCO; list it in one pool only`);
            }
        });
    });
    // gpgcheck=1 without gpgkey: dnf checks signatures only against keys already imported into the
    // image's rpm database and refuses packages signed by any other key (a third-party repo's).
    cfg.mirror.repos.forEach((r, i) => {
        if (r.gpgcheck && r.gpgkey === undefined) {
            issue(["mirror", "repos", i, "gpgkey"], `is required with rhcos-forge:mirror.repos[${i}].gpgcheck true (the default): without it dnf has no key to verify ${JSON.stringify(r.id)}'s packages and refuses them; set gpgkey to the repo's key URL, or gpgcheck to false`);
        }
    });
}

/**
 * image.steps, image.stages and files: one action per step, sources that exist, stages that
 * are defined before they are copied from, whole-kernel replacements, and what the cosa
 * builder and on-cluster builds cannot take.
 */
function checkImageSteps(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    const img = cfg.image;
    const checkFiles = (files: readonly { content?: string; source?: string }[], at: (string | number)[]) => files.forEach((f, i) => {
        // A file is inline text or a file or directory of the repository, never both or neither.
        if (f.content === undefined && f.source === undefined) issue([...at, i, "content"], "must be set, or source (a file or directory of the repository)");
        if (f.content !== undefined && f.source !== undefined) issue([...at, i, "source"], "must not be set together with content (keep one of the two)");
    });
    // The override-kernel example replaces every kernel subpackage in one transaction; a partial
    // set leaves one kernel's modules under another kernel.
    const checkKernel = (items: readonly string[], at: (string | number)[]) => {
        const subs = new Set(items.map(kernelSubpackage).filter((s): s is string => s !== undefined));
        if (subs.size > 0 && subs.size < KERNEL_SUBPACKAGES.length) {
            const missing = KERNEL_SUBPACKAGES.filter(s => !subs.has(s));
            issue(at, `replaces only some kernel subpackages (${[...subs].join(", ")}): a kernel is replaced as ${KERNEL_SUBPACKAGES.join(", ")} together; add ${missing.join(", ")}`);
        }
    };
    checkFiles(img.files, ["image", "files"]);
    checkKernel(img.replace, ["image", "replace"]);
    const stageNames: string[] = [];
    img.stages.forEach((st, i) => {
        if (stageNames.includes(st.name)) issue(["image", "stages", i, "name"], "is listed twice");
        // components/image/driverToolkit.ts reads the ImageStream through the kubeconfig.
        if (st.base === "driver-toolkit" && cfg.kubeconfig === undefined) {
            issue(["image", "stages", i, "base"], "is \"driver-toolkit\", which reads the cluster's ImageStream openshift/driver-toolkit and needs rhcos-forge:kubeconfig; set it, or pin the base by digest (`oc adm release info --image-for=driver-toolkit <release>`)");
        }
        st.steps.forEach((step, j) => {
            const at = ["image", "stages", i, "steps", j];
            const set = (["files", "run", "copy"] as const).filter(k => step[k] !== undefined);
            if (set.length !== 1) issue(at, `must have exactly one of files, run, copy${set.length > 1 ? `, got ${set.join(" and ")}` : ""}`);
            if (step.files !== undefined) checkFiles(step.files, [...at, "files"]);
            step.copy?.forEach((c, k) => {
                if (!stageNames.includes(c.from)) issue([...at, "copy", k, "from"], `must name a stage defined before ${st.name} in rhcos-forge:image.stages`);
            });
        });
        stageNames.push(st.name);
    });
    const repoIds = [...cfg.mirror.repos.map(r => r.id), cfg.mirror.packageSet.id];
    img.steps.forEach((step, i) => {
        const at = ["image", "steps", i];
        const set = STEP_ACTIONS.filter(k => step[k] !== undefined);
        if (set.length !== 1) issue(at, `must have exactly one of ${STEP_ACTIONS.join(", ")}${set.length > 1 ? `, got ${set.join(" and ")}` : ""}`);
        if (step.from !== undefined) {
            if (step.replace === undefined) issue([...at, "from"], "is only for a replace step");
            else if (!repoIds.includes(step.from)) issue([...at, "from"], `names no repo of rhcos-forge:mirror (${repoIds.join(", ")})`);
        }
        if (step.replace !== undefined) checkKernel(step.replace, [...at, "replace"]);
        if (step.replace?.some(r => !/^https?:\/\//.test(r)) && cfg.mirror.repos.length === 0 && cfg.mirror.packageSet.packages.length === 0) {
            issue([...at, "replace"], "names packages, which come from the build host's mirror, but rhcos-forge:mirror has no repos; add the repo they come from, or give RPM URLs");
        }
        if (step.files !== undefined) checkFiles(step.files, [...at, "files"]);
        step.copy?.forEach((c, k) => {
            if (!stageNames.includes(c.from)) issue([...at, "copy", k, "from"], "must name a stage of rhcos-forge:image.stages");
        });
        step.kernelModules?.forEach((m, k) => {
            if (!stageNames.includes(m.stage)) issue([...at, "kernelModules", k, "stage"], "must name a stage of rhcos-forge:image.stages");
        });
    });
    if (cfg.rollout.method === "machineosconfig") {
        const why = "with rhcos-forge:rollout.method machineosconfig (the on-cluster Containerfile has no build context and no builder stages here)";
        if (img.steps.length > 0) issue(["image", "steps"], `must be empty ${why}`);
        if (img.stages.length > 0) issue(["image", "stages"], `must be empty ${why}`);
        img.files.forEach((f, i) => { if (f.source !== undefined) issue(["image", "files", i, "source"], `must be unset ${why}; use content`); });
    }
    if (img.builder === "cosa") {
        for (const key of ["steps", "stages"] as const) {
            if (img[key].length > 0) issue(["image", key], "must be empty with rhcos-forge:image.builder cosa (put packages and files into the cosa config's manifest instead)");
        }
    }
}

/**
 * The Containerfile dialect of the stack: image.dialect, or the one of its OpenShift release
 * (components/openshift/releases.ts).
 */
export function imageDialect(cfg: { image: { dialect?: "rpm-ostree" | "dnf" }; cluster: { openshiftVersion: OpenShiftVersion } }): "rpm-ostree" | "dnf" {
    return cfg.image.dialect ?? layeringDialect(cfg.cluster.openshiftVersion);
}

/**
 * image.builder cosa and rollout.method release: what they need, and what they would silently
 * ignore (the podman-only image keys, pools) refused with the key to fix.
 */
function checkCosaAndRelease(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    if (cfg.image.builder === "cosa") {
        if (cfg.rollout.method === "machineosconfig") issue(["image", "builder"], "must be podman with rhcos-forge:rollout.method machineosconfig (the MCO builds on the cluster)");
        if (cfg.image.cosa === undefined) issue(["image", "cosa"], "is required with rhcos-forge:image.builder cosa ({container, config, branch, ...})");
        const why = "with rhcos-forge:image.builder cosa (put packages and files into the cosa config's manifest instead)";
        for (const key of ["packages", "remove", "replace", "files", "units", "extraSteps", "buildArgs"] as const) {
            if (cfg.image[key].length > 0) issue(["image", key], `must be empty ${why}`);
        }
        if (cfg.mirror.repos.some(r => r.id === "artifacts") && (cfg.image.cosa?.artifacts.length ?? 0) > 0) {
            issue(["mirror", "repos"], "must not have a repo with id \"artifacts\": rhcos-forge:image.cosa.artifacts are served under that path");
        }
    } else if (cfg.image.cosa !== undefined) {
        issue(["image", "cosa"], "is set but rhcos-forge:image.builder is podman (set image.builder to cosa)");
    }
    if (cfg.rollout.method === "release") {
        if (cfg.release === undefined) issue(["release"], "is required with rhcos-forge:rollout.method release ({from, repository, ...})");
        if (cfg.rollout.pools.length > 0) issue(["rollout", "pools"], "must be empty with rhcos-forge:rollout.method release (the release upgrade updates every pool)");
        // The release's rhel-coreos becomes baseOSContainerImage of the MCO's machine-config-osimageurl
        // ConfigMap (openshift/machine-config-operator install/0000_80_machine-config_05_osimageurl.yaml),
        // the default OSImageURL the render controller gives every pool, master included
        // (pkg/controller/render/render_controller.go generateRenderedMachineConfig, release-4.19): the
        // same guard as a MachineConfig rollout to the master pool.
        if (!cfg.rollout.allowMaster) {
            issue(["rollout", "allowMaster"], "must be true with rhcos-forge:rollout.method release: a ClusterVersion update rolls the built OS to every pool, master included; set rhcos-forge:rollout.allowMaster=true to accept that, or use method machineconfig with worker pools");
        }
    }
    if (cfg.release !== undefined) {
        const os = cfg.release.osComponent;
        if (cfg.release.overrides[os] !== undefined) {
            issue(["release", "overrides", os], `is the built OS image (rhcos-forge:release.osComponent); remove it from the overrides`);
        }
        const v = cfg.cluster.openshiftVersion;
        const known: readonly string[] = RELEASES[v].osImageComponents;
        if (!known.includes(os)) {
            issue(["release", "osComponent"], os === "machine-os-content"
                ? `must not be machine-os-content on OpenShift ${v}: the release has no such component (the MCO's install/image-references names ${known.join(", ")}), so oc adm release new would prune it and the release would ship the stock OS; use rhel-coreos`
                : `must be one of ${known.join(", ")} on OpenShift ${v} (the OS components the MCO's install/image-references names)`);
        }
    }
    if (cfg.image.builder === "cosa" && cfg.image.cosa !== undefined) checkCosaVariant(cfg.image.cosa, cfg.cluster.openshiftVersion, issue);
}

/**
 * A cosa build must produce a node OS: the openshift/os variants without the OpenShift layer
 * (components/openshift/releases.ts cosaVariants) boot without kubelet and CRI-O, and the node
 * never rejoins the cluster. They are refused unless image.cosa.allowNonOpenShiftVariant says the
 * stack means it (a base image layered elsewhere).
 */
function checkCosaVariant(cosa: z.output<typeof cosaSchema>, clusterVersion: OpenShiftVersion, issue: (path: (string | number)[], message: string) => void): void {
    if (cosa.allowNonOpenShiftVariant) return;
    const v = cosaBranchRelease(cosa.branch, clusterVersion);
    const { openshift, default: byDefault } = RELEASES[v].cosaVariants;
    const allow = "or set rhcos-forge:image.cosa.allowNonOpenShiftVariant=true if the image is only a base you layer the OpenShift components onto";
    // cosa init treats --variant default as no variant (coreos-assembler src/cmd-init).
    const variant = cosa.variant === "default" ? undefined : cosa.variant;
    if (openshift.length === 0) {
        issue(variant === undefined ? ["image", "cosa", "branch"] : ["image", "cosa", "variant"],
            `has no cosa variant with the OpenShift components for OpenShift ${v}: from 4.20 openshift/os is a Containerfile layered on the coreos/rhel-coreos-config base, which has no kubelet or CRI-O; use image.builder podman on the cluster's rhel-coreos, ${allow}`);
    } else if (variant !== undefined && !openshift.includes(variant)) {
        issue(["image", "cosa", "variant"],
            `must be a variant with the OpenShift components for OpenShift ${v} (${openshift.join(", ")}; unset is ${byDefault}): openshift/os builds ${variant} without kubelet and CRI-O, so nodes would not rejoin the cluster; ${allow}`);
    }
}

/**
 * On-cluster layering (rollout.method machineosconfig): the MCO builds on the cluster, so what only
 * a build host provides is refused rather than silently ignored, and the API server's CEL rules
 * on the MachineOSConfig are checked here, where the message can name the key to fix.
 */
function checkOnCluster(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    const version = cfg.cluster.openshiftVersion;
    const why = "with rhcos-forge:rollout.method machineosconfig (the MCO builds on the cluster)";
    checkOnClusterContent(cfg, issue);
    if (cfg.image.base !== "cluster") issue(["image", "base"], `must be "cluster" ${why} from the cluster's own base image`);
    if (cfg.image.buildArgs.length > 0) issue(["image", "buildArgs"], `must be empty ${why}: there is no podman build to pass them to`);
    if (!cfg.image.tlsVerify) issue(["image", "tlsVerify"], `must be true ${why}`);
    let replaceByName = false;
    cfg.image.replace.forEach((r, i) => {
        if (!/^https?:\/\//.test(r)) {
            replaceByName = true;
            issue(["image", "replace", i], `must be an RPM URL ${why}: package names resolve from the build host's mirror`);
        }
    });
    if (cfg.registryAuth === undefined) issue(["registryAuth"], `is required ${why}: it becomes the push and pull secrets (set it with --secret)`);
    for (const pool of cfg.rollout.pools) {
        const problem = checkRenderedImagePushSpec(version, renderedImagePushSpec(cfg.image.repository, pool.name));
        if (problem !== undefined) {
            issue(["image", "repository"], `${problem}; with rhcos-forge:cluster.openshiftVersion ${version} (MachineOSConfig ${machineOSConfigApi(version)})`);
            break;
        }
    }
    if (!replaceByName) {
        const problem = checkContainerfile(renderOnClusterContainerfile(cfg.image));
        if (problem !== undefined) issue(cfg.image.files.length > 0 ? ["image", "files"] : ["image"], problem);
    }
}

/**
 * Whether the stack has a build host: always, except on-cluster layering without mirror content
 * (the host then serves only the mirror the on-cluster build installs from).
 */
export function needsBuildHost(cfg: { rollout: { method: string }; mirror: { repos: readonly unknown[]; packageSet: { packages: readonly unknown[] } } }): boolean {
    return cfg.rollout.method !== "machineosconfig" || cfg.mirror.repos.length > 0 || cfg.mirror.packageSet.packages.length > 0;
}

/**
 * On-cluster mirror content (components/openshift/onClusterContent.ts): the build reaches the
 * build host's mirror from the cluster, and only what the MCO mounts into the build can
 * authenticate it. Node settings the release's MCO drops for layered pools are refused here.
 */
function checkOnClusterContent(cfg: z.output<typeof stackObjectSchema>, issue: (path: (string | number)[], message: string) => void): void {
    const version = cfg.cluster.openshiftVersion;
    const why = "with rhcos-forge:rollout.method machineosconfig";
    const mirrored = cfg.mirror.repos.some(r => r.fetch !== "build") || cfg.mirror.packageSet.packages.length > 0;
    if (mirrored && cfg.buildHost.provider === "digitalocean" && cfg.cluster.egressCidrs.length === 0) {
        issue(["cluster", "egressCidrs"], `must list the cluster's egress CIDRs ${why} and mirror repos: the on-cluster build fetches from the build host's mirror, whose firewall opens the mirror port only to these (e.g. the NAT gateway's address/32)`);
    }
    // A local build host is 127.0.0.1 to itself; only a remote one is reached from the cluster.
    if (mirrored && cfg.buildHost.provider !== "local" && (cfg.mirror.bind === "127.0.0.1" || cfg.mirror.bind === "::1")) {
        issue(["mirror", "bind"], `must not be a loopback address ${why} and a ${cfg.buildHost.provider} build host: the cluster reaches the mirror at the build host's address`);
    }
    cfg.mirror.repos.forEach((r, i) => {
        if (r.fetch !== "build") return;
        // The build pod mounts only what the MCO mounts: the entitlement, keys and repo file.
        if (r.entitlement !== "cluster") {
            issue(["mirror", "repos", i, "fetch"], `must be mirror ${why} unless the repo has entitlement: cluster (the only client certificate the MCO mounts into the build, at /etc/pki/entitlement)`);
        }
        if (r.sslcacert !== undefined) issue(["mirror", "repos", i, "sslcacert"], `must be unset for a fetch: build repo ${why} (the MCO mounts no CA into the build); use fetch: mirror`);
    });
    const ignored = RELEASES[version].onCluster.layeredPoolIgnores;
    cfg.rollout.pools.forEach((pool, i) => {
        if (ignored.includes("kernelType") && pool.kernelType !== undefined && pool.kernelType !== "default") {
            issue(["rollout", "pools", i, "kernelType"], `is ${pool.kernelType}, which OpenShift ${version}'s MCO ignores for a pool built on the cluster (the node agent skips it for layered pools and the build does not switch the kernel before 4.20), so nodes would keep the default kernel; install the kernel into the image (image.replace) or use rhcos-forge:rollout.method machineconfig`);
        }
        if (ignored.includes("extensions") && (pool.extensions ?? []).length > 0) {
            issue(["rollout", "pools", i, "extensions"], `are ignored by OpenShift ${version}'s MCO for a pool built on the cluster; add the packages to the image (image.packages) or use rhcos-forge:rollout.method machineconfig`);
        }
    });
}

export type StackConfig = z.output<typeof stackConfigSchema>;
export type BuildHostConfig = StackConfig["buildHost"];
export type MirrorConfig = StackConfig["mirror"];
export type ImageConfig = StackConfig["image"];
export type RolloutConfig = StackConfig["rollout"];
export type PoolConfig = RolloutConfig["pools"][number];
export type ClusterConfig = StackConfig["cluster"];
export type CosaConfig = NonNullable<ImageConfig["cosa"]>;
export type ReleaseConfig = NonNullable<StackConfig["release"]>;

