// The cross-field checks: what one key requires of, or refuses with, another. stackConfigSchema
// (./schema.ts) runs checkStack once every section has parsed.
import { RELEASES, cosaBranchRelease, supportedExtensions } from "../openshift/releases";
import { KERNEL_SUBPACKAGES, kernelSubpackage } from "../openshift/kernel";
import {
    checkContainerfile,
    checkRenderedImagePushSpec,
    machineOSConfigApi,
    renderedImagePushSpec,
} from "../openshift/machineOsConfig";
import { renderOnClusterContainerfile } from "../openshift/onClusterContainerfile";
import { referenceNameProblem } from "../openshift/pullspec";
import { OpenShiftVersion } from "../openshift/versions";
import { needsBuildHost } from "./buildHost";
import { CosaConfig, STEP_ACTIONS, normalFilePath } from "./image";
import { kubeconfigProblem } from "./kubeconfig";
import { mirrorBindAddress } from "./mirror";
import { checkRhelContent } from "./rhelContent";
import { checkFleet } from "./fleet";
import { checkRetention, checkSigning } from "./signing";
import { StackObject } from "./stackObject";
import { isIpAddress } from "./validators";

/** Reports one problem at a key path. */
export type Issue = (path: (string | number)[], message: string) => void;

/**
 * Values that are each valid but contradict another key, or that another key needs: every
 * problem is reported through `issue`, naming the key to fix (never a secret's value).
 */
export function checkStack(cfg: StackObject, issue: Issue): void {
    // With machineosconfig the build host exists only to serve the mirror (Pulumi.yaml still requires the key).
    const hostNeeded = needsBuildHost(cfg);
    if (hostNeeded && cfg.buildHost.provider !== "local" && cfg.sshPrivateKey === undefined) {
        issue(["sshPrivateKey"], `is required for a ${cfg.buildHost.provider} build host (set it with --secret)`);
    }
    if (hostNeeded && cfg.buildHost.provider === "ssh") {
        const host = cfg.buildHost;
        if (host.hostKey === undefined && !host.insecureAcceptAnyHostKey) {
            issue(
                ["buildHost", "hostKey"],
                `is required for an ssh build host: the line \`ssh-keyscan -t ed25519 -p ${host.port} ` +
                    `${host.host}\` prints, checked out of band (or set ` +
                    `rhcos-forge:buildHost.insecureAcceptAnyHostKey=true to accept any key)`,
            );
        }
        if (host.hostKey !== undefined && host.insecureAcceptAnyHostKey) {
            issue(
                ["buildHost", "insecureAcceptAnyHostKey"],
                "must not be true while rhcos-forge:buildHost.hostKey pins the key",
            );
        }
    }
    // cosa runs its build in a KVM guest (/dev/kvm). No DigitalOcean document found says which
    // droplet sizes expose nested virtualization, so the stack must state it rather than find out
    // after the droplet, volume, firewall and mirror exist (host-ready.sh RF_NEED_KVM refuses then).
    if (
        hostNeeded &&
        cfg.image.builder === "cosa" &&
        cfg.buildHost.provider === "digitalocean" &&
        !cfg.buildHost.nestedVirtualization
    ) {
        issue(
            ["buildHost", "nestedVirtualization"],
            `must be true with rhcos-forge:image.builder cosa: cosa needs /dev/kvm, and whether a ` +
                `${cfg.buildHost.size} droplet has it (nested virtualization) is not documented by DigitalOcean; ` +
                `check \`ls /dev/kvm\` on one, then set it to true (or use image.builder podman)`,
        );
    }
    checkReferenceNames(cfg, issue);
    checkPools(cfg, issue);
    checkFleet(cfg, issue);
    checkAcrossFields(cfg, issue);
    checkImageSteps(cfg, issue);
    const repoIds = cfg.mirror.repos.map(r => r.id);
    repoIds.forEach((id, i) => {
        if (repoIds.indexOf(id) !== i) issue(["mirror", "repos", i, "id"], "is listed twice");
    });
    if (repoIds.includes(cfg.mirror.packageSet.id))
        issue(["mirror", "packageSet", "id"], "collides with a mirrored repo id");
    cfg.mirror.repos.forEach((r, i) => {
        if (r.username !== undefined && cfg.mirrorPasswords[r.id] === undefined) {
            issue(
                ["mirror", "repos", i, "username"],
                `is set but rhcos-forge:mirrorPasswords has no password for ${JSON.stringify(r.id)}`,
            );
        }
    });
    for (const id of Object.keys(cfg.mirrorPasswords)) {
        if (!repoIds.includes(id)) issue(["mirrorPasswords", id], "names no repo in rhcos-forge:mirror.repos");
    }
    if (cfg.mirror.packageSet.packages.length > 0 && cfg.mirror.repos.length === 0) {
        issue(
            ["mirror", "packageSet", "packages"],
            "needs at least one upstream repo in rhcos-forge:mirror.repos to download from",
        );
    }
    // A package name in image.replace is installed from a mirror repo (override replace --from
    // repo=...): with none at all the Containerfile cannot be rendered.
    if (cfg.image.builder === "podman" && cfg.rollout.method !== "machineosconfig" && cfg.mirror.repos.length === 0) {
        cfg.image.replace.forEach((r, i) => {
            if (!/^https?:\/\//.test(r))
                issue(
                    ["image", "replace", i],
                    "is a package name, which comes from the build host's mirror, but " +
                        "rhcos-forge:mirror.repos is empty; add the repo it comes from, or give an RPM URL",
                );
        });
    }
    if (cfg.cluster.renderTo === undefined && cfg.kubeconfig === undefined) {
        issue(["kubeconfig"], "is required unless rhcos-forge:cluster.renderTo is set (set it with --secret)");
    }
    if (cfg.kubeconfig !== undefined) {
        const problem = kubeconfigProblem(cfg.kubeconfig, cfg.cluster.context);
        if (problem !== undefined) issue(problem.key.split("."), problem.message);
    }
    if (cfg.rollout.method === "machineosconfig") checkOnCluster(cfg, issue);
    if (
        cfg.rollout.method !== "machineosconfig" &&
        cfg.image.builder === "podman" &&
        cfg.image.base === "cluster" &&
        cfg.kubeconfig === undefined
    ) {
        issue(["image", "base"], 'is "cluster", which reads the cluster\'s ConfigMap and needs rhcos-forge:kubeconfig');
    }
    if (cfg.rollout.method !== "release" && cfg.rollout.pools.length === 0)
        issue(["rollout", "pools"], "must list at least one pool");
    checkCosaAndRelease(cfg, issue);
    checkSigning(cfg, issue);
    checkRetention(cfg, issue);
    checkRhelContent(cfg, issue);
    checkMirrorAccess(cfg, issue);
}

/**
 * Every image reference of the stack whose name a registry or podman would refuse although its
 * key's pattern matched (pullspec.ts referenceNameProblem): found here, before any resource,
 * rather than by the push or pull after the build host, the mirror and the build exist.
 */
function checkReferenceNames(cfg: StackObject, issue: Issue): void {
    const refs: [(string | number)[], string | undefined][] = [
        [["image", "base"], cfg.image.base],
        [["image", "repository"], cfg.image.repository],
        [["image", "cosa", "container"], cfg.image.cosa?.container],
        ...cfg.image.stages.map((st, i): [(string | number)[], string] => [["image", "stages", i, "base"], st.base]),
        [["release", "from"], cfg.release?.from],
        [["release", "repository"], cfg.release?.repository],
        ...Object.entries(cfg.release?.overrides ?? {}).map(([k, v]): [(string | number)[], string] => [
            ["release", "overrides", k],
            v,
        ]),
    ];
    for (const [path, ref] of refs) {
        const problem = ref === undefined ? undefined : referenceNameProblem(ref);
        if (problem !== undefined) issue(path, problem);
    }
}

/**
 * The pools of any stack, building or not (a cluster stack, ./clusterStack.ts): master only when
 * allowed, no node lists on the MCO's own pools, extensions of the cluster's release, no pool
 * twice, worker after the custom pools.
 */
export function checkPools(cfg: Pick<StackObject, "rollout" | "cluster">, issue: Issue): void {
    cfg.rollout.pools.forEach((pool, i) => {
        if (pool.name === "master" && !cfg.rollout.allowMaster) {
            issue(
                ["rollout", "pools", i, "name"],
                "is master: rolling a custom OS to control-plane nodes needs rhcos-forge:rollout.allowMaster=true",
            );
        }
        if ((pool.name === "worker" || pool.name === "master") && pool.nodes.length > 0) {
            issue(
                ["rollout", "pools", i, "nodes"],
                `must be empty for the built-in ${pool.name} pool (nodes are labelled only into custom pools)`,
            );
        }
        const extensions = pool.extensions ?? [];
        const supported = supportedExtensions(cfg.cluster.openshiftVersion);
        extensions.forEach((ext, j) => {
            if (extensions.indexOf(ext) !== j) issue(["rollout", "pools", i, "extensions", j], "is listed twice");
            // The MCO refuses a MachineConfig naming an extension its release does not have, and
            // the pool degrades mid-rollout; EXTENSIONS (the schema's list) is every release's.
            if (!supported.includes(ext)) {
                issue(
                    ["rollout", "pools", i, "extensions", j],
                    `is not an extension of OpenShift ${cfg.cluster.openshiftVersion} ` +
                        `(rhcos-forge:cluster.openshiftVersion); its MCO supports ` +
                        `${supported.map(e => JSON.stringify(e)).join(", ")}`,
                );
            }
            // The MCO maps kernel-devel to the default kernel's packages; with another kernel the
            // pool degrades on a package conflict instead of failing here.
            if (ext === "kernel-devel" && pool.kernelType !== undefined && pool.kernelType !== "default") {
                issue(
                    ["rollout", "pools", i, "extensions", j],
                    `must not be kernel-devel with kernelType ${pool.kernelType} (kernel-devel matches only ` +
                        `the default kernel)`,
                );
            }
        });
        // The MCO refuses 64k-pages on anything but aarch64 ("64k-pages is only supported for
        // aarch64 architecture": openshift/machine-config-operator release-4.21 pkg/daemon/update.go
        // and pkg/controller/build/buildrequest/buildrequestopts.go), after the pool started
        // updating. Where the stack names the nodes' architecture (the on-cluster Containerfile's),
        // that is known now.
        const arch = cfg.rollout.containerfileArch;
        if (
            pool.kernelType === "64k-pages" &&
            cfg.rollout.method === "machineosconfig" &&
            arch !== "NoArch" &&
            arch !== "ARM64"
        ) {
            issue(
                ["rollout", "pools", i, "kernelType"],
                `is 64k-pages, which the MCO installs only on aarch64 nodes, but ` +
                    `rhcos-forge:rollout.containerfileArch is ${arch}; use kernelType default or realtime, or set ` +
                    `containerfileArch ARM64 for an aarch64 cluster`,
            );
        }
    });
    const names = cfg.rollout.pools.map(p => p.name);
    names.forEach((n, i) => {
        if (names.indexOf(n) !== i) issue(["rollout", "pools", i, "name"], "is listed twice");
    });
    checkPoolOrder(names, issue);
}

/**
 * Pools roll out in list order, each waiting for the one before (components/rollout). A custom
 * pool's nodes are worker nodes given a custom role label, and the pool inherits every worker
 * MachineConfig (openshift/machine-config-operator docs/custom-pools.md, release-4.21), so the rule
 * is: `worker`, when listed, comes after every custom pool.
 * Listed first, worker would take the image onto every worker node, the canary's included
 * (it is still a worker until labelled), before the canary proved anything.
 */
function checkPoolOrder(names: readonly string[], issue: Issue): void {
    const worker = names.indexOf("worker");
    if (worker < 0) return;
    const later = names.map((n, i) => ({ n, i })).filter(p => p.i > worker && p.n !== "master" && p.n !== "worker");
    if (later.length === 0) return;
    const list = later.map(p => `${p.n} (rollout.pools[${p.i}])`).join(", ");
    issue(
        ["rollout", "pools", worker, "name"],
        `is worker, listed before the custom pool${later.length > 1 ? "s" : ""} ${list}: pools roll in list ` +
            `order and a custom pool's nodes are worker nodes until labelled, so every node would get the image ` +
            `at the worker stage and the canary would protect nothing; list worker after every custom pool`,
    );
}

const WILDCARD = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);

/**
 * mirror.bind, mirror.buildAddress and mirror.auth together: the server must listen where builds
 * look for it, and a password needs basic auth to be used.
 */
function checkMirrorAccess(cfg: StackObject, issue: Issue): void {
    if (cfg.rollout.method === "machineosconfig") return;
    const m = cfg.mirror;
    // Unset, the server binds where builds reach it; a host name is resolved on the host (and the
    // sync's serve step fails, naming mirror.bind, when it is not one of the host's addresses).
    if (m.bind !== undefined) {
        // Where builds look for the mirror (BuildHost's buildAddress); a droplet's is its private
        // IPv4, unknown here.
        const reach = mirrorBindAddress({ ...cfg, mirror: { buildAddress: m.buildAddress } });
        const from =
            m.buildAddress !== undefined
                ? "rhcos-forge:mirror.buildAddress"
                : cfg.buildHost.provider === "ssh"
                  ? "rhcos-forge:buildHost.host"
                  : "the local host's 127.0.0.1";
        if (
            isIpAddress(m.bind) &&
            !WILDCARD.has(m.bind) &&
            reach !== undefined &&
            isIpAddress(reach) &&
            reach !== m.bind
        ) {
            issue(
                ["mirror", "bind"],
                `is ${JSON.stringify(m.bind)}, but builds reach the mirror at ${reach} (${from}), where ` +
                    `nothing would listen; bind that address, 0.0.0.0, or set rhcos-forge:mirror.buildAddress to ` +
                    `${m.bind}`,
            );
        }
    }
    if (m.auth === "none" && cfg.mirrorPassword !== undefined) {
        issue(
            ["mirrorPassword"],
            "is set but rhcos-forge:mirror.auth is none (no password is asked for); set mirror.auth to basic " +
                "or unset the password",
        );
    }
}

/**
 * Values that are each valid but contradict another key: accepted, they would build or roll out
 * something other than what the stack says.
 */
function checkAcrossFields(cfg: StackObject, issue: Issue): void {
    // The package step removes image.remove, then installs image.packages (containerfile.ts), so
    // a package in both is removed and installed again: the stack asks for two opposite things.
    cfg.image.remove.forEach((pkg, j) => {
        const i = cfg.image.packages.indexOf(pkg);
        if (i >= 0)
            issue(
                ["image", "remove", j],
                `is also installed by rhcos-forge:image.packages[${i}]: a package cannot be both removed and ` +
                    `installed; keep it in one of the two lists`,
            );
    });
    // Files are written in order, so a second entry for a path silently replaces the first.
    const paths = cfg.image.files.map(f => normalFilePath(f.path));
    paths.forEach((p, i) => {
        const first = paths.indexOf(p);
        if (first !== i)
            issue(
                ["image", "files", i, "path"],
                `is also the path of rhcos-forge:image.files[${first}] (this entry would silently replace ` +
                    `it); keep one entry per path`,
            );
    });
    // The MCO stops managing a node that matches two custom pools' selectors ("node %s belongs to
    // %d custom roles, cannot proceed with this Node": openshift/machine-config-operator
    // pkg/helpers/helpers.go GetPoolsForNode, release-4.16 … release-4.22).
    const poolOf = new Map<string, number>();
    cfg.rollout.pools.forEach((pool, i) => {
        pool.nodes.forEach((node, k) => {
            const other = poolOf.get(node);
            if (other === undefined) poolOf.set(node, i);
            else if (other !== i) {
                issue(
                    ["rollout", "pools", i, "nodes", k],
                    `is also in rhcos-forge:rollout.pools[${other}].nodes (pool ` +
                        `${cfg.rollout.pools[other].name}): a node labelled into two custom pools is left ` +
                        `unmanaged by the MCO; list it in one pool only`,
                );
            }
        });
    });
    // gpgcheck=1 without gpgkey: dnf checks signatures only against keys already imported into the
    // image's rpm database and refuses packages signed by any other key (a third-party repo's).
    cfg.mirror.repos.forEach((r, i) => {
        if (r.gpgcheck && r.gpgkey === undefined) {
            issue(
                ["mirror", "repos", i, "gpgkey"],
                `is required with rhcos-forge:mirror.repos[${i}].gpgcheck true (the default): without it dnf ` +
                    `has no key to verify ${JSON.stringify(r.id)}'s packages and refuses them; set gpgkey to the ` +
                    `repo's key URL, or gpgcheck to false`,
            );
        }
    });
}

/**
 * image.steps, image.stages and files: one action per step, sources that exist, stages that
 * are defined before they are copied from, whole-kernel replacements, and what the cosa
 * builder and on-cluster builds cannot take.
 */
function checkImageSteps(cfg: StackObject, issue: Issue): void {
    const img = cfg.image;
    const checkFiles = (files: readonly { content?: string; source?: string }[], at: (string | number)[]) =>
        files.forEach((f, i) => {
            // A file is inline text or a file or directory of the repository, never both or neither.
            if (f.content === undefined && f.source === undefined)
                issue([...at, i, "content"], "must be set, or source (a file or directory of the repository)");
            if (f.content !== undefined && f.source !== undefined)
                issue([...at, i, "source"], "must not be set together with content (keep one of the two)");
        });
    // The override-kernel example replaces every kernel subpackage in one transaction; a partial
    // set leaves one kernel's modules under another kernel.
    const checkKernel = (items: readonly string[], at: (string | number)[]) => {
        const subs = new Set(items.map(kernelSubpackage).filter((s): s is string => s !== undefined));
        if (subs.size > 0 && subs.size < KERNEL_SUBPACKAGES.length) {
            const missing = KERNEL_SUBPACKAGES.filter(s => !subs.has(s));
            issue(
                at,
                `replaces only some kernel subpackages (${[...subs].join(", ")}): a kernel is replaced as ` +
                    `${KERNEL_SUBPACKAGES.join(", ")} together; add ${missing.join(", ")}`,
            );
        }
    };
    checkFiles(img.files, ["image", "files"]);
    checkKernel(img.replace, ["image", "replace"]);
    const stageNames: string[] = [];
    img.stages.forEach((st, i) => {
        if (stageNames.includes(st.name)) issue(["image", "stages", i, "name"], "is listed twice");
        // components/image/driverToolkit.ts reads the ImageStream through the kubeconfig.
        if (st.base === "driver-toolkit" && cfg.kubeconfig === undefined) {
            issue(
                ["image", "stages", i, "base"],
                'is "driver-toolkit", which reads the cluster\'s ImageStream openshift/driver-toolkit and ' +
                    "needs rhcos-forge:kubeconfig; set it, or pin the base by digest (`oc adm release info " +
                    "--image-for=driver-toolkit <release>`)",
            );
        }
        st.steps.forEach((step, j) => {
            const at = ["image", "stages", i, "steps", j];
            const set = (["files", "run", "copy"] as const).filter(k => step[k] !== undefined);
            if (set.length !== 1)
                issue(
                    at,
                    `must have exactly one of files, run, copy${set.length > 1 ? `, got ${set.join(" and ")}` : ""}`,
                );
            if (step.files !== undefined) checkFiles(step.files, [...at, "files"]);
            step.copy?.forEach((c, k) => {
                if (!stageNames.includes(c.from))
                    issue(
                        [...at, "copy", k, "from"],
                        `must name a stage defined before ${st.name} in rhcos-forge:image.stages`,
                    );
            });
        });
        stageNames.push(st.name);
    });
    const repoIds = [...cfg.mirror.repos.map(r => r.id), cfg.mirror.packageSet.id];
    img.steps.forEach((step, i) => {
        const at = ["image", "steps", i];
        const set = STEP_ACTIONS.filter(k => step[k] !== undefined);
        if (set.length !== 1)
            issue(
                at,
                `must have exactly one of ` +
                    `${STEP_ACTIONS.join(", ")}${set.length > 1 ? `, got ${set.join(" and ")}` : ""}`,
            );
        if (step.from !== undefined) {
            if (step.replace === undefined) issue([...at, "from"], "is only for a replace step");
            else if (!repoIds.includes(step.from))
                issue([...at, "from"], `names no repo of rhcos-forge:mirror (${repoIds.join(", ")})`);
        }
        if (step.replace !== undefined) checkKernel(step.replace, [...at, "replace"]);
        if (
            step.replace?.some(r => !/^https?:\/\//.test(r)) &&
            cfg.mirror.repos.length === 0 &&
            cfg.mirror.packageSet.packages.length === 0
        ) {
            issue(
                [...at, "replace"],
                "names packages, which come from the build host's mirror, but rhcos-forge:mirror has no " +
                    "repos; add the repo they come from, or give RPM URLs",
            );
        }
        if (step.files !== undefined) checkFiles(step.files, [...at, "files"]);
        step.copy?.forEach((c, k) => {
            if (!stageNames.includes(c.from))
                issue([...at, "copy", k, "from"], "must name a stage of rhcos-forge:image.stages");
        });
        step.kernelModules?.forEach((m, k) => {
            if (!stageNames.includes(m.stage))
                issue([...at, "kernelModules", k, "stage"], "must name a stage of rhcos-forge:image.stages");
        });
    });
    if (cfg.rollout.method === "machineosconfig") {
        const why =
            "with rhcos-forge:rollout.method machineosconfig (the on-cluster Containerfile has no build " +
            "context and no builder stages here)";
        if (img.steps.length > 0) issue(["image", "steps"], `must be empty ${why}`);
        if (img.stages.length > 0) issue(["image", "stages"], `must be empty ${why}`);
        img.files.forEach((f, i) => {
            if (f.source !== undefined) issue(["image", "files", i, "source"], `must be unset ${why}; use content`);
        });
    }
    if (img.builder === "cosa") {
        for (const key of ["steps", "stages"] as const) {
            if (img[key].length > 0)
                issue(
                    ["image", key],
                    "must be empty with rhcos-forge:image.builder cosa (put packages and files into the cosa " +
                        "config's manifest instead)",
                );
        }
    }
}

/**
 * image.builder cosa and rollout.method release: what they need, and what they would silently
 * ignore (the podman-only image keys, pools) refused with the key to fix.
 */
function checkCosaAndRelease(cfg: StackObject, issue: Issue): void {
    if (cfg.image.builder === "cosa") {
        if (cfg.rollout.method === "machineosconfig")
            issue(
                ["image", "builder"],
                "must be podman with rhcos-forge:rollout.method machineosconfig (the MCO builds on the cluster)",
            );
        if (cfg.image.cosa === undefined)
            issue(
                ["image", "cosa"],
                "is required with rhcos-forge:image.builder cosa ({container, config, branch, ...})",
            );
        const why =
            "with rhcos-forge:image.builder cosa (put packages and files into the cosa config's manifest instead)";
        for (const key of ["packages", "remove", "replace", "files", "units", "extraSteps", "buildArgs"] as const) {
            if (cfg.image[key].length > 0) issue(["image", key], `must be empty ${why}`);
        }
        if (cfg.mirror.repos.some(r => r.id === "artifacts") && (cfg.image.cosa?.artifacts.length ?? 0) > 0) {
            issue(
                ["mirror", "repos"],
                'must not have a repo with id "artifacts": rhcos-forge:image.cosa.artifacts are served under that path',
            );
        }
    } else if (cfg.image.cosa !== undefined) {
        issue(["image", "cosa"], "is set but rhcos-forge:image.builder is podman (set image.builder to cosa)");
    }
    if (cfg.rollout.method === "release") {
        if (cfg.release === undefined)
            issue(["release"], "is required with rhcos-forge:rollout.method release ({from, repository, ...})");
        if (cfg.rollout.pools.length > 0)
            issue(
                ["rollout", "pools"],
                "must be empty with rhcos-forge:rollout.method release (the release upgrade updates every pool)",
            );
        // The release's rhel-coreos becomes baseOSContainerImage of the MCO's machine-config-osimageurl
        // ConfigMap (openshift/machine-config-operator install/0000_80_machine-config_05_osimageurl.yaml),
        // the default OSImageURL the render controller gives every pool, master included
        // (pkg/controller/render/render_controller.go generateRenderedMachineConfig, release-4.19): the
        // same guard as a MachineConfig rollout to the master pool.
        if (!cfg.rollout.allowMaster) {
            issue(
                ["rollout", "allowMaster"],
                "must be true with rhcos-forge:rollout.method release: a ClusterVersion update rolls the " +
                    "built OS to every pool, master included; set rhcos-forge:rollout.allowMaster=true to accept " +
                    "that, or use method machineconfig with worker pools",
            );
        }
    }
    if (cfg.release !== undefined) {
        const os = cfg.release.osComponent;
        if (cfg.release.overrides[os] !== undefined) {
            issue(
                ["release", "overrides", os],
                `is the built OS image (rhcos-forge:release.osComponent); remove it from the overrides`,
            );
        }
        const v = cfg.cluster.openshiftVersion;
        const known: readonly string[] = RELEASES[v].osImageComponents;
        if (!known.includes(os)) {
            issue(
                ["release", "osComponent"],
                os === "machine-os-content"
                    ? `must not be machine-os-content on OpenShift ${v}: the release has no such component (the ` +
                          `MCO's install/image-references names ${known.join(", ")}), so oc adm release new would ` +
                          `prune it and the release would ship the stock OS; use rhel-coreos`
                    : `must be one of ${known.join(", ")} on OpenShift ${v} (the OS components the MCO's ` +
                          `install/image-references names)`,
            );
        }
    }
    if (cfg.image.builder === "cosa" && cfg.image.cosa !== undefined)
        checkCosaVariant(cfg.image.cosa, cfg.cluster.openshiftVersion, issue);
}

/**
 * A cosa build must produce a node OS: the openshift/os variants without the OpenShift layer
 * (components/openshift/releases.ts cosaVariants) boot without kubelet and CRI-O, and the node
 * never rejoins the cluster. They are refused unless image.cosa.allowNonOpenShiftVariant says the
 * stack means it (a base image layered elsewhere).
 */
function checkCosaVariant(cosa: CosaConfig, clusterVersion: OpenShiftVersion, issue: Issue): void {
    if (cosa.allowNonOpenShiftVariant) return;
    const v = cosaBranchRelease(cosa.branch, clusterVersion);
    const { openshift, default: byDefault } = RELEASES[v].cosaVariants;
    const allow =
        "or set rhcos-forge:image.cosa.allowNonOpenShiftVariant=true if the image is only a base you layer " +
        "the OpenShift components onto";
    // cosa init treats --variant default as no variant (coreos-assembler src/cmd-init).
    const variant = cosa.variant === "default" ? undefined : cosa.variant;
    if (openshift.length === 0) {
        issue(
            variant === undefined ? ["image", "cosa", "branch"] : ["image", "cosa", "variant"],
            `has no cosa variant with the OpenShift components for OpenShift ${v}: from 4.20 openshift/os is ` +
                `a Containerfile layered on the coreos/rhel-coreos-config base, which has no kubelet or CRI-O; ` +
                `use image.builder podman on the cluster's rhel-coreos, ${allow}`,
        );
    } else if (variant !== undefined && !openshift.includes(variant)) {
        issue(
            ["image", "cosa", "variant"],
            `must be a variant with the OpenShift components for OpenShift ${v} (${openshift.join(", ")}; ` +
                `unset is ${byDefault}): openshift/os builds ${variant} without kubelet and CRI-O, so nodes would ` +
                `not rejoin the cluster; ${allow}`,
        );
    }
}

/**
 * On-cluster layering (rollout.method machineosconfig): the MCO builds on the cluster, so what only
 * a build host provides is refused rather than silently ignored, and the API server's CEL rules
 * on the MachineOSConfig are checked here, where the message can name the key to fix.
 */
function checkOnCluster(cfg: StackObject, issue: Issue): void {
    const version = cfg.cluster.openshiftVersion;
    const why = "with rhcos-forge:rollout.method machineosconfig (the MCO builds on the cluster)";
    checkOnClusterContent(cfg, issue);
    if (cfg.image.base !== "cluster")
        issue(["image", "base"], `must be "cluster" ${why} from the cluster's own base image`);
    if (cfg.image.buildArgs.length > 0)
        issue(["image", "buildArgs"], `must be empty ${why}: there is no podman build to pass them to`);
    if (!cfg.image.tlsVerify) issue(["image", "tlsVerify"], `must be true ${why}`);
    let replaceByName = false;
    cfg.image.replace.forEach((r, i) => {
        if (!/^https?:\/\//.test(r)) {
            replaceByName = true;
            issue(
                ["image", "replace", i],
                `must be an RPM URL ${why}: package names resolve from the build host's mirror`,
            );
        }
    });
    if (cfg.registryAuth === undefined)
        issue(["registryAuth"], `is required ${why}: it becomes the push and pull secrets (set it with --secret)`);
    for (const pool of cfg.rollout.pools) {
        const problem = checkRenderedImagePushSpec(version, renderedImagePushSpec(cfg.image.repository, pool.name));
        if (problem !== undefined) {
            issue(
                ["image", "repository"],
                `${problem}; with rhcos-forge:cluster.openshiftVersion ${version} (MachineOSConfig ` +
                    `${machineOSConfigApi(version)})`,
            );
            break;
        }
    }
    if (!replaceByName) {
        const problem = checkContainerfile(renderOnClusterContainerfile(cfg.image));
        if (problem !== undefined) issue(cfg.image.files.length > 0 ? ["image", "files"] : ["image"], problem);
    }
}

/**
 * On-cluster mirror content (components/openshift/onClusterContent.ts): the build reaches the
 * build host's mirror from the cluster, and only what the MCO mounts into the build can
 * authenticate it. Node settings the release's MCO drops for layered pools are refused here.
 */
function checkOnClusterContent(cfg: StackObject, issue: Issue): void {
    const version = cfg.cluster.openshiftVersion;
    const why = "with rhcos-forge:rollout.method machineosconfig";
    const mirrored = cfg.mirror.repos.some(r => r.fetch !== "build") || cfg.mirror.packageSet.packages.length > 0;
    if (mirrored && cfg.buildHost.provider === "digitalocean" && cfg.cluster.egressCidrs.length === 0) {
        issue(
            ["cluster", "egressCidrs"],
            `must list the cluster's egress CIDRs ${why} and mirror repos: the on-cluster build fetches from ` +
                `the build host's mirror, whose firewall opens the mirror port only to these (e.g. the NAT ` +
                `gateway's address/32)`,
        );
    }
    // A local build host is 127.0.0.1 to itself; only a remote one is reached from the cluster.
    if (
        mirrored &&
        cfg.buildHost.provider !== "local" &&
        (cfg.mirror.bind === "127.0.0.1" || cfg.mirror.bind === "::1")
    ) {
        issue(
            ["mirror", "bind"],
            `must not be a loopback address ${why} and a ${cfg.buildHost.provider} build host: the cluster ` +
                `reaches the mirror at the build host's address`,
        );
    }
    cfg.mirror.repos.forEach((r, i) => {
        if (r.fetch !== "build") return;
        // The build pod mounts only what the MCO mounts: the entitlement, keys and repo file.
        if (r.entitlement !== "cluster") {
            issue(
                ["mirror", "repos", i, "fetch"],
                `must be mirror ${why} unless the repo has entitlement: cluster (the only client certificate ` +
                    `the MCO mounts into the build, at /etc/pki/entitlement)`,
            );
        }
        if (r.sslcacert !== undefined)
            issue(
                ["mirror", "repos", i, "sslcacert"],
                `must be unset for a fetch: build repo ${why} (the MCO mounts no CA into the build); use fetch: mirror`,
            );
    });
    const ignored = RELEASES[version].onCluster.layeredPoolIgnores;
    cfg.rollout.pools.forEach((pool, i) => {
        if (ignored.includes("kernelType") && pool.kernelType !== undefined && pool.kernelType !== "default") {
            issue(
                ["rollout", "pools", i, "kernelType"],
                `is ${pool.kernelType}, which OpenShift ${version}'s MCO ignores for a pool built on the ` +
                    `cluster (the node agent skips it for layered pools and the build does not switch the kernel ` +
                    `before 4.20), so nodes would keep the default kernel; install the kernel into the image ` +
                    `(image.replace) or use rhcos-forge:rollout.method machineconfig`,
            );
        }
        if (ignored.includes("extensions") && (pool.extensions ?? []).length > 0) {
            issue(
                ["rollout", "pools", i, "extensions"],
                `are ignored by OpenShift ${version}'s MCO for a pool built on the cluster; add the packages ` +
                    `to the image (image.packages) or use rhcos-forge:rollout.method machineconfig`,
            );
        }
    });
}
