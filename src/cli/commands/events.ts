/**
 * `berth events [SERVICE…]`: the project's container events as they happen, as `docker compose
 * events` prints them (one-off containers left out), until Ctrl-C or `--until`.
 */
import { isOneOff, projectFilter, SERVICE_LABEL } from "../../engine/labels.js";
import { UsageError } from "../../errors.js";
import { eventJson, eventLine } from "../../ui/plain/events-format.js";
import type { GlobalOptions } from "../global-options.js";
import type { EventsFlags } from "../options/flags.js";
import { onInterrupt } from "../interrupts.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";

export async function runEvents(
  globals: GlobalOptions,
  services: string[],
  flags: EventsFlags,
): Promise<number> {
  const since = timestamp(flags.since, "--since");
  const until = timestamp(flags.until, "--until");
  const target = await loadOrName(globals, services);
  await withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const controller = new AbortController();
    const removeHandler = onInterrupt(() => controller.abort());
    try {
      const stream = runtime.events(
        {
          labels: projectFilter(target.name),
          types: ["container"],
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
        },
        controller.signal,
      );
      for await (const event of stream) {
        if (event.type !== "container" || isOneOff(event.attributes)) continue;
        if (services.length > 0 && !services.includes(event.attributes[SERVICE_LABEL] ?? "")) continue;
        process.stdout.write(flags.json === true ? eventJson(event) : eventLine(event));
      }
    } finally {
      removeHandler();
    }
  });
  return 0;
}

/** Unix seconds (with a fraction) or an RFC 3339 date, as Docker's `--since` takes them. */
function timestamp(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError(`invalid ${flag} "${value}": expected Unix seconds or an RFC 3339 date`);
  return new Date(ms);
}
