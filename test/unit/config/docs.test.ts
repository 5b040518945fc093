// The documentation a newcomer copies from stays true: the README's example stack parses with the
// program's own config parser, and docs/config.md is the page the schema generates today.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fs from "fs";
import * as path from "path";
import { describeSchema } from "../../../components/config/doc";
import { parseStackConfig } from "../../../components/config/parse";
import { CONFIG_DOC, CONFIG_DOC_COMMAND, renderConfigPage } from "../../../scripts/config-doc";
import { assertExampleStack } from "../configCases";
import { TEST_SECRETS } from "../harness";
import { ROOT, stackConfigFromYaml } from "../stackFile";

const EXAMPLE_MARKER = "<!-- example-stack: Pulumi.prod.yaml -->";

/** The YAML block right after the README's example-stack marker. */
function readmeExampleStack(): string {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const at = readme.indexOf(EXAMPLE_MARKER);
    assert.ok(at >= 0, `README.md has no ${EXAMPLE_MARKER} line before its example stack`);
    const block = /^```yaml\n([\s\S]*?)^```$/m.exec(readme.slice(at + EXAMPLE_MARKER.length));
    assert.ok(block, `README.md has no \`\`\`yaml block after ${EXAMPLE_MARKER}`);
    return block[1];
}

describe("documentation", () => {
    it("parses the README's example stack with the config parser, once its secrets are set", () => {
        const { sshPrivateKey, registryAuth, kubeconfig } = TEST_SECRETS;
        const cfg = parseStackConfig(
            stackConfigFromYaml(readmeExampleStack(), { sshPrivateKey, registryAuth, kubeconfig }),
        );
        assertExampleStack(cfg);
        assert.equal(cfg.image.base, "cluster");
    });

    it("keeps docs/config.md equal to the page generated from the schema (npm run config-doc)", () => {
        const committed = fs.existsSync(CONFIG_DOC) ? fs.readFileSync(CONFIG_DOC, "utf8") : "";
        assert.ok(
            committed === renderConfigPage(),
            `docs/config.md is stale: run \`${CONFIG_DOC_COMMAND}\` and commit the result`,
        );
    });

    it("documents every key in Pulumi.yaml and docs/config.md", () => {
        const project = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        const reference = fs.readFileSync(CONFIG_DOC, "utf8");
        for (const doc of describeSchema()) {
            const top = doc.key.replace("rhcos-forge:", "").split(".")[0];
            assert.match(project, new RegExp(`^  ${top}:$`, "m"), `${top} declared in Pulumi.yaml`);
            assert.ok(reference.includes(`\`${doc.key}\``), `${doc.key} documented in docs/config.md`);
            assert.notEqual(doc.description, "", `${doc.key} has a description`);
        }
    });
});
