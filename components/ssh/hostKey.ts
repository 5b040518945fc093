// SSH host keys: the line a user pins for an ssh build host, and the key pair rhcos-forge makes for
// a droplet. Pure functions, no Pulumi: the schema validates with them, BuildHost pins with them
// (here, outside host/, so config/ may import them).
//
// A pinned key travels as the command provider's `connection.hostKey`, in authorized_keys form
// ("<type> <base64>"), which is what the provider parses (ssh.ParseAuthorizedKey).
import { createHash, generateKeyPairSync, randomBytes } from "crypto";

/** Host key types the pin accepts (what `ssh-keyscan` prints for current OpenSSH servers). */
export const HOST_KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
] as const;

export interface PublicHostKey {
    readonly type: (typeof HOST_KEY_TYPES)[number];
    /** The key blob, base64 (as in known_hosts). */
    readonly base64: string;
}

/** Reads the SSH wire string at `off` (uint32 length, bytes); undefined past the end. */
function wireString(buf: Buffer, off: number): { value: Buffer; next: number } | undefined {
    if (off + 4 > buf.length) return undefined;
    const len = buf.readUInt32BE(off);
    if (off + 4 + len > buf.length) return undefined;
    return { value: buf.subarray(off + 4, off + 4 + len), next: off + 4 + len };
}

/**
 * One `ssh-keyscan` or known_hosts line (`<host> <type> <base64> [comment]`, `[host]:port` for
 * another port) or the same without the host field (`<type> <base64> [comment]`, a .pub file).
 * Returns the key, or why the line is not one: exactly one line, a known type, a base64 blob whose
 * own type field agrees.
 */
export function parseHostKeyLine(line: string): PublicHostKey | string {
    const text = line.trim();
    if (text.includes("\n")) return "must be one line (run ssh-keyscan with -t ed25519 to get one key)";
    const fields = text.split(/[ \t]+/);
    const at = fields.findIndex(f => (HOST_KEY_TYPES as readonly string[]).includes(f));
    // The key type is the first field of a .pub line or the second of an ssh-keyscan line.
    if (at < 0 || at > 1)
        return `must be an ssh-keyscan line (<host> <type> <base64>) with type ${HOST_KEY_TYPES.join(", ")}`;
    if (at === 1 && !/^(\[[A-Za-z0-9.:-]+\]:[0-9]+|[A-Za-z0-9.:-]+)(,[^\s]+)?$/.test(fields[0]!))
        return "must start with the host name as ssh-keyscan prints it";
    const type = fields[at] as PublicHostKey["type"];
    const b64 = fields[at + 1] ?? "";
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return "must carry the key as base64 after its type";
    const blob = Buffer.from(b64, "base64");
    const inner = wireString(blob, 0);
    if (
        blob.toString("base64") !== b64 ||
        inner === undefined ||
        inner.value.toString("latin1") !== type ||
        wireString(blob, inner.next) === undefined
    ) {
        return `must carry a ${type} key blob after its type (this one does not decode as one)`;
    }
    return { type, base64: b64 };
}

/** The authorized_keys form the provider's connection.hostKey takes. */
export function authorizedKey(key: PublicHostKey): string {
    return `${key.type} ${key.base64}`;
}

/** The fingerprint `ssh-keygen -l` (and the provider's mismatch error) shows: SHA256:<base64, unpadded>. */
export function fingerprint(key: PublicHostKey): string {
    const digest = createHash("sha256").update(Buffer.from(key.base64, "base64")).digest("base64");
    return `SHA256:${digest.replace(/=+$/, "")}`;
}

function sshString(b: Buffer | string): Buffer {
    const body = typeof b === "string" ? Buffer.from(b, "latin1") : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
}

export interface HostKeyPair {
    /** openssh-key-v1 PEM ("OPENSSH PRIVATE KEY"), unencrypted: what sshd reads as a HostKey. */
    readonly privateKey: string;
    /** `ssh-ed25519 <base64> <comment>`. */
    readonly publicKey: string;
}

/**
 * A new ed25519 host key pair in OpenSSH's own formats (openssh-portable PROTOCOL.key: the
 * "openssh-key-v1" container, cipher and kdf "none", one key; ed25519's private part is the
 * 32-byte seed followed by the 32-byte public key). Node exports ed25519 only as PKCS#8/JWK, so
 * the container is written here.
 */
export function generateHostKeyPair(comment = "rhcos-forge-host"): HostKeyPair {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const pub = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
    const seed = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
    if (pub.length !== 32 || seed.length !== 32) throw new Error("ed25519 key export did not give 32-byte keys");
    const pubBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
    const check = randomBytes(4);
    let priv = Buffer.concat([
        check,
        check,
        sshString("ssh-ed25519"),
        sshString(pub),
        sshString(Buffer.concat([seed, pub])),
        sshString(comment),
    ]);
    const pad: number[] = [];
    for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
    priv = Buffer.concat([priv, Buffer.from(pad)]);
    const nkeys = Buffer.alloc(4);
    nkeys.writeUInt32BE(1);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0", "latin1"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        nkeys,
        sshString(pubBlob),
        sshString(priv),
    ]);
    const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
    return {
        privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join(
            "\n",
        ),
        publicKey: `ssh-ed25519 ${pubBlob.toString("base64")} ${comment}`,
    };
}

/** `ssh-keyscan -t` for a key type: the scan asks for that type only, as the provider's dial does. */
export function keyscanType(type: PublicHostKey["type"]): "ed25519" | "ecdsa" | "rsa" {
    return type === "ssh-ed25519" ? "ed25519" : type === "ssh-rsa" ? "rsa" : "ecdsa";
}

/**
 * Whether the keys a server offered (ssh-keyscan's lines, parsed) include the pinned one; when
 * not, the message names the endpoint, each key offered and the pinned one by type and
 * fingerprint, as `ssh-keygen -lf` prints them. `pinnedBy` says where the pin comes from.
 */
export function hostKeyVerdict(
    endpoint: string,
    pinned: PublicHostKey,
    offered: readonly PublicHostKey[],
    pinnedBy: string,
): { readonly ok: true } | { readonly ok: false; readonly message: string } {
    if (offered.some(k => k.type === pinned.type && k.base64 === pinned.base64)) return { ok: true };
    const show = (k: PublicHostKey): string => `${k.type} ${fingerprint(k)}`;
    const sameType = offered.filter(k => k.type === pinned.type);
    const saw =
        sameType.length > 0
            ? sameType.map(show).join(", ")
            : offered.length > 0
              ? `no ${pinned.type} key (only ${offered.map(show).join(", ")})`
              : "no host key at all (ssh-keyscan completed no key exchange)";
    return {
        ok: false,
        message: `host key mismatch for ${endpoint}: the server offered ${saw}, but ${pinnedBy} pins ${show(pinned)}`,
    };
}
