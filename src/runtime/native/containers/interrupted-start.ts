/**
 * A start cut short between `runc start` and its record update (berth SIGKILLed there): the process
 * runs, but the record's run is not marked started and has no start time, so nothing reports its
 * health or supervises it. The next command that looks at the container records the start, once and
 * under the lock (a live starter holds it until it recorded the start itself), writes its `start`
 * event and makes sure the supervisor watches it, as Docker's daemon, which never loses a start,
 * would report it.
 */
import { markDnsRunning } from "../dns/index.js";
import { ensureSupervisor } from "../supervise/ensure.js";
import { needsSupervision } from "../supervise/state-files.js";
import type { ContainerContext } from "./context.js";
import { observe, type Observed } from "./observe.js";
import { type ContainerRecord, readRecord } from "./records.js";

/** Whether `observed` is a run that runs though its start was never recorded. */
export function startUnrecorded(record: ContainerRecord, observed: Observed): boolean {
  return observed.kind === "running" && record.run !== undefined && record.run.started !== true;
}

/** Records the start a killed starter left unrecorded; the record as it is afterwards. */
export async function recordInterruptedStart(
  ctx: ContainerContext,
  id: string,
): Promise<ContainerRecord | undefined> {
  let recorded = false;
  const record = await ctx.locked(id, async () => {
    const now = readRecord(ctx.paths, id);
    if (!now || now.state !== "created" || !now.run) return now;
    if (!startUnrecorded(now, observe(now, ctx.layoutOf(id)))) return now;
    const next = ctx.update(now, { startedAt: new Date().toISOString(), run: { ...now.run, started: true } });
    markDnsRunning(ctx.paths, id, true);
    ctx.event(next, { action: "start" });
    recorded = true;
    return next;
  });
  if (recorded && record && needsSupervision(record)) {
    await ensureSupervisor(ctx.paths).catch(() => undefined);
  }
  return record;
}
