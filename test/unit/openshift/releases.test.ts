// The one table of per-release OpenShift knowledge (components/openshift/releases.ts): a row for
// every supported version, extension lists consistent with the schema's list of all names, OS
// components and cosa variants, and CRDs on disk for every row.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { EXTENSIONS, RELEASES, cosaBranchRelease } from "../../../components/openshift/releases";
import { OPENSHIFT_VERSIONS } from "../../../components/openshift/versions";
import { CRD_ROOT, crdRelease, validatorFor } from "../crds";

describe("OpenShift releases", () => {
    it("has exactly one row per supported version", () => {
        assert.deepEqual(Object.keys(RELEASES).sort(), [...OPENSHIFT_VERSIONS].sort());
    });

    it("lists every release's extensions, and only those, in EXTENSIONS, in the MCO's order", () => {
        const union = new Set(OPENSHIFT_VERSIONS.flatMap(v => RELEASES[v].extensions));
        assert.deepEqual([...EXTENSIONS].sort(), [...union].sort(), "EXTENSIONS is the union of the per-release lists");
        for (const v of OPENSHIFT_VERSIONS) {
            const list = RELEASES[v].extensions;
            assert.equal(new Set(list).size, list.length, `${v}: no duplicates`);
            assert.deepEqual(
                list,
                EXTENSIONS.filter(e => list.includes(e)),
                `${v}: in the order of EXTENSIONS`,
            );
        }
    });

    it("records the MCO's extension changes: sysstat in 4.18, two-node-ha in 4.19, wasm gone in 4.22", () => {
        const has = (v: keyof typeof RELEASES, e: (typeof EXTENSIONS)[number]) => RELEASES[v].extensions.includes(e);
        assert.deepEqual([has("4.17", "sysstat"), has("4.18", "sysstat")], [false, true]);
        assert.deepEqual([has("4.18", "two-node-ha"), has("4.19", "two-node-ha")], [false, true]);
        assert.deepEqual([has("4.21", "wasm"), has("4.22", "wasm")], [true, false]);
    });

    it("names rhel-coreos (the OS nodes boot) first, rhel-coreos-10 from 4.21, machine-os-content nowhere", () => {
        for (const v of OPENSHIFT_VERSIONS) {
            const os: readonly string[] = RELEASES[v].osImageComponents;
            assert.equal(os[0], "rhel-coreos", v);
            assert.equal(os.includes("rhel-coreos-10"), v === "4.21" || v === "4.22", v);
            assert.ok(!os.includes("machine-os-content"), v);
        }
    });

    it("has a default cosa variant among its variants where openshift/os is a cosa config, none from 4.20", () => {
        for (const v of OPENSHIFT_VERSIONS) {
            const { openshift, default: byDefault } = RELEASES[v].cosaVariants;
            if (["4.16", "4.17", "4.18", "4.19"].includes(v))
                assert.ok(byDefault !== undefined && openshift.includes(byDefault), v);
            else assert.deepEqual([openshift, byDefault], [[], undefined], v);
        }
    });

    it("takes a cosa branch's release from its name, else the cluster's", () => {
        assert.equal(cosaBranchRelease("release-4.17", "4.19"), "4.17");
        assert.equal(cosaBranchRelease("release-4.9", "4.19"), "4.19");
        assert.equal(cosaBranchRelease("my-fork", "4.18"), "4.18");
    });

    for (const v of OPENSHIFT_VERSIONS) {
        it(`${v}: has its CRDs in ../shared/crds/${crdRelease(v)}/, serving its MachineOSConfig API`, () => {
            assert.ok(fs.statSync(path.join(CRD_ROOT, crdRelease(v))).isDirectory());
            const api = `machineconfiguration.openshift.io/${RELEASES[v].machineOSConfigApi}`;
            assert.equal(typeof validatorFor(crdRelease(v), api, "MachineOSConfig"), "function");
            const other = RELEASES[v].machineOSConfigApi === "v1" ? "v1alpha1" : "v1";
            assert.throws(
                () => validatorFor(crdRelease(v), `machineconfiguration.openshift.io/${other}`, "MachineOSConfig"),
                /no CRD/,
                `${v} does not serve MachineOSConfig ${other}`,
            );
        });
    }
});
