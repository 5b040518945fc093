// Stage: the build host (BuildHost), where images are built and the RPM mirror is served.
import * as pulumi from "@pulumi/pulumi";
import { registersBuildHost } from "../config/checked";
import { BuildHost } from "../host/buildHost";
import { mirrorBindAddress } from "../config/mirror";
import { PipelineContext, secretOf } from "./context";

export function buildHostStage(ctx: PipelineContext): BuildHost {
    const c = ctx.config;
    return new BuildHost("build", {
        config: c.buildHost,
        sshPrivateKey: secretOf(c.sshPrivateKey),
        // A mirror bound to loopback is reached by nothing outside the host: no firewall rule.
        mirrorPort: /^127\.|^::1$/.test(mirrorBindAddress(c) ?? "") ? undefined : c.mirror.port,
        buildAddress: c.mirror.buildAddress,
        mirrorCidrs: c.rollout.method === "machineosconfig" ? c.cluster.egressCidrs : undefined,
        needsKvm: c.image.builder === "cosa",
        subscription: registersBuildHost(c)
            ? { org: pulumi.secret(c.rhsmOrg), activationKey: pulumi.secret(c.rhsmActivationKey) }
            : undefined,
    });
}
