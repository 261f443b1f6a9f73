/**
 * `berth stats [SERVICE]`: the containers' resource use, as `docker compose stats` shows it. With
 * `--no-stream`, one sample each and one table; otherwise the table is redrawn every half second
 * (on a terminal in place, as `docker stats` does; elsewhere a new table each time) until Ctrl-C.
 */
import { UsageError } from "../../errors.js";
import { PROJECT_LABEL, SERVICE_LABEL } from "../../engine/labels.js";
import type { ContainerSummary, Runtime, Stats } from "../../runtime/runtime.js";
import { type ContainerStats, statsText } from "../../ui/plain/stats-format.js";
import type { GlobalOptions } from "../global-options.js";
import type { StatsFlags } from "../options/flags.js";
import { onInterrupt } from "../interrupts.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";

const REDRAW_MS = 500;

export async function runStats(
  globals: GlobalOptions,
  services: string[],
  flags: StatsFlags,
): Promise<number> {
  if (services.length > 1) throw new UsageError(`"stats" accepts at most 1 argument`);
  const target = await loadOrName(globals, services);
  const format = flags.format ?? "";
  const noTrunc = flags.trunc === false;
  statsText([], format, noTrunc); // a bad --format is refused before anything is read
  await withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const labels = [
      `${PROJECT_LABEL}=${target.name}`,
      ...services.slice(0, 1).map((s) => `${SERVICE_LABEL}=${s}`),
    ];
    const containers = await runtime.containers.list({ labels, all: flags.all === true });
    containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (flags.stream === false) {
      const samples = await Promise.all(containers.map((c) => firstSample(runtime, c)));
      process.stdout.write(statsText(samples, format, noTrunc));
      return;
    }
    await stream(runtime, containers, (rows) => statsText(rows, format, noTrunc));
  });
  return 0;
}

async function firstSample(runtime: Runtime, c: ContainerSummary): Promise<ContainerStats> {
  for await (const stats of runtime.containers.stats(c.id, { stream: false }))
    return { id: c.id, name: c.name, stats };
  return { id: c.id, name: c.name, stats: undefined };
}

/** Follows every container's stats, redrawing the newest of each until interrupted. */
async function stream(
  runtime: Runtime,
  containers: readonly ContainerSummary[],
  render: (rows: readonly ContainerStats[]) => string,
): Promise<void> {
  const controller = new AbortController();
  const removeHandler = onInterrupt(() => controller.abort());
  const latest = new Map<string, Stats>();
  const follow = containers.map(async (c) => {
    try {
      for await (const s of runtime.containers.stats(c.id, { stream: true, signal: controller.signal }))
        latest.set(c.id, s);
    } catch {
      // a container removed meanwhile keeps its last row
    }
  });
  const tty = process.stdout.isTTY === true;
  let first = true;
  const draw = (): void => {
    const text = render(containers.map((c) => ({ id: c.id, name: c.name, stats: latest.get(c.id) })));
    if (!tty) {
      process.stdout.write(text);
      return;
    }
    // In place: home, each line cleared to its end, the rest of the screen cleared.
    const body = text.replace(/\n/g, "\x1b[K\n");
    process.stdout.write(`${first ? "\x1b[2J" : ""}\x1b[H${body}\x1b[J`);
    first = false;
  };
  const timer = setInterval(draw, REDRAW_MS);
  try {
    await new Promise<void>((resolve) =>
      controller.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
  } finally {
    clearInterval(timer);
    removeHandler();
    await Promise.allSettled(follow);
  }
}
