// StackImage: the image another stack hands on, read through a StackReference (docs/fleet.md,
// "The output contract"). The outputs are read with getOutputDetails, as plain values, when the
// program runs (preview included): whether a ring has anything to roll out decides which
// resources the program declares, so it cannot wait in an Output.
import * as pulumi from "@pulumi/pulumi";
import { Take } from "../config/fleet";
import { SourceVerdict, resolveSource } from "./source";

export interface StackImageArgs {
    /** The source stack, `org/project/stack`. */
    readonly stack: string;
    /** Its built image, or what it finished rolling out. */
    readonly take: Take;
}

export class StackImage extends pulumi.ComponentResource {
    /** The source stack's name. */
    public readonly stack: pulumi.Output<string>;
    private readonly reference: pulumi.StackReference;

    constructor(
        name: string,
        private readonly args: StackImageArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("rhcos-forge:fleet:StackImage", name, {}, opts);
        this.reference = new pulumi.StackReference(`${name}-stack`, { name: args.stack }, { parent: this });
        this.stack = pulumi.output(args.stack);
        this.registerOutputs({ stack: this.stack });
    }

    /** The source's image, or why there is none to take yet; throws where its outputs break the contract. */
    async read(): Promise<SourceVerdict> {
        const value = async (output: string): Promise<unknown> => {
            const details = await this.reference.getOutputDetails(output);
            return details.value ?? details.secretValue;
        };
        const [image, rollout] = await Promise.all([value("image"), value("rollout")]);
        return resolveSource(this.args.stack, this.args.take, { image, rollout });
    }
}
