// The closed mirror's config: mirror.bind (default: where builds reach the mirror), mirror.auth
// (basic by default) and the rhcos-forge:mirrorPassword secret, each on its own and against the
// others; no password is ever echoed in an error.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../../components/config/parse";
import { mirrorBindAddress } from "../../../components/config/mirror";
import * as cases from "../configCases";
import { throwawayOpenSshKey } from "../throwawayKeys";

const PASSWORD = "s3cr3t-mirror-password-for-tests";

const SSH_KEY = throwawayOpenSshKey();

const withMirror = (
    mirror: cases.JsonTree,
    extra: cases.JsonTree = {},
    buildHost?: cases.JsonTree,
): cases.JsonTree => ({
    ...cases.patched(cases.minimalStack, c => {
        c.mirror = mirror;
        if (buildHost !== undefined) c.buildHost = buildHost;
    }),
    ...(buildHost !== undefined ? { sshPrivateKey: SSH_KEY } : {}),
    ...extra,
});

const sshHost = { provider: "ssh", host: "10.0.0.5", hostKey: cases.TEST_HOST_KEY };
const namedSshHost = { provider: "ssh", host: "builder.example.com", hostKey: cases.TEST_HOST_KEY };

describe("closed mirror config", () => {
    it("defaults to basic auth, bound where builds reach the mirror", () => {
        const local = parseStackConfig(cases.asAllConfig(cases.minimalStack()));
        assert.equal(local.mirror.auth, "basic");
        assert.equal(local.mirror.bind, undefined);
        assert.equal(mirrorBindAddress(local), "127.0.0.1");
        assert.equal(mirrorBindAddress(parseStackConfig(cases.asAllConfig(withMirror({}, {}, sshHost)))), "10.0.0.5");
        // A host name: resolved on the host (the serve step names mirror.bind if it is not the host's).
        assert.equal(
            mirrorBindAddress(parseStackConfig(cases.asAllConfig(withMirror({}, {}, namedSshHost)))),
            "builder.example.com",
        );
        assert.equal(
            mirrorBindAddress(
                parseStackConfig(cases.asAllConfig(withMirror({ buildAddress: "10.0.0.9" }, {}, sshHost))),
            ),
            "10.0.0.9",
        );
        assert.equal(
            mirrorBindAddress(parseStackConfig(cases.asAllConfig(withMirror({ bind: "0.0.0.0" }, {}, sshHost)))),
            "0.0.0.0",
        );
    });

    it("accepts auth none, a given password, every-interface binds and a bind matching buildAddress", () => {
        for (const stack of [
            withMirror({ auth: "none" }),
            withMirror({}, { mirrorPassword: PASSWORD }),
            withMirror({ bind: "0.0.0.0" }, {}, sshHost),
            withMirror({ bind: "::" }, {}, sshHost),
            withMirror({ bind: "10.0.0.7", buildAddress: "10.0.0.7" }, {}, sshHost),
            withMirror({ bind: "127.0.0.1" }),
        ])
            assert.deepEqual(cases.parseProblems(stack), [], JSON.stringify(stack));
        assert.equal(
            parseStackConfig(cases.asAllConfig(withMirror({}, { mirrorPassword: PASSWORD }))).mirrorPassword,
            PASSWORD,
        );
    });

    cases.rejectsEach([
        [
            "an auth mode that is neither basic nor none",
            withMirror({ auth: "digest" }),
            `rhcos-forge:mirror.auth must be one of "basic", "none", got "digest"`,
        ],
        [
            "a bind that is not an IP address",
            withMirror({ bind: "builder.example.com" }),
            `rhcos-forge:mirror.bind must be an IP address such as 10.0.0.5, 127.0.0.1 or 0.0.0.0, got ` +
                `"builder.example.com"`,
        ],
        [
            "a bind where builds do not look for the mirror (buildAddress)",
            withMirror({ bind: "10.0.0.7", buildAddress: "10.0.0.8" }, {}, sshHost),
            `rhcos-forge:mirror.bind is "10.0.0.7", but builds reach the mirror at 10.0.0.8 ` +
                `(rhcos-forge:mirror.buildAddress), where nothing would listen; bind that address, 0.0.0.0, or ` +
                `set rhcos-forge:mirror.buildAddress to 10.0.0.7, got "10.0.0.7"`,
        ],
        [
            "a loopback bind on an ssh host builds reach at its address",
            withMirror({ bind: "127.0.0.1" }, {}, sshHost),
            `rhcos-forge:mirror.bind is "127.0.0.1", but builds reach the mirror at 10.0.0.5 ` +
                `(rhcos-forge:buildHost.host), where nothing would listen; bind that address, 0.0.0.0, or set ` +
                `rhcos-forge:mirror.buildAddress to 127.0.0.1, got "127.0.0.1"`,
        ],
        [
            "a local host's mirror bound away from 127.0.0.1",
            withMirror({ bind: "10.0.0.7" }),
            `rhcos-forge:mirror.bind is "10.0.0.7", but builds reach the mirror at 127.0.0.1 (the local ` +
                `host's 127.0.0.1), where nothing would listen; bind that address, 0.0.0.0, or set ` +
                `rhcos-forge:mirror.buildAddress to 10.0.0.7, got "10.0.0.7"`,
        ],
        [
            "a password with auth none",
            withMirror({ auth: "none" }, { mirrorPassword: PASSWORD }),
            "rhcos-forge:mirrorPassword is set but rhcos-forge:mirror.auth is none (no password is asked " +
                "for); set mirror.auth to basic or unset the password, got a secret value",
        ],
        [
            "a short password",
            withMirror({}, { mirrorPassword: "short-pw" }),
            "rhcos-forge:mirrorPassword must be at least 16 characters, got a secret value",
        ],
        [
            "a password dnf would cut or substitute",
            withMirror({}, { mirrorPassword: "sixteen-chars-$HOME-x" }),
            "rhcos-forge:mirrorPassword must be letters, digits and . _ ~ + = : , @ ! % ^ * / - only (no " +
                "spaces, quotes, $, # or ;), got a secret value",
        ],
    ]);

    it("never echoes the password", () => {
        for (const pw of ["short", `${PASSWORD} with spaces`, `${PASSWORD}#comment`]) {
            const problems = cases.problemsOf(withMirror({ auth: "none" }, { mirrorPassword: pw }));
            assert.ok(problems.length > 0);
            for (const p of problems) assert.ok(!p.includes(pw) && !p.includes(PASSWORD), p);
        }
    });
});
