/**
 * Test projects on disk: a fresh temporary directory holding the given files, removed once the
 * test file that made it has run (so the suites leave nothing under the system's temp directory).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (relative name → text; parent directories made) into `root`. */
export function writeFiles(root: string, files: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** A new empty directory under the system's temporary one (`berth-<prefix>-XXXXXX`), removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `berth-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A new temporary directory (see `tempDir`) holding `files`. */
export function fileTree(prefix: string, files: Readonly<Record<string, string>>): string {
  const root = tempDir(prefix);
  writeFiles(root, files);
  return root;
}
