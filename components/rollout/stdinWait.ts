// The entry point of the destroy-time waits (nodeRelease.ts, poolRevert.ts). `pulumi destroy`
// does not run the program, so each wait is the delete step of a command:local:Command that runs
// its file (shell.ts nodeProgramCommand) with the request, kubeconfig included, on stdin. Progress
// goes to stderr; the kubeconfig is never printed; a failure exits 1 with its reason, which the
// command provider reports as the resource's delete error.
import { KubeReader, kubeReader, resolveConnection } from "./kubeApi";
import { Clock, errorText, realClock } from "./poll";

/** What every destroy-time wait is asked: the cluster to read, through which context. */
export interface ClusterRequest {
    readonly kubeconfig: string;
    readonly context?: string;
}

export type Wait<R extends ClusterRequest> = (req: R, reader: KubeReader, clock: Clock, log: (line: string) => void) => Promise<unknown>;

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
        await wait(req, kubeReader(resolveConnection(req.kubeconfig, req.context)), realClock, line => process.stderr.write(`rhcos-forge: ${line}\n`));
    };
    main().catch(e => {
        process.stderr.write(`rhcos-forge: ${errorText(e)}\n`);
        process.exit(1);
    });
}
