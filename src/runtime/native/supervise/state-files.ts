/**
 * What the supervisor tells the other berth processes, as files in the container's directory
 * (removed with it), each written atomically:
 * - `health.json`: the healthcheck's state (status, failing streak, last 5 results) and the run it
 *   is about;
 * - `restarting.json`: a restart waiting its delay — the exit it answers and the supervisor that
 *   will make it.
 * `supervisedView` is how inspect and list read them.
 */
import { readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import type { HealthProbe, HealthStatus } from "../../runtime.js";
import { stillRuns, type ProcessIdentity } from "../containers/lock.js";
import { rotatesLog } from "../containers/log-rotation.js";
import { containerLayout, type ContainerRecord, writeAtomic } from "../containers/records.js";
import type { NativePaths } from "../paths.js";
import { healthConfig, type HealthState, mergeHealthcheck } from "./health.js";
import { decideRestart, isRestartPolicyActive } from "./restart-policy.js";

export interface RestartMarker {
  /** The `finishedAt` of the exit this restart answers. */
  readonly finishedAt: string;
  /** When the restart is due (ISO). */
  readonly due: string;
  readonly supervisor: ProcessIdentity;
  /** The restart was tried and failed (why): that exit is not answered again. */
  readonly failed?: string | undefined;
}

export function healthFile(paths: NativePaths, id: string): string {
  return path.join(containerLayout(paths, id).dir, "health.json");
}

export function restartFile(paths: NativePaths, id: string): string {
  return path.join(containerLayout(paths, id).dir, "restarting.json");
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

export function readHealth(paths: NativePaths, id: string): HealthState | undefined {
  const value = readJson(healthFile(paths, id)) as HealthState | undefined;
  return value && typeof value.status === "string" && Array.isArray(value.log) ? value : undefined;
}

/** Writes the health state; false when the container's directory is gone (removed meanwhile). */
export function writeHealth(paths: NativePaths, id: string, state: HealthState): boolean {
  try {
    writeAtomic(healthFile(paths, id), `${JSON.stringify(state)}\n`, 0o644);
    return true;
  } catch {
    return false;
  }
}

export function readRestartMarker(paths: NativePaths, id: string): RestartMarker | undefined {
  const value = readJson(restartFile(paths, id)) as RestartMarker | undefined;
  return value && typeof value.finishedAt === "string" ? value : undefined;
}

export function writeRestartMarker(paths: NativePaths, id: string, marker: RestartMarker): boolean {
  try {
    writeAtomic(restartFile(paths, id), `${JSON.stringify(marker)}\n`, 0o644);
    return true;
  } catch {
    return false;
  }
}

export function removeRestartMarker(paths: NativePaths, id: string): void {
  try {
    unlinkSync(restartFile(paths, id));
  } catch {
    // Not there.
  }
}

/** The container's healthcheck as it runs (service over image), or undefined without one. */
export function healthConfigOf(record: ContainerRecord): ReturnType<typeof healthConfig> {
  return healthConfig(mergeHealthcheck(record.spec.healthcheck, record.imageConfig.Healthcheck));
}

/**
 * Whether a container needs a supervisor at all: a restart policy, a healthcheck, `--rm` (removed
 * at its exit though nobody waits for it), or a log rotated at max-size.
 */
export function needsSupervision(record: ContainerRecord): boolean {
  return (
    isRestartPolicyActive(record.spec.restart) ||
    healthConfigOf(record) !== undefined ||
    record.spec.autoRemove === true ||
    rotatesLog(record.spec.logging?.options)
  );
}

/**
 * An exit the restart policy answers and no supervisor has answered yet (one was down when the
 * container exited and a command collected the exit): a supervisor must be started for it.
 */
export function restartOwed(paths: NativePaths, record: ContainerRecord): boolean {
  const { finishedAt, startedAt } = record;
  if (record.state !== "created" || record.run !== undefined) return false;
  if (finishedAt === undefined || startedAt === undefined) return false;
  const marker = readRestartMarker(paths, record.id);
  if (marker?.finishedAt === finishedAt && marker.failed !== undefined) return false;
  return decideRestart({
    policy: record.spec.restart,
    exitCode: record.exitCode ?? 0,
    stoppedByUser: record.stoppedByUser === true,
    restartCount: record.restartCount,
    runMs: 0,
    previousDelayMs: 0,
  }).restart;
}

export interface SupervisedView {
  /** Undefined when the container has no healthcheck. */
  readonly health: HealthStatus | undefined;
  readonly healthProbe: HealthProbe | undefined;
  /** The last results, oldest first (Docker's `State.Health.Log`). */
  readonly healthLog: readonly HealthProbe[];
  readonly failingStreak: number;
  /** A restart is waiting its delay (Docker's `restarting` status). */
  readonly restarting: boolean;
}

/**
 * What the supervisor says about a container. Health belongs to the current run: a state written
 * for another run (or none yet) reads as `starting`, as a fresh run is.
 */
export function supervisedView(paths: NativePaths, record: ContainerRecord): SupervisedView {
  const stored = healthConfigOf(record) === undefined ? undefined : readHealth(paths, record.id);
  const current = stored !== undefined && stored.runStartedAt === record.startedAt;
  const log = (stored?.log ?? []).map((entry): HealthProbe => ({
    exitCode: entry.exitCode,
    output: entry.output,
    start: new Date(entry.start),
    end: new Date(entry.end),
  }));
  // Until `runc start` of the restart returned, the container is still restarting.
  const marker = record.run?.started !== true ? readRestartMarker(paths, record.id) : undefined;
  return {
    // Docker has no health state before the first start.
    health:
      healthConfigOf(record) === undefined || record.startedAt === undefined
        ? undefined
        : current
          ? stored.status
          : "starting",
    healthProbe: log.at(-1),
    healthLog: log,
    failingStreak: current ? stored.failingStreak : 0,
    restarting:
      marker !== undefined &&
      marker.finishedAt === record.finishedAt &&
      marker.failed === undefined &&
      record.stoppedByUser !== true &&
      stillRuns(marker.supervisor),
  };
}
