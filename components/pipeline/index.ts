// The pipeline: stack config → build host → RPM mirror → layered image → digest → rollout.
// `buildPipeline` registers every resource of a stack from its parsed config and returns the stack
// outputs; index.ts calls it once with the live cluster access, tests with their own.
//
// One file per stage, each taking the context built once (./context.ts):
//   buildHost.ts  the build host          mirror.ts    the RPM mirror on it
//   image.ts      a layered image build   cosa.ts      a coreos-assembler build instead
//   signing.ts    signature + trust policy registry.ts retention and cleanup of pushed images
//   release.ts    the custom release      rollout.ts   ClusterVersion update or MachineConfigs
//   onCluster.ts  rollout.method machineosconfig: the MCO builds on the cluster
//   outputs.ts    the stack outputs the stages fold into
//
// With rollout.method machineosconfig the MCO builds on the cluster: no image build exists, and
// the outputs keep their shape (image.ref is the digest the last pool's build reported, empty
// until one has). A build host and mirror exist only for mirror.repos (the on-cluster build
// installs from the mirror); without them mirror and buildHost are empty, provider "cluster".
import { ParsedStack, buildsOnCluster, buildsWithCosa } from "../config/checked";
import { buildHostStage } from "./buildHost";
import { PipelineContext, PipelineDeps, narrowed, pipelineContext } from "./context";
import { cosaStage } from "./cosa";
import { layeredImageStage } from "./image";
import { repoMirrorStage } from "./mirror";
import { onClusterStage } from "./onCluster";
import { StackOutputs, StageOutputs, stackOutputs } from "./outputs";

export { type PipelineDeps } from "./context";
export { type StackOutputs } from "./outputs";
export { fetchGpgKey } from "./onCluster";

export function buildPipeline(c: ParsedStack, deps: PipelineDeps): StackOutputs {
    const ctx = pipelineContext(c, deps);
    // Only a MachineConfig rollout names one image for every pool: on-cluster builds push one per pool.
    // A paused pool is not waited for: nothing is finished while one is listed.
    return stackOutputs(
        buildStages(ctx, c),
        c.rollout.method === "machineconfig" && ctx.wait?.access !== undefined && !c.rollout.pools.some(p => p.paused),
    );
}

function buildStages(ctx: PipelineContext, c: ParsedStack): StageOutputs {
    if (buildsOnCluster(c)) return onClusterStage(narrowed(ctx, c));
    const hostCtx = narrowed(ctx, c);
    const host = buildHostStage(hostCtx);
    const repoMirror = repoMirrorStage(hostCtx, host);
    if (buildsWithCosa(c)) return cosaStage(hostCtx, c.image.cosa, { host, repoMirror });
    return layeredImageStage(hostCtx, { host, repoMirror });
}
