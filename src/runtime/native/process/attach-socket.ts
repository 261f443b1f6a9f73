/**
 * A client of conmon's attach socket (`<bundle>/attach`). The socket is SOCK_SEQPACKET, which
 * Node's `net` cannot connect to (EPROTOTYPE), so node-unix-socket does. The protocol (conmon's
 * src/conn_sock.c, src/ctr_stdio.c): each message from conmon is one read of the container's
 * output, its first byte naming the stream (2 stdout, 3 stderr; a TTY's output is stdout); what
 * the client sends is raw input, read by conmon in messages of at most 32 KiB (a longer message
 * would be cut, so input is sent in pieces); shutting down the write side closes the process's
 * stdin (conmon runs without `--leave-stdin-open`).
 *
 * node-unix-socket is loaded on the first attach: its loader asks `process.report` for the libc,
 * ~10 ms of CPU that every native command would pay otherwise.
 */
import { Writable } from "node:stream";
import { ApiError } from "../../errors.js";
import type { OutputChunk } from "../../runtime.js";

/** conmon's CONN_SOCK_BUF_SIZE: the longest input message it reads whole. */
const INPUT_PIECE = 32 * 1024;
/** conmon's messages are one read of STDIO_BUF_SIZE (8 KiB) plus the stream byte. */
const READ_BUFFER = 64 * 1024;

const STREAMS: Readonly<Record<number, OutputChunk["stream"]>> = { 2: "stdout", 3: "stderr" };

export interface AttachConnection {
  /** The process's stdin: `end()` shuts down the write side, so the process sees EOF. */
  readonly stdin: Writable;
  /** Resolves when conmon closes its side (the process's output has ended) or on `destroy`. */
  readonly closed: Promise<void>;
  destroy(): void;
}

/**
 * Connects to `socketPath`; `onOutput` gets each output message, `onEnd` the end of the output
 * (once, also after `destroy`), with an error when the connection failed after it was made.
 */
export async function connectAttach(
  socketPath: string,
  onOutput: (chunk: OutputChunk) => void,
  onEnd: (error?: Error) => void,
): Promise<AttachConnection> {
  const { SeqpacketSocket } = await import("node-unix-socket");
  return new Promise((resolve, reject) => {
    const socket = new SeqpacketSocket();
    socket.setInternalReadBufferSize(READ_BUFFER);
    let connected = false;
    let ended = false;
    let markClosed!: () => void;
    const closed = new Promise<void>((done) => {
      markClosed = done;
    });
    const finish = (error?: Error): void => {
      if (ended) return;
      ended = true;
      markClosed();
      onEnd(error);
    };
    socket.on("data", (message: Buffer) => {
      if (message.length < 1) return;
      const stream = STREAMS[message[0] ?? 0];
      if (stream !== undefined) onOutput({ stream, data: Uint8Array.prototype.slice.call(message, 1) });
    });
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (error: Error) => {
      if (!connected) {
        reject(new ApiError(`cannot attach to ${socketPath}: ${error.message}`));
        return;
      }
      finish(error);
    });

    const stdin = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        let offset = 0;
        const next = (): void => {
          if (offset >= chunk.length) {
            callback();
            return;
          }
          const length = Math.min(INPUT_PIECE, chunk.length - offset);
          const start = offset;
          offset += length;
          try {
            socket.write(chunk, start, length, next);
          } catch (error) {
            callback(error instanceof Error ? error : new Error(String(error)));
          }
        };
        next();
      },
      final(callback) {
        try {
          socket.end(() => callback());
        } catch (error) {
          callback(error instanceof Error ? error : new Error(String(error)));
        }
      },
    });

    try {
      socket.connect(socketPath, () => {
        connected = true;
        resolve({
          stdin,
          closed,
          destroy() {
            try {
              socket.destroy();
            } catch {
              // Already gone.
            }
            finish();
          },
        });
      });
    } catch (error) {
      reject(
        new ApiError(
          `cannot attach to ${socketPath}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  });
}
