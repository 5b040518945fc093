// The schema of a cluster stack: rhcos-forge:image.from names the stack whose image it rolls out
// (docs/fleet.md). It has no build host, mirror, build, release or signing: those keys are refused
// (fleet.ts checkImageFromRaw), and what is left is the cluster, the pools and the source.
import { z } from "zod";
import { checkFleet, clusterStackImageSchema } from "./fleet";
import { kubeconfigProblem } from "./kubeconfig";
import { clusterSchema } from "./cluster";
import { checkPools } from "./crossField";
import { rolloutSchema } from "./rollout";

export const clusterStackSchema = z
    .object({
        image: clusterStackImageSchema,
        cluster: clusterSchema,
        rollout: rolloutSchema,
        kubeconfig: z.string().min(1).optional().describe("Secret. kubeconfig of the target cluster."),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        const issue = (path: (string | number)[], message: string) =>
            ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
        // The MachineConfig's osImageURL is the only way another stack's image reaches this cluster's nodes.
        if (cfg.rollout.method !== "machineconfig") {
            issue(
                ["rollout", "method"],
                "must be machineconfig with rhcos-forge:image.from (the image is built elsewhere and set as " +
                    "the pools' osImageURL)",
            );
        }
        if (cfg.rollout.pools.length === 0) issue(["rollout", "pools"], "must list at least one pool");
        checkPools(cfg, issue);
        if (cfg.cluster.renderTo === undefined && cfg.kubeconfig === undefined) {
            issue(["kubeconfig"], "is required unless rhcos-forge:cluster.renderTo is set (set it with --secret)");
        }
        if (cfg.kubeconfig !== undefined) {
            const problem = kubeconfigProblem(cfg.kubeconfig, cfg.cluster.context);
            if (problem !== undefined) issue(problem.key.split("."), problem.message);
        }
        checkFleet(cfg, issue);
    });

export type ClusterStackConfig = z.output<typeof clusterStackSchema>;
