/**
 * `berth logs`: the output of the project's containers, prefixed as `docker compose logs` prints it.
 * Without `-f` every container's log so far, merged by time across containers and replicas; with
 * `-f` lines as they come, until every container has exited (or Ctrl-C, status 130). Works with `-p`
 * and no compose file.
 */
import { ps } from "../../engine/ps.js";
import { CONTAINER_NUMBER_LABEL, containersFilter, isOneOff, SERVICE_LABEL } from "../../engine/labels.js";
import { parsePositive, parseTail, parseTimeArg } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import { INTERRUPTED_EXIT_CODE, onInterrupt } from "../interrupts.js";
import { loadOrName } from "../load-for-cli.js";
import { followLogs, logTarget, printMergedLogs } from "../log-stream.js";
import { withRuntime } from "../runtime-for-cli.js";
import type { LogsFlags } from "../options/flags.js";
import { logPrinterFor } from "../ui-for-cli.js";

export async function runLogs(globals: GlobalOptions, services: string[], flags: LogsFlags): Promise<number> {
  const now = new Date();
  const range = {
    tail: parseTail(flags.tail),
    since: parseTimeArg(flags.since, "--since", now),
    until: parseTimeArg(flags.until, "--until", now),
  };
  const index = parsePositive(flags.index, "--index");
  const project = await loadOrName(globals, services);

  return withRuntime({ ...globals, project: project.name }, async (runtime) => {
    const containers = (
      await ps(runtime, project.name, { all: true, ...(services.length > 0 ? { services } : {}) })
    ).filter(
      (c) =>
        !isOneOff(c.labels) && (index === undefined || c.labels[CONTAINER_NUMBER_LABEL] === String(index)),
    );
    const targets = containers.map(logTarget).sort((a, b) => a.name.localeCompare(b.name));
    const serviceOrder = project.loaded
      ? Object.keys(project.loaded.project.services)
      : containers.map((c) => c.labels[SERVICE_LABEL] ?? "");
    const printer = logPrinterFor(globals, flags, [...new Set(serviceOrder)].sort());

    if (flags.follow !== true) {
      await printMergedLogs(runtime, targets, printer, range);
      return 0;
    }
    const controller = new AbortController();
    let interrupted = false;
    const removeHandler = onInterrupt(() => {
      interrupted = true;
      controller.abort();
    });
    const wanted = new Set(services);
    try {
      await followLogs(runtime, targets, printer, {
        ...range,
        signal: controller.signal,
        watch: {
          labels: containersFilter(project.name),
          accept: (labels) =>
            !isOneOff(labels) &&
            (wanted.size === 0 || wanted.has(labels[SERVICE_LABEL] ?? "")) &&
            (index === undefined || labels[CONTAINER_NUMBER_LABEL] === String(index)),
        },
      });
    } finally {
      removeHandler();
    }
    return interrupted ? INTERRUPTED_EXIT_CODE : 0;
  });
}
