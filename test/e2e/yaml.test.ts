// rhcos-forge's TypeScript components from a Pulumi YAML program (issue 23): test/e2e/yaml/program
// names test/e2e/yaml/component (a source-based component package, PulumiPlugin.yaml runtime
// nodejs) under `packages:`; the engine, the YAML language host (scripts/install-pulumi-yaml.sh)
// and the nodejs language host serving the component through @pulumi/pulumi's
// componentProviderHost are the real upstream ones. ClusterBaseImage reads the base image from a
// real kube-apiserver. What keeps the library's components from being exported as they are:
// docs/yaml-components.md.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Env, REPO_ROOT, addSecret, leakedSecrets, run } from "../host/harness";
import { applyExports, engineEnv } from "../../dev/pulumiCli";
import { ApiServer, startApiServer } from "../cluster/apiServer";
import { MCO_NAMESPACE } from "../cluster/seed";
import { PASSPHRASE, ProgramCli, assertResourceTypes, itPlansNothingAgain } from "./setup";

const PROGRAM = join(REPO_ROOT, "test", "e2e", "yaml", "program");
const STACK = "e2e";
const BASE_IMAGE = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"b".repeat(64)}`;

let env: Env;
let api: ApiServer;
const cli = new ProgramCli(PROGRAM, STACK);
const pulumi = (args: string[], opts: { input?: string } = {}): Promise<string> => cli.pulumi(args, opts);

interface Exported {
    deployment: { resources?: { type: string; urn: string }[] };
}

before(async () => {
    env = new Env("rf-e2e-yaml-");
    const yamlHost = await run("bash", [join(REPO_ROOT, "scripts", "install-pulumi-yaml.sh")], {
        cwd: REPO_ROOT,
        timeoutMs: 20 * 60 * 1000,
    });
    cli.engine = applyExports(yamlHost.stdout, {
        ...(await engineEnv()),
        PULUMI_BACKEND_URL: `file://${env.mkdir("backend")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    });
    api = await startApiServer(env, "yaml-apiserver");
    addSecret(api.kubeconfig);
    // What the MCO keeps on every cluster: the release's base RHCOS image by digest.
    await api.client.create("/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: MCO_NAMESPACE },
    });
    await api.client.create(`/api/v1/namespaces/${MCO_NAMESPACE}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "machine-config-osimageurl", namespace: MCO_NAMESPACE },
        data: { baseOSContainerImage: BASE_IMAGE },
    });
    await pulumi(["stack", "init", "--secrets-provider", "passphrase"]);
    await pulumi(["config", "set", "--secret", "kubeconfig"], { input: api.kubeconfig });
});

after(async () => {
    // The stack's config file `pulumi stack init` wrote beside Pulumi.yaml (the salt, the kubeconfig).
    rmSync(join(PROGRAM, `Pulumi.${STACK}.yaml`), { force: true });
    await api?.stop();
    await env?.teardown();
});

describe("a Pulumi YAML program uses rhcos-forge's TypeScript components", () => {
    it("up reads the cluster's base image through ClusterBaseImage, served by the component package", async () => {
        await pulumi(["up", "--yes"]);
        const out = JSON.parse(await pulumi(["stack", "output", "--json"])) as { baseImage: string };
        assert.equal(out.baseImage, BASE_IMAGE);
        // The YAML program's resource, the library's own component under it, and its read.
        const types = [
            "rhcos-forge:index:ClusterBaseImageReader",
            "rhcos-forge:image:ClusterBaseImage",
            "kubernetes:core/v1:ConfigMap",
        ];
        assertResourceTypes(await pulumi(["stack", "export"]), types);
    });

    itPlansNothingAgain(cli, ["same", "read"]);

    it("the kubeconfig stays a secret: never in the output or the state", async () => {
        const exported = await pulumi(["stack", "export"]);
        const token = /token: (\S+)/.exec(api.kubeconfig)?.[1] ?? "";
        assert.notEqual(token, "");
        assert.ok(!exported.includes(token), "the kubeconfig's token in the exported state");
        assert.ok(!cli.output.includes(token), "the kubeconfig's token in the engine's output");
        assert.deepEqual(leakedSecrets(), []);
    });

    it("destroy empties the stack", async () => {
        await pulumi(["destroy", "--yes"]);
        const exported = JSON.parse(await pulumi(["stack", "export"])) as Exported;
        assert.equal((exported.deployment.resources ?? []).length, 0);
    });
});
