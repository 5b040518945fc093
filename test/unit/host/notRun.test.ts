// step.ts notRun/whenRan: what a targeted `pulumi up` leaves out (a skipped create, no outputs,
// resolved by the SDK as a known undefined) becomes unknown, so nothing is parsed from it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { notRun, whenRan } from "../../../components/host/step";

/** The SDK's own view of an output: its known flag and value. */
async function settle<T>(o: pulumi.Output<T>): Promise<{ known: boolean; value: T | undefined }> {
    const inner = o as unknown as { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<T> };
    return { known: await inner.isKnown, value: await inner.promise(true) };
}

describe("whenRan", () => {
    it("is unknown for a command that has not run, and never calls the parser", async () => {
        let called = 0;
        const parsed = pulumi.output(undefined as string | undefined).apply(out =>
            whenRan(out, o => {
                called++;
                return JSON.parse(o) as unknown;
            }),
        );
        const downstream = parsed.apply(() => {
            called++;
            return "x";
        });
        assert.equal((await settle(parsed)).known, false);
        assert.equal((await settle(downstream)).known, false);
        assert.equal(called, 0);
        assert.equal((await settle(notRun<string>())).known, false);
    });

    it("parses the output of a command that ran", async () => {
        const parsed = pulumi
            .output('{"a":1}' as string | undefined)
            .apply(out => whenRan(out, o => JSON.parse(o) as { a: number }));
        assert.deepEqual(await settle(parsed), { known: true, value: { a: 1 } });
    });
});
