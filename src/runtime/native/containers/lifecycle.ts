/**
 * `start`, `stop`, `kill`, `restart` and the supervisor's restart, each under the container's lock
 * (a stop's grace period excepted, so a kill is served during it).
 */
import { type ContainerContext, notFound } from "./context.js";
import { observe } from "./observe.js";
import { readRecord } from "./records.js";
import { normalizeSignal } from "./signals.js";
import { freshCount, startLocked, superviseAfterStart } from "./start.js";
import { waitEnded } from "./exits.js";
import {
  beginStopLocked,
  DEFAULT_STOP_TIMEOUT_S,
  finishStopLocked,
  graceMs,
  killLocked,
  stopLocked,
  stopSignalOf,
} from "./stop.js";

export async function start(ctx: ContainerContext, nameOrId: string): Promise<void> {
  const { id } = ctx.mustFind(nameOrId);
  await ctx.locked(id, async () => {
    const record = readRecord(ctx.paths, id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    await startLocked(ctx, freshCount(ctx, record));
  });
  await superviseAfterStart(ctx, id);
}

/**
 * The supervisor's restart: starts the container only while its exit at `finishedAt` is still its
 * last word (not stopped by hand, not started meanwhile); false when it did not start it.
 */
export async function startByPolicy(ctx: ContainerContext, id: string, finishedAt: string): Promise<boolean> {
  const started = await ctx.locked(id, async () => {
    const record = readRecord(ctx.paths, id);
    const due =
      record?.state === "created" &&
      record.run === undefined &&
      record.finishedAt === finishedAt &&
      record.stoppedByUser !== true;
    if (!due) return false;
    await startLocked(ctx, record);
    return true;
  });
  if (started) await superviseAfterStart(ctx, id);
  return started;
}

export async function stop(
  ctx: ContainerContext,
  nameOrId: string,
  options: { readonly signal?: string | undefined; readonly timeoutS?: number | undefined } = {},
): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  const signal = stopSignalOf(found, options.signal);
  const timeoutS = options.timeoutS ?? found.spec.stopTimeoutS ?? DEFAULT_STOP_TIMEOUT_S;
  const begun = await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    const wasRunning = observe(record, ctx.layoutOf(record.id)).kind === "running";
    const first = await beginStopLocked(ctx, record, signal);
    if (!first.pending && wasRunning) ctx.event(first.record, { action: "stop" });
    return { ...first, wasRunning };
  });
  if (!begun.pending) return;
  // The grace period outside the lock: a kill meanwhile is served at once.
  const ended = await waitEnded(ctx, begun.record, graceMs(signal, Math.max(0, timeoutS)));
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") return;
    const next = await finishStopLocked(ctx, record, begun, signal, ended);
    if (begun.wasRunning) ctx.event(next, { action: "stop" });
  });
}

export async function kill(ctx: ContainerContext, nameOrId: string, signal = "SIGKILL"): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  const name = normalizeSignal(signal);
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    await killLocked(ctx, record, name);
  });
}

export async function restart(
  ctx: ContainerContext,
  nameOrId: string,
  options: { readonly timeoutS?: number | undefined } = {},
): Promise<void> {
  const found = ctx.mustFind(nameOrId);
  const signal = stopSignalOf(found, undefined);
  const timeoutS = options.timeoutS ?? found.spec.stopTimeoutS ?? DEFAULT_STOP_TIMEOUT_S;
  await ctx.locked(found.id, async () => {
    let record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    const wasRunning = observe(record, ctx.layoutOf(record.id)).kind === "running";
    record = await stopLocked(ctx, record, signal, Math.max(0, timeoutS));
    if (wasRunning) ctx.event(record, { action: "stop" });
    await startLocked(ctx, freshCount(ctx, record));
    const started = readRecord(ctx.paths, found.id);
    if (started) ctx.event(started, { action: "restart" });
  });
  await superviseAfterStart(ctx, found.id);
}
