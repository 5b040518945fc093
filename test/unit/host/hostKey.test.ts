// The host key module without Pulumi: the generated pair is what OpenSSH reads (ssh-keygen derives
// the same public key from the private half and shows the same fingerprint), and the pinned line
// is parsed in the forms ssh-keyscan, known_hosts and .pub files use.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
    authorizedKey,
    fingerprint,
    generateHostKeyPair,
    hostKeyVerdict,
    keyscanType,
    parseHostKeyLine,
    type PublicHostKey,
} from "../../../components/ssh/hostKey";

function parsed(line: string): PublicHostKey {
    const k = parseHostKeyLine(line);
    if (typeof k === "string") assert.fail(`${line}: ${k}`);
    return k;
}

describe("host keys", () => {
    it("generates an ed25519 pair OpenSSH reads: same public key, same fingerprint, a new pair each time", () => {
        const dir = mkdtempSync(join(tmpdir(), "rf-hostkey-"));
        try {
            const pair = generateHostKeyPair("rf-test");
            writeFileSync(join(dir, "key"), pair.privateKey, { mode: 0o600 });
            const derived = execFileSync("ssh-keygen", ["-y", "-f", join(dir, "key")], { encoding: "utf8" }).trim();
            assert.equal(derived, pair.publicKey);
            const listed = execFileSync("ssh-keygen", ["-l", "-f", join(dir, "key")], { encoding: "utf8" }).split(
                " ",
            )[1];
            assert.equal(fingerprint(parsed(pair.publicKey)), listed);
            assert.notEqual(generateHostKeyPair().publicKey, pair.publicKey);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads ssh-keyscan, [host]:port, commented known_hosts and .pub lines as the same key", () => {
        const pub = generateHostKeyPair().publicKey;
        const [type, b64] = pub.split(" ");
        for (const line of [
            `build.example.com ${type} ${b64}`,
            `[10.0.0.5]:2222 ${type} ${b64}`,
            `build,10.0.0.5 ${type} ${b64} note`,
            pub,
            `${type} ${b64}\n`,
        ]) {
            assert.equal(authorizedKey(parsed(line)), `${type} ${b64}`, line);
        }
    });

    it("refuses what is not one public host key", () => {
        const pub = generateHostKeyPair().publicKey;
        const [type, b64] = pub.split(" ");
        for (const [line, why] of [
            ["", /must be an ssh-keyscan line/],
            // the first line of a private key, where the public key belongs
            [generateHostKeyPair().privateKey.split("\n")[0], /must be an ssh-keyscan line/],
            [`${pub}\n${pub}`, /must be one line/],
            [`host ${type} ${b64!.slice(0, -8)}`, /does not decode/],
            [`host ecdsa-sha2-nistp256 ${b64}`, /must carry a ecdsa-sha2-nistp256 key blob/],
            [`host ${type} not*base64`, /must carry the key as base64/],
            [`a b ${type} ${b64}`, /must be an ssh-keyscan line/],
            [`$(reboot) ${type} ${b64}`, /must start with the host name/],
        ] as const) {
            const got = parseHostKeyLine(line);
            assert.equal(typeof got, "string", line);
            assert.match(got as string, why, line);
        }
    });

    it("accepts the pinned key among those offered, else names endpoint, offered keys and pin fingerprint", () => {
        const pinned = parsed(generateHostKeyPair().publicKey);
        const other = parsed(generateHostKeyPair().publicKey);
        const rsa = parsed(
            execFileSync(
                "bash",
                ["-c", "d=$(mktemp -d) && ssh-keygen -q -t rsa -b 2048 -N '' -f $d/k && cat $d/k.pub && rm -rf $d"],
                { encoding: "utf8" },
            ),
        );
        const by = "rhcos-forge:buildHost.hostKey";
        assert.deepEqual(hostKeyVerdict("h:22", pinned, [rsa, pinned], by), { ok: true });
        const show = (k: PublicHostKey): string => `${k.type} ${fingerprint(k)}`;
        assert.deepEqual(hostKeyVerdict("127.0.0.1:2222", pinned, [other], by), {
            ok: false,
            message:
                `host key mismatch for 127.0.0.1:2222: the server offered ${show(other)}, but ` +
                `rhcos-forge:buildHost.hostKey pins ${show(pinned)}`,
        });
        assert.deepEqual(hostKeyVerdict("[::1]:22", pinned, [rsa], by), {
            ok: false,
            message:
                `host key mismatch for [::1]:22: the server offered no ssh-ed25519 key (only ${show(rsa)}), but ` +
                `rhcos-forge:buildHost.hostKey pins ${show(pinned)}`,
        });
        const none = hostKeyVerdict("h:22", pinned, [], by);
        assert.ok(
            !none.ok && none.message.includes("no host key at all") && none.message.endsWith(`pins ${show(pinned)}`),
        );
        // Same blob under another type is not the pinned key.
        assert.equal(hostKeyVerdict("h:22", pinned, [{ type: "ssh-rsa", base64: pinned.base64 }], by).ok, false);
    });

    it("asks ssh-keyscan for the pinned key's type", () => {
        assert.deepEqual(
            (
                ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"] as const
            ).map(keyscanType),
            ["ed25519", "ecdsa", "ecdsa", "ecdsa", "rsa"],
        );
    });
});
