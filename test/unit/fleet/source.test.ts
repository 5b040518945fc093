// The output contract a cluster stack reads from its source (docs/fleet.md), value by value.
import assert from "node:assert/strict";
import { it } from "node:test";
import { SourceContractError, keptImages, resolveSource } from "../../../components/fleet/source";

const REF = `quay.io/example-org/rhcos-forge@sha256:${"1".repeat(64)}`;
const BASE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"b".repeat(64)}`;
const img = { ref: REF, digest: `sha256:${"1".repeat(64)}`, base: BASE };

it("takes the image or what the source finished", () => {
    assert.deepEqual(resolveSource("o/p/s", "image", { image: img }), { state: "ready", image: img });
    assert.deepEqual(resolveSource("o/p/s", "finished", { image: { ...img, ref: "x" }, rollout: { finished: img } }), {
        state: "ready",
        image: img,
    });
    const waiting = resolveSource("o/p/s", "finished", { image: img, rollout: { method: "machineconfig", pools: [] } });
    assert.equal(waiting.state, "unfinished");
});

it("refuses outputs that break the contract, naming the output", () => {
    const bad: [unknown, RegExp][] = [
        [
            { ...img, ref: "quay.io/example-org/rhcos-forge:latest" },
            /o\/p\/s image\.ref "quay.io\/example-org\/rhcos-forge:latest" is not an image pinned by digest/,
        ],
        [{ ...img, digest: `sha256:${"2".repeat(64)}` }, /image\.digest .* is not the digest of/],
        [
            { ...img, base: "cluster" },
            /image\.base "cluster" is not a base image pinned by digest: the base gate cannot check it/,
        ],
        ["text", /o\/p\/s image is not an object/],
    ];
    for (const [value, message] of bad)
        assert.throws(
            () => resolveSource("o/p/s", "image", { image: value }),
            (e: unknown) => e instanceof SourceContractError && message.test(e.message),
        );
    assert.throws(() => resolveSource("o/p/s", "image", {}), /has no output "image"/);
    assert.throws(() => resolveSource("o/p/s", "finished", { image: img }), /has no output "rollout"/);
});

it("keeps only pools whose MachineConfig names an image by digest", () => {
    assert.deepEqual(keptImages({ canary: REF, worker: undefined, infra: "quay.io/x:tag" }), {
        kept: { canary: REF },
        without: ["worker", "infra"],
    });
});
