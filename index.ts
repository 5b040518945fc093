// rhcos-forge: stack config → build host → RPM mirror → layered image → digest → rollout.
// Reads the stack config once, before any resource exists (a bad value fails here, naming the
// key), wires the stages (components/pipeline/) and exports the stack outputs: image,
// containerfile, mirror, buildHost and rollout always; release and cosa only where the stack
// makes them, so nothing undefined is exported.
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./components/config/parse";
import { buildPipeline } from "./components/pipeline";
import { liveClusterAccess } from "./components/rollout/kubeApi";

export = buildPipeline(parseStackConfig(pulumi.runtime.allConfig()), { clusterAccess: liveClusterAccess });
