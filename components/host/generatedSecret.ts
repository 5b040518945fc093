// A secret made once, in the program's own process, and kept in the stack's state: the droplet's
// host key pair, the mirror's password.
//
// The program makes a candidate on every run (node's crypto). A command:local:Command `cat`
// receives it on stdin and prints it back once, when the resource is created; the command's
// stdout, a secret output, keeps it. `create` and `stdin` are ignoreChanges: for those paths the
// engine plans with the inputs the state holds, not the program's (pulumi/pulumi
// pkg/resource/deploy/step_generator.go processIgnoreChanges), so a later run's candidate never
// reaches the provider, the command never runs again and stdout keeps the first value.
//
// Why a command and not a dynamic resource: the command provider is running anyway for the build
// steps, while a dynamic resource needs the pulumi-nodejs provider plugin, a second node process
// that loads @pulumi/pulumi on every preview and up before the engine can plan (measured 0.9 s on
// the 2-core machine under load; docs/benchmarks.md), and whose wrapper script outlives the engine.
// The command's stdout is the JSON line the earlier generator commands of the same names printed,
// so their state keeps its values too (docs/upgrading.md).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { whenRan } from "./step";

/** The outputs that hold the value: stdout (what `cat` printed) and stdin (the first candidate). */
export const GENERATED_SECRET_OUTPUTS = ["stdout", "stderr", "stdin"] as const;

/**
 * The first of the candidates a stack's runs offer as `<name>`, a secret; `candidate` is one line
 * of JSON the caller parses (pulumi-command strips the one trailing newline).
 */
export function generatedSecret(name: string, candidate: string, parent: pulumi.Resource): pulumi.Output<string> {
    const keeper = new command.local.Command(
        name,
        {
            create: "cat",
            stdin: pulumi.secret(`${candidate}\n`),
            interpreter: ["/bin/sh", "-c"],
            // pulumi-command logs stdout and stderr unless told not to (provider/pkg/provider/local/logging.go).
            logging: "none",
            addPreviousOutputInEnv: false,
        },
        { parent, additionalSecretOutputs: [...GENERATED_SECRET_OUTPUTS], ignoreChanges: ["create", "stdin"] },
    );
    // Under `pulumi up --target` a keeper left out of the run has no stdout: unknown, not "".
    return pulumi.secret(keeper.stdout.apply(out => whenRan(out, kept => kept)));
}
