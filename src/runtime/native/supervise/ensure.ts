/**
 * One supervisor per BERTH_ROOT: a detached Node process (its own session, reparented to init, not
 * the parent of any container: conmon is), known by `<run>/supervisor.pid` holding its
 * `{"pid","start"}`. The file is the lock: made with link(2) from a fully written temporary file,
 * taken over when its owner is gone (dead, or the PID reused: the start time differs).
 *
 * `ensureSupervisor` is what a command calls after it started a container that needs supervision
 * (a restart policy, a healthcheck): a live supervisor is left alone, otherwise one is spawned and
 * awaited (bounded) until it holds the pid file. Killing the supervisor never touches a container;
 * the next `ensureSupervisor` (or `superviseIfNeeded`) starts another that picks up every
 * container's state from files.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ProcessIdentity } from "../containers/lock.js";
import { listIds, readRecord } from "../containers/records.js";
import type { NativePaths } from "../paths.js";
import { claimPidFile, findEntry, livePidFileOwner, releasePidFile } from "../pid-file.js";
import { needsSupervision, restartOwed } from "./state-files.js";

/** Names the supervisor's entry script (a test's bundle; otherwise it is found beside this module). */
export const ENTRY_ENV = "BERTH_SUPERVISOR_ENTRY";
/** The bundle's entry name (scripts/bundle.mjs) and tsc's file name. */
const ENTRY_CANDIDATES = ["./berth-supervisor.js", "./main.js", "../../../../dist/bin/berth-supervisor.js"];
/**
 * V8 flags for a small supervisor: it holds little (timers, a few records) and waits most of the
 * time, so no optimizing compiler (--lite-mode: 53 MB RSS instead of 60 with 50 containers).
 */
export const SUPERVISOR_NODE_FLAGS = [
  "--lite-mode",
  // Lite mode turns WebAssembly off and says so on stderr at every start unless told first.
  "--no-expose-wasm",
  "--max-semi-space-size=1",
  "--max-old-space-size=64",
];

const READY_WAIT_MS = 10_000;

export interface SupervisorFiles {
  readonly pidFile: string;
  /** The supervisor's stdout and stderr (what went wrong, for people to read). */
  readonly logFile: string;
}

export function supervisorFiles(paths: NativePaths): SupervisorFiles {
  return { pidFile: path.join(paths.run, "supervisor.pid"), logFile: path.join(paths.run, "supervisor.log") };
}

/** The live supervisor of these paths, if any. */
export function runningSupervisor(paths: NativePaths): ProcessIdentity | undefined {
  return livePidFileOwner(supervisorFiles(paths).pidFile);
}

/** Makes this process the supervisor of `paths`; false when a live one holds the pid file. */
export function claimSupervisor(paths: NativePaths): boolean {
  return claimPidFile(supervisorFiles(paths).pidFile);
}

/** Gives up the pid file if this process holds it. */
export function releaseSupervisor(paths: NativePaths): void {
  releasePidFile(supervisorFiles(paths).pidFile);
}

/** The supervisor's entry script: the environment's, or the first found beside this module. */
export function supervisorEntry(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return findEntry(ENTRY_ENV, ENTRY_CANDIDATES, import.meta.url, env);
}

export interface EnsureResult {
  readonly pid: number;
  /** A new supervisor was started by this call. */
  readonly started: boolean;
}

export interface EnsureOptions {
  /** The entry script to run with node (default: supervisorEntry()). */
  readonly entry?: string | undefined;
}

/** Spawns in progress in this process, by run root: parallel starts (`up`) share one. */
const spawning = new Map<string, Promise<EnsureResult>>();

/** Makes sure a supervisor runs for `paths`; throws when none could be started. */
export async function ensureSupervisor(
  paths: NativePaths,
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  const running = runningSupervisor(paths);
  if (running) return { pid: running.pid, started: false };
  const pending = spawning.get(paths.run);
  if (pending) return pending;
  const spawned = spawnSupervisor(paths, options).finally(() => spawning.delete(paths.run));
  spawning.set(paths.run, spawned);
  return spawned;
}

async function spawnSupervisor(paths: NativePaths, options: EnsureOptions): Promise<EnsureResult> {
  const entry = options.entry ?? supervisorEntry();
  if (entry === undefined) {
    throw new Error("the native supervisor's entry script was not found (is berth built? npm run build)");
  }
  const { logFile } = supervisorFiles(paths);
  mkdirSync(paths.run, { recursive: true, mode: 0o700 });
  const out = openSync(logFile, "a", 0o600);
  let exited = false;
  let pid: number | undefined;
  try {
    const child = spawn(process.execPath, [...SUPERVISOR_NODE_FLAGS, entry], {
      detached: true,
      stdio: ["ignore", out, out],
      cwd: "/",
      env: { ...process.env, BERTH_ROOT: paths.root, BERTH_RUN_ROOT: paths.run },
    });
    child.on("exit", () => {
      exited = true;
    });
    child.on("error", () => {
      exited = true;
    });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + READY_WAIT_MS;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const owner = runningSupervisor(paths);
    // Ours, or another command's that won the race (ours then ends at once).
    if (owner) return { pid: owner.pid, started: owner.pid === pid };
    if (exited) break;
    await sleep(i < 20 ? 10 : 50);
  }
  throw new Error(`the native supervisor did not start (see ${logFile})`);
}

/**
 * Starts a supervisor when none runs and a container needs one (a command's re-attach): one that
 * runs with a restart policy or a healthcheck, or one whose exit its policy answers, collected
 * while no supervisor ran.
 */
export async function superviseIfNeeded(
  paths: NativePaths,
  options: EnsureOptions = {},
): Promise<EnsureResult | undefined> {
  if (runningSupervisor(paths)) return undefined;
  const needed = listIds(paths).some((id) => {
    const record = readRecord(paths, id);
    if (record?.state !== "created") return false;
    return record.run !== undefined ? needsSupervision(record) : restartOwed(paths, record);
  });
  return needed ? ensureSupervisor(paths, options) : undefined;
}
