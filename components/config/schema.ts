// The one place stack configuration is defined, defaulted and validated.
//
// index.ts reads every `rhcos-forge:*` key once, hands the raw values to `parseStackConfig`, and
// only then registers resources: a bad stack fails with one message listing every bad key, the
// value given and what is expected, and nothing is created. Components never read config.
//
// One file a section (buildHost.ts, mirror.ts, image.ts, cluster.ts, rollout.ts, release.ts,
// signing.ts, rhelContent.ts), composed in stackObject.ts; the checks across sections in
// crossField.ts; shared validators in validators.ts.
import { z } from "zod";
import { checkStack } from "./crossField";
import { stackObjectSchema } from "./stackObject";

export const NAMESPACE = "rhcos-forge";

export const stackConfigSchema = stackObjectSchema.superRefine((cfg, ctx) => {
    checkStack(cfg, (path, message) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message }));
});

export type StackConfig = z.output<typeof stackConfigSchema>;
export type BuildHostConfig = StackConfig["buildHost"];
export type MirrorConfig = StackConfig["mirror"];
export type ImageConfig = StackConfig["image"];
export type RolloutConfig = StackConfig["rollout"];
export type PoolConfig = RolloutConfig["pools"][number];
export type ClusterConfig = StackConfig["cluster"];
export type CosaConfig = NonNullable<ImageConfig["cosa"]>;
export type ReleaseConfig = NonNullable<StackConfig["release"]>;
