// Config of RHEL content (README "RHEL content"): upstream repos that authenticate with a client
// certificate (rhcos-forge:mirrorClientCerts, mirror.repos[].sslcacert), with the cluster's
// entitlement (mirror.repos[].entitlement: cluster), repos a build reaches itself
// (mirror.repos[].fetch: build), and a build host registered with subscription-manager
// (buildHost.register, rhcos-forge:rhsmOrg, rhcos-forge:rhsmActivationKey). schema.ts includes
// the fields and calls checkRhelContent.
import { z } from "zod";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----/;

/** Fields of one mirror.repos[] entry. */
export const repoContentFields = {
    sslcacert: z
        .string()
        .regex(PEM_CERT, "must be PEM certificate text (-----BEGIN CERTIFICATE----- ...)")
        .optional()
        .describe(
            "CA certificate(s), PEM text, the upstream's server certificate is verified against (dnf " +
                "sslcacert); the build host's trust store when unset.",
        ),
    entitlement: z
        .literal("cluster", { errorMap: () => ({ message: 'must be "cluster"' }) })
        .optional()
        .describe(
            "cluster: authenticate with the cluster's RHEL entitlement certificate (Secret " +
                "openshift-config-managed/etc-pki-entitlement), read through rhcos-forge:kubeconfig; the client " +
                "certificate of the repo otherwise comes from rhcos-forge:mirrorClientCerts.<id>.",
        ),
    fetch: z
        .enum(["mirror", "build"])
        .default("mirror")
        .describe(
            "mirror: dnf reposync on the build host, builds install from the mirror. build: not mirrored; " +
                "each RUN that installs reaches the upstream itself, its client certificate mounted as a podman " +
                "build secret (never in a layer).",
        ),
};

/** A client certificate and its key, PEM. Both secrets: they authenticate as the subscription. */
const clientCert = z
    .object({
        sslclientcert: z
            .string()
            .regex(PEM_CERT, "must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)")
            .optional()
            .describe("Client certificate (PEM)."),
        sslclientkey: z
            .string()
            .regex(PEM_KEY, "must be a PEM private key (-----BEGIN ... PRIVATE KEY----- ...)")
            .optional()
            .describe("Its private key (PEM)."),
    })
    .strict();

/** Top-level secret keys. */
export const rhelSecrets = {
    mirrorClientCerts: z
        .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/), clientCert)
        .default({})
        .describe(
            "Secret. Map of upstream repo id to {sslclientcert, sslclientkey} (PEM): the TLS client " +
                "certificate dnf presents to that repo (e.g. a Red Hat CDN entitlement).",
        ),
    rhsmOrg: z
        .string()
        .regex(/^[^\s'"\\]+$/, "must be an organization id without spaces or quotes")
        .optional()
        .describe("Secret. Red Hat organization id the build host registers to (buildHost.register)."),
    rhsmActivationKey: z
        .string()
        .regex(/^[^\s'"\\]+$/, "must be an activation key name without spaces or quotes")
        .optional()
        .describe("Secret. Activation key the build host registers with (buildHost.register)."),
};

interface RhelInputs {
    readonly buildHost: { readonly provider: string; readonly register?: boolean };
    readonly mirror: {
        readonly repos: readonly {
            readonly id: string;
            readonly baseurl: string;
            readonly entitlement?: "cluster";
            readonly sslcacert?: string;
            readonly fetch: "mirror" | "build";
            readonly username?: string;
        }[];
        readonly packageSet: { readonly packages: readonly string[] };
    };
    readonly image: { readonly builder: string };
    readonly rollout: { readonly method: string };
    readonly kubeconfig?: string;
    readonly mirrorClientCerts: Readonly<
        Record<string, { readonly sslclientcert?: string; readonly sslclientkey?: string }>
    >;
    readonly rhsmOrg?: string;
    readonly rhsmActivationKey?: string;
}

/** Whether any repo of the stack authenticates with the cluster's entitlement. */
export function usesClusterEntitlement(cfg: Pick<RhelInputs, "mirror">): boolean {
    return cfg.mirror.repos.some(r => r.entitlement === "cluster");
}

/** The cross-field rules of RHEL content; messages name the key to fix, never a secret's value. */
export function checkRhelContent(cfg: RhelInputs, issue: (path: (string | number)[], message: string) => void): void {
    const ids = cfg.mirror.repos.map(r => r.id);
    for (const [id, cert] of Object.entries(cfg.mirrorClientCerts)) {
        const at = ["mirrorClientCerts", id];
        if (!ids.includes(id)) issue(at, "names no repo in rhcos-forge:mirror.repos");
        // dnf needs both halves: a certificate without its key (or the reverse) fails the TLS
        // handshake on the build host, long after the stack was accepted.
        if (cert.sslclientcert !== undefined && cert.sslclientkey === undefined)
            issue([...at, "sslclientkey"], "is required with sslclientcert (the certificate's private key)");
        if (cert.sslclientkey !== undefined && cert.sslclientcert === undefined)
            issue([...at, "sslclientcert"], "is required with sslclientkey (the key's certificate)");
    }
    cfg.mirror.repos.forEach((r, i) => {
        const at = ["mirror", "repos", i];
        const certified = cfg.mirrorClientCerts[r.id] !== undefined;
        if (r.entitlement === "cluster") {
            if (certified)
                issue(
                    [...at, "entitlement"],
                    `is "cluster" but rhcos-forge:mirrorClientCerts also has a certificate for ` +
                        `${JSON.stringify(r.id)}; keep one of the two`,
                );
            if (cfg.kubeconfig === undefined)
                issue(
                    [...at, "entitlement"],
                    'is "cluster", which reads the Secret openshift-config-managed/etc-pki-entitlement and ' +
                        "needs rhcos-forge:kubeconfig (set it with --secret), or give the certificate in " +
                        "rhcos-forge:mirrorClientCerts",
                );
        }
        // A client certificate (or a CA) over plain HTTP is never used: TLS is what presents it.
        if (
            (certified || r.entitlement !== undefined || r.sslcacert !== undefined) &&
            !r.baseurl.startsWith("https://")
        ) {
            issue(
                [...at, "baseurl"],
                "must be an https:// URL: the repo has a client certificate, entitlement or sslcacert, which " +
                    "only TLS uses",
            );
        }
        if (r.fetch === "build") {
            if (cfg.image.builder === "cosa")
                issue(
                    [...at, "fetch"],
                    "must be mirror with rhcos-forge:image.builder cosa (cosa builds read the mirror only)",
                );
            // A username/password would have to be written into the RUN's .repo file, in a layer's history.
            if (r.username !== undefined)
                issue(
                    [...at, "fetch"],
                    "must be mirror for a repo with a username (a password cannot be passed to the build " +
                        "without a layer seeing it)",
                );
        }
    });
    if (
        cfg.mirror.packageSet.packages.length > 0 &&
        cfg.mirror.repos.length > 0 &&
        cfg.mirror.repos.every(r => r.fetch === "build")
    ) {
        issue(
            ["mirror", "packageSet", "packages"],
            "needs at least one repo of rhcos-forge:mirror.repos with fetch mirror to download from",
        );
    }
    const register = cfg.buildHost.register === true;
    if (register) {
        if (cfg.rhsmOrg === undefined)
            issue(["rhsmOrg"], "is required with rhcos-forge:buildHost.register (set it with --secret)");
        if (cfg.rhsmActivationKey === undefined)
            issue(["rhsmActivationKey"], "is required with rhcos-forge:buildHost.register (set it with --secret)");
    } else {
        for (const key of ["rhsmOrg", "rhsmActivationKey"] as const) {
            if (cfg[key] !== undefined)
                issue(
                    [key],
                    "is set but rhcos-forge:buildHost.register is not true (an ssh build host registers only " +
                        "when asked)",
                );
        }
    }
}
