/**
 * The network state document (records.ts) read and changed under one lock between processes
 * (src/file-lock.ts), written atomically (temporary file + rename), so a reader never sees half a
 * document and a killed writer leaves the previous one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { acquireFileLock } from "../../../file-lock.js";
import { ApiError } from "../../errors.js";
import type { NativePaths } from "../paths.js";
import { EMPTY_STATE, type NetworkState } from "./records.js";
import { errnoCode } from "../../../errno.js";
import { fieldsOf, isRecord } from "../../../json-shape.js";

/** Holders do a few file operations and at most one short `nft -f`: seconds is generous. */
const LOCK_TIMEOUT_MS = 60_000;

export function stateFile(paths: NativePaths): string {
  return path.join(paths.root, "network", "state.json");
}

/**
 * The state document as writeState writes it (whole, atomically, under the lock): version 1 with
 * its two maps; their entries are this module's records.
 */
function isNetworkState(value: unknown): value is NetworkState {
  return isRecord(value) && value.version === 1 && isRecord(value.networks) && isRecord(value.containers);
}

export async function readState(paths: NativePaths): Promise<NetworkState> {
  let text: string;
  try {
    text = await readFile(stateFile(paths), "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return EMPTY_STATE;
    throw error;
  }
  const value: unknown = JSON.parse(text);
  if (!isNetworkState(value))
    throw new ApiError(`${stateFile(paths)}: unknown version ${String(fieldsOf(value).version)}`);
  return value;
}

async function writeState(paths: NativePaths, state: NetworkState): Promise<void> {
  const file = stateFile(paths);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(temporary, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** This process's callers, by lock file: they queue here, so only one at a time polls the file. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `change` on the current state under the lock; writes what it returns as `state` (unless it is
 * the same object), and gives back its `result`. `change` may run effects that must be ordered with
 * the state (reloading a network's rules), never long ones. Callers in one process take turns on a
 * promise chain before the file lock: the next one starts the moment the last is done, where
 * polling the file would leave the lock idle for up to a poll interval per turn (50 containers set up
 * at once serialized at ~200 ms a turn).
 */
export async function updateState<T>(
  paths: NativePaths,
  change: (
    state: NetworkState,
  ) => Promise<{ state: NetworkState; result: T }> | { state: NetworkState; result: T },
): Promise<T> {
  const key = stateFile(paths);
  const run = (queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => locked(paths, change));
  queues.set(key, run);
  try {
    return await run;
  } finally {
    if (queues.get(key) === run) queues.delete(key);
  }
}

async function locked<T>(
  paths: NativePaths,
  change: (
    state: NetworkState,
  ) => Promise<{ state: NetworkState; result: T }> | { state: NetworkState; result: T },
): Promise<T> {
  await mkdir(path.dirname(stateFile(paths)), { recursive: true, mode: 0o700 });
  await mkdir(paths.locks, { recursive: true, mode: 0o700 });
  const file = path.join(paths.locks, "network.lock");
  const release = await acquireFileLock(file, {
    timeoutMs: LOCK_TIMEOUT_MS,
    aborted: () => new ApiError("stopped waiting for the network state lock"),
    timedOut: (owner) =>
      new ApiError(`process ${owner?.pid ?? "?"} held the network state lock too long; gave up waiting`, {
        hint: `if no berth is running, remove ${file}`,
      }),
  });
  try {
    const before = await readState(paths);
    const { state, result } = await change(before);
    if (state !== before) await writeState(paths, state);
    return result;
  } finally {
    release();
  }
}

/**
 * One lock for every state root of this host, held while a new network's subnet is chosen and its
 * bridge set up: each root sees another's subnets only as host routes, which appear once a bridge
 * has its address, so two roots creating networks at once picked the same subnet (and their DNS
 * servers the same gateway). A fixed path every root finds, under /run: it lives as long as the
 * processes holding it, so it leaves nothing in a persistent directory (a test's sandboxed roots
 * included).
 */
export const HOST_SUBNET_LOCK = "/run/berth/subnets.lock";

export async function withHostSubnetLock<T>(work: () => Promise<T>, file = HOST_SUBNET_LOCK): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o711 });
  const release = await acquireFileLock(file, {
    timeoutMs: LOCK_TIMEOUT_MS,
    aborted: () => new ApiError("stopped waiting for the host's subnet lock"),
    timedOut: (owner) =>
      new ApiError(`process ${owner?.pid ?? "?"} held the host's subnet lock too long; gave up waiting`, {
        hint: `if no berth is running, remove ${file}`,
      }),
  });
  try {
    return await work();
  } finally {
    release();
  }
}
