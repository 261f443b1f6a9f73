/**
 * `berth ls`: every Compose project on the runtime (berth's, docker compose's, docker-compose 1.x's:
 * all carry the same labels), as `docker compose ls` lists them; under `auto`, on both runtimes. Projects with a running container
 * only, unless `-a`.
 */
import { CONFIG_HASH_LABEL, PROJECT_LABEL } from "../../engine/labels.js";
import { UsageError } from "../../errors.js";
import { lsTable, type Stack, stacksOf } from "../../ui/plain/ls-format.js";
import type { GlobalOptions } from "../global-options.js";
import type { LsFlags } from "../options/flags.js";
import { withEveryRuntime } from "../runtime-for-cli.js";

export async function runLs(globals: GlobalOptions, flags: LsFlags): Promise<number> {
  const names = nameFilters(flags.filter ?? []);
  const labels = [PROJECT_LABEL, CONFIG_HASH_LABEL];
  // Under `auto`, the stacks of both runtimes: each is found where it runs.
  const containers = await withEveryRuntime(globals, labels, (runtime) =>
    runtime.containers.list({ labels, all: flags.all === true }),
  );
  const stacks = stacksOf(containers).filter(
    (s) => names.length === 0 || names.some((match) => match(s.Name)),
  );
  process.stdout.write(render(stacks, flags));
  return 0;
}

function render(stacks: readonly Stack[], flags: LsFlags): string {
  if (flags.quiet === true) return stacks.map((s) => `${s.Name}\n`).join("");
  if (flags.format === "json") return `${JSON.stringify(stacks)}\n`;
  return lsTable(stacks);
}

/**
 * `--filter name=X`, the one filter Compose's ls accepts; X matches exactly or as a regular
 * expression (moby's `filters.Match`). Several name filters: any may match.
 */
function nameFilters(filters: readonly string[]): ((name: string) => boolean)[] {
  return filters.map((filter) => {
    const eq = filter.indexOf("=");
    const key = eq < 0 ? filter : filter.slice(0, eq);
    if (eq < 0 || key !== "name") throw new UsageError(`invalid filter '${key}'`);
    const value = filter.slice(eq + 1);
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(value);
    } catch {
      pattern = undefined; // not a regular expression: only the exact name matches
    }
    return (name: string) => name === value || (pattern?.test(name) ?? false);
  });
}
