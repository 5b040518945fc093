// The release gate: no rollout of an image built on another base than the cluster's current
// baseOSContainerImage, unless image.allowBaseMismatch says so.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReleaseGateError, checkReleaseGate, gateImageRef } from "../../../components/image/baseGate";

const d = (c: string) => "sha256:" + c.repeat(64);
const CLUSTER = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${d("a")}`;
const REF = `quay.io/example-org/rhcos-forge@${d("f")}`;

describe("release gate", () => {
    it("passes an image built on the cluster's base", () => {
        assert.deepEqual(checkReleaseGate({ imageBase: CLUSTER, clusterBase: CLUSTER, allowMismatch: false }), {
            ok: true,
        });
    });

    it("passes the same base pulled through a mirror registry (same digest)", () => {
        assert.deepEqual(
            checkReleaseGate({
                imageBase: `mirror.corp.example.com/ocp/release@${d("a")}`,
                clusterBase: CLUSTER,
                allowMismatch: false,
            }),
            { ok: true },
        );
    });

    it("refuses an image on another base, saying how to fix it", () => {
        const result = checkReleaseGate({
            imageBase: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${d("b")}`,
            clusterBase: CLUSTER,
            allowMismatch: false,
        });
        assert.deepEqual(result, {
            ok: false,
            message:
                `refusing to roll out: image base quay.io/openshift-release-dev/ocp-v4.0-art-dev@${d("b")} is ` +
                `not the cluster's current baseOSContainerImage ${CLUSTER} ` +
                ("(nodes would leave the RHCOS this cluster release ships). Build on the cluster's base with " +
                    "rhcos-forge:image.base=cluster, ") +
                "or set rhcos-forge:image.allowBaseMismatch=true to roll out anyway.",
        });
    });

    it("lets an explicit allowBaseMismatch through, with a warning", () => {
        const warnings: string[] = [];
        assert.equal(
            gateImageRef(
                REF,
                { imageBase: `quay.io/x/rhcos@${d("b")}`, clusterBase: CLUSTER, allowMismatch: true },
                w => warnings.push(w),
            ),
            REF,
        );
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /rolling out anyway because rhcos-forge:image\.allowBaseMismatch is true$/);
    });

    it("refuses anything not pinned by digest on either side", () => {
        assert.equal(
            checkReleaseGate({ imageBase: "quay.io/x/rhcos:4.19", clusterBase: CLUSTER, allowMismatch: true }).ok,
            false,
        );
        assert.equal(
            checkReleaseGate({ imageBase: CLUSTER, clusterBase: "quay.io/x/rhcos:4.19", allowMismatch: true }).ok,
            false,
        );
    });

    it("throws a ReleaseGateError from gateImageRef", () => {
        assert.throws(
            () =>
                gateImageRef(
                    REF,
                    { imageBase: `quay.io/x/rhcos@${d("b")}`, clusterBase: CLUSTER, allowMismatch: false },
                    () => undefined,
                ),
            (e: unknown) => e instanceof ReleaseGateError && e.message.startsWith("refusing to roll out"),
        );
    });
});
