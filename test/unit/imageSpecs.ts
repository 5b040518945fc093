// Image specs the golden-Containerfile tests share (test/unit/image/containerfile, steps and
// test/unit/openshift/manifests): one empty spec, the mirror's repos, and the parts of the specs
// that the node-built and the on-cluster goldens both render.
import { ImageSpec, OnClusterImageSpec } from "../../components/image/containerfile";
import { MirrorRepo } from "../../components/mirror/repoFiles";

/** A base image pinned by digest (not pulled: the goldens only name it). */
export const BASE = "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "0123456789abcdef".repeat(4);

/** A spec that adds nothing, for on-cluster layering (no FROM of its own). */
export const emptyOnCluster: OnClusterImageSpec = {
    packages: [],
    remove: [],
    replace: [],
    files: [],
    units: [],
    extraSteps: [],
    labels: {},
};

/** A spec that adds nothing to BASE. */
export const emptySpec: ImageSpec = { base: BASE, ...emptyOnCluster };

/** The mirror's repos as a build host sees them: EPEL with its key, and an unsigned extras repo. */
export const mirrorRepos: MirrorRepo[] = [
    {
        id: "epel-9",
        url: "http://10.114.0.2:5180/epel-9/",
        gpgcheck: true,
        gpgkey: "https://dl.fedoraproject.org/pub/epel/RPM-GPG-KEY-EPEL-9",
    },
    { id: "rhcos-forge-extras", url: "http://10.114.0.2:5180/rhcos-forge-extras/", gpgcheck: false },
];

/** The debug-tools golden: packages, a unit file enabled, a label. */
export const debugTools: Partial<OnClusterImageSpec> = {
    packages: ["htop", "tcpdump", "iperf3"],
    files: [
        { path: "/etc/systemd/system/iperf3-listener.service", mode: "0644", content: "[Unit]\nDescription=iperf3\n" },
    ],
    units: ["iperf3-listener.service"],
    labels: { "org.opencontainers.image.title": "rhcos-forge debug tools" },
};

/** The kernel-hotfix golden: a kernel RPM by URL replaces the base's, a package removed. */
export const kernelHotfix: Partial<OnClusterImageSpec> = {
    replace: ["http://mirror.stream.centos.org/9-stream/BaseOS/x86_64/os/Packages/kernel-5.14.0-295.el9.x86_64.rpm"],
    remove: ["podman-docker"],
};

/** The config-only golden's files: a 0600 IPsec connection and chrony's config. */
export const configFiles: OnClusterImageSpec["files"] = [
    { path: "/etc/ipsec.d/my-host-to-host.conf", mode: "0600", content: "conn host-to-host\n  left=%defaultroute\n" },
    { path: "/etc/chrony.conf", mode: "0644", content: "server time.example.com iburst\n" },
];
