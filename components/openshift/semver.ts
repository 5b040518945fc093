// `oc adm release new --name` accepts only a semantic version: openshift/oc
// pkg/cli/admin/release/new.go (main 6b8e30c5b39a, release-4.16 6f88b5846ab9) refuses any other
// name with "--name must be a semantic version", parsing it with the vendored
// github.com/blang/semver Parse. The rules below are that parser's, so a name is refused at
// config time for exactly the reasons oc would refuse it on the build host. Pure, no imports.

const NUMERIC = /^[0-9]+$/;
const ALPHANUM = /^[0-9A-Za-z-]+$/;

/** Why `name` is not a version blang/semver Parse accepts; undefined when it is one. */
export function semverProblem(name: string): string | undefined {
    if (name.length === 0) return "is empty";
    const parts = name.split(".");
    if (parts.length < 3) return "has no MAJOR.MINOR.PATCH";
    const [major, minor] = parts;
    let rest = parts.slice(2).join(".");
    let build: string[] = [];
    let pre: string[] = [];
    const plus = rest.indexOf("+");
    if (plus !== -1) {
        build = rest.slice(plus + 1).split(".");
        rest = rest.slice(0, plus);
    }
    const dash = rest.indexOf("-");
    if (dash !== -1) {
        pre = rest.slice(dash + 1).split(".");
        rest = rest.slice(0, dash);
    }
    for (const [what, n] of [
        ["major", major],
        ["minor", minor],
        ["patch", rest],
    ] as const) {
        if (!NUMERIC.test(n)) return `has a ${what} version ${JSON.stringify(n)} that is not a number`;
        if (n.length > 1 && n.startsWith("0")) return `has a ${what} version ${JSON.stringify(n)} with a leading zero`;
        if (BigInt(n) > 18446744073709551615n) return `has a ${what} version ${JSON.stringify(n)} above 2^64-1`;
    }
    for (const p of pre) {
        if (p.length === 0) return "has an empty pre-release identifier";
        if (NUMERIC.test(p) && p.length > 1 && p.startsWith("0"))
            return `has a numeric pre-release identifier ${JSON.stringify(p)} with a leading zero`;
        if (!ALPHANUM.test(p))
            return `has a pre-release identifier ${JSON.stringify(p)} with characters other than 0-9A-Za-z-`;
    }
    for (const b of build) {
        if (b.length === 0) return "has an empty build metadata identifier";
        if (!ALPHANUM.test(b))
            return `has a build metadata identifier ${JSON.stringify(b)} with characters other than 0-9A-Za-z-`;
    }
    return undefined;
}
