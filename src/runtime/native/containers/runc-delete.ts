/**
 * `runc delete` of a stopped container, done in-process: what runc 1.1's delete.go does for one
 * whose init has exited (`destroy`: its cgroups removed, its state directory under `--root`
 * removed, poststop hooks run), without a `runc state` and a `runc delete` process per container
 * (two processes per removal were most of a `down -v` of 50's main-thread time). Only when runc's
 * state.json says so: the init process gone (or a zombie, or its PID reused), a private PID
 * namespace (the kernel killed the rest with its init; runc signals the cgroup otherwise) and no
 * poststop hook. Anything else is left to runc.
 */
import { readFileSync, rmdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { systemProbe } from "../../../file-lock.js";

/** The parts of runc's (libcontainer's) state.json read here. */
interface RuncStateFile {
  readonly init_process_pid?: unknown;
  readonly init_process_start?: unknown;
  readonly cgroup_paths?: unknown;
  readonly config?: {
    readonly namespaces?: readonly { readonly type?: unknown; readonly path?: unknown }[];
    readonly Hooks?: Record<string, unknown> | null;
  };
}

function readState(dir: string): RuncStateFile | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as RuncStateFile;
  } catch {
    return undefined;
  }
}

/** runc's `runType() == Stopped`: no process of that PID and start time, or a zombie/dead one. */
function initGone(state: RuncStateFile): boolean {
  const pid = state.init_process_pid;
  if (typeof pid !== "number" || pid <= 0) return true;
  if (!systemProbe.alive(pid)) return true;
  return systemProbe.startTime(pid) !== String(state.init_process_start);
}

function privatePidNamespace(state: RuncStateFile): boolean {
  return (state.config?.namespaces ?? []).some((ns) => ns.type === "NEWPID" && (ns.path ?? "") === "");
}

function hasPoststopHooks(state: RuncStateFile): boolean {
  const hooks = state.config?.Hooks?.["poststop"];
  return Array.isArray(hooks) && hooks.length > 0;
}

/**
 * Deletes the container's runc state in-process when it is stopped and safe to (see above):
 * "deleted". "runc" when runc must do it (running, created, paused, hooks, shared PID namespace,
 * unreadable state), "absent" when runc has no state for it.
 */
export async function deleteStoppedInProcess(
  runcRoot: string,
  id: string,
): Promise<"deleted" | "runc" | "absent"> {
  const dir = path.join(runcRoot, id);
  const state = readState(dir);
  if (state === undefined) {
    try {
      readFileSync(path.join(dir, "state.json"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        // runc delete removes a directory without state.json too (an aborted create); no directory: nothing.
        await rm(dir, { recursive: true, force: true });
        return "absent";
      }
    }
    return "runc";
  }
  if (!initGone(state) || !privatePidNamespace(state) || hasPoststopHooks(state)) return "runc";
  // The cgroups runc recorded (the caller also removes the container's computed ones, with retries).
  if (state.cgroup_paths && typeof state.cgroup_paths === "object") {
    for (const dir of Object.values(state.cgroup_paths as Record<string, unknown>)) {
      if (typeof dir !== "string") continue;
      try {
        rmdirSync(dir);
      } catch {
        // Gone, or still busy: the caller's removal retries and reports it.
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
  return "deleted";
}
