// The pure parts of cluster.upgrade: a version target resolves to the release the cluster offers,
// where the cluster stands, and the machine-config ClusterOperator's reported version.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alreadyOn, operatorVersion, releaseForVersion } from "../../../components/rollout/upgradeSteps";

const R = (n: string): string => `quay.io/openshift-release-dev/ocp-release@sha256:${n.repeat(64)}`;
const cv = {
    status: {
        history: [{ image: R("1"), version: "4.19.10", state: "Completed" }],
        availableUpdates: [{ version: "4.19.11", image: R("2") }],
        conditionalUpdates: [{ release: { version: "4.20.3", image: R("3") } }],
    },
};

describe("upgradeSteps", () => {
    it("resolves a version through availableUpdates, then conditionalUpdates, or the release already completed", () => {
        assert.equal(releaseForVersion(cv, "4.19.11"), R("2"));
        assert.equal(releaseForVersion(cv, "4.20.3"), R("3"));
        assert.equal(releaseForVersion(cv, "4.19.10"), R("1"));
    });

    it("refuses a version the cluster does not offer, naming the key and what it offers", () => {
        assert.throws(
            () => releaseForVersion(cv, "4.19.30"),
            new RegExp(
                [
                    String.raw`rhcos-forge:cluster.upgrade.version 4.19.30 is not an update the cluster offers `,
                    String.raw`\(ClusterVersion status.availableUpdates and conditionalUpdates list 4.19.11, 4.20.3\)`,
                ].join(""),
            ),
        );
        assert.throws(() => releaseForVersion(undefined, "4.19.11"), /list none/);
    });

    it("knows a cluster already on the release only when that release is Completed", () => {
        assert.equal(alreadyOn(cv, R("1")), true);
        assert.equal(alreadyOn(cv, R("2")), false);
        assert.equal(alreadyOn({ status: { history: [{ image: R("2"), state: "Partial" }] } }, R("2")), false);
    });

    it("reads the operator's own version from the ClusterOperator", () => {
        assert.equal(
            operatorVersion({
                status: {
                    versions: [
                        { name: "operator-image", version: "x" },
                        { name: "operator", version: "4.19.11" },
                    ],
                },
            }),
            "4.19.11",
        );
        assert.equal(operatorVersion({ status: { versions: null } }), undefined);
    });
});
