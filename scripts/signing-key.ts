// Makes a sigstore signing key pair for rhcos-forge:image.signing (skopeo 1.9 on Debian bookworm
// has no generate-sigstore-key): an ECDSA P-256 key in cosign's encrypted format, written to
// <dir>/rhcos-forge-signing.key (0600) and .pub. The passphrase is read from
// RF_SIGNING_PASSPHRASE, or generated and written to <dir>/rhcos-forge-signing.passphrase (0600);
// it is never printed. Then set both as stack secrets:
//   pulumi config set --secret rhcos-forge:signingKey < rhcos-forge-signing.key
//   pulumi config set --secret rhcos-forge:signingPassphrase < rhcos-forge-signing.passphrase
// Usage: npm run signing-key [-- <dir>]
import { randomBytes } from "crypto";
import { existsSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import { generateSigningKey } from "../components/sigstore/signing";

const dir = resolve(process.argv[2] ?? ".");
const keyFile = join(dir, "rhcos-forge-signing.key");
if (existsSync(keyFile)) {
    process.stderr.write(`${keyFile} exists; not overwriting it\n`);
    process.exit(1);
}
let passphrase = process.env.RF_SIGNING_PASSPHRASE ?? "";
if (passphrase === "") {
    passphrase = randomBytes(24).toString("base64url");
    writeFileSync(join(dir, "rhcos-forge-signing.passphrase"), passphrase, { mode: 0o600 });
}
const pair = generateSigningKey(passphrase);
writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
writeFileSync(join(dir, "rhcos-forge-signing.pub"), pair.publicKey);
process.stdout.write(
    `wrote ${keyFile} and rhcos-forge-signing.pub in ${dir}; set them with:\n` +
        "  pulumi config set --secret rhcos-forge:signingKey < rhcos-forge-signing.key\n" +
        "  pulumi config set --secret rhcos-forge:signingPassphrase < rhcos-forge-signing.passphrase\n",
);
