// Image pullspec rules. Nodes boot images only by digest: a tag can move under a MachineConfig
// that names it, so every image reference a node may boot is checked against DIGEST_REF.
// No imports on purpose: the policy pack uses this module too and declares no dependencies for it.

/** `registry/repo@sha256:<64 hex>`: the only way rhcos-forge lets a node boot an image. */
export const DIGEST_REF = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+@sha256:[a-f0-9]{64}$/;

/** A push repository: registry host (with a dot, a port or `localhost`) and path, no tag, no digest. */
export const REPOSITORY = /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+|[a-z0-9.-]+:[0-9]{1,5}|\[[0-9a-f:]+\]:[0-9]{1,5})(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;
