// rhcos-forge:cluster: the OpenShift release and where manifests go.
import { z } from "zod";
import { OPENSHIFT_VERSIONS } from "../openshift/versions";
import { upgradeSchema } from "./fleet";
import { cidr } from "./validators";

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
        params: {
            hint:
                meant === undefined
                    ? "a YAML number: versions are quoted strings"
                    : `a YAML number: write it quoted, "${meant}"`,
        },
    });
    return value;
}, z.enum(OPENSHIFT_VERSIONS));

export const clusterSchema = z
    .object({
        openshiftVersion: openshiftVersion
            .default("4.19")
            .describe(
                `OpenShift minor version, quoted ` +
                    `(${OPENSHIFT_VERSIONS[0]}–${OPENSHIFT_VERSIONS[OPENSHIFT_VERSIONS.length - 1]}); selects API ` +
                    `versions, CRD schemas and the extensions a pool may use.`,
            ),
        renderTo: z
            .string()
            .min(1)
            .optional()
            .describe("Render manifests into this directory (GitOps) instead of applying them."),
        context: z.string().min(1).optional().describe("kubeconfig context to use."),
        egressCidrs: z
            .array(cidr)
            .default([])
            .describe(
                "Source CIDRs the cluster's nodes reach the internet from; with rollout.method " +
                    "machineosconfig and mirror repos they may reach the build host's mirror port (DigitalOcean " +
                    "firewall).",
            ),
        upgrade: upgradeSchema
            .optional()
            .describe(
                "Upgrade the cluster with one drain and reboot per layered node (docs/fleet.md): {version: " +
                    "x.y.z | image: <release@sha256:...>, eus}.",
            ),
    })
    .strict()
    .default({});
