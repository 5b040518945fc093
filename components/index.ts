// rhcos-forge as a component library: what another Pulumi program imports (`import * as forge
// from "rhcos-forge"`). The stack program (../index.ts) is one user of it: it parses the stack
// config and hands typed values to buildPipeline, which wires these components.
//
// The stages, in pipeline order:
//   BuildHost      (host/)    a DigitalOcean droplet, an existing SSH host, or this machine
//   RepoMirror     (mirror/)  RPM repos mirrored on the build host and served to builds
//   LayeredImage   (image/)   Containerfile FROM the base by digest, built and pushed: a digest
//   CosaBuild      (image/)   a full OS build with coreos-assembler instead
//   ReleaseImage   (release/) a custom release payload carrying the image
//   OsImageRollout (rollout/) MachineConfigs / MachineOSConfigs per pool, canary first
//   ReleaseRollout (rollout/) a ClusterVersion update to the custom release

// Every component's Args is a plain interface: a program that does not use the stack config
// builds them itself; the parsed stack config satisfies them structurally.
//
// The whole pipeline from one typed config (what the stack program runs).
export { buildPipeline, type PipelineDeps, type StackOutputs } from "./pipeline";
export { parseStackConfig, ConfigError } from "./config/parse";
export { type ParsedStack } from "./config/checked";
export {
    type StackConfig,
    type BuildHostConfig,
    type MirrorConfig,
    type ImageConfig,
    type RolloutConfig,
    type PoolConfig,
    type ClusterConfig,
    type CosaConfig,
    type ReleaseConfig,
    stackConfigSchema,
} from "./config/schema";

// Build host and the steps that run on it.
export {
    BuildHost,
    type BuildHostArgs,
    type BuildHostSpec,
    type DigitalOceanBuildHost,
    type SshBuildHost,
    type LocalBuildHost,
    type HostFacts,
} from "./host/buildHost";
export { type HostHandle, type BuildHostProvider } from "./host/step";

// RPM mirror.
export { RepoMirror, type RepoMirrorArgs, type RepoMirrorSpec, type MirrorUpstream } from "./mirror/repoMirror";

// Images.
export { LayeredImage, type LayeredImageArgs } from "./image/layeredImage";
export { CosaBuild, type CosaBuildArgs } from "./image/cosaBuild";
export { ClusterBaseImage, type ClusterBaseImageArgs } from "./image/clusterBaseImage";
export { DriverToolkitImage, type DriverToolkitImageArgs } from "./image/driverToolkit";
export { ImageSignature, type ImageSignatureArgs } from "./image/imageSignature";
export { ImageSbom, type ImageSbomArgs } from "./image/imageSbom";
export {
    ImageRetention,
    type ImageRetentionArgs,
    RegistryCleanup,
    type RegistryCleanupArgs,
} from "./image/imageRetention";
export { type RegistryAccessArgs } from "./image/registryAccess";
export { type ImageSpec, renderContainerfile, renderOnClusterContainerfile } from "./image/containerfile";

// Release payloads.
export { ReleaseImage, type ReleaseImageArgs } from "./release/releaseImage";

// Rollout to the cluster.
export {
    OsImageRollout,
    type OsImageRolloutArgs,
    type OnClusterArgs,
    type OnClusterContentArgs,
    type RolloutWaitArgs,
    type RolloutPool,
    type PoolRollout,
} from "./rollout/osImageRollout";
export { ReleaseRollout, type ReleaseRolloutArgs } from "./rollout/releaseRollout";
export { ImageTrustPolicy, type ImageTrustPolicyArgs } from "./rollout/imageTrustPolicy";
export { liveClusterAccess, type ClusterAccess } from "./rollout/kubeApi";

// A fleet: the image another stack built or finished rolling out (rhcos-forge:image.from).
export { StackImage, type StackImageArgs } from "./fleet/stackImage";
export { type SourceImage, type SourceVerdict, SourceContractError, checkSourceImage } from "./fleet/source";
export { type Take } from "./config/fleet";
export { type HealthCheck } from "./rollout/healthGate";
