// What the config check can know about rhcos-forge:kubeconfig before any resource exists: that it
// is a kubeconfig at all, and that the context the program will use names a cluster with a server
// and a user the rollout can authenticate as. Without this a plain string passed the config check
// and the program failed after MachineConfigs were registered ("kubeconfig is not a YAML map").
//
// The shape is client-go's clientcmd v1 Config (k8s.io/client-go/tools/clientcmd/api/v1/types.go:
// `clusters`, `users`, `contexts` as lists of {name, cluster|user|context}, `current-context`).
// Messages name the entries (context, cluster and user names are not secret) and never a value.
import * as yaml from "js-yaml";

type Entry = Record<string, unknown>;

function isMap(v: unknown): v is Entry {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The named entry's inner map (`cluster`, `user` or `context`), or a problem. */
function named(
    doc: Entry,
    list: "clusters" | "users" | "contexts",
    inner: "cluster" | "user" | "context",
    name: string,
): Entry | string {
    const entries = doc[list];
    if (!Array.isArray(entries)) return `has no ${list} list`;
    const found = entries.find(e => isMap(e) && e.name === name);
    if (found === undefined) {
        const names = entries.filter(isMap).map(e => JSON.stringify(e.name));
        return (
            `has no ${inner} named ${JSON.stringify(name)} (its ${list}: ` +
            `${names.length > 0 ? names.join(", ") : "none"})`
        );
    }
    const value = (found as Entry)[inner];
    return isMap(value) ? value : `${inner} ${JSON.stringify(name)} has no ${inner} map`;
}

/** Auth methods the rollout's API client (components/rollout/kubeApi.ts) can use. */
const USER_AUTH = ["token", "tokenFile", "client-certificate-data", "client-certificate", "username", "exec"] as const;

/** A problem of the kubeconfig, under the config key it belongs to. */
export interface KubeconfigProblem {
    readonly key: "kubeconfig" | "cluster.context";
    readonly message: string;
}

/** A problem of the kubeconfig file itself. */
const fileProblem = (message: string): KubeconfigProblem => ({ key: "kubeconfig", message });

/**
 * Why `text` cannot be used as the cluster's kubeconfig with `context` (rhcos-forge:cluster.context,
 * or the file's current-context), or undefined when it can. The path says which config key the
 * problem belongs to.
 */
export function kubeconfigProblem(text: string, context: string | undefined): KubeconfigProblem | undefined {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (e) {
        const mark = (e as { mark?: { line?: number } }).mark;
        return fileProblem(
            `must be a kubeconfig file (YAML), but it does not parse as ` +
                `YAML${mark?.line === undefined ? "" : ` (line ${mark.line + 1})`}`,
        );
    }
    if (!isMap(doc)) {
        return fileProblem(
            "must be a kubeconfig file (a YAML map with clusters, users, contexts), but it is not a YAML map; " +
                "set it from the file: `pulumi config set --secret rhcos-forge:kubeconfig < ~/.kube/config`",
        );
    }
    const current =
        typeof doc["current-context"] === "string" && doc["current-context"] !== ""
            ? doc["current-context"]
            : undefined;
    const name = context ?? current;
    if (name === undefined) {
        return fileProblem("has no current-context; set rhcos-forge:cluster.context to one of its contexts");
    }
    const key = context === undefined ? "kubeconfig" : "cluster.context";
    const ctx = named(doc, "contexts", "context", name);
    if (typeof ctx === "string")
        return { key, message: `names context ${JSON.stringify(name)}, but the kubeconfig ${ctx}` };
    const clusterName = typeof ctx.cluster === "string" ? ctx.cluster : "";
    const cluster = named(doc, "clusters", "cluster", clusterName);
    if (typeof cluster === "string")
        return fileProblem(`context ${JSON.stringify(name)} refers to a cluster, but the kubeconfig ${cluster}`);
    if (typeof cluster.server !== "string" || !/^https?:\/\/./.test(cluster.server)) {
        return fileProblem(
            `cluster ${JSON.stringify(clusterName)} (context ${JSON.stringify(name)}) has no server URL`,
        );
    }
    const userName = typeof ctx.user === "string" ? ctx.user : "";
    const user = named(doc, "users", "user", userName);
    if (typeof user === "string")
        return fileProblem(`context ${JSON.stringify(name)} refers to a user, but the kubeconfig ${user}`);
    if (user["auth-provider"] !== undefined) {
        return fileProblem(
            `user ${JSON.stringify(userName)} uses an auth-provider plugin, which the rollout's API client ` +
                `does not support; use a token, a client certificate or an exec plugin (\`oc login\` writes a ` +
                `token)`,
        );
    }
    if (!USER_AUTH.some(k => user[k] !== undefined && user[k] !== "")) {
        return fileProblem(
            `user ${JSON.stringify(userName)} (context ${JSON.stringify(name)}) has no credentials (token, ` +
                `tokenFile, client certificate, username or exec)`,
        );
    }
    return undefined;
}
