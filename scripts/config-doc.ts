// Prints the README's config reference table from the zod schema (one source for both).
// Usage: npm run config-doc (a unit test fails while README.md holds another table)
import { renderConfigTable } from "../components/config/doc";

process.stdout.write(renderConfigTable());
