// How RHCOS packages its kernel: the subpackages replaced together (image.replace, a
// kernelModules step) so no kernel's modules are left under another kernel.
/**
 * The kernel subpackages the override-kernel example replaces together (RHEL 9.2+ added
 * kernel-modules-core): replacing only some leaves modules of one kernel under another.
 */
export const KERNEL_SUBPACKAGES = [
    "kernel",
    "kernel-core",
    "kernel-modules",
    "kernel-modules-core",
    "kernel-modules-extra",
] as const;

/** The kernel subpackage an RPM URL or a package name is, if any. */
export function kernelSubpackage(item: string): string | undefined {
    const name = /^https?:\/\//.test(item) ? (item.split("/").pop() ?? "") : item;
    // kernel-core-5.14.0-295.el9.x86_64.rpm, kernel-modules-core, kernel-5.14.0-…
    for (const sub of [...KERNEL_SUBPACKAGES].sort((a, b) => b.length - a.length)) {
        if (name === sub || (name.startsWith(`${sub}-`) && /^[0-9]/.test(name.slice(sub.length + 1)))) return sub;
    }
    return undefined;
}
