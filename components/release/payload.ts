// Pure rendering of a custom OpenShift release (no Pulumi types): component overrides for
// `oc adm release new`, extra manifests overlaid into the payload's /release-manifests, the stdin
// bundle for release-new.sh, and the ClusterVersion `spec.desiredUpdate` that moves a cluster to it.
import { BUNDLE_HEADERS, authEntry, renderBundleText } from "../bundle";
import { DIGEST_REF } from "../openshift/pullspec";
import type { OsImageComponent } from "../openshift/releases";
import { contentHash } from "../shell";

/**
 * The CVO applies a payload manifest only when it carries the include annotation of the cluster's
 * profile, and re-applies (overwrites) it on every sync unless it is create-only. Seed 004 spent days
 * on new ConfigMaps that were silently never created because these were missing.
 */
export const CVO_ANNOTATIONS: Readonly<Record<string, string>> = {
    "include.release.openshift.io/self-managed-high-availability": "true",
    "include.release.openshift.io/single-node-developer": "true",
    "release.openshift.io/create-only": "true",
};

/** Release components that carry the node OS (per release: RELEASES[v].osImageComponents). */
export type OsComponent = OsImageComponent;

export const RELEASE_BUNDLE_HEADER = BUNDLE_HEADERS.release;

export interface ManifestMetadata {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
}

/** A Kubernetes object as the user writes it in rhcos-forge:release.manifests. */
export interface ManifestObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: ManifestMetadata;
    readonly [key: string]: unknown;
}

/**
 * Returns a copy of `obj` with every CVO annotation it lacks added. Annotations the user set are
 * kept as written (e.g. `release.openshift.io/create-only: "false"` to have the CVO reconcile it).
 */
export function withCvoAnnotations(obj: ManifestObject): ManifestObject {
    const annotations: Record<string, string> = { ...CVO_ANNOTATIONS, ...(obj.metadata.annotations ?? {}) };
    return { ...obj, metadata: { ...obj.metadata, annotations } };
}

export interface ManifestFile {
    /** File name inside /release-manifests. */
    readonly name: string;
    readonly content: string;
}

const slug = (text: string): string =>
    text
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, "-")
        .replace(/^-+|-+$/g, "");

/**
 * The CVO applies payload manifests in file-name order within run levels; `0000_90_` runs after
 * every core operator, so a namespace or CRD the object needs already exists. The content is JSON,
 * which is YAML, so no YAML library is needed at run time.
 */
export function renderReleaseManifests(objects: readonly ManifestObject[]): ManifestFile[] {
    return objects.map((obj, i) => {
        const annotated = withCvoAnnotations(obj);
        const ns = obj.metadata.namespace ? `${slug(obj.metadata.namespace)}_` : "";
        const order = String(i).padStart(2, "0");
        return {
            name: `0000_90_rhcos-forge_${order}_${slug(obj.kind)}_${ns}${slug(obj.metadata.name)}.yaml`,
            content: JSON.stringify(annotated, null, 2) + "\n",
        };
    });
}

/**
 * `name=image@digest` arguments for `oc adm release new`: the built OS under its component name,
 * then every other override, sorted so equal inputs render equal command lines.
 */
export function renderOverrides(
    osComponent: OsComponent,
    osImage: string | undefined,
    extra: Readonly<Record<string, string>>,
): string[] {
    const all: Record<string, string> = { ...extra };
    if (osImage !== undefined) {
        if (extra[osComponent] !== undefined)
            throw new Error(`release override ${osComponent} is also the built OS image`);
        all[osComponent] = osImage;
    }
    return Object.keys(all)
        .sort()
        .map(name => {
            if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
                throw new Error(`release override name ${JSON.stringify(name)} is not a component name`);
            if (!DIGEST_REF.test(all[name]))
                throw new Error(`release override ${name} must be pinned by digest, got ${JSON.stringify(all[name])}`);
            return `${name}=${all[name]}`;
        });
}

/** stdin of release-new.sh: overlay manifests and the registry auth, base64 fields per line. */
export function renderReleaseBundle(manifests: readonly ManifestFile[], authJson?: string): string {
    return renderBundleText("release", [
        ...manifests.map(m => ({ kind: "manifest", values: [m.name, m.content] })),
        ...authEntry(authJson),
    ]);
}

export interface ReleaseInputs {
    readonly from: string;
    readonly repository: string;
    readonly name?: string;
    readonly overrides: readonly string[];
    readonly manifests: readonly ManifestFile[];
}

/** Content hash of the release's inputs; also its push tag, so equal inputs never re-push. */
export function releaseId(inputs: ReleaseInputs): string {
    return (
        "rf-" +
        contentHash({
            from: inputs.from,
            repository: inputs.repository,
            name: inputs.name ?? null,
            overrides: [...inputs.overrides].sort(),
            manifests: inputs.manifests,
        }).slice(0, 40)
    );
}

/** What release-new.sh prints as its last stdout line. */
export interface ReleaseResult {
    readonly ref: string;
    readonly digest: string;
    readonly tag: string;
    readonly version: string;
    readonly from: string;
}

/** A cluster must only ever be pointed at `<repository>@sha256:<hex>`. */
export function validateReleaseResult(result: ReleaseResult, repository: string): ReleaseResult {
    if (!/^sha256:[a-f0-9]{64}$/.test(result.digest))
        throw new Error(`release build reported an invalid digest ${JSON.stringify(result.digest)}`);
    if (result.ref !== `${repository}@${result.digest}` || !DIGEST_REF.test(result.ref)) {
        throw new Error(
            `release build reported ref ${JSON.stringify(result.ref)}, expected ${repository}@${result.digest}`,
        );
    }
    return result;
}
