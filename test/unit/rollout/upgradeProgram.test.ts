// rhcos-forge:cluster.upgrade under mocks against a fake cluster: the order of the paused-pool
// procedure (clusterUpgrade.ts): build FROM the target release's rhel-coreos -> pause every pool ->
// ClusterVersion desiredUpdate -> wait for ClusterVersion and the machine-config ClusterOperator ->
// each pool's MachineConfig on the new image -> unpause it (canary first, worker after the canary).
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as harness from "../harness";
import { installFakeCluster } from "../rolloutCluster";
import { loadStackConfig } from "../stackFile";
import { withAnswers } from "../fleet/fleetStack";

const RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${"7".repeat(64)}`;
const OLD_RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${"1".repeat(64)}`;
const CV = "/apis/config.openshift.io/v1/clusterversions/version";
const CO = "/apis/config.openshift.io/v1/clusteroperators/machine-config";
const MC = "kubernetes:machineconfiguration.openshift.io/v1:MachineConfig";
const CV_PATCH = "kubernetes:config.openshift.io/v1:ClusterVersionPatch";

harness.installMocks();
const cluster = installFakeCluster();
/** What happened, in order, with how many resources were registered at that moment. */
const events: { what: string; at: number }[] = [];
const cvPatched = (): boolean => harness.registrations.some(r => r.type === CV_PATCH);
const access = withAnswers(
    cluster.access,
    path => {
        if (path === CV) {
            // The CVO finishes after a read once desiredUpdate is set.
            const done = cvPatched() && events.some(e => e.what === "read ClusterVersion after desiredUpdate");
            if (cvPatched() && !done)
                events.push({ what: "read ClusterVersion after desiredUpdate", at: harness.registrations.length });
            const latest = done
                ? { image: RELEASE, version: "4.19.12", state: "Completed" }
                : { image: OLD_RELEASE, version: "4.19.10", state: "Completed" };
            return { status: { desired: latest, history: [latest] } };
        }
        if (path === CO) {
            const version = cvPatched() ? "4.19.12" : "4.19.10";
            if (version === "4.19.12")
                events.push({ what: "ClusterOperator at 4.19.12", at: harness.registrations.length });
            return { status: { versions: [{ name: "operator", version }] } };
        }
        return undefined;
    },
    async (method, path, body) => {
        const pool = /\/machineconfigpools\/([^/]+)$/.exec(path)?.[1];
        const paused = (body as { spec?: { paused?: boolean } }).spec?.paused;
        events.push({ what: `${method} ${pool ?? path} paused=${String(paused)}`, at: harness.registrations.length });
        return {};
    },
);
const cfg = loadStackConfig("dev", harness.TEST_SECRETS);
const clusterCfg = JSON.parse(cfg["rhcos-forge:cluster"]) as Record<string, unknown>;
cfg["rhcos-forge:cluster"] = JSON.stringify({ ...clusterCfg, upgrade: { image: RELEASE } });
const rollout = JSON.parse(cfg["rhcos-forge:rollout"]) as Record<string, unknown>;
cfg["rhcos-forge:rollout"] = JSON.stringify({ ...rollout, timeoutMinutes: 5 });
pulumi.runtime.setAllConfig(
    cfg,
    Object.keys(harness.TEST_SECRETS).map(k => `rhcos-forge:${k}`),
);

let program: harness.Program;
before(async () => {
    program = await harness.runProgram({ access });
    for (let i = 0; i < 100 && !events.some(e => e.what === "PATCH worker paused=false"); i++) await harness.settle();
    await harness.settle();
});

const indexOf = (what: string): number => {
    const e = events.find(x => x.what === what);
    assert.ok(e !== undefined, `${what} happened; events: ${events.map(x => x.what).join(", ")}`);
    return e.at;
};
const registered = (type: string, name: string): number => harness.registrations.indexOf(harness.find(type, name));

describe("cluster.upgrade: the paused-pool procedure, in order", () => {
    it("builds FROM the target release's rhel-coreos, read on the build host", () => {
        const read = harness.find("command:remote:Command", "upgrade-release-read");
        assert.match(
            String(read.inputs.create),
            new RegExp(`RF_RELEASE=${RELEASE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
        );
        const build = harness.registrations.find(
            r => r.type.startsWith("command:") && String(r.inputs.create ?? "").includes("build-image.sh"),
        );
        assert.ok(build, "the image is built");
        assert.match(
            String(build.inputs.create),
            new RegExp(`RF_BASE_IMAGE=${harness.releaseOsImage(RELEASE).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
        );
    });

    it("pauses every pool before desiredUpdate, and desiredUpdate names the release", () => {
        const cv = harness.find(CV_PATCH, "upgrade-clusterversion");
        assert.deepEqual(cv.inputs.spec, { desiredUpdate: { image: RELEASE, version: "4.19.12", force: false } });
        const cvAt = harness.registrations.indexOf(cv);
        assert.ok(
            indexOf("PATCH canary paused=true") <= cvAt && indexOf("PATCH worker paused=true") <= cvAt,
            JSON.stringify(events),
        );
    });

    it("changes a pool's MachineConfig only once ClusterVersion and the MCO ClusterOperator report it", async () => {
        const ref = await harness.valueOf(program.image.ref);
        const canaryMc = registered(MC, "rollout-canary-machineconfig");
        assert.ok(indexOf("read ClusterVersion after desiredUpdate") <= canaryMc);
        assert.ok(indexOf("ClusterOperator at 4.19.12") <= canaryMc);
        assert.equal(
            (harness.find(MC, "rollout-canary-machineconfig").inputs.spec as { osImageURL: string }).osImageURL,
            ref,
        );
    });

    it("unpauses the canary after its MachineConfig and before the worker's; worker last", () => {
        const canaryMc = registered(MC, "rollout-canary-machineconfig");
        const workerMc = registered(MC, "rollout-worker-machineconfig");
        assert.ok(canaryMc < indexOf("PATCH canary paused=false"), JSON.stringify(events));
        assert.ok(indexOf("PATCH canary paused=false") <= workerMc, JSON.stringify(events));
        assert.ok(workerMc < indexOf("PATCH worker paused=false"), JSON.stringify(events));
        assert.deepEqual(
            events.filter(e => e.what.startsWith("PATCH")).map(e => e.what),
            [
                "PATCH canary paused=true",
                "PATCH worker paused=true",
                "PATCH canary paused=false",
                "PATCH worker paused=false",
            ],
        );
    });
});
