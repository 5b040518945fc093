// Prints a new droplet host key pair as one JSON line ({privateKey, publicKey}) on stdout.
//
// Run once by BuildHost's `<name>-host-key` command:local:Command (shell.ts nodeProgramCommand,
// as nodeRelease.ts is run): the command's stdout is
// a secret output (additionalSecretOutputs) and, with no triggers, it never runs again, so the
// pair lives in the stack's state, encrypted, and stays the same across `pulumi up` runs.
import { generateHostKeyPair } from "../ssh/hostKey";

process.stdout.write(`${JSON.stringify(generateHostKeyPair())}\n`);
