// The dev stack on OpenShift 4.20 with image.steps, a file from the repository and image.dialect
// dnf, under mocks: the program renders the dialect asked for (dnf + bootc container lint; the
// release's default is rpm-ostree, components/openshift/releases.ts) and ships the repository
// file's bytes in the build bundle.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { TEST_SECRETS, find, installMocks, runBefore, setStackConfig, valueOf } from "../harness";
import { ROOT, loadStackConfig } from "../stackFile";

installMocks();
const config = loadStackConfig("dev", TEST_SECRETS);
const image = JSON.parse(config["rhcos-forge:image"]) as Record<string, unknown>;
image.steps = [
    { files: [{ path: "/usr/share/doc/rhcos-forge/README.md", source: "README.md" }] },
    { run: ["test -s /usr/share/doc/rhcos-forge/README.md"] },
];
image.dialect = "dnf";
config["rhcos-forge:image"] = JSON.stringify(image);
const cluster = JSON.parse(config["rhcos-forge:cluster"]) as Record<string, unknown>;
config["rhcos-forge:cluster"] = JSON.stringify({ ...cluster, openshiftVersion: "4.20" });
setStackConfig(config);

const ran = runBefore();

describe("image.steps through the program", () => {
    it("renders image.dialect dnf: dnf install, no ostree commit, bootc container lint last", async () => {
        const cf = await valueOf(ran.program.containerfile);
        assert.match(cf, /dnf install -y htop tcpdump iperf3 && \\\n    dnf clean all/);
        assert.ok(!cf.includes("ostree container commit"));
        assert.match(cf, /COPY steps\/0\/ \/\nRUN chmod 0644 \/usr\/share\/doc\/rhcos-forge\/README.md\nRUN test -s /);
        assert.match(cf, /RUN bootc container lint\nLABEL /);
    });

    it("ships the repository file's bytes in the build bundle", () => {
        const build = find("command:remote:Command", "image-build");
        const stdin = String(build.inputs.stdin);
        const entry = stdin
            .split("\n")
            .find(l =>
                l.startsWith(
                    `file 0644 ${Buffer.from("steps/0/usr/share/doc/rhcos-forge/README.md").toString("base64")} `,
                ),
            );
        assert.ok(entry !== undefined, "the bundle carries the file");
        assert.ok(Buffer.from(entry.split(" ")[3], "base64").equals(fs.readFileSync(path.join(ROOT, "README.md"))));
    });
});
