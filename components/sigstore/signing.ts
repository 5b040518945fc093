// Pure knowledge of the sigstore key pair rhcos-forge signs node images with, and of the policy a
// node verifies them by.
//
// Key format: what containers/image reads for `--sign-by-sigstore-private-key` (podman push,
// skopeo copy). containers/image v5.23 (podman 4.3 / skopeo 1.9, Debian bookworm),
// signature/sigstore/copied.go loadPrivateKey: a PEM block of type "ENCRYPTED COSIGN PRIVATE KEY"
// whose body is the JSON envelope of secure-systems-lab/go-securesystemslib `encrypted` (scrypt
// key derivation, nacl/secretbox) around a PKCS#8 private key, the format `cosign
// generate-key-pair` writes. cosign 2.x labels the same body "ENCRYPTED SIGSTORE PRIVATE KEY",
// which containers/image accepts only from v5.25 (commit ca694d2c), so the label is normalised
// before the key is shipped. skopeo 1.9.3 has no `generate-sigstore-key` (added in skopeo 1.10),
// hence generateSigningKey here.
//
// Policy: what the MCO renders on each node from a ClusterImagePolicy (machine-config-operator
// pkg/controller/container-runtime-config/helpers.go: policyItemFromSpec turns a PublicKey root of
// trust into a `sigstoreSigned` requirement with keyData and, without a signedIdentity,
// matchRepoDigestOrExact; generateSigstoreRegistriesdConfig writes
// /etc/containers/registries.d/sigstore-registries.yaml with use-sigstore-attachments for each
// scope). renderNodePolicy gives the same two files for the image's repository, so the host tests
// verify with what a node would use.
import { authEntry, renderBundleText } from "../bundle";
import {
    createHash,
    createPrivateKey,
    createPublicKey,
    generateKeyPairSync,
    randomBytes,
    scryptSync,
    KeyObject,
} from "crypto";
import nacl from "tweetnacl";

export const PRIVATE_KEY_PEM_TYPE = "ENCRYPTED COSIGN PRIVATE KEY";
const ACCEPTED_PEM_TYPES = [PRIVATE_KEY_PEM_TYPE, "ENCRYPTED SIGSTORE PRIVATE KEY"];

/** go-securesystemslib's standard scrypt parameters (what cosign encrypts with). */
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const NONCE_BYTES = 24;

interface Envelope {
    kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
    cipher: { name: string; nonce: string };
    ciphertext: string;
}

function pem(type: string, body: Buffer): string {
    const lines = body.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${type}-----\n${lines.join("\n")}\n-----END ${type}-----\n`;
}

function parsePem(text: string): { type: string; body: Buffer } {
    const m = /-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----/.exec(text);
    if (m === null)
        throw new Error("rhcos-forge:signingKey must be a PEM block (-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----)");
    return { type: m[1], body: Buffer.from(m[2].replace(/\s+/g, ""), "base64") };
}

function secretboxKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Uint8Array {
    return new Uint8Array(
        scryptSync(Buffer.from(passphrase, "utf8"), salt, KEY_BYTES, {
            N: params.N,
            r: params.r,
            p: params.p,
            maxmem: 256 * params.N * params.r + 1024 * 1024,
        }),
    );
}

export interface SigningKeyPair {
    /** The encrypted private key PEM (a secret: with the passphrase, it signs node images). */
    readonly privateKey: string;
    /** SPKI PEM of the public key: what nodes verify with. */
    readonly publicKey: string;
}

/** A new ECDSA P-256 key pair, the private key encrypted with `passphrase` the way cosign does. */
export function generateSigningKey(passphrase: string): SigningKeyPair {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const salt = randomBytes(32);
    const nonce = randomBytes(NONCE_BYTES);
    const box = nacl.secretbox(new Uint8Array(der), new Uint8Array(nonce), secretboxKey(passphrase, salt, SCRYPT));
    const envelope: Envelope = {
        kdf: { name: "scrypt", params: { ...SCRYPT }, salt: salt.toString("base64") },
        cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
        ciphertext: Buffer.from(box).toString("base64"),
    };
    return {
        privateKey: pem(PRIVATE_KEY_PEM_TYPE, Buffer.from(JSON.stringify(envelope), "utf8")),
        publicKey: publicKey.export({ format: "pem", type: "spki" }).toString(),
    };
}

function decryptPrivateKey(privateKeyPem: string, passphrase: string): KeyObject {
    const { type, body } = parsePem(privateKeyPem);
    if (!ACCEPTED_PEM_TYPES.includes(type)) {
        throw new Error(
            `rhcos-forge:signingKey must be an encrypted cosign/sigstore private key (PEM type ` +
                `${PRIVATE_KEY_PEM_TYPE}), got PEM type ${JSON.stringify(type)}`,
        );
    }
    let envelope: Envelope;
    try {
        envelope = JSON.parse(body.toString("utf8")) as Envelope;
    } catch {
        throw new Error(
            "rhcos-forge:signingKey is not an encrypted sigstore key (its body is not the scrypt/secretbox " +
                "JSON envelope)",
        );
    }
    if (envelope.kdf?.name !== "scrypt" || envelope.cipher?.name !== "nacl/secretbox") {
        throw new Error("rhcos-forge:signingKey uses an unsupported encryption (expected scrypt + nacl/secretbox)");
    }
    const { N, r, p } = envelope.kdf.params;
    if (![N, r, p].every(n => Number.isInteger(n) && n > 0) || N > 1 << 20)
        throw new Error("rhcos-forge:signingKey has unsupported scrypt parameters");
    const nonce = Buffer.from(envelope.cipher.nonce, "base64");
    if (nonce.length !== NONCE_BYTES) throw new Error("rhcos-forge:signingKey has a bad secretbox nonce");
    const opened = nacl.secretbox.open(
        new Uint8Array(Buffer.from(envelope.ciphertext, "base64")),
        new Uint8Array(nonce),
        secretboxKey(passphrase, Buffer.from(envelope.kdf.salt, "base64"), { N, r, p }),
    );
    if (opened === null) throw new Error("rhcos-forge:signingPassphrase does not decrypt rhcos-forge:signingKey");
    const key = createPrivateKey({ key: Buffer.from(opened), format: "der", type: "pkcs8" });
    // The build host checks its signature with `openssl dgst -sha256 -verify`: ECDSA keys only.
    if (key.asymmetricKeyType !== "ec")
        throw new Error(
            `rhcos-forge:signingKey must be an ECDSA key, got ${key.asymmetricKeyType ?? "an unknown type"}`,
        );
    return key;
}

export interface SigningKeyInfo {
    /** The configured private key PEM with the label containers/image v5.23 reads. */
    readonly privateKey: string;
    /**
     * The decrypted PKCS#8 PEM sign-image.sh signs with (openssl cannot read the scrypt/secretbox
     * envelope): a secret, shipped on stdin only, deterministic so an unchanged key re-runs nothing.
     */
    readonly hostPrivateKey: string;
    /** SPKI PEM of the public key. */
    readonly publicKey: string;
    /** sha256 of the public key's DER: names the key in triggers and outputs (not secret). */
    readonly fingerprint: string;
}

/**
 * Decrypts the configured key with its passphrase (so a wrong passphrase fails before anything
 * runs) and derives the public key from it, so the key nodes trust can never differ from the one
 * that signs.
 */
export function inspectSigningKey(privateKeyPem: string, passphrase: string): SigningKeyInfo {
    const key = decryptPrivateKey(privateKeyPem, passphrase);
    const spki = createPublicKey(key);
    const { body } = parsePem(privateKeyPem);
    return {
        privateKey: pem(PRIVATE_KEY_PEM_TYPE, body),
        hostPrivateKey: key.export({ format: "pem", type: "pkcs8" }).toString(),
        publicKey: spki.export({ format: "pem", type: "spki" }).toString(),
        fingerprint: createHash("sha256")
            .update(spki.export({ format: "der", type: "spki" }))
            .digest("hex"),
    };
}

/** The sigstore attachment tag containers/image and cosign store signatures of `digest` under. */
export function signatureTag(digest: string): string {
    return `${digest.replace(":", "-")}.sig`;
}

export interface NodePolicyFiles {
    /** /etc/containers/policy.json: the RHCOS default plus a sigstoreSigned entry for the repository. */
    readonly policyJson: string;
    /** /etc/containers/registries.d/<file>.yaml: read and write sigstore attachments for the repository. */
    readonly registriesD: string;
}

/**
 * The files the MCO renders on a node from the ClusterImagePolicy for `repository` (see the top of
 * this file), starting from the RHCOS default policy (insecureAcceptAnything): only the repository
 * needs a signature by `publicKey`.
 */
export function renderNodePolicy(repository: string, publicKey: string): NodePolicyFiles {
    const policy = {
        default: [{ type: "insecureAcceptAnything" }],
        transports: {
            docker: {
                [repository]: [
                    {
                        type: "sigstoreSigned",
                        keyData: Buffer.from(publicKey, "utf8").toString("base64"),
                        signedIdentity: { type: "matchRepoDigestOrExact" },
                    },
                ],
            },
            "docker-daemon": { "": [{ type: "insecureAcceptAnything" }] },
        },
    };
    return {
        policyJson: JSON.stringify(policy, null, 2) + "\n",
        registriesD: `docker:\n  ${repository}:\n    use-sigstore-attachments: true\n`,
    };
}

/** stdin of sign-image.sh: the (decrypted) signing key, the public key and the registry auth. */
export function renderSignBundle(key: SigningKeyInfo, authJson?: string): string {
    return renderBundleText("bundle", [
        { kind: "signingkey", values: [key.hostPrivateKey] },
        { kind: "publickey", values: [key.publicKey] },
        ...authEntry(authJson),
    ]);
}
