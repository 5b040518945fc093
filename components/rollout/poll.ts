// The one poll loop every rollout wait uses (pools, ClusterVersion): read, judge, log progress
// when it changes (and as a heartbeat), retry read errors, give up at the timeout. Pure apart
// from the injected clock, so tests replay recorded status sequences without sleeping.

export interface Clock {
    /** Milliseconds, monotonic enough for timeouts. */
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms)),
};

/** One look at the thing being waited for: finished with a value, or still going (and why). */
export type PollStep<T> = { readonly done: T; readonly line: string } | { readonly waiting: string };

export interface PollOptions {
    readonly timeoutMs: number;
    readonly pollMs: number;
    /** Log an unchanged progress line again after this long, so a long wait shows it is alive. */
    readonly heartbeatMs: number;
    readonly log: (message: string) => void;
    /** Errors of this kind end the wait; any other error from `step` is a failed read, retried. */
    readonly isFatal: (error: unknown) => boolean;
    /** The line logged for a failed read. */
    readonly readError: (error: unknown) => string;
    /** The error thrown at the timeout, given the last progress line. */
    readonly timedOut: (lastLine: string) => Error;
    /** Wakes the wait early when what it reads changed (a watch); see Wake. */
    readonly wake?: Wake;
}

/**
 * Lets a poll read again as soon as what it waits for changed (a watch event) instead of at its
 * next interval, with the read rate still bounded: between two reads at least `minMs` pass, and
 * at most the poll interval. It sleeps in slices of `minMs` on the injected clock, so no timer
 * outlives the wait and recorded sequences replay without sleeping.
 */
export class Wake {
    private changed = false;
    constructor(readonly minMs: number) {}

    /** Something changed: the next slice ends the sleep. */
    notify(): void {
        this.changed = true;
    }

    async sleep(clock: Clock, ms: number): Promise<void> {
        const end = clock.now() + ms;
        for (;;) {
            const left = end - clock.now();
            if (left <= 0) break;
            await clock.sleep(Math.min(this.minMs, left));
            if (this.changed) break;
        }
        this.changed = false;
    }
}

export async function pollUntil<T>(step: () => Promise<PollStep<T>>, clock: Clock, opts: PollOptions): Promise<T> {
    const start = clock.now();
    let lastLine = "";
    let lastLogAt = -Infinity;
    for (;;) {
        let line: string;
        try {
            const result = await step();
            if ("done" in result) {
                opts.log(result.line);
                return result.done;
            }
            line = result.waiting;
        } catch (e) {
            if (opts.isFatal(e)) throw e;
            line = opts.readError(e);
        }
        const now = clock.now();
        if (line !== lastLine || now - lastLogAt >= opts.heartbeatMs) {
            opts.log(line);
            lastLine = line;
            lastLogAt = now;
        }
        const elapsed = now - start;
        if (elapsed >= opts.timeoutMs) throw opts.timedOut(line);
        const pause = Math.min(opts.pollMs, opts.timeoutMs - elapsed);
        await (opts.wake === undefined ? clock.sleep(pause) : opts.wake.sleep(clock, pause));
    }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
