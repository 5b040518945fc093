// ClusterImagePolicy per OpenShift release: the API version each release serves, the object
// validated against that release's CRD schema, and the scope rule the API server applies in CEL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey, renderNodePolicy } from "../../../components/sigstore/signing";
import {
    checkPolicyScope,
    clusterImagePolicyApi,
    renderClusterImagePolicy,
    renderImagePolicyMachineConfig,
} from "../../../components/openshift/clusterImagePolicy";
import { validateAgainstCrd } from "../crds";

const { publicKey } = generateSigningKey("cip-test");
const RELEASES = ["4.16", "4.17", "4.18", "4.19", "4.20", "4.21", "4.22"];

describe("ClusterImagePolicy", () => {
    it("is v1alpha1 (Tech Preview) before 4.20 and v1 from 4.20", () => {
        assert.deepEqual(RELEASES.map(clusterImagePolicyApi), [
            ...Array(4).fill("config.openshift.io/v1alpha1"),
            ...Array(3).fill("config.openshift.io/v1"),
        ]);
    });

    for (const release of RELEASES) {
        it(`validates against the ${release} CRD schema`, () => {
            const cip = renderClusterImagePolicy(release, "quay.io/acme/rhcos-custom", publicKey);
            validateAgainstCrd(`release-${release}`, cip as unknown as Record<string, unknown>);
            assert.deepEqual(cip.spec.scopes, ["quay.io/acme/rhcos-custom"]);
            assert.equal(Buffer.from(cip.spec.policy.rootOfTrust.publicKey.keyData, "base64").toString(), publicKey);
        });
    }

    for (const release of RELEASES) {
        it(`the MachineConfig fallback (no ClusterImagePolicy API) validates against ${release}'s CRD`, () => {
            const mc = renderImagePolicyMachineConfig(
                "worker",
                "quay.io/acme/rhcos-custom",
                renderNodePolicy("quay.io/acme/rhcos-custom", publicKey),
            );
            validateAgainstCrd(`release-${release}`, mc as unknown as Record<string, unknown>);
        });
    }

    it("the CRD schema rejects what the object must not be (so the validation above can fail)", () => {
        const cip = renderClusterImagePolicy("4.20", "quay.io/acme/rhcos-custom", publicKey) as unknown as {
            spec: { policy: { rootOfTrust: Record<string, unknown> } };
        };
        delete cip.spec.policy.rootOfTrust.policyType;
        assert.throws(
            () => validateAgainstCrd("release-4.20", cip as unknown as Record<string, unknown>),
            /policyType/,
        );
    });

    it("refuses scopes the API server's CEL rules refuse", () => {
        assert.equal(checkPolicyScope("quay.io/acme/rhcos"), undefined);
        assert.equal(checkPolicyScope("localhost:5000/rhcos"), undefined);
        assert.equal(checkPolicyScope("registry.example.com:5000/a/b_c"), undefined);
        assert.match(checkPolicyScope("registry:5000/rhcos") ?? "", /host with a dot or localhost/);
        assert.match(checkPolicyScope("quay.io/Acme/rhcos") ?? "", /lower-case/);
        assert.throws(() => renderClusterImagePolicy("4.20", "registry/rhcos", publicKey), /ClusterImagePolicy scope/);
    });
});
