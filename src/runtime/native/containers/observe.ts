/**
 * What a container is doing now, from its record and the files and processes of its run, without
 * calling runc (a `ps` of 50 containers must not spawn 50 processes):
 * - no run recorded: `created` (never started) or `exited` with the code collected earlier;
 * - the monitor's exit file exists: the run ended, not yet collected;
 * - the init process still runs (same PID and start time, not a zombie): `running` (`paused` when
 *   the record says so); an init still named `runc:[2:INIT]` of a run not marked started was
 *   created but never started (the starter died between `runc create` and `runc start`): `created`;
 * - the init is gone and so is its monitor (both SIGKILLed, or a reboot): ended, exit code unknown.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { ContainerStatus } from "../../runtime.js";
import { stillRuns } from "./lock.js";
import type { ContainerLayout, ContainerRecord } from "./records.js";

export type Observed =
  | { readonly kind: "idle"; readonly status: "created" | "exited" | "removing" }
  | {
      readonly kind: "running";
      readonly status: "running" | "paused";
      readonly pid: number;
      readonly monitor: boolean;
    }
  /** `runc create` done, `runc start` never called. */
  | { readonly kind: "unstarted"; readonly pid: number }
  /** The run ended and nobody has collected it yet. */
  | {
      readonly kind: "ended";
      readonly exitCode: number | undefined;
      readonly finishedAt: Date;
    };

export function readExitFile(file: string): { exitCode: number | undefined; at: Date } | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    const at = statSync(file).mtime;
    const code = Number.parseInt(text, 10);
    return { exitCode: Number.isNaN(code) || code < 0 ? undefined : code, at };
  } catch {
    return undefined;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

export function observe(record: ContainerRecord, layout: ContainerLayout): Observed {
  if (record.state === "removing") return { kind: "idle", status: "removing" };
  const run = record.run;
  if (run === undefined)
    return { kind: "idle", status: record.startedAt === undefined ? "created" : "exited" };
  const exit = readExitFile(layout.exitFile);
  if (exit) return { kind: "ended", exitCode: exit.exitCode, finishedAt: exit.at };
  const monitor = run.monitorPid !== undefined && stillRuns({ pid: run.monitorPid, start: run.monitorStart });
  if (stillRuns({ pid: run.pid, start: run.pidStart })) {
    // Just after `runc start` the init may not have exec'd yet: only a run never started counts.
    if (run.started !== true && comm(run.pid).startsWith("runc:["))
      return { kind: "unstarted", pid: run.pid };
    return { kind: "running", status: record.paused ? "paused" : "running", pid: run.pid, monitor };
  }
  // The init is gone; a live monitor is about to write the exit file.
  if (monitor) return { kind: "running", status: "running", pid: run.pid, monitor };
  if (existsSync(layout.exitFile)) return observe(record, layout);
  return { kind: "ended", exitCode: undefined, finishedAt: new Date() };
}

/** The status a caller sees. */
export function statusOf(observed: Observed): ContainerStatus {
  switch (observed.kind) {
    case "idle":
      return observed.status;
    case "running":
      return observed.status;
    case "unstarted":
      return "created";
    case "ended":
      return "exited";
  }
}
