// rhcos-forge:image: what the image holds (packages, files, steps, stages), how it is built
// (podman or coreos-assembler), signed and kept.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { DIGEST_REF, REPOSITORY } from "../openshift/pullspec";
import { retentionSchema, signingSchema } from "./signing";
import { OCTAL_MODE, REPO_ID, UNIT_NAME, httpUrl, rpmName } from "./validators";

/** `/etc//a/./b/` and `/etc/a/b` are one file: compare paths in this form. */
export function normalFilePath(p: string): string {
    return (
        p
            .split("/")
            .filter(seg => seg !== "" && seg !== ".")
            .reduce((acc, seg) => `${acc}/${seg}`, "") || "/"
    );
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
export const VAR_SYMLINKS: readonly (readonly [string, string])[] = [
    ["/opt", "/var/opt"],
    ["/usr/local", "/var/usrlocal"],
];

export function varSymlinkProblem(p: string): string | undefined {
    const path = normalFilePath(p);
    const hit = VAR_SYMLINKS.find(([dir]) => path === dir || path.startsWith(`${dir}/`));
    if (hit === undefined) return undefined;
    const [dir, target] = hit;
    return (
        `is under ${dir}, which on RHCOS is a symlink to ${target}: an image's /var content reaches only ` +
        `newly provisioned nodes, so existing nodes never get this file; ` +
        (`put it under /usr (e.g. /usr/lib/<name>/...) and, if it must appear at ${dir}, add an image.files ` +
            `entry /usr/lib/tmpfiles.d/<name>.conf with "L+ ${dir}/<name> - - - - /usr/lib/<name>"`)
    );
}

/**
 * The Containerfile instructions buildah's parser dispatches (openshift/imagebuilder
 * dockerfile/parser/parser.go, the `dispatch` table). An extraSteps entry is rendered as
 * `RUN <entry> && ostree container commit`, so an entry that is itself an instruction (`RUN dnf
 * ...`, `COPY a b`) becomes a shell command of that name. Matched in upper case only: the parser
 * ignores case, but lower-case `env FOO=1 cmd` is a real shell command.
 */
export const CONTAINERFILE_INSTRUCTIONS = [
    "FROM",
    "RUN",
    "COPY",
    "ADD",
    "ENV",
    "ARG",
    "USER",
    "WORKDIR",
    "LABEL",
    "ENTRYPOINT",
    "CMD",
    "VOLUME",
    "EXPOSE",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "MAINTAINER",
] as const;
export const INSTRUCTION_START = new RegExp(`^\\s*(${CONTAINERFILE_INSTRUCTIONS.join("|")})(\\s|$)`);

export const extraStep = z
    .string()
    .min(1, "must be a non-empty shell command")
    // A newline ends the RUN line: podman reads the rest as the next instruction and stops with
    // "Unknown instruction".
    .refine(
        step => !/[\r\n]/.test(step),
        "must be one shell command on one line (a newline ends the RUN and podman refuses the next line as an " +
            "unknown instruction); join commands with && or use one entry per command",
    )
    // Any other control character (a NUL, an escape) breaks or garbles the RUN line; tabs are fine.
    .refine(
        step => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(step),
        "must not hold control characters (tabs are fine)",
    )
    .superRefine((step, ctx) => {
        const word = INSTRUCTION_START.exec(step)?.[1];
        if (word !== undefined) {
            const fix =
                word === "RUN"
                    ? "drop the leading RUN"
                    : "other instructions are not supported (files go in image.files, labels in image.labels)";
            ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message:
                    `must be a shell command, not a Containerfile instruction (${word}): each entry is rendered ` +
                    `as \`RUN <entry> && ostree container commit\`; ${fix}`,
            });
        }
    });

export const imagePath = z
    .string()
    .regex(
        /^\/(etc|usr|opt)\/[A-Za-z0-9._@+/-]+$/,
        "must be an absolute path under /etc, /usr or /opt (the rest of an RHCOS image is not kept)",
    )
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
export const repoSource = z
    .string()
    .regex(/^[A-Za-z0-9._][A-Za-z0-9._@+/-]*$/, "must be a path relative to the Pulumi project root (plain characters)")
    .refine(p => !p.split("/").includes(".."), "must not contain .. (sources stay inside the project)")
    .refine(
        p => fs.existsSync(path.resolve(process.cwd(), p)),
        () => ({ message: `names no file or directory under the Pulumi project root ${process.cwd()}` }),
    );

export const fileSchema = z
    .object({
        path: imagePath.describe(
            "Absolute path in the image (not under /opt or /usr/local: on RHCOS those live in /var, which " +
                "existing nodes never receive).",
        ),
        content: z.string().optional().describe("File content (or set source)."),
        source: repoSource
            .optional()
            .describe(
                "A file or directory of the repository, relative to the Pulumi project root, copied byte for " +
                    "byte (a directory lands below path); shipped in the build context and hashed into the build " +
                    "id.",
            ),
        mode: z
            .string()
            .regex(OCTAL_MODE, "must be an octal mode such as 0644")
            .optional()
            .describe("Octal file mode; 0644 for content, the repository file's own mode for source when unset."),
        secret: z
            .boolean()
            .default(false)
            .describe(
                "Never show the content (`pulumi preview --diff` shows its hash only); set the content with " +
                    "`pulumi config set --secret --path`.",
            ),
    })
    .strict();

/** Plain absolute paths: COPY takes its arguments literally (no shell quoting to hide characters in). */
export const copyPath = z
    .string()
    .regex(/^\/[A-Za-z0-9._@+/*-]*$/, "must be an absolute path of plain characters (COPY takes it literally)");
export const STAGE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const stageName = z.string().regex(STAGE_NAME, "must be a stage name (lower-case letters, digits, -)");

export const stageCopy = z
    .object({
        from: stageName.describe("Stage the path comes from."),
        src: copyPath.describe("Path in the stage."),
        dst: copyPath.describe("Path in the image."),
    })
    .strict();

export const runList = z.array(extraStep).min(1, "must list at least one command");
export const stageStepSchema = z
    .object({
        files: z.array(fileSchema).min(1).optional().describe("Files written into the stage."),
        run: runList.optional().describe("Shell commands, one line each, run in one RUN of the stage."),
        copy: z.array(stageCopy).min(1).optional().describe("`COPY --from=<earlier stage> src dst`."),
    })
    .strict();

export const installItem = z.union([httpUrl, rpmName, z.object({ source: repoSource }).strict()], {
    errorMap: () => ({
        message: "must be a package name, an http(s) RPM URL or {source: <RPM file of the repository>}",
    }),
});

export const STEP_ACTIONS = [
    "install",
    "remove",
    "replace",
    "files",
    "enable",
    "run",
    "copy",
    "kernelModules",
] as const;
export const stepSchema = z
    .object({
        install: z
            .array(installItem)
            .min(1)
            .optional()
            .describe(
                "RPMs installed (names from the mirror, http(s) URLs, or {source} RPM files of the " +
                    "repository); the mirror's .repo file exists only inside this RUN.",
            ),
        remove: z.array(rpmName).min(1).optional().describe("Base packages removed."),
        replace: z
            .array(z.union([httpUrl, rpmName]))
            .min(1)
            .optional()
            .describe(
                "Base packages swapped with rpm-ostree override replace (URLs, or names from the mirror); " +
                    "replacing the kernel takes all of kernel, kernel-core, kernel-modules, kernel-modules-core, " +
                    "kernel-modules-extra and installs cliwrap first.",
            ),
        from: z
            .string()
            .regex(REPO_ID)
            .optional()
            .describe("Mirror repo id package names in replace come from (default: the first mirror repo)."),
        files: z
            .array(fileSchema)
            .min(1)
            .optional()
            .describe("Files added (content or source), COPYed and chmodded in this step."),
        enable: z
            .array(z.string().regex(UNIT_NAME, "must be a systemd unit name such as foo.service"))
            .min(1)
            .optional()
            .describe("systemd units enabled."),
        run: runList.optional().describe("Shell commands, one line each, run in one RUN."),
        copy: z
            .array(
                stageCopy.extend({
                    dst: imagePath.describe("Path in the image (under /etc or /usr, as image.files)."),
                }),
            )
            .min(1)
            .optional()
            .describe("Paths copied from a builder stage (`COPY --from=<stage> src dst`)."),
        kernelModules: z
            .array(
                z
                    .object({
                        name: z
                            .string()
                            .regex(/^[A-Za-z0-9_-]+$/, "must be a kernel module name")
                            .describe("Module name (file name without .ko)."),
                        stage: stageName.describe("Builder stage the module was built in."),
                        path: z
                            .string()
                            .regex(/^\/[A-Za-z0-9._@+/-]+\.ko$/, "must be the absolute path of a .ko file")
                            .describe("Path of the .ko in the stage."),
                    })
                    .strict(),
            )
            .min(1)
            .optional()
            .describe(
                "Kernel modules from a builder stage: checked against the base image's kernel-core " +
                    "(vermagic), installed under /usr/lib/modules/<kver>/extra/, depmod, and loaded at boot " +
                    "(/usr/lib/modules-load.d).",
            ),
    })
    .strict();

export const stageSchema = z
    .object({
        name: stageName.describe("Stage name (`FROM … AS <name>`)."),
        base: z
            .string()
            .refine(
                v => v === "driver-toolkit" || DIGEST_REF.test(v),
                'must be pinned by digest (…@sha256:<64 hex>) or be "driver-toolkit"',
            )
            .describe(
                "The stage's FROM, by digest, or \"driver-toolkit\": the cluster's driver-toolkit image " +
                    "(ImageStream openshift/driver-toolkit, tag latest, by digest; needs rhcos-forge:kubeconfig), " +
                    "for building kernel modules against the release's kernel.",
            ),
        steps: z.array(stageStepSchema).default([]).describe("Steps of the stage, in order."),
    })
    .strict();

/** Day-0 media `cosa osbuild <platform>` makes (metal, metal4k, live). */
export const COSA_ARTIFACTS = ["metal", "metal4k", "live"] as const;

export const cosaSchema = z
    .object({
        container: z
            .string({ required_error: "is required: the coreos-assembler image pinned by digest" })
            .regex(
                DIGEST_REF,
                "must be pinned by digest (…@sha256:<64 hex>), " +
                    "e.g. quay.io/coreos-assembler/coreos-assembler@sha256:…",
            )
            .describe("coreos-assembler container image, pinned by digest."),
        config: z
            .string({
                required_error:
                    "is required: the cosa config git repository (e.g. https://github.com/openshift/os.git)",
            })
            .regex(/^(https?|git|ssh):\/\/[^\s'"\\]+$/, "must be a git URL (https://, git:// or ssh://)")
            .describe("Config git repository `cosa init` clones (openshift/os for RHCOS/SCOS, or a fork)."),
        branch: z
            .string({ required_error: "is required: the config branch (e.g. release-4.19)" })
            .regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, "must be a git branch name")
            .describe("Config branch (`cosa init --branch`)."),
        commit: z
            .string()
            .regex(/^[0-9a-f]{40}$/, "must be a full 40-hex commit id")
            .optional()
            .describe("Pin the config to this commit; unset builds the branch head at each run."),
        variant: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a variant name such as ocp-rhel-9.6")
            .optional()
            .describe(
                "`cosa init --variant` (openshift/os: ocp-rhel-9.6, …); the config's default when unset. Only " +
                    "variants with the OpenShift components, unless allowNonOpenShiftVariant.",
            ),
        allowNonOpenShiftVariant: z
            .boolean()
            .default(false)
            .describe(
                "Allow a variant (or config) without kubelet and CRI-O (openshift/os rhel-9.x, c9s, c10s; " +
                    "coreos/rhel-coreos-config): nodes booting it leave the cluster.",
            ),
        artifacts: z
            .array(z.enum(COSA_ARTIFACTS))
            .default([])
            .describe("Day-0 media built with `cosa osbuild` and served from the mirror under artifacts/<build id>/."),
    })
    .strict();

export const imageSchema = z
    .object({
        base: z
            .string()
            .refine(
                v => v === "cluster" || DIGEST_REF.test(v),
                'must be pinned by digest (…@sha256:<64 hex>) or be "cluster"',
            )
            .describe('Base RHCOS image by digest, or "cluster" to read the cluster\'s baseOSContainerImage.'),
        repository: z
            .string({ required_error: "is required: the registry repository the image is pushed to" })
            .regex(REPOSITORY, "must be a registry repository without tag or digest (e.g. quay.io/org/rhcos-custom)")
            .describe("Registry repository the layered image is pushed to."),
        packages: z.array(rpmName).default([]).describe("Packages installed with rpm-ostree install."),
        remove: z.array(rpmName).default([]).describe("Base packages removed with rpm-ostree override remove."),
        replace: z
            .array(z.union([httpUrl, rpmName]))
            .default([])
            .describe("RPMs (URLs or package names from the mirror) swapped in with rpm-ostree override replace."),
        files: z.array(fileSchema).default([]).describe("Files added to the image."),
        units: z
            .array(z.string().regex(UNIT_NAME, "must be a systemd unit name such as foo.service"))
            .default([])
            .describe("systemd units enabled in the image."),
        extraSteps: z
            .array(extraStep)
            .default([])
            .describe(
                "Shell commands, one per entry and one line each, each rendered as its own `RUN <command> && " +
                    "ostree container commit` after the package step.",
            ),
        steps: z
            .array(stepSchema)
            .default([])
            .describe(
                "Ordered steps after the keys above, one RUN (or COPY) each: each has exactly one of install, " +
                    "remove, replace, files, enable, run, copy, kernelModules.",
            ),
        stages: z
            .array(stageSchema)
            .default([])
            .describe(
                "Builder stages (`FROM <digest> AS <name>`) whose output copy and kernelModules steps take " +
                    "into the image.",
            ),
        dialect: z
            .enum(["rpm-ostree", "dnf"])
            .optional()
            .describe(
                "rpm-ostree (rpm-ostree install, ostree container commit) or dnf (dnf install && dnf clean " +
                    "all, a final bootc container lint); the default follows rhcos-forge:cluster.openshiftVersion " +
                    "(components/openshift/releases.ts: rpm-ostree on 4.16–4.22, as the MCO's own build template " +
                    "writes it; dnf is opt-in).",
            ),
        // Values go into the Containerfile's LABEL k="v": a control character breaks the line and the
        // builder expands $VAR there, so the label would not be the value given.
        labels: z
            .record(
                z.string().regex(/^[a-z0-9.\/_-]+$/),
                z
                    .string()
                    .regex(
                        /^[^"\\$\u0000-\u001f\u007f]*$/,
                        'must be a label value without ", \\, $ or control characters',
                    ),
            )
            .default({})
            .describe("OCI labels added to the image."),
        // The rules build-image.sh enforces on RF_PODMAN_BUILD_ARGS, here where the message names the key.
        buildArgs: z
            .array(
                z
                    .string()
                    .regex(
                        /^--?[A-Za-z0-9][A-Za-z0-9-]*(=[^\s'"\\]*)?$|^[^\s'"\\-][^\s'"\\]*$/,
                        "must be a plain podman build flag or value",
                    )
                    .refine(
                        a => /[\s'"\\]/.test(a) || /^[A-Za-z0-9_./:=,+%@-]+$/.test(a),
                        "must be a plain podman build flag or value (letters, digits and _ . / : = , + % @ -; " +
                            "no shell characters)",
                    )
                    .refine(
                        a => !/^(-v|--volume|--mount)(=|$)/.test(a),
                        "must not mount host paths into the build (-v, --volume, --mount)",
                    )
                    .refine(
                        a => !/(^|=)\//.test(a) && !/(^|[/=])\.\.(\/|$)/.test(a),
                        "must not name a path outside the build context (absolute, or with ..)",
                    ),
            )
            .default([])
            .describe("Extra `podman build` flags (e.g. --isolation chroot)."),
        tlsVerify: z.boolean().default(true).describe("Verify TLS for pulls, pushes and inspects."),
        allowBaseMismatch: z
            .boolean()
            .default(false)
            .describe(
                "Roll out even when image.base is not the cluster's current baseOSContainerImage (nodes would " +
                    "leave the cluster's RHCOS).",
            ),
        builder: z
            .enum(["podman", "cosa"])
            .default("podman")
            .describe(
                "podman: layer image.* onto image.base with podman build. cosa: a full OS build with " +
                    "coreos-assembler (image.cosa); needs /dev/kvm on the build host, which its readiness step " +
                    "checks first, before the mirror or any build.",
            ),
        cosa: cosaSchema.optional().describe("The coreos-assembler build (image.builder cosa)."),
        signing: signingSchema,
        retention: retentionSchema,
    })
    .strict();

/** image.cosa as parsed. */
export type CosaConfig = z.output<typeof cosaSchema>;
