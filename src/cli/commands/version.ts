/**
 * `berth version`: berth's version as `docker compose version` prints Compose's (`--short`: the bare
 * number; `--format json`: `{"version":"v0.1.0"}`), and, in the full form, which runtime answers
 * (or that none does: the version alone never needs one).
 */
import { readFileSync } from "node:fs";
import type { GlobalOptions } from "../global-options.js";
import type { VersionFlags } from "../options/flags.js";
import { createRuntimeFromFlags } from "../runtime-for-cli.js";

/** berth's package.json: the nearest one above this module, wherever the build put it. */
function berthVersion(): string {
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 5; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "berth" && pkg.version !== undefined) return `v${pkg.version}`;
    } catch {
      // none here: look one level up
    }
    dir = new URL("..", dir);
  }
  return "unknown";
}

export async function runVersion(globals: GlobalOptions, flags: VersionFlags): Promise<number> {
  const version = berthVersion();
  if (flags.short === true) {
    process.stdout.write(`${version.replace(/^v/, "")}\n`);
    return 0;
  }
  if (flags.format === "json") {
    process.stdout.write(`${JSON.stringify({ version })}\n`);
    return 0;
  }
  process.stdout.write(`berth version ${version}\n`);
  process.stdout.write(`${await runtimeLine(globals)}\n`);
  return 0;
}

/** `Runtime: docker (Docker Engine 20.10.24, API 1.41, linux/amd64)`, or why there is none. */
async function runtimeLine(globals: GlobalOptions): Promise<string> {
  try {
    const runtime = await createRuntimeFromFlags(globals);
    try {
      const info = await runtime.ping(AbortSignal.timeout(5000));
      const api = info.apiVersion === undefined ? "" : `, API ${info.apiVersion}`;
      return `Runtime: ${info.kind} (${info.name} ${info.version}${api}, ${info.os}/${info.arch})`;
    } finally {
      await runtime.close();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `Runtime: ${globals.runtime} (not answering: ${reason})`;
  }
}
