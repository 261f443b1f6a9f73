/**
 * `berth ps`: the project's containers, as `docker compose ps` lists them. Running ones by default,
 * all with `-a` (or when filtering by status); sorted by name. Works with `-p` and no compose file.
 */
import { ps } from "../../engine/ps.js";
import { SERVICE_LABEL } from "../../engine/labels.js";
import { UsageError } from "../../errors.js";
import type { ContainerStatus } from "../../runtime/runtime.js";
import { psFormat } from "../../ui/plain/ps-format.js";
import type { GlobalOptions } from "../global-options.js";
import type { PsFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";

export const PS_STATUSES: readonly ContainerStatus[] = [
  "paused",
  "restarting",
  "removing",
  "running",
  "dead",
  "created",
  "exited",
];

export async function runPs(globals: GlobalOptions, services: string[], flags: PsFlags): Promise<number> {
  const statuses = wantedStatuses(flags);
  const options = {
    all: flags.all === true || statuses.size > 0,
    ...(services.length > 0 ? { services } : {}),
  };
  const loading = loadOrName(globals, services);
  loading.catch(() => undefined); // reported where it is awaited
  // With -p the name is known before the files are read: the runtime lists while they load.
  const name = globals.projectName ?? (await loading).name;
  const { containers, declared } = await withRuntime({ ...globals, project: name }, async (runtime) => {
    const early = globals.projectName === undefined ? undefined : ps(runtime, globals.projectName, options);
    early?.catch(() => undefined); // a load error is the one to report
    const project = await loading;
    const listed = await (early !== undefined && project.name === globals.projectName
      ? early
      : ps(runtime, project.name, options));
    return { containers: listed, declared: project.loaded?.project.services };
  });
  // --no-orphans: only the services the files declare (Compose's default, --orphans, lists all).
  const orphansHidden = flags.orphans === false && services.length === 0 && declared !== undefined;
  const shown = containers
    .filter((c) => !orphansHidden || Object.hasOwn(declared, c.labels[SERVICE_LABEL] ?? ""))
    .filter((c) => statuses.size === 0 || statuses.has(c.status))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  let text: string;
  if (flags.quiet === true) text = shown.map((c) => `${c.id}\n`).join("");
  else if (flags.services === true) {
    text = [...new Set(shown.map((c) => c.labels[SERVICE_LABEL] ?? ""))].map((s) => `${s}\n`).join("");
  } else text = psFormat(shown, new Date(), flags.format === "table" ? undefined : flags.format, flags.trunc);
  process.stdout.write(text);
  return 0;
}

/**
 * `--status s` (repeatable) and `--filter status=s`. Compose also names `source=`, which it does
 * not implement and refuses in its words.
 */
function wantedStatuses(flags: PsFlags): Set<ContainerStatus> {
  const wanted = new Set<ContainerStatus>();
  const add = (value: string): void => {
    const status = PS_STATUSES.find((s) => s === value);
    if (!status) throw new UsageError(`invalid status "${value}": expected one of ${PS_STATUSES.join(", ")}`);
    wanted.add(status);
  };
  for (const value of flags.status ?? []) add(value);
  for (const filter of flags.filter ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(filter);
    if (!match) throw new UsageError("arguments to --filter should be in form KEY=VAL");
    if (match[1] === "source") throw new UsageError("not implemented");
    if (match[1] !== "status") throw new UsageError(`unknown filter ${match[1] ?? ""}`);
    add(match[2] ?? "");
  }
  return wanted;
}
