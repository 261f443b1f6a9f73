/**
 * Collecting the end of a run. Whoever first sees a container's exit file (any command, an events
 * reader, the supervisor) records, under the lock and once, the exit code, finish time and OOM
 * kill, deletes runc's state and the cgroup, frees its published ports, and writes `oom`/`die`
 * (and removes an auto-remove container).
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { NotFoundError } from "../../errors.js";
import { markDnsRunning } from "../dns/index.js";
import { oomKilledInCgroup, removeCgroups } from "./cgroups.js";
import type { ContainerContext } from "./context.js";
import { recordInterruptedStart, startUnrecorded } from "./interrupted-start.js";
import { unpublishPorts } from "./networking.js";
import { observe, type Observed } from "./observe.js";
import { type ContainerRecord, listIds, readRecord } from "./records.js";
import { deleteStoppedInProcess } from "./runc-delete.js";
import { teardown } from "./teardown.js";

/** Under the lock: records the end of the run (once) and cleans up runc's side of it. */
export async function collectLocked(
  ctx: ContainerContext,
  record: ContainerRecord,
): Promise<ContainerRecord> {
  const { runc } = ctx;
  const layout = ctx.layoutOf(record.id);
  const observed = observe(record, layout);
  if (observed.kind !== "ended") return record;
  const oomKilled = existsSync(layout.oomFile) || oomKilledInCgroup(record.id, record.spec.cgroupParent);
  try {
    // runc's delete of a stopped container done in-process; runc only for what it must do itself.
    if ((await deleteStoppedInProcess(ctx.paths.runc, record.id)) === "runc") await runc.delete(record.id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) {
      // runc thinks it runs (its init is gone unseen): make sure, then delete.
      await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
      await runc.delete(record.id).catch(() => undefined);
    }
  }
  await removeCgroups(record.id, record.spec.cgroupParent);
  const next = ctx.update(record, {
    run: undefined,
    paused: false,
    exitCode: observed.exitCode ?? 255,
    finishedAt: observed.finishedAt.toISOString(),
    oomKilled,
    error:
      observed.exitCode === undefined
        ? "the container's monitor was gone when it exited: its exit code is unknown"
        : undefined,
  });
  // Out of the DNS till its next start, as Docker's sandbox leaves the network at the exit, and
  // its host ports free for others.
  markDnsRunning(ctx.paths, record.id, false);
  // (What cannot be freed now is replaced at its next start: the exit is recorded whatever.)
  if (!record.spec.autoRemove) await unpublishPorts(ctx, record).catch(() => undefined);
  if (oomKilled) ctx.event(next, { action: "oom" });
  ctx.event(next, { action: "die", exitCode: next.exitCode });
  if (record.spec.autoRemove) {
    await teardown(ctx, next);
    ctx.event(next, { action: "destroy" });
  }
  return next;
}

export async function collect(ctx: ContainerContext, id: string): Promise<void> {
  await ctx.locked(id, async () => {
    const record = readRecord(ctx.paths, id);
    if (record && record.state === "created") await collectLocked(ctx, record);
  });
}

/** Collects every run that ended and nobody has collected. */
export async function collectExits(ctx: ContainerContext): Promise<void> {
  for (const id of listIds(ctx.paths)) {
    const record = readRecord(ctx.paths, id);
    if (record?.run && existsSync(ctx.layoutOf(id).exitFile)) await collect(ctx, id);
  }
}

/**
 * The state of a container, collecting its exit first when it ended unseen, and recording a start
 * whose starter was killed before it could.
 */
export async function current(
  ctx: ContainerContext,
  record: ContainerRecord,
): Promise<{ record: ContainerRecord; observed: Observed }> {
  let observed = observe(record, ctx.layoutOf(record.id));
  if (observed.kind === "ended") {
    await collect(ctx, record.id);
    const again = readRecord(ctx.paths, record.id);
    if (!again) return { record, observed };
    observed = observe(again, ctx.layoutOf(record.id));
    return { record: again, observed };
  }
  if (startUnrecorded(record, observed)) {
    const again = await recordInterruptedStart(ctx, record.id);
    if (!again) return { record, observed };
    return { record: again, observed: observe(again, ctx.layoutOf(record.id)) };
  }
  return { record, observed };
}

/** Waits (bounded) until the run has ended; true when it did. */
export async function waitEnded(
  ctx: ContainerContext,
  record: ContainerRecord,
  ms: number,
): Promise<boolean> {
  const layout = ctx.layoutOf(record.id);
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000; i++) {
    const observed = observe(record, layout);
    if (observed.kind === "ended" || observed.kind === "idle") return true;
    if (Date.now() >= deadline) return false;
    await sleep(i < 20 ? 10 : 50);
  }
  return false;
}
