/**
 * Reading a container's log as the monitor writes it (conmon's k8s-file format):
 * `2026-12-06T13:54:02.304113113+00:00 stdout F text`, `P` marking a partial line (the line goes
 * on in the next entry). Rotated files (`<log>.1` older than the log, `.2` older still) are read
 * oldest first. Partial entries are joined into one LogLine carrying the first part's time.
 */
import { appendFileSync, readdirSync, statSync, watch } from "node:fs";
import path from "node:path";
import type { LogLine, LogOptions } from "../../runtime.js";
import { readFrom } from "../events.js";
import { isRunStart, parseLogRecord, runStartLine } from "../process/k8s-log.js";

/** A log file is read whole at most this far (conmon's default keeps logs far smaller). */
const LOG_READ_MAX = 512 * 1024 * 1024;

export interface LogEntry {
  readonly timestamp: string;
  readonly time: Date;
  readonly stream: "stdout" | "stderr";
  readonly partial: boolean;
  readonly text: string;
}

/** One line of a k8s-file log (parsed by process/k8s-log.ts); undefined for a line that is not one. */
export function parseLogEntry(line: string): LogEntry | undefined {
  const record = parseLogRecord(Buffer.from(line));
  if (record === undefined) return undefined;
  const time = new Date(record.timestamp);
  if (Number.isNaN(time.getTime())) return undefined;
  // A full line's record holds its restored newline: the entry's text is without it.
  const text = (record.partial ? record.data : record.data.subarray(0, -1)).toString("utf8");
  return {
    timestamp: normalizeTimestamp(record.timestamp),
    time,
    stream: record.stream,
    partial: record.partial,
    text,
  };
}

/** conmon writes `+00:00`; Docker's `logs -t` prints `Z`. Keeps the nanoseconds. */
export function normalizeTimestamp(timestamp: string): string {
  return timestamp.replace(/\+00:00$/, "Z");
}

/**
 * A whole line without the CR before its newline, as Docker's logs give it (a TTY ends lines with
 * CRLF); a line the process left unterminated keeps its bytes.
 */
function withoutCr(entry: LogEntry): LogEntry {
  return entry.text.endsWith("\r") ? { ...entry, text: entry.text.slice(0, -1) } : entry;
}

/** Joins partial entries: each result is one whole line (or a final partial one, as it is). */
export class LineJoiner {
  private readonly open = new Map<"stdout" | "stderr", { first: LogEntry; text: string }>();

  push(entry: LogEntry): LogEntry | undefined {
    const started = this.open.get(entry.stream);
    if (entry.partial) {
      if (started) started.text += entry.text;
      else this.open.set(entry.stream, { first: entry, text: entry.text });
      return undefined;
    }
    if (!started) return withoutCr(entry);
    this.open.delete(entry.stream);
    return withoutCr({ ...started.first, partial: false, text: started.text + entry.text });
  }

  /** What is left open (a process that ended mid-line, or a run that ended so). */
  flush(): LogEntry[] {
    const left = [...this.open.values()].map((o) => ({ ...o.first, text: o.text }));
    this.open.clear();
    return left;
  }
}

/**
 * Marks where a run begins, before its monitor opens the log (conmon appends to it): what the last
 * run left unterminated is a line of its own, as Docker ends a run's partial line at its end.
 */
export function markRunStart(log: string, time = new Date()): void {
  appendFileSync(log, runStartLine(time), { mode: 0o600 });
}

/** The whole entries one line of the log completes (a run's start ends the lines left open). */
function consume(line: string, joiner: LineJoiner): LogEntry[] {
  if (isRunStart(line)) return joiner.flush();
  const entry = parseLogEntry(line);
  const joined = entry === undefined ? undefined : joiner.push(entry);
  return joined === undefined ? [] : [joined];
}

/** The log's files, oldest first: `<log>.N` … `<log>.1`, then `<log>`. */
export function logFiles(log: string): string[] {
  const dir = path.dirname(log);
  const base = path.basename(log);
  let rotated: number[] = [];
  try {
    rotated = readdirSync(dir)
      .map((name) => (name.startsWith(`${base}.`) ? Number(name.slice(base.length + 1)) : NaN))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
  rotated.sort((a, b) => b - a);
  return [...rotated.map((n) => `${log}.${n}`), log];
}

function toLine(entry: LogEntry, timestamps: boolean): LogLine {
  return timestamps
    ? { stream: entry.stream, line: entry.text, time: entry.time, timestamp: entry.timestamp }
    : { stream: entry.stream, line: entry.text };
}

function wanted(entry: LogEntry, options: LogOptions): boolean {
  if (entry.stream === "stdout" && options.stdout === false) return false;
  if (entry.stream === "stderr" && options.stderr === false) return false;
  if (options.since && entry.time < options.since) return false;
  if (options.until && entry.time > options.until) return false;
  return true;
}

function size(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

export interface FollowSource {
  /** True while the container may still write (it runs, or its monitor has not finished). */
  running(): Promise<boolean>;
}

/**
 * The log's lines per `options`. With `follow`, goes on reading as the monitor writes, until the
 * container has stopped and everything it wrote was read, or the signal aborts.
 */
export async function* readLog(
  log: string,
  options: LogOptions,
  source?: FollowSource,
): AsyncGenerator<LogLine> {
  const timestamps = options.timestamps === true;
  const joiner = new LineJoiner();
  const whole: LogEntry[] = [];
  // The written part first (tail counts whole lines of the wanted streams, from the end).
  let offset = 0;
  let pending: Buffer = Buffer.alloc(0);
  for (const file of logFiles(log)) {
    const read = readFrom(file, 0, LOG_READ_MAX);
    let bytes = read.bytes;
    if (file === log) {
      // Bytes after the last newline belong to an entry being written: follow reads them later.
      offset = read.offset;
      const end = bytes.lastIndexOf(10);
      pending = bytes.subarray(end + 1);
      bytes = bytes.subarray(0, end + 1);
    }
    for (const line of bytes.toString("utf8").split("\n"))
      for (const entry of consume(line, joiner)) if (wanted(entry, options)) whole.push(entry);
  }
  const following = options.follow === true && source !== undefined;
  // Not following: a line the process left unfinished is the last line (and counts for tail).
  if (!following) for (const entry of joiner.flush()) if (wanted(entry, options)) whole.push(entry);
  const tail = options.tail;
  const first = tail === undefined || tail < 0 ? whole : tail === 0 ? [] : whole.slice(-tail);
  for (const entry of first) {
    if (options.signal?.aborted) return;
    yield toLine(entry, timestamps);
  }
  if (following) yield* follow(log, offset, pending, joiner, options, source);
}

async function* follow(
  log: string,
  start: number,
  leftover: Buffer,
  joiner: LineJoiner,
  options: LogOptions,
  source: FollowSource,
): AsyncGenerator<LogLine> {
  const timestamps = options.timestamps === true;
  const signal = options.signal;
  let offset = start;
  let pending: Buffer = leftover;
  let wake: (() => void) | undefined;
  const nudge = (): void => wake?.();
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path.dirname(log), { persistent: false }, nudge);
    watcher.on("error", () => undefined);
  } catch {
    watcher = undefined;
  }
  signal?.addEventListener("abort", nudge, { once: true });
  try {
    for (let finalRead = false; ;) {
      if (signal?.aborted) return;
      const current = size(log);
      // Rotated (or truncated in place by --log-size-max): start the new file from its beginning.
      if (current !== undefined && current < offset) offset = 0;
      const read = readFrom(log, offset);
      offset = read.offset;
      pending = Buffer.concat([pending, read.bytes]);
      const end = pending.lastIndexOf(10);
      if (end >= 0) {
        const text = pending.subarray(0, end).toString("utf8");
        pending = pending.subarray(end + 1);
        for (const line of text.split("\n")) {
          for (const entry of consume(line, joiner))
            if (wanted(entry, options)) yield toLine(entry, timestamps);
          if (signal?.aborted) return;
        }
      }
      if (options.until && Date.now() > options.until.getTime()) return;
      if (finalRead) break;
      if (!(await source.running())) {
        // One more read: what the monitor wrote between the last read and the exit.
        finalRead = true;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    for (const entry of joiner.flush()) if (wanted(entry, options)) yield toLine(entry, timestamps);
  } finally {
    watcher?.close();
    signal?.removeEventListener("abort", nudge);
  }
}
