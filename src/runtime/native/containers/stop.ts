/**
 * Stopping and killing a run: the stop signal (the service's, the image's, else SIGTERM), the grace
 * period, then SIGKILL; the exit is collected before the lock is released.
 */
import { ApiError, ConflictError, NotFoundError } from "../../errors.js";
import type { ContainerContext } from "./context.js";
import { collectLocked, waitEnded } from "./exits.js";
import { observe } from "./observe.js";
import type { ContainerRecord } from "./records.js";
import { stopSignalName } from "./signals.js";

export const DEFAULT_STOP_TIMEOUT_S = 10;
/** After SIGKILL, how long a process may take to be gone before stop reports failure. */
const KILL_WAIT_MS = 10_000;

export function stopSignalOf(record: ContainerRecord, given: string | undefined): string {
  return stopSignalName(given, record.spec.stopSignal, record.imageConfig.StopSignal);
}

/** Sends `signal` to the run (all its processes for SIGKILL); an exit meanwhile is no error. */
async function signalRun(ctx: ContainerContext, record: ContainerRecord, signal: string): Promise<void> {
  try {
    await ctx.runc.kill(record.id, signal, { all: signal === "SIGKILL" });
  } catch (error) {
    // Exited meanwhile: what follows collects it.
    if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
  }
}

export async function stopLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
  signalName: string,
  timeoutS: number,
): Promise<ContainerRecord> {
  const observed = observe(record, ctx.layoutOf(record.id));
  if (observed.kind === "ended") return collectLocked(ctx, record);
  // A stop also cancels a restart the supervisor has waiting (Docker's stop of a restarting one).
  if (observed.kind === "idle")
    return record.startedAt === undefined ? record : ctx.update(record, { stoppedByUser: true });
  record = ctx.update(record, { stoppedByUser: true });
  const send = async (signal: string): Promise<void> => {
    ctx.event(record, { action: "kill", signal });
    await signalRun(ctx, record, signal);
    // A frozen process gets its signal once thawed.
    if (record.paused) await ctx.runc.resume(record.id).catch(() => undefined);
  };
  if (signalName !== "SIGKILL") {
    await send(signalName);
    if (await waitEnded(ctx, record, timeoutS * 1000)) return collectLocked(ctx, record);
  }
  await send("SIGKILL");
  if (!(await waitEnded(ctx, record, KILL_WAIT_MS))) {
    throw new ApiError(`container ${record.name} did not exit within ${KILL_WAIT_MS / 1000}s of SIGKILL`);
  }
  return collectLocked(ctx, record);
}

/**
 * Whether a kill with `signal` stops the container for good, cancelling its restart policy (moby
 * `killWithSignal`): SIGKILL, the container's own stop signal, or any signal when it sets none.
 */
function killStops(record: ContainerRecord, signal: string): boolean {
  const own = record.spec.stopSignal || record.imageConfig.StopSignal;
  return signal === "SIGKILL" || !own || stopSignalOf(record, undefined) === signal;
}

/** `kill`: the signal to a running container (an ended one is collected, an idle one left). */
export async function killLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
  signal: string,
): Promise<void> {
  const observed = observe(record, ctx.layoutOf(record.id));
  if (observed.kind === "ended") {
    await collectLocked(ctx, record);
    return;
  }
  if (observed.kind !== "running") return;
  if (killStops(record, signal)) record = ctx.update(record, { stoppedByUser: true });
  ctx.event(record, { action: "kill", signal });
  await signalRun(ctx, record, signal);
}
