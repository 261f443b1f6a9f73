/**
 * `runc start` of a created container without a runc process: what runc 1.x's start does
 * (libcontainer/container_linux.go `exec`), done here. A created container's init waits, blocked
 * opening `<runc root>/<id>/exec.fifo` for writing, until someone opens it for reading; it then
 * writes one byte and execs the process (its end closes on exec). runc start reads that byte to
 * EOF and removes the FIFO (runc reads "created" from the FIFO's presence, "running" from its
 * absence). A runc process costs ~10 ms of its own and more on a busy machine (a Go runtime
 * starting); this costs a few reads.
 *
 * The FIFO is opened non-blocking, so a dead init cannot hang the caller: a read gives EAGAIN while
 * a writer holds it with nothing written, 0 while no writer has opened it yet (or after the exec),
 * the byte once written. Bounded in time; an init gone before it wrote is runc's "container process
 * is already dead". Without the FIFO (another runtime, another version) the caller runs `runc start`.
 */
import { closeSync, constants, openSync, readSync, unlinkSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "../../errors.js";
import { stillRuns } from "./lock.js";
import { errnoCode } from "../../../errno.js";

const EXEC_FIFO = "exec.fifo";

/** Starts the created container `id`; false when there is no exec FIFO (nothing was done). */
export async function startCreated(
  runcRoot: string,
  id: string,
  init: { readonly pid: number; readonly start?: string | undefined },
  timeoutMs = 10_000,
): Promise<boolean> {
  const fifo = path.join(runcRoot, id, EXEC_FIFO);
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const buffer = Buffer.alloc(16);
    const deadline = Date.now() + timeoutMs;
    let read = 0;
    for (let i = 0; ; i++) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if (errnoCode(error) !== "EAGAIN") throw error;
        n = -1; // a writer, nothing written yet
      }
      if (n > 0) {
        read += n;
        continue;
      }
      // EOF after the byte: the init has exec'd its process.
      if (n === 0 && read > 0) break;
      if (n === 0 && !stillRuns({ pid: init.pid, start: init.start })) {
        throw new ApiError(`cannot start container ${id}: its process is already dead`);
      }
      if (Date.now() >= deadline) {
        throw new ApiError(`cannot start container ${id}: its process did not start within ${timeoutMs} ms`);
      }
      await sleep(i < 50 ? 1 : 10);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
  return true;
}
