/**
 * conmon's k8s-file log, one record per line: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`. `F`
 * ends a line of output (its newline was dropped), `P` is part of a longer one (conmon splits at
 * its buffer size and at a process's partial writes). Parsed as bytes: output need not be UTF-8.
 */
import type { OutputChunk } from "../../runtime.js";

export interface LogRecord {
  readonly timestamp: string;
  readonly stream: OutputChunk["stream"];
  readonly partial: boolean;
  /** The output the record holds, with its newline restored when the line was full. */
  readonly data: Buffer;
}

const SPACE = 0x20;
const NEWLINE = Buffer.from("\n");

/** One record (a log line without its newline); undefined for a line that is not one. */
export function parseLogRecord(line: Buffer): LogRecord | undefined {
  const first = line.indexOf(SPACE);
  const second = first < 0 ? -1 : line.indexOf(SPACE, first + 1);
  if (second < 0) return undefined;
  const stream = line.subarray(first + 1, second).toString("latin1");
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const tag = line.subarray(second + 1, second + 2).toString("latin1");
  if (tag !== "F" && tag !== "P") return undefined;
  // The text follows one space; an empty full line is written as `… F` with nothing after it.
  const text = line.subarray(Math.min(line.length, second + 3));
  return {
    timestamp: line.subarray(0, first).toString("latin1"),
    stream,
    partial: tag === "P",
    data: tag === "F" ? Buffer.concat([text, NEWLINE]) : Buffer.from(text),
  };
}

/**
 * The line berth appends to a container's log before each run's monitor starts: conmon carries a
 * run's unterminated last line on as a `P` record that the next run's records would continue, and
 * the log holds no other sign of where a run ends. It has no stream, so it is not a record (readers
 * of records skip it); the reader of lines ends an open partial line there.
 */
const RUN_START = "berth run-start";

export function runStartLine(time: Date): string {
  return `${time.toISOString()} ${RUN_START}\n`;
}

/** Whether a log line (without its newline) is the mark of a run's start. */
export function isRunStart(line: Buffer | string): boolean {
  const text = typeof line === "string" ? line : line.toString("latin1");
  const space = text.indexOf(" ");
  return space > 0 && text.slice(space + 1) === RUN_START;
}

/**
 * Splits what was read from the log into records; the bytes after the last newline (a record
 * conmon is still writing) are returned as `rest`, to be prefixed to the next read.
 */
export function splitLogRecords(bytes: Buffer): { records: LogRecord[]; rest: Buffer } {
  const records: LogRecord[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a, start); end >= 0; end = bytes.indexOf(0x0a, start)) {
    const record = parseLogRecord(bytes.subarray(start, end));
    if (record !== undefined) records.push(record);
    start = end + 1;
  }
  return { records, rest: Buffer.from(bytes.subarray(start)) };
}
