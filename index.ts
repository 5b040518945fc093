// rhcos-forge: stack config → build host → RPM mirror → layered image → digest → rollout.
// Reads the stack config once, before any resource exists (a bad value fails here, naming the
// key), wires the stages (components/pipeline/) and exports the stack outputs: image,
// containerfile, mirror, buildHost and rollout always; release and cosa only where the stack
// makes them, so nothing undefined is exported. A cluster stack (rhcos-forge:image.from) builds
// nothing and rolls out another stack's image (components/fleet/clusterStack.ts, docs/fleet.md).
import * as pulumi from "@pulumi/pulumi";
import { parseStack } from "./components/config/parse";
import { ClusterStackOutputs, buildClusterStack } from "./components/fleet/clusterStack";
import { StackOutputs, buildPipeline } from "./components/pipeline";
import { liveClusterAccess } from "./components/rollout/kubeApi";

const stack = parseStack(pulumi.runtime.allConfig());
// A cluster stack's outputs wait for the source stack's (read before any resource is declared).
const outputs: StackOutputs | Promise<ClusterStackOutputs> =
    stack.kind === "cluster"
        ? buildClusterStack(stack.config, { clusterAccess: liveClusterAccess })
        : buildPipeline(stack.config, { clusterAccess: liveClusterAccess });
export = outputs;
