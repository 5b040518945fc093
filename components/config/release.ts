// rhcos-forge:release: a custom OpenShift release payload carrying the built OS.
import { z } from "zod";
import { DIGEST_REF, REPOSITORY } from "../openshift/pullspec";
import { OS_IMAGE_COMPONENTS } from "../openshift/releases";
import { semverProblem } from "../openshift/semver";
import { DNS_LABEL } from "./validators";

const releaseOverrideName = /^[a-z0-9][a-z0-9-]*$/;

const manifestSchema = z
    .object({
        apiVersion: z
            .string()
            .regex(
                /^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/,
                "must be an apiVersion such as v1 or config.openshift.io/v1",
            )
            .describe("The object's apiVersion."),
        kind: z
            .string()
            .regex(/^[A-Z][A-Za-z0-9]*$/, "must be a Kind such as ConfigMap")
            .describe("The object's kind."),
        metadata: z
            .object({
                name: z
                    .string()
                    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name")
                    .describe("The object's name."),
                namespace: z
                    .string()
                    .regex(DNS_LABEL, "must be a namespace name")
                    .optional()
                    .describe("The object's namespace (namespaced kinds)."),
                annotations: z
                    .record(z.string())
                    .optional()
                    .describe(
                        "Annotations; the CVO include.release.openshift.io/* and " +
                            "release.openshift.io/create-only ones are added when missing.",
                    ),
            })
            .passthrough(),
    })
    .passthrough();

export const releaseSchema = z
    .object({
        from: z
            .string({ required_error: "is required: the release image to start from, pinned by digest" })
            .regex(DIGEST_REF, "must be a release image pinned by digest (…@sha256:<64 hex>)")
            .describe("Release image the custom release starts from (`oc adm release new --from-release`)."),
        repository: z
            .string({ required_error: "is required: the registry repository the release is pushed to" })
            .regex(REPOSITORY, "must be a registry repository without tag or digest (e.g. quay.io/org/ocp-release)")
            .describe("Registry repository the custom release is pushed to (`--to-image`)."),
        name: z
            .string()
            .superRefine((v, ctx) => {
                const why = semverProblem(v);
                if (why !== undefined)
                    ctx.addIssue({
                        code: z.ZodIssueCode.custom,
                        message:
                            `must be a semantic version such as 4.19.10-custom.1 (oc adm release new --name ` +
                            `refuses any other): it ${why}`,
                    });
            })
            .optional()
            .describe(
                "Release name (`--name`), a semantic version such as 4.19.10-custom.1; the from-release's " +
                    "version when unset.",
            ),
        osComponent: z
            .enum([...OS_IMAGE_COMPONENTS, "machine-os-content"])
            .default("rhel-coreos")
            .describe(
                "Release component the built OS image replaces: rhel-coreos, or rhel-coreos-10 on 4.21+ (the " +
                    "MCO's install/image-references). machine-os-content is refused: no 4.16+ release has it.",
            ),
        overrides: z
            .record(
                z.string().regex(releaseOverrideName, "must be a release component name"),
                z.string().regex(DIGEST_REF, "must be pinned by digest (…@sha256:<64 hex>)"),
            )
            .default({})
            .describe("Other components replaced in the release: name → image@sha256:…."),
        manifests: z
            .array(manifestSchema)
            .default([])
            .describe(
                "Kubernetes objects added to the release payload; CVO include/create-only annotations are " +
                    "added when missing.",
            ),
        tlsVerify: z.boolean().default(true).describe("Verify TLS when reading and pushing release images."),
    })
    .strict();
