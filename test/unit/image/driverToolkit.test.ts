// Reading the cluster's driver-toolkit (components/image/driverToolkit.ts): the ImageStream
// openshift/driver-toolkit's tag latest, by digest, and every other shape refused with a message
// saying what to do.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    DRIVER_TOOLKIT_PATH,
    driverToolkitFromImageStream,
    readDriverToolkit,
    resolveStageBases,
} from "../../../components/image/driverToolkit";

const DTK = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"ab".repeat(32)}`;
/**
 * The ImageStream as a release installs it (openshift/driver-toolkit
 * manifests/01-openshift-imagestream.yaml after `oc adm release new`).
 */
const imageStream = (latest: unknown) => ({
    apiVersion: "image.openshift.io/v1",
    kind: "ImageStream",
    metadata: { namespace: "openshift", name: "driver-toolkit" },
    spec: {
        tags: [
            { name: "latest", importPolicy: { scheduled: true, importMode: "PreserveOriginal" }, from: latest },
            { name: "418.94.202410090804-0", from: { kind: "DockerImage", name: DTK } },
        ],
    },
});

describe("driver-toolkit ImageStream", () => {
    // At /apis/image.openshift.io/v1/namespaces/openshift/imagestreams/driver-toolkit.
    it("reads the latest tag's image by digest from the openshift/driver-toolkit ImageStream", async () => {
        const asked: string[] = [];
        const ref = await readDriverToolkit({
            get: async p => {
                asked.push(p);
                return imageStream({ kind: "DockerImage", name: DTK });
            },
        });
        assert.equal(ref, DTK);
        assert.deepEqual(asked, ["/apis/image.openshift.io/v1/namespaces/openshift/imagestreams/driver-toolkit"]);
        assert.equal(DRIVER_TOOLKIT_PATH, asked[0]);
    });

    const refused: [string, unknown, RegExp][] = [
        [
            "a missing ImageStream",
            undefined,
            new RegExp(
                [
                    String.raw`ImageStream openshift\/driver-toolkit does not exist: .*pin the stage's base by digest `,
                    'instead of "driver-toolkit" \\(`oc adm release info --image-for=driver-toolkit',
                ].join(""),
            ),
        ],
        [
            "no latest tag",
            { spec: { tags: [{ name: "other", from: { kind: "DockerImage", name: DTK } }] } },
            /ImageStream openshift\/driver-toolkit has no tag latest; pin/,
        ],
        ["no tags at all", { spec: {} }, /has no tag latest/],
        [
            "a tag-only image",
            imageStream({ kind: "DockerImage", name: "quay.io/openshift/driver-toolkit:latest" }),
            new RegExp(
                [
                    String.raw`ImageStream openshift\/driver-toolkit tag latest points at `,
                    String.raw`quay\.io\/openshift\/driver-toolkit:latest, which is not pinned by digest `,
                    String.raw`\(…@sha256:<64 hex>\); pin`,
                ].join(""),
            ),
        ],
        [
            "a short digest",
            imageStream({ kind: "DockerImage", name: "quay.io/x/dtk@sha256:abc" }),
            /is not pinned by digest/,
        ],
        [
            "an ImageStreamTag source",
            imageStream({ kind: "ImageStreamTag", name: "driver-toolkit:other" }),
            /tag latest does not point at an image \(from\.kind "ImageStreamTag"\)/,
        ],
        ["a tag without from", imageStream(undefined), /tag latest does not point at an image/],
    ];
    for (const [what, obj, message] of refused) {
        it(`refuses ${what}`, () => assert.throws(() => driverToolkitFromImageStream(obj), message));
    }

    it("replaces only driver-toolkit stage bases", () => {
        const other = `quay.io/x/golang@sha256:${"cd".repeat(32)}`;
        const stages = [
            { name: "kmod", base: "driver-toolkit", steps: [] },
            { name: "go", base: other, steps: [] },
        ];
        assert.deepEqual(
            resolveStageBases(stages, DTK).map(s => s.base),
            [DTK, other],
        );
        assert.deepEqual(resolveStageBases([stages[1]], undefined), [stages[1]]);
        assert.throws(
            () => resolveStageBases(stages, undefined),
            /needs the cluster's driver-toolkit, which was not read/,
        );
    });
});
