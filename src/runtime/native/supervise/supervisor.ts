/**
 * The supervisor's work, between berth commands: it follows every container that has a restart
 * policy or a healthcheck, from the files the other processes write (records, exit files), so a
 * supervisor started later picks up every container where it is.
 *
 * - Exits: a watch on the exit directory (plus a bounded periodic rescan: inotify can miss events)
 *   wakes a scan; an exit nobody collected yet is collected through the containers module (which
 *   writes `die`), then the restart policy decides. A restart first counts itself in the record and
 *   leaves `restarting.json` (status `restarting`) under the container's lock, waits its delay, checks
 *   that nobody stopped or started the container meanwhile, and starts it through the containers
 *   module (a new monitor, `runc start`, the `start` event).
 * - `--rm` containers: removed when their exit is collected (by the containers module).
 * - Logs with `max-size` and `max-file` > 1: rotated on each pass, as Docker's json-file driver
 *   rotates while it writes.
 * - Healthchecks: one timer per running container with a healthcheck, probes run with `runc exec`
 *   (./probe.ts), the state written to `health.json`, a `health` event when the status changes.
 * - It ends (resolves) when nothing has needed it for `idleExitMs`.
 */
import { watch, type FSWatcher, mkdirSync } from "node:fs";
import type { NativeContainers } from "../containers/containers.js";
import { self, withLock } from "../containers/lock.js";
import { observe } from "../containers/observe.js";
import {
  containerLayout,
  type ContainerRecord,
  listIds,
  readRecord,
  writeRecord,
} from "../containers/records.js";
import { RUNC_PATH } from "../containers/runc.js";
import { appendEvent } from "../events.js";
import type { NativePaths } from "../paths.js";
import { applyProbe, type HealthConfig, type HealthState, nextProbeDelay, startingHealth } from "./health.js";
import { runProbe } from "./probe.js";
import { decideRestart } from "./restart-policy.js";
import {
  healthConfigOf,
  needsSupervision,
  readHealth,
  readRestartMarker,
  removeRestartMarker,
  writeHealth,
  writeRestartMarker,
} from "./state-files.js";

export interface SupervisorOptions {
  readonly paths: NativePaths;
  readonly containers: Pick<NativeContainers, "collectExits" | "rotateLogs" | "startByPolicy">;
  readonly runcPath?: string | undefined;
  /** The periodic rescan (a safety net under fs.watch). */
  readonly rescanMs?: number | undefined;
  /** How long nothing must need the supervisor before it ends. */
  readonly idleExitMs?: number | undefined;
  /**
   * Called when idle, before a last scan: gives up the supervisor's pid file, so a command starting
   * a container from now on starts a new supervisor. `reclaim` takes it back when the last scan
   * finds work; false when another supervisor took it meanwhile (this one then ends).
   */
  readonly lease?: { release(): void; reclaim(): boolean } | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface HealthWatch {
  readonly runStartedAt: string;
  timer: NodeJS.Timeout | undefined;
  readonly abort: AbortController;
}

interface PendingRestart {
  readonly finishedAt: string;
  readonly timer: NodeJS.Timeout;
}

const MAX_SCANS_QUEUED = 1;

export async function runSupervisor(options: SupervisorOptions): Promise<void> {
  const { paths, containers } = options;
  const runcPath = options.runcPath ?? RUNC_PATH;
  const rescanMs = options.rescanMs ?? 2_000;
  const idleExitMs = options.idleExitMs ?? 3_000;
  const log = options.log ?? (() => undefined);
  const health = new Map<string, HealthWatch>();
  const pending = new Map<string, PendingRestart>();
  /** The exit (finishedAt) each container's policy was last applied to. */
  const decided = new Map<string, string>();
  /** The last delay and the run it started, per container (Docker's restart manager's memory). */
  const delays = new Map<string, { delayMs: number; startedAt: string | undefined }>();

  const eventOf = (record: ContainerRecord, status: HealthState["status"]): void => {
    appendEvent(paths, {
      type: "container",
      id: record.id,
      attributes: { ...record.labels, name: record.name, image: record.image },
      time: new Date(),
      action: "health",
      health: status,
    });
  };

  // --- healthchecks ------------------------------------------------------------------------------

  const stopHealth = (id: string): void => {
    const watch = health.get(id);
    if (!watch) return;
    health.delete(id);
    clearTimeout(watch.timer);
    watch.abort.abort();
  };

  const probeOnce = async (id: string, config: HealthConfig, watch: HealthWatch): Promise<void> => {
    const result = await runProbe(
      // The pid file goes in the bundle, so a supervisor killed mid-probe leaves nothing the
      // container's removal does not remove.
      { runcPath, runcRoot: paths.runc, id, scratchDir: containerLayout(paths, id).bundle },
      config,
      watch.abort.signal,
    );
    if (watch.abort.signal.aborted || health.get(id) !== watch) return;
    // The run may have ended while the probe ran: its result then belongs to no one.
    const record = readRecord(paths, id);
    if (!record || record.startedAt !== watch.runStartedAt || record.run === undefined) return;
    const before = readHealth(paths, id);
    const state =
      before?.runStartedAt === watch.runStartedAt ? before : startingHealth(before, watch.runStartedAt);
    // Paused meanwhile (a frozen probe timed out): not a verdict; the scan stops the timer.
    if (record.paused) {
      schedule(id, config, watch, state);
      return;
    }
    const next = applyProbe(config, state, result);
    if (!writeHealth(paths, id, next.state)) return;
    if (next.changed) eventOf(record, next.state.status);
    schedule(id, config, watch, next.state);
  };

  const schedule = (id: string, config: HealthConfig, watch: HealthWatch, state: HealthState): void => {
    const delay = nextProbeDelay(config, state, new Date());
    watch.timer = setTimeout(() => {
      probeOnce(id, config, watch).catch((error: unknown) => {
        log(`healthcheck of ${id}: ${String(error)}`);
        if (health.get(id) === watch) schedule(id, config, watch, readHealth(paths, id) ?? state);
      });
    }, delay);
  };

  const ensureHealth = (record: ContainerRecord, config: HealthConfig): void => {
    const runStartedAt = record.startedAt;
    if (runStartedAt === undefined) return;
    const current = health.get(record.id);
    if (current?.runStartedAt === runStartedAt) return;
    stopHealth(record.id);
    let state = readHealth(paths, record.id);
    // A new run starts over as `starting` (a supervisor taking over an ongoing run keeps its state).
    if (state?.runStartedAt !== runStartedAt) {
      state = startingHealth(state, runStartedAt);
      if (!writeHealth(paths, record.id, state)) return;
    }
    const watch: HealthWatch = { runStartedAt, timer: undefined, abort: new AbortController() };
    health.set(record.id, watch);
    schedule(record.id, config, watch, state);
  };

  // --- restarts ------------------------------------------------------------------------------------

  const cancelRestart = (id: string): void => {
    const waiting = pending.get(id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    pending.delete(id);
  };

  /** Whether the exit `finishedAt` is still the container's last word (nobody started or stopped it). */
  const stillDue = (record: ContainerRecord | undefined, finishedAt: string): record is ContainerRecord =>
    record !== undefined &&
    record.state === "created" &&
    record.run === undefined &&
    record.finishedAt === finishedAt &&
    record.stoppedByUser !== true;

  const restartNow = async (id: string, finishedAt: string, delayMs: number): Promise<void> => {
    pending.delete(id);
    try {
      // Checked again under the container's lock: a stop or start by hand meanwhile wins.
      if (await containers.startByPolicy(id, finishedAt)) {
        delays.set(id, { delayMs, startedAt: readRecord(paths, id)?.startedAt });
      }
      removeRestartMarker(paths, id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`restart of ${id}: ${message}`);
      // Docker leaves a container whose restart failed exited: this exit is not answered again
      // (by this supervisor or the next), until the container is started and exits anew.
      const marker = readRestartMarker(paths, id);
      if (marker?.finishedAt === finishedAt) writeRestartMarker(paths, id, { ...marker, failed: message });
    }
    requestScan();
  };

  /** Counts the restart (once per exit) and leaves the marker, under the container's lock. */
  const planRestart = async (id: string, finishedAt: string, delayMs: number): Promise<boolean> =>
    withLock(paths.locks, `container-${id}`, async () => {
      const record = readRecord(paths, id);
      if (!stillDue(record, finishedAt)) return false;
      const marker = readRestartMarker(paths, id);
      // A supervisor killed while waiting already counted this restart.
      if (marker?.finishedAt !== finishedAt)
        writeRecord(paths, { ...record, restartCount: record.restartCount + 1 });
      const due = marker?.finishedAt === finishedAt ? Date.parse(marker.due) : Date.now() + delayMs;
      writeRestartMarker(paths, id, { finishedAt, due: new Date(due).toISOString(), supervisor: self });
      const timer = setTimeout(() => void restartNow(id, finishedAt, delayMs), Math.max(0, due - Date.now()));
      pending.set(id, { finishedAt, timer });
      return true;
    });

  const applyPolicy = async (record: ContainerRecord): Promise<boolean> => {
    const { finishedAt, startedAt } = record;
    if (finishedAt === undefined || startedAt === undefined) return false;
    if (pending.get(record.id)?.finishedAt === finishedAt) return true;
    if (decided.get(record.id) === finishedAt) return false;
    decided.set(record.id, finishedAt);
    const marker = readRestartMarker(paths, record.id);
    if (marker?.finishedAt === finishedAt && marker.failed !== undefined) return false;
    const memory = delays.get(record.id);
    const decision = decideRestart({
      policy: record.spec.restart,
      exitCode: record.exitCode ?? 0,
      stoppedByUser: record.stoppedByUser === true,
      restartCount: record.restartCount,
      runMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
      // A run this supervisor did not start (a manual start) begins with a fresh delay.
      previousDelayMs: memory?.startedAt === startedAt ? memory.delayMs : 0,
    });
    delays.set(record.id, { delayMs: decision.delayMs, startedAt });
    if (!decision.restart) {
      removeRestartMarker(paths, record.id);
      return false;
    }
    return planRestart(record.id, finishedAt, decision.delayMs);
  };

  // --- the scan ------------------------------------------------------------------------------------

  const forget = (id: string): void => {
    stopHealth(id);
    cancelRestart(id);
    decided.delete(id);
    delays.delete(id);
  };

  /** One pass over every container; true when any needs the supervisor. */
  const scanOnce = async (): Promise<boolean> => {
    containers.rotateLogs();
    let needed = false;
    let collected = false;
    const ids = new Set(listIds(paths));
    for (const id of [...health.keys(), ...pending.keys(), ...decided.keys()]) if (!ids.has(id)) forget(id);
    for (const id of ids) {
      let record = readRecord(paths, id);
      if (!record || record.state !== "created" || !needsSupervision(record)) {
        forget(id);
        continue;
      }
      const layout = containerLayout(paths, id);
      let observed = observe(record, layout);
      if (observed.kind === "ended" && !collected) {
        collected = true;
        await containers.collectExits();
        record = readRecord(paths, id);
        if (!record || record.state !== "created") {
          forget(id);
          continue;
        }
        observed = observe(record, layout);
      }
      const config = healthConfigOf(record);
      if (observed.kind === "running" || observed.kind === "unstarted") {
        needed = true;
        // Docker probes running containers only: a paused one is left alone until unpaused.
        if (observed.kind === "running" && observed.status === "running" && config)
          ensureHealth(record, config);
        else stopHealth(id);
        continue;
      }
      stopHealth(id);
      if (observed.kind === "ended") {
        needed = true; // collected on the next pass
        continue;
      }
      if (await applyPolicy(record)) needed = true;
    }
    return needed;
  };

  let scanning: Promise<boolean> | undefined;
  let queued = 0;
  let wake: (() => void) | undefined;
  const requestScan = (): void => {
    wake?.();
  };
  const scan = async (): Promise<boolean> => {
    if (scanning) {
      if (queued >= MAX_SCANS_QUEUED) return scanning;
      queued++;
      await scanning.catch(() => false);
      queued--;
    }
    scanning = scanOnce().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };

  mkdirSync(paths.exits, { recursive: true });
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(paths.exits, { persistent: false }, requestScan);
    watcher.on("error", () => undefined);
  } catch {
    watcher = undefined;
  }
  options.signal?.addEventListener("abort", requestScan, { once: true });

  try {
    let idleSince: number | undefined;
    // Bounded: at most one pass per wake-up, and the loop ends when idle or aborted.
    for (let pass = 0; pass < Number.MAX_SAFE_INTEGER; pass++) {
      if (options.signal?.aborted) return;
      let needed = false;
      try {
        needed = (await scan()) || pending.size > 0;
      } catch (error) {
        log(`scan: ${error instanceof Error ? error.message : String(error)}`);
        needed = true;
      }
      if (needed) idleSince = undefined;
      else idleSince ??= Date.now();
      if (idleSince !== undefined && Date.now() - idleSince >= idleExitMs) {
        options.lease?.release();
        // A command may have started a container just before the release: look once more.
        const last = (await scan().catch(() => true)) || pending.size > 0;
        if (!last) return;
        if (options.lease && !options.lease.reclaim()) return;
        idleSince = undefined;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, rescanMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    for (const id of [...health.keys()]) stopHealth(id);
    for (const id of [...pending.keys()]) cancelRestart(id);
  }
}
