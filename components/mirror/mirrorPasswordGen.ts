// Prints a new password for the mirror's HTTP basic auth as one JSON line ({password}) on stdout.
//
// Run once by RepoMirror's `<name>-password` command:local:Command (shell.ts nodeProgramCommand,
// as hostKeyGen.ts is run) when
// rhcos-forge:mirrorPassword is unset: the command's stdout is a secret output
// (additionalSecretOutputs) and, with no triggers, it never runs again, so the password lives in
// the stack's state, encrypted, and stays the same across `pulumi up` runs.
import { generateMirrorPassword } from "./mirrorAuth";

process.stdout.write(`${JSON.stringify({ password: generateMirrorPassword() })}\n`);
