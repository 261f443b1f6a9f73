/**
 * The one way the loader reads a file (compose files, `.env` and `env_file`/`label_file` files,
 * standard input): never more than MAX_FILE_BYTES. Compose reads whatever it is named, a device
 * or a pipe included (`-f <(cat compose.yaml)`, `-f /dev/stdin`), and so does berth, but a source
 * that does not end (`/dev/zero`, `yes | berth -f - config`) or a file that grows while it is read
 * stops at the bound with a clear error instead of filling memory.
 */
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { LoadError } from "../errors.js";

/** A compose or env file larger than this is refused: real files are a few hundred KiB. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

const MIB = 1024 * 1024;
/** Bytes asked for per read from a source of unknown size (a pipe or a device). */
const CHUNK = 64 * 1024;

/** Why a file could not be opened, as a phrase after its name ("env file x.env not found"). */
const OPEN_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: "not found",
  ENOTDIR: "not found",
  EISDIR: "is a directory",
  ELOOP: "is a symlink loop",
  EACCES: "is not readable (permission denied)",
  EPERM: "is not readable (permission denied)",
  ENXIO: "cannot be opened (a socket, or a device with nothing behind it)",
};

/** 8 MiB, 64 KiB, 100 bytes. */
function sizeText(bytes: number): string {
  if (bytes % MIB === 0) return `${bytes / MIB} MiB`;
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function tooLarge(display: string, limit: number, regular: boolean): LoadError {
  return new LoadError(
    `file is larger than ${sizeText(limit)}`,
    { file: display, line: 1, col: 1 },
    "",
    regular
      ? {}
      : {
          hint: `${display === "-" ? "standard input" : display} is not a regular file; berth reads at most ${sizeText(limit)} from it`,
        },
  );
}

/**
 * The bytes of `file` (an absolute path), at most `limit` of them. `label` names the file in open
 * errors ("env file x.env"), `display` in the size error's location.
 */
export async function readBounded(
  file: string,
  display: string,
  label: string,
  limit = MAX_FILE_BYTES,
): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    throw openFailure(error, label);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new LoadError(`${label} is a directory`);
    const regular = stat.isFile();
    // A regular file's size is known: refuse it before reading. It may still grow meanwhile.
    if (regular && stat.size > limit) throw tooLarge(display, limit, true);
    const chunks: Buffer[] = [];
    let length = 0;
    // A regular file in one read (one byte more, to see whether it grew), anything else in chunks;
    // never more than one byte past the bound.
    let want = regular ? stat.size + 1 : CHUNK;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(want, limit + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > limit) throw tooLarge(display, limit, regular);
      want = CHUNK;
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw openFailure(error, label);
  } finally {
    await handle.close();
  }
}

/**
 * A stream's bytes (standard input for `-f -`), at most `limit`: past it, the stream is destroyed,
 * so that a writer that never ends (`yes | berth -f - config`) gets EPIPE and the process can exit.
 */
export async function readStreamBounded(
  stream: Readable,
  display: string,
  limit = MAX_FILE_BYTES,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(bytes);
    length += bytes.length;
    if (length > limit) {
      stream.destroy();
      throw tooLarge(display, limit, false);
    }
  }
  return Buffer.concat(chunks, length);
}

function openFailure(error: unknown, label: string): LoadError {
  const code = errorCode(error);
  const reason = code === undefined ? undefined : OPEN_FAILURES[code];
  return new LoadError(
    reason ? `${label} ${reason}` : `cannot read ${label}${code ? ` (${code})` : ""}`,
    undefined,
    "",
    { cause: error },
  );
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}
