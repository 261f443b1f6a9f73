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
import { fieldsOf, itemsOf } from "../../../json-shape.js";
import { errnoCode } from "../../../errno.js";

/** The parts of runc's (libcontainer's) state.json read here, checked for their shape. */
interface RuncState {
  readonly initPid: unknown;
  readonly initStart: unknown;
  readonly cgroupDirs: readonly string[];
  readonly namespaces: readonly { readonly type: unknown; readonly path: unknown }[];
  readonly poststopHooks: number;
}

type StateRead =
  | { readonly kind: "absent" }
  | { readonly kind: "unreadable" }
  | { readonly kind: "state"; readonly state: RuncState };

function readState(dir: string): StateRead {
  let text: string;
  try {
    text = readFileSync(path.join(dir, "state.json"), "utf8");
  } catch (error) {
    return errnoCode(error) === "ENOENT" ? { kind: "absent" } : { kind: "unreadable" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unreadable" };
  }
  const file = fieldsOf(value);
  const config = fieldsOf(file["config"]);
  const hooks = fieldsOf(config["Hooks"])["poststop"];
  return {
    kind: "state",
    state: {
      initPid: file["init_process_pid"],
      initStart: file["init_process_start"],
      cgroupDirs: Object.values(fieldsOf(file["cgroup_paths"])).filter(
        (d): d is string => typeof d === "string",
      ),
      namespaces: itemsOf(config["namespaces"]).map((ns) => {
        const fields = fieldsOf(ns);
        return { type: fields["type"], path: fields["path"] };
      }),
      poststopHooks: Array.isArray(hooks) ? hooks.length : 0,
    },
  };
}

/** runc's `runType() == Stopped`: no process of that PID and start time, or a zombie/dead one. */
function initGone(state: RuncState): boolean {
  const pid = state.initPid;
  if (typeof pid !== "number" || pid <= 0) return true;
  if (!systemProbe.alive(pid)) return true;
  return systemProbe.startTime(pid) !== String(state.initStart);
}

function privatePidNamespace(state: RuncState): boolean {
  return state.namespaces.some((ns) => ns.type === "NEWPID" && (ns.path ?? "") === "");
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
  const read = readState(dir);
  // runc delete removes a directory without state.json too (an aborted create); no directory: nothing.
  if (read.kind === "absent") {
    await rm(dir, { recursive: true, force: true });
    return "absent";
  }
  if (read.kind === "unreadable") return "runc";
  const { state } = read;
  if (!initGone(state) || !privatePidNamespace(state) || state.poststopHooks > 0) return "runc";
  // The cgroups runc recorded (the caller also removes the container's computed ones, with retries).
  for (const cgroup of state.cgroupDirs) {
    try {
      rmdirSync(cgroup);
    } catch {
      // Gone, or still busy: the caller's removal retries and reports it.
    }
  }
  await rm(dir, { recursive: true, force: true });
  return "deleted";
}
