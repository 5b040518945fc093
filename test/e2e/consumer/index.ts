// Another team's stack: reads the image rhcos-forge built through a StackReference, the way a
// cluster stack of a fleet does (docs/fleet.md).
import * as pulumi from "@pulumi/pulumi";

const source = new pulumi.StackReference(new pulumi.Config().require("source"));
const image = source.requireOutput("image") as pulumi.Output<{ ref: string; digest: string }>;

export const imageRef = image.apply(i => i.ref);
export const pinnedByDigest = image.apply(i => /@sha256:[a-f0-9]{64}$/.test(i.ref));
