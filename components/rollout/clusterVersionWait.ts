// Waiting for a cluster to finish updating to a release, as pure logic: `evaluateClusterVersion`
// turns one read of ClusterVersion `version` into done / waiting, and `waitForClusterVersion` polls
// it with an injected clock (the same Clock the pool wait uses), so recorded status sequences are
// replayed in tests without sleeping.
import { Clock, errorText, pollUntil } from "./poll";
import type { Condition } from "./poolWait";

export interface ClusterVersionObject {
    readonly status?: {
        readonly desired?: { readonly image?: string; readonly version?: string };
        readonly history?: readonly { readonly image?: string; readonly state?: string; readonly version?: string }[];
        readonly conditions?: readonly Condition[];
    };
}

export type ClusterVersionVerdict =
    { readonly state: "done"; readonly version: string } | { readonly state: "waiting"; readonly reason: string };

/** Done when the newest history entry is the release and the CVO calls it Completed. */
export function evaluateClusterVersion(cv: ClusterVersionObject | undefined, image: string): ClusterVersionVerdict {
    if (cv === undefined) return { state: "waiting", reason: "ClusterVersion version not found" };
    const latest = cv.status?.history?.[0];
    const cond = (type: string): Condition | undefined => cv.status?.conditions?.find(c => c.type === type);
    if (latest?.image === image && latest.state === "Completed")
        return { state: "done", version: latest.version ?? "" };
    const parts = [`history[0] ${latest?.version ?? "?"} (${latest?.state ?? "?"})`];
    if (cv.status?.desired?.image !== image) parts.push("the CVO has not picked up the new desiredUpdate yet");
    const progressing = cond("Progressing")?.message;
    if (progressing) parts.push(progressing);
    const failing = cond("Failing");
    // The CVO reports Failing=True while it retries (an operator slow to update); it is progress, not the end.
    if (failing?.status === "True" && failing.message) parts.push(`failing: ${failing.message}`);
    const retrieved = cond("ReleaseAccepted");
    if (retrieved?.status === "False" && retrieved.message) parts.push(`release not accepted: ${retrieved.message}`);
    return { state: "waiting", reason: parts.join("; ") };
}

export interface ClusterVersionWaitOptions {
    readonly timeoutMs: number;
    readonly pollMs?: number;
    readonly heartbeatMs?: number;
    readonly log: (message: string) => void;
}

/**
 * Polls until the cluster runs `image` (resolves with its version) or the timeout passes (rejects
 * with the last status). Read errors are logged and retried: the API server itself restarts
 * during an upgrade.
 */
export async function waitForClusterVersion(
    image: string,
    observe: () => Promise<ClusterVersionObject | undefined>,
    clock: Clock,
    opts: ClusterVersionWaitOptions,
): Promise<string> {
    return pollUntil<string>(
        async () => {
            const verdict = evaluateClusterVersion(await observe(), image);
            return verdict.state === "done"
                ? { done: verdict.version, line: `cluster updated to ${verdict.version} (${image})` }
                : { waiting: `cluster updating to ${image}: ${verdict.reason}` };
        },
        clock,
        {
            timeoutMs: opts.timeoutMs,
            pollMs: opts.pollMs ?? 30_000,
            heartbeatMs: opts.heartbeatMs ?? 300_000,
            log: opts.log,
            isFatal: () => false,
            readError: e => `cannot read ClusterVersion (${errorText(e)}); retrying`,
            timedOut: last =>
                new Error(
                    `the cluster did not finish updating to ${image} within ` +
                        `${Math.round(opts.timeoutMs / 60_000)} minutes (rhcos-forge:rollout.timeoutMinutes); ` +
                        `last: ${last}`,
                ),
        },
    );
}
