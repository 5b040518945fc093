// rhcos-forge:rollout: how the image reaches nodes, and the pools it rolls through.
import { z } from "zod";
import { KERNEL_TYPES } from "../openshift/machineConfig";
import { CONTAINERFILE_ARCHES } from "../openshift/machineOsConfig";
import { EXTENSIONS, RELEASES } from "../openshift/releases";
import { OPENSHIFT_VERSIONS, OpenShiftVersion } from "../openshift/versions";
import { poolHealthFields } from "./fleet";
import { DNS_LABEL } from "./validators";

const MAX_UNAVAILABLE = "must be a positive count or a percentage such as 10%";
const maxUnavailable = z.union(
    [
        z.number().int(MAX_UNAVAILABLE).min(1, MAX_UNAVAILABLE),
        z.string().regex(/^([1-9][0-9]?|100)%$/, MAX_UNAVAILABLE),
    ],
    { errorMap: () => ({ message: MAX_UNAVAILABLE }) },
);

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

const poolSchema = z
    .object({
        name: z
            .string()
            .regex(DNS_LABEL, "must be a pool name (lowercase letters, digits, -)")
            .describe("MachineConfigPool name."),
        // A Node's name is a DNS-1123 subdomain: dot-separated labels, at most 253 characters
        // (kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go
        // IsDNS1123Subdomain, which ValidateNodeName applies); no node can have any other name, so the
        // label patch would find none.
        nodes: z
            .array(
                z
                    .string()
                    .regex(
                        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
                        "must be a node name (lowercase DNS labels separated by dots, as `oc get nodes` lists them)",
                    )
                    .max(
                        253,
                        "must be a node name of at most 253 characters (a DNS-1123 subdomain, as `oc get " +
                            "nodes` lists them)",
                    ),
            )
            .default([])
            .describe("Nodes labelled into a custom pool."),
        maxUnavailable: maxUnavailable.default(1).describe("Nodes updated at once."),
        paused: z.boolean().default(false).describe("Pause the pool (the MachineConfig is applied when unpaused)."),
        // The node extras are optional rather than defaulted: unset means "rhcos-forge does not manage
        // it", and the MachineConfig then leaves the field out (see manifests.ts renderMachineConfig).
        extensions: z
            .array(z.enum(EXTENSIONS))
            .optional()
            .describe(
                `RHCOS extensions the MCO installs on the pool's nodes; which exist depends on ` +
                    `rhcos-forge:cluster.openshiftVersion (${describeExtensionsByRelease()}); none when unset.`,
            ),
        kernelType: z
            .enum(KERNEL_TYPES)
            .optional()
            .describe(
                "Kernel the pool's nodes boot: default, realtime, or 64k-pages (aarch64 only); default when unset.",
            ),
        kernelArguments: z
            .array(
                z
                    .string()
                    .regex(
                        /^[^\s"'\\]+$/,
                        "must be one kernel argument without whitespace or quotes (e.g. nosmt or hugepagesz=1G)",
                    ),
            )
            .optional()
            .describe("Kernel arguments added on the pool's nodes, one argument per entry; none when unset."),
        ...poolHealthFields,
    })
    .strict();

export const ROLLOUT_METHODS = ["machineconfig", "machineosconfig", "release"] as const;

export const rolloutSchema = z
    .object({
        method: z
            .enum(ROLLOUT_METHODS)
            .default("machineconfig")
            .describe(
                "How the image reaches nodes: machineconfig (built on the build host, a MachineConfig " +
                    "osImageURL) or machineosconfig (built on the cluster by the MCO from a MachineOSConfig).",
            ),
        // Checked in stackConfigSchema: rollout.method release moves the whole cluster, no pools.
        pools: z
            .array(poolSchema)
            .default([])
            .describe("Pools in rollout order (canary first); not used with method release."),
        allowMaster: z
            .boolean()
            .default(false)
            .describe(
                "Allow rolling a custom OS image to the master pool; required by method release, whose " +
                    "ClusterVersion update moves every pool.",
            ),
        timeoutMinutes: z
            .number({ invalid_type_error: "must be a number of minutes (1-1440)" })
            .int("must be a number of minutes (1-1440)")
            .min(1, "must be a number of minutes (1-1440)")
            .max(1440, "must be a number of minutes (1-1440)")
            .default(120)
            .describe(
                "How long one pool may take to update (and, on-cluster, build) before the rollout fails; the " +
                    "next pool starts only after the previous one is updated.",
            ),
        containerfileArch: z
            .enum(CONTAINERFILE_ARCHES)
            .default("NoArch")
            .describe("machineosconfig: the architecture the on-cluster Containerfile is for."),
        force: z
            .boolean()
            .default(true)
            .describe(
                "release: ClusterVersion desiredUpdate.force (`oc adm upgrade --force`); a custom release has " +
                    "no Red Hat signature, so the CVO refuses it without force.",
            ),
    })
    .strict();
