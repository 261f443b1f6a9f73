/**
 * Stopping and killing a run: the stop signal (the service's, the image's, else SIGTERM), the grace
 * period, then SIGKILL; the exit is collected before the stop returns. The signals and the
 * collection hold the container's lock, the grace period does not (a kill is served during it).
 */
import os from "node:os";
import { ApiError, ConflictError, NotFoundError } from "../../errors.js";
import type { ContainerContext } from "./context.js";
import { collectLocked, waitEnded } from "./exits.js";
import { stillRuns } from "./lock.js";
import { observe } from "./observe.js";
import type { ContainerRecord } from "./records.js";
import { stopSignalName } from "./signals.js";

export const DEFAULT_STOP_TIMEOUT_S = 10;
/** After SIGKILL, how long a process may take to be gone before stop reports failure. */
const KILL_WAIT_MS = 10_000;

export function stopSignalOf(record: ContainerRecord, given: string | undefined): string {
  return stopSignalName(given, record.spec.stopSignal, record.imageConfig.StopSignal);
}

/**
 * Sends `signal` to the run (all its processes for SIGKILL); an exit meanwhile is no error. A
 * signal for the init alone goes straight to it while the recorded process (pid and start time)
 * still runs, as `runc kill` itself does (it reads the pid from its state and kill(2)s it): one
 * process fewer per stop, ~10-20 ms of a busy host's main thread each, 50 in a `down` of 50.
 */
async function signalRun(ctx: ContainerContext, record: ContainerRecord, signal: string): Promise<void> {
  const init = record.run;
  if (signal !== "SIGKILL" && init !== undefined && signal in os.constants.signals) {
    if (stillRuns({ pid: init.pid, start: init.pidStart })) {
      try {
        process.kill(init.pid, signal);
        return;
      } catch {
        // Gone meanwhile: runc says so below.
      }
    }
  }
  try {
    await ctx.runc.kill(record.id, signal, { all: signal === "SIGKILL" });
  } catch (error) {
    // Exited meanwhile: what follows collects it.
    if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
  }
}

/** A stop's first step: its record afterwards and whether a signalled run may still be ending. */
export interface StopBegun {
  readonly record: ContainerRecord;
  readonly pending: boolean;
}

async function sendTo(ctx: ContainerContext, record: ContainerRecord, signal: string): Promise<void> {
  ctx.event(record, { action: "kill", signal });
  await signalRun(ctx, record, signal);
  // A frozen process gets its signal once thawed.
  if (record.paused) await ctx.runc.resume(record.id).catch(() => undefined);
}

/**
 * Under the lock: the stop signal to a running container (an ended run is collected, an idle one
 * left). The grace period is waited outside the lock (`graceMs`, `waitEnded`), so a `kill` meanwhile
 * is served at once, as Docker's is.
 */
export async function beginStopLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
  signalName: string,
): Promise<StopBegun> {
  const observed = observe(record, ctx.layoutOf(record.id));
  if (observed.kind === "ended") return { record: await collectLocked(ctx, record), pending: false };
  // A stop also cancels a restart the supervisor has waiting (Docker's stop of a restarting one).
  if (observed.kind === "idle") {
    const next = record.startedAt === undefined ? record : ctx.update(record, { stoppedByUser: true });
    return { record: next, pending: false };
  }
  record = ctx.update(record, { stoppedByUser: true });
  await sendTo(ctx, record, signalName);
  return { record, pending: true };
}

/** How long a stop waits for the run to end after its first signal. */
export function graceMs(signalName: string, timeoutS: number): number {
  return signalName === "SIGKILL" ? KILL_WAIT_MS : timeoutS * 1000;
}

/**
 * Under the lock, once the grace period is over (`ended`: the run ended within it): SIGKILL for a
 * run still going, then its exit collected. Only the run the stop signalled: one collected or
 * replaced meanwhile (a kill, another command) is left as it is.
 */
export async function finishStopLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
  begun: StopBegun,
  signalName: string,
  ended: boolean,
): Promise<ContainerRecord> {
  const run = record.run;
  const signalled = begun.record.run;
  if (!run || !signalled || run.pid !== signalled.pid || run.pidStart !== signalled.pidStart) return record;
  if (!ended) {
    if (signalName !== "SIGKILL") await sendTo(ctx, record, "SIGKILL");
    if (signalName === "SIGKILL" || !(await waitEnded(ctx, record, KILL_WAIT_MS))) {
      throw new ApiError(`container ${record.name} did not exit within ${KILL_WAIT_MS / 1000}s of SIGKILL`);
    }
  }
  return collectLocked(ctx, record);
}

/** The whole stop under a lock already held (a restart's). */
export async function stopLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
  signalName: string,
  timeoutS: number,
): Promise<ContainerRecord> {
  const begun = await beginStopLocked(ctx, record, signalName);
  if (!begun.pending) return begun.record;
  const ended = await waitEnded(ctx, begun.record, graceMs(signalName, timeoutS));
  return finishStopLocked(ctx, begun.record, begun, signalName, ended);
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
