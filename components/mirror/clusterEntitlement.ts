// The cluster's RHEL entitlement (`mirror.repos[].entitlement: cluster`): the Simple Content Access
// certificate OpenShift keeps in the Secret openshift-config-managed/etc-pki-entitlement, keys
// entitlement.pem and entitlement-key.pem (openshift/machine-config-operator, main:
// pkg/controller/common/constants.go OpenshiftConfigManagedNamespace / SimpleContentAccessSecretName;
// docs/onclusterlayering-quickstart.md clones exactly these two keys; pkg/operator/sync.go treats a
// missing Secret as "this cluster does not have RHEL entitlements").
//
// Read with a plain GET through the kubeconfig at deployment time rather than a Secret.get
// resource, so the Secret is never a resource in the state; the values flow only into secret
// outputs (the mirror step's stdin, the build bundle).
import { ClientCertificate } from "./repoFiles";

export const ENTITLEMENT_NAMESPACE = "openshift-config-managed";
export const ENTITLEMENT_SECRET = "etc-pki-entitlement";
export const ENTITLEMENT_CERT_KEY = "entitlement.pem";
export const ENTITLEMENT_KEY_KEY = "entitlement-key.pem";
export const ENTITLEMENT_PATH = `/api/v1/namespaces/${ENTITLEMENT_NAMESPACE}/secrets/${ENTITLEMENT_SECRET}`;

/** What reading the Secret needs: a GET returning the object, undefined on 404 (kubeApi's KubeReader). */
export interface SecretReader {
    get(path: string): Promise<unknown>;
}

const where = `Secret ${ENTITLEMENT_NAMESPACE}/${ENTITLEMENT_SECRET}`;

/** The certificate and key of the Secret object; throws naming what is wrong, never a value. */
export function entitlementFromSecret(obj: unknown): ClientCertificate {
    if (obj === undefined) {
        throw new Error(
            `${where} does not exist: the cluster has no RHEL entitlement (Simple Content Access certificate, ` +
                `synced by the Insights Operator); ` +
                "give the repo's certificate in rhcos-forge:mirrorClientCerts instead of entitlement: cluster",
        );
    }
    const data = (obj as { data?: Record<string, unknown> } | null)?.data ?? {};
    const decode = (key: string, marker: RegExp): string => {
        const v = data[key];
        if (typeof v !== "string" || v === "") throw new Error(`${where} has no ${key}`);
        const text = Buffer.from(v, "base64").toString("utf8");
        if (!marker.test(text)) throw new Error(`${where} ${key} is not PEM (${marker.source.replace(/\\/g, "")})`);
        return text;
    };
    return {
        sslclientcert: decode(ENTITLEMENT_CERT_KEY, /-----BEGIN CERTIFICATE-----/),
        sslclientkey: decode(ENTITLEMENT_KEY_KEY, /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/),
    };
}

/** Reads the entitlement from the cluster. */
export async function readClusterEntitlement(reader: SecretReader): Promise<ClientCertificate> {
    return entitlementFromSecret(await reader.get(ENTITLEMENT_PATH));
}
