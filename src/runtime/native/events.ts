/**
 * The native runtime's events: one append-only JSON-lines file (`paths.events`), written by whoever
 * sees an event (the command that creates, starts or removes; the one that first finds an exit
 * file), read by any number of readers that tail it. Each event is one `write` with O_APPEND, so
 * lines from several processes never interleave.
 *
 * A reader reads from the start (for `since`) or from the end, then follows the file through
 * fs.watch plus a bounded poll (a watch can miss writes made by other processes on some
 * filesystems), until `until` passes or its signal aborts.
 */
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  watch,
} from "node:fs";
import path from "node:path";
import type { EventFilter, Labels, RuntimeEvent } from "../runtime.js";
import type { NativePaths } from "./paths.js";

/** An event as stored: the RuntimeEvent with its time as text. */
type StoredEvent = Omit<RuntimeEvent, "time"> & { readonly time: string };

/** The log is started afresh past this size, the previous one kept as `<events>.1`. */
export const EVENTS_MAX_BYTES = 8 * 1024 * 1024;

export function appendEvent(paths: NativePaths, event: RuntimeEvent, maxBytes = EVENTS_MAX_BYTES): void {
  const stored = { ...event, time: event.time.toISOString() } as StoredEvent;
  mkdirSync(path.dirname(paths.events), { recursive: true });
  try {
    // Two writers may both rotate: the second renames a nearly empty log over the first's .1, losing
    // at most the few events written between (Docker keeps no more than its last 256 either).
    if (statSync(paths.events).size >= maxBytes) renameSync(paths.events, `${paths.events}.1`);
  } catch {
    // No log yet.
  }
  appendFileSync(paths.events, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
}

export function parseEvent(line: string): RuntimeEvent | undefined {
  try {
    const stored = JSON.parse(line) as StoredEvent;
    if (typeof stored.id !== "string" || typeof stored.action !== "string") return undefined;
    return { ...stored, time: new Date(stored.time) } as RuntimeEvent;
  } catch {
    return undefined;
  }
}

/** Whether labels answer every term (`key` present, or `key=value`). */
export function matchesLabels(labels: Labels, terms: readonly string[] | undefined): boolean {
  for (const term of terms ?? []) {
    const eq = term.indexOf("=");
    if (eq < 0) {
      if (!(term in labels)) return false;
    } else if (labels[term.slice(0, eq)] !== term.slice(eq + 1)) {
      return false;
    }
  }
  return true;
}

export function matchesFilter(event: RuntimeEvent, filter: EventFilter): boolean {
  if (filter.types && filter.types.length > 0 && !(filter.types as readonly string[]).includes(event.type)) {
    return false;
  }
  if (filter.since && event.time < filter.since) return false;
  if (filter.until && event.time > filter.until) return false;
  return matchesLabels(event.attributes, filter.labels);
}

export interface FollowOptions {
  /** Called on each poll tick (e.g. to collect exits nobody has seen yet), at most every pollMs. */
  readonly onTick?: (() => Promise<void>) | undefined;
  readonly pollMs?: number | undefined;
}

/**
 * The events matching `filter`: those since `filter.since` already written, then new ones as they
 * come, until `filter.until` or the signal. Without `since`, only events from now on.
 */
export async function* readEvents(
  paths: NativePaths,
  filter: EventFilter = {},
  signal?: AbortSignal,
  options: FollowOptions = {},
): AsyncGenerator<RuntimeEvent> {
  const pollMs = options.pollMs ?? 200;
  mkdirSync(path.dirname(paths.events), { recursive: true });
  let offset = 0;
  /** The inode of the log being read: another one means the log was started afresh. */
  let reading = statOf(paths.events).inode;
  if (filter.since === undefined) {
    try {
      offset = statSync(paths.events).size;
    } catch {
      offset = 0;
    }
  }
  // Bytes after the last newline: a line another process is writing now.
  let pending: Buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    wake?.();
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path.dirname(paths.events), { persistent: false }, nudge);
    watcher.on("error", () => undefined);
  } catch {
    watcher = undefined;
  }
  signal?.addEventListener("abort", nudge, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) return;
      // Started afresh by a writer (see appendEvent): read the new log from its start.
      // (Another inode, or, as inode numbers are reused, a file shorter than what was read of it.)
      const { inode, size } = statOf(paths.events);
      if (inode !== undefined && ((reading !== undefined && inode !== reading) || size < offset)) {
        offset = 0;
        pending = Buffer.alloc(0);
      }
      reading = inode ?? reading;
      const read = readFrom(paths.events, offset);
      offset = read.offset;
      pending = Buffer.concat([pending, read.bytes]);
      const end = pending.lastIndexOf(10);
      const complete = end < 0 ? "" : pending.subarray(0, end).toString("utf8");
      pending = end < 0 ? pending : pending.subarray(end + 1);
      for (const line of complete.split("\n")) {
        const event = parseEvent(line);
        if (event === undefined || !matchesFilter(event, filter)) continue;
        yield event;
        if (signal?.aborted) return;
      }
      if (filter.until !== undefined && Date.now() > filter.until.getTime()) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (signal?.aborted) return;
      await options.onTick?.();
    }
  } finally {
    watcher?.close();
    signal?.removeEventListener("abort", nudge);
  }
}

function statOf(file: string): { inode: number | undefined; size: number } {
  try {
    const stat = statSync(file);
    return { inode: stat.ino, size: stat.size };
  } catch {
    return { inode: undefined, size: 0 };
  }
}

/**
 * The bytes of `file` from `offset` to its end now, at most `maxBytes` (the caller reads on from the
 * offset returned); none when the file does not exist.
 */
export function readFrom(
  file: string,
  offset: number,
  maxBytes = 64 * 1024 * 1024,
): { bytes: Buffer; offset: number } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { bytes: Buffer.alloc(0), offset };
  }
  try {
    const chunks: Buffer[] = [];
    let position = offset;
    for (let i = 0; i < Math.ceil(maxBytes / (256 * 1024)); i++) {
      const buffer = Buffer.alloc(256 * 1024);
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      chunks.push(buffer.subarray(0, n));
      position += n;
    }
    return { bytes: Buffer.concat(chunks), offset: position };
  } finally {
    closeSync(fd);
  }
}

/** The exit code in the newest `die` event of container `id` (the log's last MiB is read). */
export function lastExitCode(paths: NativePaths, id: string): number | undefined {
  let size = 0;
  try {
    size = statSync(paths.events).size;
  } catch {
    return undefined;
  }
  const start = Math.max(0, size - 1024 * 1024);
  const lines = readFrom(paths.events, start).bytes.toString("utf8").split("\n").reverse();
  for (const line of lines) {
    if (!line.includes(id)) continue;
    const event = parseEvent(line);
    if (event?.id === id && event.action === "die") return event.exitCode;
  }
  return undefined;
}
