/**
 * What a bundle tells the log drainer (./log-drainer.ts): `<bundle>/log-drain.json` names the log
 * its FIFOs go to; `<bundle>/log-draining` is written once a drainer has both FIFOs open (the
 * starter holds them open until then, ./hold.ts); `<bundle>/log-drained` is written once both
 * FIFOs reached EOF (every process of the run has exited) and everything read is in the log: a
 * reader of an exited container's log waits for it, as it waits for conmon's exit today.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeAtomic } from "../containers/records.js";

export interface DrainSpec {
  readonly logPath: string;
  /** The run this spec belongs to (the container's init PID), so a marker of an older run is told apart. */
  readonly pid: number;
  /** `max-size` in bytes (../containers/log-rotation.ts): the drainer rotates, as conmon no longer writes the log. */
  readonly maxSize?: number | undefined;
  /** `max-file`: 1 truncates the log in place (conmon's `--log-size-max`), more rotates to `.1`, `.2`… */
  readonly maxFiles?: number | undefined;
}

export function drainSpecFile(bundle: string): string {
  return path.join(bundle, "log-drain.json");
}

export function drainedMarker(bundle: string): string {
  return path.join(bundle, "log-drained");
}

export function drainingMarker(bundle: string): string {
  return path.join(bundle, "log-draining");
}

export function writeDrainSpec(bundle: string, spec: DrainSpec): void {
  writeAtomic(drainSpecFile(bundle), `${JSON.stringify(spec)}\n`);
}

export function readDrainSpec(bundle: string): DrainSpec | undefined {
  try {
    const value = JSON.parse(readFileSync(drainSpecFile(bundle), "utf8")) as Partial<DrainSpec>;
    if (typeof value.logPath !== "string" || typeof value.pid !== "number") return undefined;
    return {
      logPath: value.logPath,
      pid: value.pid,
      maxSize: typeof value.maxSize === "number" ? value.maxSize : undefined,
      maxFiles: typeof value.maxFiles === "number" ? value.maxFiles : undefined,
    };
  } catch {
    return undefined;
  }
}

function markedRun(marker: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(marker, "utf8"), 10);
    return Number.isSafeInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The PID of the run whose output has all been drained, if any. */
export function drainedRun(bundle: string): number | undefined {
  return markedRun(drainedMarker(bundle));
}

/**
 * The markers are made empty by the starter (`prepareMarkers`) and written in place by the drainer
 * (never created by it: a drainer that adds a file to a bundle being removed would make its
 * removal fail with ENOTEMPTY); a removed bundle's marker is not written.
 */
function mark(marker: string, pid: number): void {
  try {
    writeFileSync(marker, `${pid}\n`, { flag: "r+" });
  } catch {
    // Removed (the container with it).
  }
}

export function prepareMarkers(bundle: string): void {
  for (const marker of [drainingMarker(bundle), drainedMarker(bundle)])
    writeFileSync(marker, "", { mode: 0o600 });
}

export function markDrained(bundle: string, pid: number): void {
  mark(drainedMarker(bundle), pid);
}

/** The PID of the run a drainer has opened the FIFOs of (since, it may have been killed). */
export function drainingRun(bundle: string): number | undefined {
  return markedRun(drainingMarker(bundle));
}

export function markDraining(bundle: string, pid: number): void {
  mark(drainingMarker(bundle), pid);
}

/** Forgets the drain of a previous run (a new run is being started). */
export function clearDrain(bundle: string): void {
  rmSync(drainSpecFile(bundle), { force: true });
  rmSync(drainedMarker(bundle), { force: true });
  rmSync(drainingMarker(bundle), { force: true });
}
