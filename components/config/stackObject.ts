// The stack's keys, section by section, before the cross-field checks (./crossField.ts): each
// section's schema lives in its own file, the top-level secrets here.
import { z } from "zod";
import { buildHostSchema } from "./buildHost";
import { clusterSchema } from "./cluster";
import { imageSchema } from "./image";
import { mirrorSchema } from "./mirror";
import { releaseSchema } from "./release";
import { rhelSecrets } from "./rhelContent";
import { rolloutSchema } from "./rollout";
import { signingSecrets } from "./signing";
import { REPO_ID, isAuthJson } from "./validators";

export const stackObjectSchema = z
    .object({
        buildHost: buildHostSchema,
        mirror: mirrorSchema.default({}),
        image: imageSchema,
        cluster: clusterSchema,
        rollout: rolloutSchema,
        release: releaseSchema
            .optional()
            .describe("A custom OpenShift release carrying the built OS (`oc adm release new`)."),
        sshPrivateKey: z
            .string()
            .includes("PRIVATE KEY", { message: "must be an OpenSSH private key (PEM)" })
            .optional()
            .describe("Secret. SSH private key for the ssh and digitalocean build hosts."),
        registryAuth: z
            .string()
            .refine(isAuthJson, 'must be a containers auth.json ({"auths": {...}})')
            .optional()
            .describe(
                "Secret. containers auth.json: the cluster pull secret plus push credentials for image.repository.",
            ),
        mirrorPasswords: z
            .record(z.string().regex(REPO_ID), z.string().min(1))
            .default({})
            .describe("Secret. Map of upstream repo id to password."),
        // One line of a .repo file and of the server's credentials file: no whitespace, quotes,
        // backslash, `$` (dnf substitutes variables in option values) or `#`/`;` (comment starts).
        mirrorPassword: z
            .string()
            .min(16, "must be at least 16 characters")
            .max(1024, "must be at most 1024 characters")
            .regex(
                /^[A-Za-z0-9._~+=:,@!%^*\/-]+$/,
                "must be letters, digits and . _ ~ + = : , @ ! % ^ * / - only (no spaces, quotes, $, # or ;)",
            )
            .optional()
            .describe(
                "Secret. Password of the mirror's HTTP basic auth (mirror.auth basic); generated once and " +
                    "kept in the state when unset.",
            ),
        kubeconfig: z
            .string()
            .min(1)
            .optional()
            .describe(
                "Secret. kubeconfig of the target cluster. Checked before any resource: a YAML kubeconfig " +
                    "whose context (`cluster.context`, else its `current-context`) names a cluster with a server " +
                    "URL and a user with credentials (token, client certificate, basic auth or exec plugin); the " +
                    "error names what is missing, never the value.",
            ),
        ...signingSecrets,
        ...rhelSecrets,
    })
    .strict();

/** The stack as the sections parse it, before the cross-field checks. */
export type StackObject = z.output<typeof stackObjectSchema>;
