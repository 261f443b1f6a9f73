/**
 * The container's stdout and stderr as FIFOs in its bundle, so that no single process holds the
 * only read end of its output (docs/native-monitor.md):
 * - the container's side is opened O_RDWR, so the container itself counts as a reader: with no
 *   log drainer alive its writes never meet EPIPE/SIGPIPE, they fill the pipe (64 KiB) and block;
 * - a drainer opens them by path (O_RDONLY | O_NONBLOCK) and sees EOF once every process holding
 *   the container's side has exited; a drainer started after another was killed resumes where the
 *   pipe is, so nothing is read twice.
 * Node has no mkfifo(3), and a process per start costs more than its ~4 ms on a busy machine (a
 * fork of the caller, competing for the cores): a first run takes a spare pair from a pool in the
 * run root (rename(2), no process), and the one `mkfifo` that refills the pool makes a batch.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
} from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ApiError } from "../../errors.js";
import type { StreamName } from "./k8s-format.js";

const run = promisify(execFile);

export const MKFIFO_PATH = "/usr/bin/mkfifo";

export type StdioFifos = Readonly<Record<StreamName, string>>;

export function stdioFifos(bundle: string): StdioFifos {
  return { stdout: path.join(bundle, "stdout.fifo"), stderr: path.join(bundle, "stderr.fifo") };
}

/** Spare FIFOs one `mkfifo` makes beside those a start needs now. */
const POOL_BATCH = 32;

/** Moves spare FIFOs of `pool` to `targets` (rename is atomic: a spare another start took is skipped); the targets left. */
function takeSpares(pool: string, targets: readonly string[]): string[] {
  let spares: string[];
  try {
    spares = readdirSync(pool).filter((name) => name.startsWith("spare-"));
  } catch {
    return [...targets];
  }
  const left = [...targets];
  for (const spare of spares) {
    const target = left[0];
    if (target === undefined) break;
    try {
      renameSync(path.join(pool, spare), target);
      left.shift();
    } catch {
      // Taken meanwhile.
    }
  }
  return left;
}

/**
 * Makes the FIFOs that do not exist yet (mode 0600); a previous run's are reused. With `pool` (a
 * directory on the bundle's file system) they come from its spares, refilled when empty.
 */
export async function makeStdioFifos(bundle: string, pool?: string): Promise<StdioFifos> {
  const fifos = stdioFifos(bundle);
  let missing = Object.values(fifos).filter((file) => !existsSync(file));
  if (missing.length > 0 && pool !== undefined) missing = takeSpares(pool, missing);
  if (missing.length > 0) {
    // Spares are made in a directory of this call's own, then renamed into the pool: a spare taken
    // by another start while mkfifo still sets its mode would make this mkfifo fail.
    const making =
      pool === undefined ? undefined : path.join(pool, `.making-${randomBytes(8).toString("hex")}`);
    const spares: string[] = [];
    if (making !== undefined) {
      mkdirSync(making, { recursive: true, mode: 0o700 });
      for (let i = 0; i < POOL_BATCH; i++)
        spares.push(path.join(making, `spare-${randomBytes(8).toString("hex")}`));
    }
    try {
      await run(MKFIFO_PATH, ["-m", "600", ...missing, ...spares], { timeout: 10_000 });
    } catch (error) {
      throw new ApiError(`cannot make the stdio FIFOs in ${bundle}: ${(error as Error).message}`);
    } finally {
      if (making !== undefined && pool !== undefined) {
        for (const spare of spares) {
          try {
            renameSync(spare, path.join(pool, path.basename(spare)));
          } catch {
            // Not made.
          }
        }
        rmSync(making, { recursive: true, force: true });
      }
    }
  }
  return fifos;
}

/** The container's ends, read-write (opening never blocks: an O_RDWR FIFO has its own reader); libuv sets O_CLOEXEC. */
export function openContainerEnds(fifos: StdioFifos): { stdout: number; stderr: number; close(): void } {
  const stdout = openSync(fifos.stdout, constants.O_RDWR);
  let stderr: number;
  try {
    stderr = openSync(fifos.stderr, constants.O_RDWR);
  } catch (error) {
    closeSync(stdout);
    throw error;
  }
  return {
    stdout,
    stderr,
    close: () => {
      for (const fd of [stdout, stderr]) {
        try {
          closeSync(fd);
        } catch {
          // Closed already.
        }
      }
    },
  };
}

export function removeStdioFifos(bundle: string): void {
  for (const file of Object.values(stdioFifos(bundle))) rmSync(file, { force: true });
}
