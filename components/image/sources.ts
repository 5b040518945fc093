// Files of the repository that image specs name with `source`: read from the Pulumi project
// root (the program's working directory), bytes and modes as they are. The one impure part of
// rendering; containerfile.ts receives it as RenderOptions.readSource.
import * as fs from "fs";
import * as path from "path";
import type { ReadSource, SourceEntry } from "./steps";

/** A reader of `source` paths relative to `root` (default: process.cwd(), the project root). */
export function sourceReader(root: string = process.cwd()): ReadSource {
    return (source: string): SourceEntry[] => readSourceTree(root, source);
}

function modeOf(st: fs.Stats): string {
    return (st.mode & 0o7777).toString(8).padStart(4, "0");
}

/** A file, or every regular file below a directory (sorted); symlinks and other types refused. */
export function readSourceTree(root: string, source: string): SourceEntry[] {
    const top = path.resolve(root, source);
    const rel = path.relative(path.resolve(root), top);
    if (rel.startsWith("..") || path.isAbsolute(rel))
        throw new Error(`source ${source} is outside the project root ${root}`);
    const out: SourceEntry[] = [];
    const walk = (abs: string, below: string): void => {
        const st = fs.lstatSync(abs);
        if (st.isSymbolicLink())
            throw new Error(`source ${source}: ${below || source} is a symlink (copy the file itself)`);
        if (st.isDirectory()) {
            for (const name of fs.readdirSync(abs).sort())
                walk(path.join(abs, name), below ? `${below}/${name}` : name);
        } else if (st.isFile()) {
            out.push({ rel: below, data: fs.readFileSync(abs), mode: modeOf(st) });
        } else {
            throw new Error(`source ${source}: ${below || source} is not a regular file`);
        }
    };
    walk(top, "");
    if (out.length === 0) throw new Error(`source ${source} is an empty directory`);
    return out;
}
