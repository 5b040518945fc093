// Validates OpenShift objects against the CRD schemas in ../shared/crds/<release>/ (openAPIV3Schema).
// CEL rules (x-kubernetes-validations) are not evaluated here; the program checks the ones that
// matter as config errors.
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import type { OpenShiftVersion } from "../../components/openshift/versions";
import { ROOT } from "./stackFile";

export const CRD_ROOT = process.env.RF_CRD_DIR ?? path.resolve(ROOT, "..", "shared", "crds");

/**
 * The ../shared/crds/ directory of an OpenShift version: named after the openshift/api branch the
 * CRDs were copied from (INDEX.tsv). Every CRD file in it is read, whatever its feature-set suffix
 * (-Default, -TechPreviewNoUpgrade, -SelfManagedHA-Default), and matched on group, kind and version.
 */
export function crdRelease(version: OpenShiftVersion): string {
    return `release-${version}`;
}

interface CrdVersion {
    name: string;
    schema: { openAPIV3Schema: Record<string, unknown> };
}
interface Crd {
    spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

export function validatorFor(release: string, apiVersion: string, kind: string): ValidateFunction {
    const key = `${release}/${apiVersion}/${kind}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const dir = path.join(CRD_ROOT, release);
    const [group, version] = apiVersion.split("/");
    for (const file of fs.readdirSync(dir)) {
        const crd = yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as Crd;
        if (crd.spec.group !== group || crd.spec.names.kind !== kind) continue;
        const v = crd.spec.versions.find(x => x.name === version);
        if (!v) continue;
        const validate = ajv.compile(v.schema.openAPIV3Schema);
        cache.set(key, validate);
        return validate;
    }
    throw new Error(`no CRD for ${apiVersion} ${kind} in ${dir}`);
}

export function validateAgainstCrd(release: string, obj: Record<string, unknown>): void {
    const validate = validatorFor(release, String(obj.apiVersion), String(obj.kind));
    const name = (obj.metadata as { name?: string } | undefined)?.name;
    const kind = String(obj.kind);
    if (!validate(obj)) {
        throw new Error(
            `${kind} ${JSON.stringify(name)} is invalid for ${release}: ` +
                ajv.errorsText(validate.errors, { separator: "; " }),
        );
    }
}
