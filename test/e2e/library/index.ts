// Another team's Pulumi program: it has no rhcos-forge stack config. It installs the package
// (a `file:` dependency on the built package, `npm run build`) and composes the public components
// itself: a build host, a layered image, and the rollout of that image's digest to one pool,
// rendered as GitOps YAML. Only what the package exports (its `exports` map) is imported.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildHost, LayeredImage, OsImageRollout, type RolloutPool } from "rhcos-forge";

const config = new pulumi.Config();

const host = new BuildHost("builder", { config: { provider: "local", workDir: config.require("workDir") } });

const image = new LayeredImage("node-image", {
    host: host.handle,
    base: config.require("base"),
    repository: config.require("repository"),
    spec: {
        packages: config.requireObject<string[]>("packages"),
        remove: [],
        replace: [],
        files: [],
        units: [],
        extraSteps: [],
        labels: { "io.example.team": "platform" },
    },
    repos: [{ id: "fixtures", url: config.require("repoUrl"), gpgcheck: false }],
    registryAuth: config.requireSecret("registryAuth"),
    tlsVerify: false,
    // As the local stack builds here (Pulumi.local.yaml): builds reach the loopback repo.
    buildArgs: ["--isolation", "chroot", "--network", "host"],
});

const pools: RolloutPool[] = [{ name: "worker", nodes: [], maxUnavailable: 1, paused: false }];
const cluster = new k8s.Provider("gitops", { renderYamlToDirectory: config.require("renderTo") });
const rollout = new OsImageRollout("rollout", { provider: cluster, imageRef: image.ref, pools });

export const imageRef = image.ref;
export const added = image.packages.apply(p => p.added);
export const rolledPools = rollout.pools;
