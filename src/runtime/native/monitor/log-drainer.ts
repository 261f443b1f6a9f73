/**
 * The log drainer: one detached Node process per BERTH_RUN_ROOT that drains every FIFO-stdio
 * container's output into its log (./drain.ts). It holds no container and is no container's
 * parent: a SIGKILL of it only pauses logging (the container's writes fill its FIFO, 64 KiB, then
 * block) until the next berth command's `ensureLogDrainer` starts another, which opens the FIFOs by
 * path and goes on. Known by `<run>/log-drainer.pid` (`{"pid","start"}`, made with link(2), taken
 * over when its owner is gone). It rescans the bundles every `rescanMs` and at once on SIGUSR2 (a
 * command that started a container says so), and exits after `idleExitMs` with nothing to drain.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync } from "node:fs";
import path from "node:path";
import { type ProcessIdentity, self } from "../containers/lock.js";
import type { NativePaths } from "../paths.js";
import { claimPidFile, findEntry, livePidFileOwner, readPidFile, releasePidFile } from "../pid-file.js";
import { type Drain, drainBundle } from "./drain.js";
import { drainedRun, readDrainSpec } from "./drain-spec.js";

/** Names the drainer's entry script (a test's bundle; otherwise found beside this module). */
export const DRAINER_ENTRY_ENV = "BERTH_LOG_DRAINER_ENTRY";
const ENTRY_CANDIDATES = ["./berth-logs.js", "./main.js", "../../../../dist/bin/berth-logs.js"];
/** A drainer holds a few sockets and buffers: V8's small settings (as the supervisor's). */
const NODE_FLAGS = ["--lite-mode", "--no-expose-wasm", "--max-semi-space-size=1", "--max-old-space-size=32"];

export function drainerPidFile(paths: NativePaths): string {
  return path.join(paths.run, "log-drainer.pid");
}

export function runningDrainer(paths: NativePaths): ProcessIdentity | undefined {
  return livePidFileOwner(drainerPidFile(paths));
}

function claim(paths: NativePaths): boolean {
  return claimPidFile(drainerPidFile(paths));
}

function release(paths: NativePaths): void {
  releasePidFile(drainerPidFile(paths));
}

/** Bundles whose current run has output not yet drained. */
export function undrainedBundles(paths: NativePaths): string[] {
  let names: string[];
  try {
    names = readdirSync(paths.runContainers);
  } catch {
    return [];
  }
  return names
    .map((name) => path.join(paths.runContainers, name))
    .filter((bundle) => {
      const spec = readDrainSpec(bundle);
      return spec !== undefined && drainedRun(bundle) !== spec.pid;
    });
}

export interface DrainerOptions {
  readonly rescanMs?: number;
  readonly idleExitMs?: number;
}

/** The drainer's life (its process entry runs this); resolves when it exits idle or lost its claim. */
export async function runLogDrainer(paths: NativePaths, options: DrainerOptions = {}): Promise<void> {
  if (!claim(paths)) return;
  const rescanMs = options.rescanMs ?? 250;
  const idleExitMs = options.idleExitMs ?? 5_000;
  const active = new Map<string, Drain>();
  let idleSince = Date.now();
  const scan = (): void => {
    for (const bundle of undrainedBundles(paths)) {
      const spec = readDrainSpec(bundle);
      if (active.has(bundle) || spec === undefined) continue;
      try {
        const drain = drainBundle(bundle, spec);
        active.set(bundle, drain);
        void drain.done.finally(() => active.delete(bundle));
      } catch (error) {
        process.stderr.write(`cannot drain ${bundle}: ${(error as Error).message}\n`);
      }
    }
    if (active.size > 0) idleSince = Date.now();
  };
  process.on("SIGUSR2", scan);
  const stop = (): void => {
    for (const drain of active.values()) drain.stop();
    release(paths);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Another process took the file over (this one was thought dead): leave it the work.
      if (readPidFile(drainerPidFile(paths))?.pid !== self.pid) {
        clearInterval(timer);
        for (const drain of active.values()) drain.stop();
        resolve();
        return;
      }
      scan();
      if (active.size > 0 || Date.now() - idleSince < idleExitMs) return;
      release(paths);
      // A container started while this one let go: it told a process that is leaving.
      if (undrainedBundles(paths).length > 0 && claim(paths)) {
        idleSince = Date.now();
        return;
      }
      clearInterval(timer);
      resolve();
    }, rescanMs);
  });
  process.off("SIGUSR2", scan);
}

export function drainerEntry(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return findEntry(DRAINER_ENTRY_ENV, ENTRY_CANDIDATES, import.meta.url, env);
}

/**
 * Makes sure a drainer runs for `paths` (the re-attach every command that starts, lists or reads
 * the logs of containers does): a live one is told to rescan now; otherwise one is spawned and not
 * waited for (the FIFOs hold the output meanwhile). Returns the PID told or spawned.
 */
export function ensureLogDrainer(
  paths: NativePaths,
  options: { readonly entry?: string } = {},
): number | undefined {
  const running = runningDrainer(paths);
  if (running) {
    try {
      process.kill(running.pid, "SIGUSR2");
      return running.pid;
    } catch {
      // Gone since: start another.
    }
  }
  if (undrainedBundles(paths).length === 0) return undefined;
  const entry = options.entry ?? drainerEntry();
  if (entry === undefined) throw new Error("the log drainer's entry script was not found (is berth built?)");
  mkdirSync(paths.run, { recursive: true, mode: 0o700 });
  const out = openSync(path.join(paths.run, "log-drainer.log"), "a", 0o600);
  try {
    const child = spawn(process.execPath, [...NODE_FLAGS, entry], {
      detached: true,
      stdio: ["ignore", out, out],
      cwd: "/",
      env: { ...process.env, BERTH_ROOT: paths.root, BERTH_RUN_ROOT: paths.run },
    });
    child.on("error", () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}
