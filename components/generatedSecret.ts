// GeneratedSecret: a secret made once, in the program's own process, and kept in the stack's
// state: the droplet's host key pair, the mirror's password. No local command and no second node
// process makes it.
//
// The program generates a candidate on every run; the resource keeps the first one: its input is
// ignoreChanges (the engine substitutes the state's value for a new candidate) and the provider
// reports no diff, so it is never updated or replaced. Input and output are secrets (the value
// is passed as pulumi.secret, the output listed in additionalSecretOutputs), so the state holds
// it encrypted. The provider only echoes its input: no closure beyond itself is serialized into
// the state (@pulumi/pulumi dynamic: the provider object is serialized with the resource), and
// it runs in the engine's pulumi-nodejs dynamic provider plugin shipped with @pulumi/pulumi.
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";

interface GeneratedInputs {
    readonly value: string;
}

const echo: dynamic.ResourceProvider = {
    async create(inputs: GeneratedInputs): Promise<dynamic.CreateResult> {
        // The id is not the secret: a random name for the resource, as providers make ids.
        return { id: (require("crypto") as typeof import("crypto")).randomUUID(), outs: { value: inputs.value } };
    },
    async diff(): Promise<dynamic.DiffResult> {
        return { changes: false };
    },
};

/** Its type token (@pulumi/pulumi dynamic.Resource: `pulumi-nodejs:dynamic/<module>:<type>`). */
export const GENERATED_SECRET_TYPE = "pulumi-nodejs:dynamic/rhcos-forge:GeneratedSecret";

export interface GeneratedSecretArgs {
    /** A freshly generated value; only the first one a stack sees is kept. */
    readonly candidate: string;
}

/** The engine's pulumi-nodejs (dynamic) provider, declared with no inputs. */
class ConfigFreeProvider extends pulumi.ProviderResource {
    constructor(name: string, opts?: pulumi.ResourceOptions) {
        super("pulumi-nodejs", name, {}, opts);
    }
}

export class GeneratedSecret extends dynamic.Resource {
    /** The value kept in the state; a secret. */
    declare public readonly value: pulumi.Output<string>;

    constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.CustomResourceOptions) {
        // Its own provider, with no inputs: the engine hands a *default* pulumi-nodejs provider the
        // whole stack config as its inputs (for dynamic providers that read config), and the state
        // keeps those inputs, a config value the user did not mark secret in plain text.
        const provider = new ConfigFreeProvider(`${name}-provider`, { parent: opts?.parent });
        super(echo, name, { value: pulumi.secret(args.candidate) }, {
            ...opts,
            provider,
            ignoreChanges: [...(opts?.ignoreChanges ?? []), "value"],
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "value"],
        }, "rhcos-forge", "GeneratedSecret");
    }
}
