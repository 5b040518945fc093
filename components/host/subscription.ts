// buildHost.register: what rhsm-register.sh reads on stdin (org and activation key, secrets).
// subscription-manager has no file or stdin option for the key, so the script hands it to the
// tool in-process; see components/scripts/rhsm-register.sh.

import { renderBundleText } from "../bundle";

/** rhsm-register.sh's stdin bundle. */
export function renderSubscriptionBundle(org: string, activationKey: string): string {
    return renderBundleText("bundle", [
        { kind: "secret", values: ["org", org] },
        { kind: "secret", values: ["activationkey", activationKey] },
    ]);
}
