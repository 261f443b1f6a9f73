/** Test projects on disk: a fresh temporary directory holding the given files. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Writes `files` (relative name → text; parent directories made) into `root`. */
export function writeFiles(root: string, files: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** A new directory under the system's temporary one (`berth-<prefix>-XXXXXX`) holding `files`. */
export function fileTree(prefix: string, files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), `berth-${prefix}-`));
  writeFiles(root, files);
  return root;
}
