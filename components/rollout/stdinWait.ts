// The entry point of the destroy-time waits (nodeRelease.ts, poolRevert.ts). `pulumi destroy`
// does not run the program, so each wait is the delete step of a command:local:Command that runs
// its file (shell.ts nodeProgramCommand) with the request, kubeconfig included, on stdin. Progress
// goes to stderr; the kubeconfig is never printed; a failure exits 1 with its reason, which the
// command provider reports as the resource's delete error.
import { KubeReader, kubeReader, resolveConnection } from "./kubeApi";
import { Clock, PollOptions, errorText, realClock } from "./poll";

/** What every destroy-time wait is asked: the cluster to read, through which context. */
export interface ClusterRequest {
    readonly kubeconfig: string;
    readonly context?: string;
}

/** How long a destroy-time wait may take and how often it reads. */
export interface WaitTiming {
    readonly timeoutMs: number;
    readonly pollMs: number;
}

/**
 * The poll options every destroy-time wait shares: no state is fatal (a destroy only waits for the
 * cluster to get there), read errors are retried, a heartbeat every 5 minutes. `subject` names what
 * is read ("node x", "pool y"); `timedOut` says, given the minutes, what did not happen and what is kept.
 */
export function destroyWaitOptions(
    req: WaitTiming,
    log: (line: string) => void,
    subject: string,
    timedOut: (minutes: number) => string,
): PollOptions {
    return {
        timeoutMs: req.timeoutMs,
        pollMs: req.pollMs,
        heartbeatMs: 300_000,
        log,
        isFatal: () => false,
        readError: e => `${subject}: cannot read it (${errorText(e)}); retrying`,
        timedOut: last => new Error(`${timedOut(Math.round(req.timeoutMs / 60_000))}. Last: ${last}`),
    };
}

export type Wait<R extends ClusterRequest> = (
    req: R,
    reader: KubeReader,
    clock: Clock,
    log: (line: string) => void,
) => Promise<unknown>;

function readStdin(): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        process.stdin.on("data", (c: Buffer) => chunks.push(c));
        process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.on("error", reject);
    });
}

/** Reads the request from stdin and runs the wait against the live cluster; exits 1 on failure. */
export function runWaitFromStdin<R extends ClusterRequest>(wait: Wait<R>): void {
    const main = async (): Promise<void> => {
        const req = JSON.parse(await readStdin()) as R;
        await wait(req, kubeReader(resolveConnection(req.kubeconfig, req.context)), realClock, line =>
            process.stderr.write(`rhcos-forge: ${line}\n`),
        );
    };
    main().catch(e => {
        process.stderr.write(`rhcos-forge: ${errorText(e)}\n`);
        process.exit(1);
    });
}
