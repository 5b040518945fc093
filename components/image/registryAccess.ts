// How a step on the build host reaches the image registry: the Args fields every registry-facing
// component (build, SBOM, signature, retention) shares.
import * as pulumi from "@pulumi/pulumi";

export interface RegistryAccessArgs {
    /** containers auth.json for the registry; a secret. */
    readonly registryAuth?: pulumi.Input<string>;
    /** Verify the registry's TLS certificate (image.tlsVerify); false only for a plain-HTTP registry. */
    readonly tlsVerify?: boolean;
}
