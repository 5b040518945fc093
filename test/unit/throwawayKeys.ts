// Private keys the unit tests need, made fresh for each test run: no key-shaped text is committed,
// since a secret scanner cannot tell a placeholder from a leaked key. Each is a real key that no
// one holds once the process ends.
import { generateKeyPairSync } from "node:crypto";
import { generateHostKeyPair } from "../../components/ssh/hostKey";

/** A new ed25519 private key as PKCS#8 PEM ("PRIVATE KEY"), e.g. an entitlement or client key. */
export function throwawayPkcs8Key(): string {
    return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** A new RSA private key as PKCS#1 PEM ("RSA PRIVATE KEY"), as older entitlement keys are written. */
export function throwawayRsaKey(): string {
    return generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ type: "pkcs1", format: "pem" })
        .toString();
}

/** A new ed25519 key in OpenSSH's format ("OPENSSH PRIVATE KEY"), as ssh-keygen writes it. */
export function throwawayOpenSshKey(): string {
    return generateHostKeyPair("rhcos-forge-unit-test").privateKey;
}

/** The base64 lines of a PEM block: what must never appear in an output, a log or the state. */
export function pemBody(pem: string): string {
    return pem
        .split("\n")
        .filter(l => l !== "" && !l.startsWith("-----"))
        .join("\n");
}
