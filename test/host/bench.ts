// Bench (not a test): the remote build step through SSH vs a bare local
// podman build + push of the same Containerfile, and a no-change re-run.
//
//   node --import tsx test/host/bench.ts [iterations]     (default 2)
//
// Reuses the host-test harness: sshd build host, registry with htpasswd auth,
// upstream repo, mirror (background mode), fake base image (NOT RHCOS).
// Both sides build with --no-cache and the base image is pulled beforehand,
// so neither profits from the other's layer cache. Prints figures only.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Env, makeBundle, run, startBuildFixture, type BundleFile } from "./harness";
import { layeredContainerfile, pushArgs } from "../../dev/baseImage";

const BUILD_ARGS = "--isolation chroot --network host --no-cache";

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
    const t0 = process.hrtime.bigint();
    const v = await fn();
    return [Number(process.hrtime.bigint() - t0) / 1e9, v];
}

function fmt(s: number): string {
    return `${s.toFixed(2)}s`;
}

/**
 * Milliseconds per step from build-image.sh's `step "<name>" at <epoch ms>` lines (RF_LOG_TIMES=1):
 * each step lasts until the next starts, the last until the script returned (`end`, epoch ms).
 */
function stepTimes(stderr: string, end: number): [string, number][] {
    const marks = [...stderr.matchAll(/step "([^"]+)" at (\d+)$/gm)].map(m => [m[1], Number(m[2])] as const);
    return marks.map(([step, at], i) => [step, (i + 1 < marks.length ? marks[i + 1][1] : end) - at]);
}

function mean(xs: number[]): number {
    return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main(): Promise<void> {
    const iterations = Math.max(1, Number(process.argv[2] ?? 2));
    const env = new Env("rf-bench-");
    try {
        const t0 = Date.now();
        const { host, reg, bases, root, mirrorPort } = await startBuildFixture(env);
        // both sides start with the base image present
        await run("podman", [
            "pull",
            "-q",
            "--tls-verify=false",
            "--creds",
            `${reg.user}:${reg.password}`,
            bases.plain,
        ]);
        const [sshRtt] = await timed(() => host.ssh("true"));
        process.stdout.write(
            `setup: ${fmt((Date.now() - t0) / 1000)} (fixtures, registry, mirror); ssh round trip: ${fmt(sshRtt)}\n`,
        );

        const authFile = env.path("bench-auth.json");
        writeFileSync(authFile, reg.authJson(), { mode: 0o600 });
        const repo = `${reg.host}/rhcos-forge/bench`;
        // Two sizes of the same build: the fixture (a second or so, where the step's fixed costs
        // weigh most) and the fixture plus a 64 MiB layer written by the RUN (build and push work
        // closer to a real image's).
        for (const blobMiB of [0, 64]) {
            const remote: number[] = [];
            const local: number[] = [];
            const reuse: number[] = [];
            const phases = new Map<string, number[]>();
            const beside: number[] = [];

            for (let i = 0; i < iterations; i++) {
                const cf = layeredContainerfile({
                    base: bases.plain,
                    mirrorPort,
                    mirrorPath: "fixtures",
                    install: ["rf-hello"],
                    enable: ["rf-hello.service"],
                })
                    .replace(
                        "COPY files/ /",
                        `COPY files/ /\nLABEL io.rhcos-forge.bench=${JSON.stringify(`${Date.now()}-${i}`)}`,
                    )
                    .replace(
                        "ostree container commit",
                        blobMiB === 0
                            ? "ostree container commit"
                            : `head -c ${blobMiB}M /dev/urandom > /opt/rf-bench.blob && ostree container commit`,
                    );
                const files: BundleFile[] = [
                    { path: "Containerfile", content: cf },
                    { path: "files/etc/rf/hello.conf", mode: "0600", content: "greeting=bench\n" },
                ];
                const id = createHash("sha256").update(cf).digest("hex").slice(0, 32);
                const vars = {
                    RF_ROOT: root,
                    RF_BUILD_ID: id,
                    RF_IMAGE_REPO: repo,
                    RF_BASE_IMAGE: bases.plain,
                    RF_PODMAN_BUILD_ARGS: BUILD_ARGS,
                    RF_TLS_VERIFY: "false",
                    RF_LOG_TIMES: "1",
                };
                const bundle = makeBundle(files, reg.authJson());

                // remote: context upload via stdin, build, push, digest, package diff
                const [tr, res] = await timed(() => host.script("build-image.sh", vars, { input: bundle }));
                if (res.code !== 0) throw new Error(`remote build failed:\n${res.stderr.slice(-3000)}`);
                remote.push(tr);
                for (const [step, ms] of stepTimes(res.stderr, Date.now()))
                    phases.set(step, [...(phases.get(step) ?? []), ms]);
                const read = /package lists read in (\d+) ms, beside the push/.exec(res.stderr);
                if (read) beside.push(Number(read[1]));

                // no-change re-run: must not build
                const countFile = join(root, "build-count");
                const before = readFileSync(countFile, "utf8");
                const [tn, again] = await timed(() => host.script("build-image.sh", vars, { input: bundle }));
                if (again.code !== 0) throw new Error(`re-run failed:\n${again.stderr}`);
                if (readFileSync(countFile, "utf8") !== before) throw new Error("the no-change re-run built");
                reuse.push(tn);

                // bare local: the same Containerfile and context, podman build + podman push
                const ctx = env.path("local-ctx", `${blobMiB}-${i}`);
                mkdirSync(join(ctx, "files", "etc", "rf"), { recursive: true });
                writeFileSync(join(ctx, "Containerfile"), cf);
                writeFileSync(join(ctx, "files", "etc", "rf", "hello.conf"), "greeting=bench\n", { mode: 0o600 });
                const tag = `${repo}:local-${id}`;
                const [tl] = await timed(async () => {
                    await run("podman", [
                        "build",
                        ...BUILD_ARGS.split(" "),
                        "-t",
                        tag,
                        "-f",
                        join(ctx, "Containerfile"),
                        ctx,
                    ]);
                    await run("podman", pushArgs(authFile, env.path(`d-${blobMiB}-${i}`), tag, tag));
                });
                local.push(tl);
                const size = blobMiB === 0 ? "fixture" : `+${blobMiB} MiB`;
                process.stdout.write(
                    `${size} iteration ${i + 1}: remote via ssh ${fmt(tr)}  bare local ${fmt(tl)}  ratio ` +
                        `${(tr / tl).toFixed(2)}  no-change re-run ${fmt(tn)}\n`,
                );
            }

            const rm = mean(remote);
            const lm = mean(local);
            process.stdout.write(
                [
                    "",
                    blobMiB === 0 ? "the fixture build:" : `the fixture build plus a ${blobMiB} MiB layer:`,
                    `remote build step via ssh (upload, build, push, digest, package diff): mean ${fmt(rm)} over ` +
                        `${iterations}`,
                    `bare local podman build + podman push:                               mean ${fmt(lm)} over ` +
                        `${iterations}`,
                    `ratio remote/local:                                                  ${(rm / lm).toFixed(2)} ` +
                        ` (goal <= 1.30)`,
                    `no-change re-run (no build; skopeo check of the pushed ref):         mean ${fmt(mean(reuse))}`,
                    "where the remote step's time goes (mean per step of build-image.sh; the rest is ssh and " +
                        "the upload):",
                    ...[...phases].map(([step, xs]) => `  ${step.padEnd(16)} ${fmt(mean(xs) / 1000)}`),
                    `  (the rpmdb read for the package diff and the SBOM runs beside the push: mean ` +
                        `${fmt(mean(beside) / 1000)}; "package diff" above is what is left of it after the push)`,
                    "",
                ].join("\n"),
            );
        }
    } finally {
        await env.teardown();
    }
}

main().catch(e => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
