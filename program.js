// The stack program's entry point (Pulumi.yaml `main`): the program itself is index.ts.
//
// The language host runs this file with plain node. It loads the packages the program uses
// first, then registers tsx (the one TypeScript loader of this repository; esbuild, transpile
// only; `npm test` type-checks) and requires index.ts. Registered at node's start instead
// (`nodeargs: --import tsx`), tsx's hooks would also resolve and lexically scan every JavaScript
// file of @pulumi/pulumi and the providers' SDKs, about a second of each program run on the
// 2-core machine (docs/benchmarks.md); a preview runs the program once, an up twice.
"use strict";

// Already loaded by the language host (@pulumi/pulumi cmd/run) or loaded here, before the hooks:
// the same module objects the program's imports then get from node's module cache.
for (const pkg of [
    "@pulumi/pulumi",
    "@pulumi/pulumi/dynamic",
    "@pulumi/kubernetes",
    "@pulumi/command",
    "@pulumi/digitalocean",
    "zod",
    "js-yaml",
    "tweetnacl",
]) {
    require(pkg);
}
require("tsx/cjs/api").register();
module.exports = require("./index.ts");
