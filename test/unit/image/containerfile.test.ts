// Golden Containerfiles: the rendered text for representative specs is reviewed like code.
// Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { describe, it } from "node:test";
import { ImageSpec, RenderOptions, renderContainerfile } from "../../../components/image/containerfile";
import { directBuildRepo, renderRepoFile, renderUpstreamRepoFile } from "../../../components/mirror/repoFiles";
import { configFiles, debugTools, emptySpec, kernelHotfix, mirrorRepos } from "../imageSpecs";
import { ROOT } from "../stackFile";

const empty = emptySpec;
const repos = mirrorRepos;

const cases: [string, ImageSpec, RenderOptions][] = [
    ["debug-tools", { ...empty, ...debugTools }, { repos }],
    ["kernel-hotfix", { ...empty, ...kernelHotfix }, { repos }],
    [
        "config-only",
        {
            ...empty,
            files: configFiles,
        },
        { repos },
    ],
    [
        "agent-and-override-from-mirror",
        {
            ...empty,
            packages: ["falcon-sensor"],
            replace: ["openssh-9.9p1-1.el9"],
            extraSteps: ["mkdir -p /usr/lib/falcon && echo 'managed by rhcos-forge' > /usr/lib/falcon/README"],
        },
        { repos, replaceRepo: "rhcos-forge-extras" },
    ],
    ["base-only", empty, { repos: [] }],
    // mirror.repos[].fetch build with entitlement cluster: the TLS files are build secrets of the
    // installing RUN (paths only here), and redhat.repo goes in the same RUN.
    [
        "entitled-fetch-build",
        { ...empty, packages: ["libreswan"] },
        {
            repos: [
                repos[0],
                directBuildRepo({
                    id: "rhel-9-appstream",
                    baseurl: "https://cdn.redhat.com/content/dist/rhel9/9/x86_64/appstream/os/",
                    gpgcheck: true,
                    gpgkey: "https://www.redhat.com/security/data/fd431d51.txt",
                    sslcacert: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                    client: { sslclientcert: "", sslclientkey: "" },
                    entitled: true,
                }),
            ],
        },
    ],
    // buildHost.register: podman passes the host's entitlement in; redhat.repo is removed.
    ["registered-host", { ...empty, packages: ["libreswan"] }, { repos: [], entitledHost: true }],
];

describe("rendered Containerfiles", () => {
    for (const [name, spec, opts] of cases) {
        it(`matches test/golden/${name}.Containerfile`, () => {
            const rendered = renderContainerfile(spec, opts);
            const file = path.join(ROOT, "test", "golden", `${name}.Containerfile`);
            if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, rendered.containerfile);
            assert.equal(rendered.containerfile, fs.readFileSync(file, "utf8"));
        });
    }

    it("adds and removes the mirror .repo inside one RUN, so it never ships in a layer", () => {
        const { containerfile } = renderContainerfile(cases[0][1], cases[0][2]);
        const runs = containerfile.split("\n").join("\n").split(/^RUN /m).slice(1);
        const withRepo = runs.filter(r => r.includes("/etc/yum.repos.d/rhcos-forge-mirror.repo"));
        assert.equal(withRepo.length, 1);
        assert.match(withRepo[0], /> \/etc\/yum\.repos\.d\/rhcos-forge-mirror\.repo/);
        assert.match(withRepo[0], /rm -f \/etc\/yum\.repos\.d\/rhcos-forge-mirror\.repo/);
        assert.doesNotMatch(containerfile, /^(COPY|ADD) .*\.repo/m);
    });

    it("ends every RUN with ostree container commit", () => {
        for (const [, spec, opts] of cases) {
            const { containerfile } = renderContainerfile(spec, opts);
            for (const run of containerfile.split(/^RUN /m).slice(1)) {
                assert.match(run.split(/^LABEL /m)[0].trimEnd(), /ostree container commit$/);
            }
        }
    });

    it("puts declared files in the context under files/ with their modes", () => {
        const rendered = renderContainerfile(cases[2][1], cases[2][2]);
        assert.deepEqual(
            rendered.context.map(f => [f.path, f.mode]),
            [
                ["files/etc/chrony.conf", "0644"],
                ["files/etc/ipsec.d/my-host-to-host.conf", "0600"],
            ],
        );
        assert.match(rendered.containerfile, /^COPY files\/ \/$/m);
    });

    it("quotes values so a hostile label or file path cannot break the shell", () => {
        const { containerfile } = renderContainerfile(
            { ...empty, files: [{ path: "/etc/a b'c", mode: "0644", content: "" }] },
            { repos },
        );
        assert.match(containerfile, /chmod 0644 '\/etc\/a b'\\''c'/);
    });

    it("renders the mirror .repo file and the upstream one with credentials only upstream", () => {
        assert.equal(
            renderRepoFile(repos.slice(1)),
            [
                "[rhcos-forge-extras]",
                "name=rhcos-forge mirror of rhcos-forge-extras",
                "baseurl=http://10.114.0.2:5180/rhcos-forge-extras/",
                "enabled=1",
                "gpgcheck=0",
                "",
            ].join("\n"),
        );
        const upstream = renderUpstreamRepoFile([
            { id: "ose", baseurl: "https://mirror.example.com/ose/", gpgcheck: false, username: "u", password: "p" },
        ]);
        assert.match(upstream, /^\[ose\]$/m);
        assert.match(upstream, /^username=u$/m);
        assert.match(upstream, /^password=p$/m);
    });
});
