/**
 * attach to a container's main process, whose stdio conmon holds:
 * - output is read from conmon's k8s-file log as it grows (from its start with `logs: true`,
 *   else from its end), so stdout and stderr stay apart and nothing printed before the attach
 *   is lost when asked for; a log truncated in place (`--log-size-max`) or replaced (rotation)
 *   is read again from its start;
 * - stdin goes through conmon's attach socket (SOCK_SEQPACKET, attach-socket.ts); the socket's
 *   end also says that conmon, and so the container, is done, after which the log is read to
 *   its end and the output ends;
 * - resize writes `1 H W` to conmon's ctl FIFO for a TTY container.
 * Without a socket to connect to, the end is when the main process is gone.
 * A container with FIFO stdio (docs/native-monitor.md: no tty, no stdin_open) has no attach socket
 * and a log written by the log drainer: its end is when the main process is gone and its bundle
 * is marked drained (bounded: the command re-attached the drainer before); stdin is not connected, as
 * Docker connects none to a container without `OpenStdin`.
 */
import { type FileHandle, open, stat } from "node:fs/promises";
import path from "node:path";
import { ApiError, ConflictError } from "../../errors.js";
import type { AttachOptions, StreamSession } from "../../runtime.js";
import { readDrainSpec } from "../monitor/drain-spec.js";
import { DRAIN_WAIT_MS, drainPending } from "../monitor/drained.js";
import { type AttachConnection, connectAttach } from "./attach-socket.js";
import { ChunkQueue } from "./chunk-queue.js";
import { resizeTerminal } from "./ctl.js";
import { alive, isFrozen } from "./freezer.js";
import type { ProcessHandle } from "./handle.js";
import { splitLogRecords } from "./k8s-log.js";
import { streamSession } from "./session.js";

const POLL_MS = 50;
const READ_SIZE = 256 * 1024;

/**
 * Follows a growing log file from an offset. The file is held open: a container removed as soon as
 * it exits (`--rm`) unlinks its log, and what the process printed last is still read from the file
 * held. A file truncated in place is read again from its start; a new file at the path (rotation)
 * is read from its start once the one held is read to its end.
 */
class LogFollower {
  private offset = 0;
  private held: FileHandle | undefined;
  private inode: number | undefined;
  private rest: Buffer = Buffer.alloc(0);

  constructor(
    private readonly file: string,
    private readonly onRecord: (stream: "stdout" | "stderr", data: Buffer) => void,
  ) {}

  /** Starts at the log's current end (what was written before is not replayed). */
  async skipToEnd(): Promise<void> {
    const held = await this.open();
    this.offset = held === undefined ? 0 : (await held.stat()).size;
  }

  /** The file held, opened at the path when none is held yet (undefined while there is none). */
  async open(): Promise<FileHandle | undefined> {
    if (this.held !== undefined) return this.held;
    this.held = await open(this.file, "r").catch(() => undefined);
    this.inode = this.held === undefined ? undefined : (await this.held.stat()).ino;
    return this.held;
  }

  /** Reads up to one buffer of what was appended; true when it reached the end of the file. */
  async poll(): Promise<boolean> {
    const held = await this.open();
    if (held === undefined) return true;
    const size = (await held.stat()).size;
    if (size < this.offset) {
      this.offset = 0;
      this.rest = Buffer.alloc(0);
    }
    if (size === this.offset) {
      const current = await stat(this.file).catch(() => undefined);
      if (current === undefined || current.ino === this.inode) return true;
      // Rotated: the file held is read to its end; the new one is read from its start.
      await this.close();
      this.offset = 0;
      this.rest = Buffer.alloc(0);
      return false;
    }
    const buffer = Buffer.alloc(READ_SIZE);
    const { bytesRead } = await held.read(buffer, 0, READ_SIZE, this.offset);
    this.offset += bytesRead;
    const { records, rest } = splitLogRecords(Buffer.concat([this.rest, buffer.subarray(0, bytesRead)]));
    this.rest = rest;
    for (const record of records) this.onRecord(record.stream, record.data);
    return bytesRead < READ_SIZE && this.offset >= size;
  }

  async close(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    await held?.close().catch(() => undefined);
  }
}

export async function attach(handle: ProcessHandle, options: AttachOptions = {}): Promise<StreamSession> {
  const logPath = handle.logPath;
  if (logPath === undefined) throw new ApiError(`container ${handle.id} has no log to attach to`);
  const fifoStdio = handle.bundle !== undefined && readDrainSpec(handle.bundle) !== undefined;
  const socketPath = fifoStdio
    ? undefined
    : (handle.attachSocket ?? (handle.bundle !== undefined ? path.join(handle.bundle, "attach") : undefined));
  if (options.stdin === true && socketPath === undefined && !fifoStdio) {
    throw new ApiError(`container ${handle.id} has no attach socket for stdin`);
  }

  if (await isFrozen(handle.cgroupPaths)) {
    throw new ConflictError(`container ${handle.id} is paused, unpause the container before attach`);
  }
  const output = new ChunkQueue();
  const follower = new LogFollower(logPath, (stream, data) => output.push(stream, data));
  // Held from here on, before the process can end and its removal unlink the log.
  if (options.logs !== true) await follower.skipToEnd();
  else await follower.open();

  let closed = false;
  let monitorDone = false;
  let connection: AttachConnection | undefined;
  try {
    if (socketPath !== undefined && (await alive(handle.pid))) {
      connection = await connectAttach(
        socketPath,
        () => undefined, // the output is read from the log, which keeps what came before too
        () => {
          monitorDone = true;
        },
      ).catch(async (error: unknown) => {
        // A process already gone reads no input: its output is in the log, its end told by the pid.
        if (options.stdin === true && (await alive(handle.pid))) throw error;
        return undefined; // only the end would have come through it: the pid tells that too
      });
    }
  } catch (error) {
    await follower.close();
    throw error;
  }

  let drainDeadline: number | undefined;
  /** FIFO stdio: the drainer has put the run's last output in the log (bounded once the process is gone). */
  const drained = (): boolean => {
    if (!fifoStdio || handle.bundle === undefined || !drainPending(handle.bundle)) return true;
    drainDeadline ??= Date.now() + DRAIN_WAIT_MS;
    return Date.now() >= drainDeadline;
  };
  const isOver = async (): Promise<boolean> =>
    connection !== undefined ? monitorDone : !(await alive(handle.pid)) && drained();
  const follow = async (): Promise<void> => {
    try {
      await followToEnd();
    } finally {
      await follower.close();
    }
  };
  const followToEnd = async (): Promise<void> => {
    for (;;) {
      if (closed) return;
      // conmon has written the whole log before it exits: once it has, the end of the file is the end.
      const over = await isOver();
      // A reader behind by more than the queue's high-water mark: the log waits on disk meanwhile.
      const atEnd = output.full ? false : await follower.poll();
      if (atEnd && over) {
        output.end();
        return;
      }
      if (atEnd || output.full) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  follow().catch((error: unknown) => output.fail(error instanceof Error ? error : new Error(String(error))));

  return streamSession({
    output,
    stdin: options.stdin === true ? connection?.stdin : undefined,
    resize: async (size) => {
      if (!handle.tty || handle.bundle === undefined) return;
      await resizeTerminal(handle.bundle, size);
    },
    release: () => {
      closed = true;
      connection?.destroy();
    },
    signal: options.signal,
  });
}
