/**
 * The end of a FIFO-stdio run's output, for its readers (logs, attach) and for the next start: a
 * run's output is all in the log once the drainer marked its bundle drained (./drain-spec.ts), which
 * comes a moment after the container exits (the drainer reads to the FIFOs' EOF). Containers with
 * conmon's pipes have no drain spec: nothing is owed for them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { NativePaths } from "../paths.js";
import { drainedRun, readDrainSpec } from "./drain-spec.js";
import { removeStdioFifos } from "./fifos.js";
import { ensureLogDrainer } from "./log-drainer.js";

/** Whether the bundle's FIFO run has output not yet in its log. */
export function drainPending(bundle: string): boolean {
  const spec = readDrainSpec(bundle);
  return spec !== undefined && drainedRun(bundle) !== spec.pid;
}

/**
 * The re-attach: a failure to start a drainer loses nothing of a running container (its FIFOs
 * hold the output). The PID of the drainer told or spawned; undefined when none was.
 */
export function reattachDrainer(paths: NativePaths): number | undefined {
  try {
    return ensureLogDrainer(paths);
  } catch {
    // Not built (no entry script): the next command tries again.
    return undefined;
  }
}

/** How long a reader waits, once the container has ended, for its last output to be drained. */
export const DRAIN_WAIT_MS = 5_000;

/**
 * Waits (bounded) until the bundle's run is drained, re-attaching a drainer if none runs (one
 * killed meanwhile included); true when nothing is owed any more.
 */
export async function untilDrained(paths: NativePaths, bundle: string, ms = DRAIN_WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; drainPending(bundle); i++) {
    if (Date.now() >= deadline) return false;
    if (i % 20 === 0) reattachDrainer(paths);
    await sleep(i < 20 ? 5 : 25);
  }
  return true;
}

/**
 * For a reader that follows: whether output is still owed once the container stopped running,
 * false once the grace (counted from the first call) has passed; a killed drainer is replaced.
 */
export function drainOwed(paths: NativePaths, bundle: string, graceMs = DRAIN_WAIT_MS): () => boolean {
  let deadline: number | undefined;
  let asked = 0;
  return () => {
    if (!drainPending(bundle)) return false;
    deadline ??= Date.now() + graceMs;
    if (asked++ % 10 === 0) reattachDrainer(paths);
    return Date.now() < deadline;
  };
}

/**
 * Before a new run: the previous run's last output reaches the log ahead of the new run's start
 * mark. Bounded: a run still not drained then keeps its FIFOs (a drain of them ends with it) and
 * the new run gets new ones, so no drain carries one run's output under another's name.
 */
export async function awaitPreviousDrain(paths: NativePaths, bundle: string): Promise<void> {
  if (drainPending(bundle) && !(await untilDrained(paths, bundle, 2_000))) removeStdioFifos(bundle);
}
