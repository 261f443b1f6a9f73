/**
 * `max-size`/`max-file` of a container's log, as Docker's json-file driver keeps them: at most
 * `max-file` files of about `max-size` bytes, the oldest dropped. conmon 2.1.6 can only truncate in
 * place (`--log-size-max`), which is what one file means; for more, the log is rotated from outside:
 * renamed to `.1` (older ones shifted up, the last dropped), then conmon is told through its control
 * FIFO (`2 0 0`: reopen the log) to start a new file. Whoever is alive between commands (the
 * supervisor, an events reader) calls `rotateIfDue` now and then.
 */
import { closeSync, constants, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { readDrainSpec } from "../monitor/drain-spec.js";
import type { NativePaths } from "../paths.js";
import { containerLayout, listIds, readRecord } from "./records.js";

export interface LogLimits {
  readonly maxSize: number | undefined;
  readonly maxFiles: number;
}

/** Docker's `max-size` (`10m`, `1g`, `500k`, bytes) in bytes; undefined when absent or unreadable. */
export function parseSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!match?.[1]) return undefined;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? "").toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}

/** The limits of a service's `logging.options` (max-file defaults to 1, as Docker's). */
export function logLimits(options: Readonly<Record<string, string>> | undefined): LogLimits {
  const maxFiles = Number.parseInt(options?.["max-file"] ?? "1", 10);
  return {
    maxSize: parseSize(options?.["max-size"]),
    maxFiles: Number.isSafeInteger(maxFiles) && maxFiles > 0 ? maxFiles : 1,
  };
}

/** What conmon itself is given: a size to truncate at, only when one file is all there may be. */
export function monitorSizeMax(limits: LogLimits): number | undefined {
  return limits.maxFiles <= 1 ? limits.maxSize : undefined;
}

/**
 * Rotates `log` when it has reached the limit (and more than one file is kept); true when it did.
 * `ctl` is the monitor's control FIFO in the bundle.
 */
export function rotateIfDue(log: string, ctl: string, limits: LogLimits): boolean {
  if (limits.maxSize === undefined || limits.maxFiles <= 1) return false;
  let size: number;
  try {
    size = statSync(log).size;
  } catch {
    return false;
  }
  if (size < limits.maxSize) return false;
  // The monitor must be there to reopen the log: renamed after it exited, the log would leave no
  // current file (and the rename could not be told). O_NONBLOCK fails (ENXIO) when nobody reads.
  let fd: number;
  try {
    fd = openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  shiftRotatedLogs(log, limits.maxFiles);
  try {
    renameSync(log, `${log}.1`);
    writeSync(fd, "2 0 0\n");
  } catch {
    // The monitor went meanwhile: the next run opens a new log anyway.
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Makes room for a rotation: the oldest kept file goes, each other moves one number up (`.1` to
 * `.2`…), leaving `.1` free for the current log. The caller renames the log and has it reopened.
 */
export function shiftRotatedLogs(log: string, maxFiles: number): void {
  rmSync(`${log}.${maxFiles - 1}`, { force: true });
  for (let n = maxFiles - 2; n >= 1; n--) {
    try {
      renameSync(`${log}.${n}`, `${log}.${n + 1}`);
    } catch {
      // Not there yet.
    }
  }
}

export const ctlPath = (bundle: string): string => path.join(bundle, "ctl");

/** Whether a log with these options is rotated from outside (a `max-size` and more than one file). */
export function rotatesLog(options: Readonly<Record<string, string>> | undefined): boolean {
  const limits = logLimits(options);
  return limits.maxSize !== undefined && limits.maxFiles > 1;
}

/**
 * Rotates the logs of running containers that reached their `max-size` (max-file > 1). A FIFO-stdio
 * container's log is the drainer's, which rotates it itself (../monitor/drain.ts).
 */
export function rotateLogs(paths: NativePaths): void {
  for (const id of listIds(paths)) {
    const record = readRecord(paths, id);
    const options = record?.spec.logging?.options;
    if (!record?.run || !rotatesLog(options)) continue;
    const layout = containerLayout(paths, id);
    if (readDrainSpec(layout.bundle) !== undefined) continue;
    rotateIfDue(layout.log, ctlPath(layout.bundle), logLimits(options));
  }
}
