// Reads a committed Pulumi.<stack>.yaml the way the engine hands config to the program:
// `project:key` → string, structured values as JSON text.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");

export function loadStackConfig(stack: string, extra: Record<string, string> = {}): Record<string, string> {
    return stackConfigFromYaml(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"), extra);
}

/** The config of a Pulumi.<stack>.yaml's text (e.g. an example in the docs), plus `extra` secrets. */
export function stackConfigFromYaml(text: string, extra: Record<string, string> = {}): Record<string, string> {
    const doc = yaml.load(text) as { config: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config)) {
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    for (const [key, value] of Object.entries(extra)) out[`rhcos-forge:${key}`] = value;
    return out;
}
