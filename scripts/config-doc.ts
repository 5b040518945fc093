// Prints the README's config reference table from the zod schema (one source for both).
// Usage: npm run config-doc
import { describeSchema } from "../components/config/doc";

const rows = describeSchema().map(d => {
    const def = d.defaultValue === undefined ? "" : `\`${JSON.stringify(d.defaultValue)}\``;
    return `| \`${d.key}\` | ${def} | ${d.description.replace(/\|/g, "\\|")} |`;
});
process.stdout.write(["| key | default | description |", "|---|---|---|", ...rows].join("\n") + "\n");
