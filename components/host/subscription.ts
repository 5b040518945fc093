// buildHost.register: what rhsm-register.sh reads on stdin (org and activation key, secrets).
// subscription-manager has no file or stdin option for the key, so the script hands it to the
// tool in-process; see components/scripts/rhsm-register.sh.

const b64 = (t: string): string => Buffer.from(t, "utf8").toString("base64");

/** rhsm-register.sh's stdin bundle. */
export function renderSubscriptionBundle(org: string, activationKey: string): string {
    return ["rhcos-forge-bundle v1", `secret ${b64("org")} ${b64(org)}`, `secret ${b64("activationkey")} ${b64(activationKey)}`].join("\n") + "\n";
}
