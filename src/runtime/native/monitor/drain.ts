/**
 * Drains one run's stdout and stderr FIFOs into its k8s-file log, in this process. Each FIFO is
 * opened O_RDONLY | O_NONBLOCK (never for writing: the drain must see EOF when the container's
 * processes are gone) and read through a libuv pipe handle (net.Socket), so many containers share
 * one event loop and no thread-pool thread blocks on a FIFO. Each read goes to the log in one
 * append before the next is taken, so a drainer killed between two reads loses nothing and the
 * next one, reading where the pipe is, repeats nothing; what a kill can lose is the one read in
 * flight (at most 64 KiB, read but not yet appended).
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from "node:fs";
import net from "node:net";
import { shiftRotatedLogs } from "../containers/log-rotation.js";
import { drainedRun, drainingRun, type DrainSpec, markDrained, markDraining } from "./drain-spec.js";
import { stdioFifos } from "./fifos.js";
import { k8sRecords, monotonicStamps, type StreamName } from "./k8s-format.js";
import { errnoCode } from "../../../errno.js";

export interface Drain {
  /** Settles once both streams ended (then the drained marker is written) or `stop` was called. */
  readonly done: Promise<void>;
  stop(): void;
}

/** Stamps that never go back (./k8s-format.ts monotonicStamps), one clock per drainer process. */
const now = monotonicStamps();

/**
 * The log, appended to. The starter made it (its run-start mark); only a rotation creates one: a
 * drain taken up while the container is being removed must not add a file to its directory (the
 * removal would fail with ENOTEMPTY).
 */
function openLog(file: string, create = false): number {
  const flags = constants.O_WRONLY | constants.O_APPEND | (create ? constants.O_CREAT : 0);
  return openSync(file, flags, 0o600);
}

/**
 * Reads what a FIFO holds now (bounded): "eof" when it is empty and has no writer (the run is
 * over), "open" when a writer may still write (the read would block).
 */
function readNow(fd: number, onData: (chunk: Buffer) => void): "eof" | "open" {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let i = 0; i < 64; i++) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if (errnoCode(error) === "EAGAIN") return "open";
      throw error;
    }
    if (n === 0) return "eof";
    onData(Buffer.from(buffer.subarray(0, n)));
  }
  return "open";
}

export function drainBundle(bundle: string, spec: DrainSpec): Drain {
  let log = openLog(spec.logPath);
  const { maxSize } = spec;
  const maxFiles = spec.maxFiles ?? 1;
  /** Before an append: `max-size` reached, one file truncates, more rotate (Docker's json-file). */
  const limit = (): void => {
    if (maxSize === undefined || fstatSync(log).size < maxSize) return;
    if (maxFiles <= 1) ftruncateSync(log, 0);
    else {
      // The drainer writes the log itself, so it rotates and reopens it (no monitor to tell).
      shiftRotatedLogs(spec.logPath, maxFiles);
      renameSync(spec.logPath, `${spec.logPath}.1`);
      closeSync(log);
      log = openLog(spec.logPath, true);
    }
  };
  const fifos = stdioFifos(bundle);
  const sockets: net.Socket[] = [];
  let opened = 0;
  let stopped = false;
  const ended = (Object.keys(fifos) as StreamName[]).map((stream) => {
    let fd: number;
    try {
      fd = openSync(fifos[stream], constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      // No FIFO (the container was removed): nothing to drain.
      return Promise.resolve();
    }
    opened++;
    const append = (chunk: Buffer): void => {
      try {
        limit();
        writeSync(log, k8sRecords(stream, chunk, now()));
      } catch (error) {
        // The container's directory removed under a last read (or a full disk): the drainer,
        // which serves every container, goes on.
        process.stderr.write(`cannot log output of ${bundle}: ${(error as Error).message}\n`);
      }
    };
    // A FIFO opened after its run's last writer closed never signals its end through epoll (Linux
    // suppresses EPOLLHUP for a non-blocking reader that has seen no writer): read it now.
    if (readNow(fd, append) === "eof") {
      closeSync(fd);
      return Promise.resolve();
    }
    const socket = new net.Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
    sockets.push(socket);
    socket.on("data", append);
    return new Promise<void>((resolve) => {
      socket.on("end", resolve);
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
  });
  // The starter holds the FIFOs open until a drainer has them (./hold.ts): this one has them now.
  if (opened > 0 && drainingRun(bundle) !== spec.pid) markDraining(bundle, spec.pid);
  const done = Promise.all(ended).then(() => {
    for (const socket of sockets) socket.destroy();
    closeSync(log);
    // A stop (the drainer is exiting) is not an end: the next drainer goes on from here.
    if (!stopped && drainedRun(bundle) !== spec.pid) markDrained(bundle, spec.pid);
  });
  return {
    done,
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
