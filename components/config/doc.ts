// The config reference (docs/config.md, `npm run config-doc`), generated from the schema's defaults
// and descriptions.
import { z } from "zod";
import { NAMESPACE, stackConfigSchema } from "./schema";

/** A row of the config reference: key, default and description, straight from the schema. */
export interface ConfigDoc {
    key: string;
    description: string;
    defaultValue?: unknown;
}

/** One row per key of `schema` (the stack's by default), in schema order. */
export function describeSchema(root: z.ZodTypeAny = stackConfigSchema): ConfigDoc[] {
    const docs = new Map<string, ConfigDoc>();
    const walk = (schema: z.ZodTypeAny, path: string, note = ""): void => {
        let inner = schema;
        let defaultValue: unknown;
        let description = schema.description;
        for (;;) {
            if (inner instanceof z.ZodDefault) {
                defaultValue = inner._def.defaultValue();
                inner = inner._def.innerType;
            } else if (inner instanceof z.ZodOptional) inner = inner._def.innerType;
            else if (inner instanceof z.ZodEffects) inner = inner._def.schema;
            else break;
            description = description ?? inner.description;
        }
        if (inner instanceof z.ZodObject) {
            for (const [k, v] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>))
                walk(v, path ? `${path}.${k}` : k, note);
            return;
        }
        if (inner instanceof z.ZodDiscriminatedUnion) {
            for (const option of inner.options as z.ZodObject<z.ZodRawShape>[]) {
                const provider = (option.shape[inner.discriminator] as z.ZodLiteral<string>).value;
                walk(option, path, provider);
            }
            return;
        }
        if (inner instanceof z.ZodArray && inner.element instanceof z.ZodObject) {
            if (description) docs.set(`${path}`, { key: `${NAMESPACE}:${path}`, description, defaultValue });
            walk(inner.element, `${path}[]`, note);
            return;
        }
        const key = `${NAMESPACE}:${path}`;
        const seen = docs.get(path);
        if (seen && note) {
            if (!seen.description.includes(`(${note}`))
                seen.description = seen.description.replace(/\)$/, `, ${note})`);
            return;
        }
        const scope = note && !path.endsWith(".provider") ? ` (${note})` : "";
        docs.set(path, { key, description: `${description ?? ""}${scope}`, defaultValue });
    };
    walk(root, "");
    return [...docs.values()];
}

/** The config reference table (markdown), one row per key of `schema`. */
export function renderConfigTable(schema: z.ZodTypeAny = stackConfigSchema): string {
    const rows = describeSchema(schema).map(d => {
        const def = d.defaultValue === undefined ? "" : `\`${JSON.stringify(d.defaultValue)}\``;
        return `| \`${d.key}\` | ${def} | ${d.description.replace(/\|/g, "\\|")} |`;
    });
    return ["| key | default | description |", "|---|---|---|", ...rows].join("\n") + "\n";
}
