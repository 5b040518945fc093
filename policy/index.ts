// rhcos-forge policy pack: the rules of policy/rules.ts, enforced by the Pulumi engine on every
// preview and update of a stack run with `pulumi preview --policy-pack policy`.
import { PolicyPack, ResourceValidationArgs, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import {
    DEFAULT_BOUNDS,
    ResourceLike,
    maxUnavailableBounded,
    noMasterRollout,
    noPlainSecrets,
    osImageUrlPinned,
} from "./rules";

interface MasterConfig {
    allowMaster: boolean;
}
interface BoundsConfig {
    maxCount: number;
    maxPercent: number;
}

const asResource = (args: ResourceValidationArgs): ResourceLike => ({
    type: args.type,
    name: args.name,
    props: args.props,
});
const reportAll = (report: ReportViolation, messages: string[]): void => {
    for (const m of messages) report(m);
};

new PolicyPack("rhcos-forge", {
    policies: [
        {
            name: "os-image-pinned-by-digest",
            description: "A MachineConfig's osImageURL is pinned by digest, never a tag.",
            enforcementLevel: "mandatory",
            validateResource: (args, report) => reportAll(report, osImageUrlPinned(asResource(args))),
        },
        {
            name: "no-master-rollout",
            description: "No custom OS image or build for the master pool unless allowMaster is set.",
            enforcementLevel: "mandatory",
            configSchema: { properties: { allowMaster: { type: "boolean", default: false } } },
            validateResource: (args, report) =>
                reportAll(report, noMasterRollout(asResource(args), args.getConfig<MasterConfig>().allowMaster)),
        },
        {
            name: "max-unavailable-bounded",
            description: "A MachineConfigPool updates a bounded number of nodes at once.",
            enforcementLevel: "mandatory",
            configSchema: {
                properties: {
                    maxCount: { type: "integer", minimum: 1, default: DEFAULT_BOUNDS.maxCount },
                    maxPercent: { type: "integer", minimum: 1, maximum: 100, default: DEFAULT_BOUNDS.maxPercent },
                },
            },
            validateResource: (args, report) =>
                reportAll(report, maxUnavailableBounded(asResource(args), args.getConfig<BoundsConfig>())),
        },
        {
            name: "no-plain-secrets",
            description: "No credential in stack outputs or in inputs other than the fields made to hold secrets.",
            enforcementLevel: "mandatory",
            validateStack: (args: StackValidationArgs, report) => {
                for (const r of args.resources)
                    reportAll(report, noPlainSecrets({ type: r.type, name: r.name, props: r.props }));
            },
        },
    ],
});
