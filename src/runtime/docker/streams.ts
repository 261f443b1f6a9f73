/**
 * Stream framing for the Docker Engine API: multiplexed stdout/stderr frames, raw TTY streams,
 * log lines, JSON lines (progress, events, stats). Pure functions over `AsyncIterable<Uint8Array>`
 * (a Node Readable is one); bytes may be split anywhere across chunks (runtime-brief A.4).
 *
 * Chunks read from a source are kept (as subarrays, without copying) until the frame or line they
 * belong to is complete, so a source must not reuse a chunk's memory after yielding it. Node
 * streams never do.
 */
import { ApiError } from "../errors.js";
import type {
  HealthStatus,
  LogLine,
  OnProgress,
  OutputChunk,
  PlainEventAction,
  ProgressEvent,
  RuntimeEvent,
  RuntimeObjectType,
  Stats,
} from "../runtime.js";

// --- multiplexed frames -----------------------------------------------------------------------

const HEADER_SIZE = 8;
const STDERR = 2;
const SYSTEMERR = 3;

/**
 * Splits a multiplexed stream (`Tty=false` attach, exec, logs) into its frames: 8-byte header
 * `[type, 0, 0, 0, size (big-endian uint32)]`, then `size` bytes. One chunk per frame, whatever
 * the chunking of the source; a frame that sits inside one source chunk is passed on as a
 * subarray of it. Type 0 (stdin) is reported as stdout; type 3 is the daemon reporting an error,
 * thrown as ApiError; zero-length frames yield nothing.
 */
export async function* demux(source: AsyncIterable<Uint8Array>): AsyncIterable<OutputChunk> {
  const header = new Uint8Array(HEADER_SIZE);
  let headerFill = 0;
  let inFrame = false;
  let type = 0;
  let remaining = 0;
  let parts: Uint8Array[] = [];

  for await (const chunk of source) {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (!inFrame) {
        let bytes: Uint8Array;
        let offset: number;
        if (headerFill === 0 && end - at >= HEADER_SIZE) {
          bytes = chunk;
          offset = at;
          at += HEADER_SIZE;
        } else {
          const take = Math.min(HEADER_SIZE - headerFill, end - at);
          header.set(chunk.subarray(at, at + take), headerFill);
          headerFill += take;
          at += take;
          if (headerFill < HEADER_SIZE) break;
          headerFill = 0;
          bytes = header;
          offset = 0;
        }
        type = bytes[offset] ?? 0;
        if (type > SYSTEMERR) {
          throw new ApiError(`unrecognized stream frame header (stream type ${type})`);
        }
        const size =
          (bytes[offset + 4] ?? 0) * 0x1000000 +
          ((bytes[offset + 5] ?? 0) << 16) +
          ((bytes[offset + 6] ?? 0) << 8) +
          (bytes[offset + 7] ?? 0);
        if (size === 0) {
          if (type === SYSTEMERR) throw systemError(new Uint8Array(0));
          continue;
        }
        inFrame = true;
        remaining = size;
        continue;
      }

      const take = Math.min(remaining, end - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      remaining -= take;
      if (remaining > 0) {
        parts.push(piece);
        continue;
      }
      inFrame = false;
      let payload = piece;
      if (parts.length > 0) {
        parts.push(piece);
        payload = concat(parts);
        parts = [];
      }
      if (type === SYSTEMERR) throw systemError(payload);
      yield { stream: type === STDERR ? "stderr" : "stdout", data: payload };
    }
  }
  if (inFrame || headerFill > 0) throw new ApiError("stream ended inside a frame");
}

function systemError(payload: Uint8Array): ApiError {
  const text = new TextDecoder().decode(payload).replace(/[\r\n]+$/, "");
  return new ApiError(text === "" ? "the engine reported an error in the stream" : text);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A TTY stream (`Tty=true`): raw bytes, all of it stdout. Empty chunks are dropped. */
export async function* raw(source: AsyncIterable<Uint8Array>): AsyncIterable<OutputChunk> {
  for await (const data of source) {
    if (data.length > 0) yield { stream: "stdout", data };
  }
}

// --- lines ------------------------------------------------------------------------------------

/** LF-terminated lines out of text pushed piece by piece; a CR before the LF is dropped. */
class LineBuffer {
  private rest: string[] = [];

  get pending(): boolean {
    return this.rest.length > 0;
  }

  /** The lines `text` completes, in order; an unterminated tail is kept for later. */
  push(text: string): string[] {
    let newline = text.indexOf("\n");
    if (newline < 0) {
      if (text !== "") this.rest.push(text);
      return [];
    }
    const lines: string[] = [];
    let start = 0;
    while (newline >= 0) {
      let line = text.slice(start, newline);
      if (this.rest.length > 0) {
        this.rest.push(line);
        line = this.rest.join("");
        this.rest = [];
      }
      lines.push(line.endsWith("\r") ? line.slice(0, -1) : line);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    if (start < text.length) this.rest.push(text.slice(start));
    return lines;
  }

  /** The unterminated tail as it is (undefined when there is none), and forget it. */
  flush(): string | undefined {
    if (this.rest.length === 0) return undefined;
    const tail = this.rest.join("");
    this.rest = [];
    return tail;
  }
}

// --- log messages ---------------------------------------------------------------------------

/** `2006-01-02T15:04:05.000000000Z07:00` and its space: the longest timestamp prefix there is. */
const MAX_STAMP_BYTES = 36;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** One message of the logs endpoint: its time as the engine wrote it ("" without one) and its bytes. */
interface LogMessage {
  readonly stream: "stdout" | "stderr";
  readonly timestamp: string;
  readonly data: Uint8Array;
}

/**
 * The logs endpoint's stream, asked for with `timestamps=1`, as whole lines, byte for byte.
 *
 * Each message the engine sends is `<RFC3339Nano time> <bytes>`: a line with its LF, or a piece of
 * one without. The log copier cuts a long line into messages (of 16 KiB for json-file) that all
 * carry the time of the first, and a run's last output without an LF is one message without it. So
 * a piece is joined to the next message of its stream when that one has the same time, and is a line
 * of its own when the next has another time (the run ended there; the next run begins) or the stream
 * ends.
 *
 * Messages are the frames of a multiplexed stream. A TTY's raw stream has no frames: there a line
 * runs to its LF, and the `<time> ` before each later piece (the time of the first) is taken out.
 * (A TTY run's last output without an LF cannot be told from the next run's first message, as
 * nothing marks where it ends: the two come out as one line.)
 * A CR before the LF is dropped, as is the LF; `timestamp` keeps the engine's text (nanoseconds).
 */
export async function* logLines(
  source: AsyncIterable<Uint8Array>,
  options: { readonly tty: boolean },
): AsyncIterable<LogLine> {
  const messages = options.tty ? rawMessages(source) : framedMessages(source);
  const pending = { stdout: new PendingLine("stdout"), stderr: new PendingLine("stderr") };
  let tick = 0;
  for await (const message of messages) {
    const line = pending[message.stream];
    if (line.parts.length > 0 && line.timestamp !== message.timestamp) yield line.take(false);
    line.add(message, tick++);
    if (message.data[message.data.length - 1] === LF) yield line.take(true);
  }
  // Unterminated lines left at the end, in the order they began.
  const tails = [pending.stdout, pending.stderr].filter((l) => l.parts.length > 0);
  tails.sort((a, b) => a.since - b.since);
  for (const tail of tails) yield tail.take(false);
}

/** Whole lines decode on their own; ignoreBOM: a byte-order mark in output is content. */
const LINE_DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

/** The pieces of one stream's line so far. */
class PendingLine {
  parts: Uint8Array[] = [];
  timestamp = "";
  /** The message that began the line (orders the unterminated tails at the end). */
  since = 0;

  constructor(private readonly stream: "stdout" | "stderr") {}

  add(message: LogMessage, tick: number): void {
    if (this.parts.length === 0) {
      this.timestamp = message.timestamp;
      this.since = tick;
    }
    this.parts.push(message.data);
  }

  take(terminated: boolean): LogLine {
    let bytes = this.parts.length === 1 && this.parts[0] ? this.parts[0] : concat(this.parts);
    this.parts = [];
    if (terminated) {
      let end = bytes.length - 1;
      if (end > 0 && bytes[end - 1] === CR) end--;
      bytes = bytes.subarray(0, end);
    }
    const line = LINE_DECODER.decode(bytes);
    const time = this.timestamp === "" ? undefined : parseTime(this.timestamp);
    if (time === undefined) return { stream: this.stream, line };
    return { stream: this.stream, line, time, timestamp: this.timestamp };
  }
}

/** Messages of a multiplexed logs stream: one frame each. */
async function* framedMessages(source: AsyncIterable<Uint8Array>): AsyncIterable<LogMessage> {
  for await (const { stream, data } of demux(source)) {
    const stamp = stampLength(data, data.length);
    if (stamp > 0) {
      yield { stream, timestamp: ascii(data, stamp - 1), data: data.subarray(stamp) };
      continue;
    }
    // No timestamp (not asked for): a frame may then hold several lines.
    for (let at = 0; at < data.length;) {
      const lf = data.indexOf(LF, at);
      const end = lf < 0 ? data.length : lf + 1;
      yield { stream, timestamp: "", data: data.subarray(at, end) };
      at = end;
    }
  }
}

/** Messages of a TTY's logs stream: a timestamp, then bytes up to an LF or 16 KiB. */
async function* rawMessages(source: AsyncIterable<Uint8Array>): AsyncIterable<LogMessage> {
  const splitter = new RawSplitter();
  for await (const chunk of source) yield* splitter.push(chunk);
  yield* splitter.end();
}

class RawSplitter {
  private readonly head = new Uint8Array(MAX_STAMP_BYTES);
  private headFill = 0;
  private inBody = false;
  private timestamp = "";
  private parts: Uint8Array[] = [];

  push(chunk: Uint8Array): LogMessage[] {
    const out: LogMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.inBody) {
        at = this.body(chunk, at, out);
        continue;
      }
      // The timestamp runs up to its space, which a valid one has within MAX_STAMP_BYTES.
      const space = chunk.indexOf(SPACE, at);
      const end = Math.min(space < 0 ? chunk.length : space + 1, at + MAX_STAMP_BYTES - this.headFill);
      this.head.set(chunk.subarray(at, end), this.headFill);
      this.headFill += end - at;
      at = end;
      const complete = this.head[this.headFill - 1] === SPACE;
      if (!complete && this.headFill < MAX_STAMP_BYTES) continue;
      const stamp = complete ? stampLength(this.head, this.headFill) : 0;
      const read = this.head.slice(0, this.headFill);
      this.headFill = 0;
      this.inBody = true;
      this.timestamp = stamp === 0 ? "" : ascii(read, stamp - 1);
      // Not a timestamp after all: what was read is the message's first bytes.
      for (let from = stamp; from < read.length;) {
        this.inBody = true;
        from = this.body(read, from, out);
      }
    }
    return out;
  }

  end(): LogMessage[] {
    if (this.headFill > 0) this.parts.push(this.head.slice(0, this.headFill));
    this.headFill = 0;
    return this.parts.length > 0 ? [this.message(new Uint8Array(0))] : [];
  }

  /** Takes body bytes from `chunk` at `at`, up to an LF; returns where it stopped. */
  private body(chunk: Uint8Array, at: number, out: LogMessage[]): number {
    const lf = chunk.indexOf(LF, at);
    if (lf < 0) {
      this.parts.push(chunk.subarray(at));
      return chunk.length;
    }
    out.push(this.message(chunk.subarray(at, lf + 1)));
    return lf + 1;
  }

  /**
   * The line up to here. The later pieces of a long line each begin with the same `<time> ` as the
   * first: those are taken out, so the line comes out whole.
   */
  private message(last: Uint8Array): LogMessage {
    this.parts.push(last);
    let data = this.parts.length === 1 ? last : concat(this.parts);
    this.parts = [];
    this.inBody = false;
    if (this.timestamp !== "") data = without(data, Buffer.from(`${this.timestamp} `, "latin1"));
    return { stream: "stdout", timestamp: this.timestamp, data };
  }
}

/** `data` with every occurrence of `needle` taken out. */
function without(data: Uint8Array, needle: Uint8Array): Uint8Array {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let found = bytes.indexOf(needle);
  if (found < 0) return data;
  const parts: Uint8Array[] = [];
  let at = 0;
  while (found >= 0) {
    parts.push(data.subarray(at, found));
    at = found + needle.length;
    found = bytes.indexOf(needle, at);
  }
  parts.push(data.subarray(at));
  return concat(parts);
}

const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The length of the timestamp and its space at the start of `data` (up to `end`), or 0 when none. */
function stampLength(data: Uint8Array, end: number): number {
  const space = data.subarray(0, Math.min(end, MAX_STAMP_BYTES)).indexOf(SPACE);
  if (space < 20) return 0;
  return STAMP.test(ascii(data, space)) ? space + 1 : 0;
}

function ascii(data: Uint8Array, length: number): string {
  return String.fromCharCode(...data.subarray(0, length));
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC3339 (nano) timestamp as a Date, truncated to milliseconds; undefined when invalid. */
function parseTime(text: string): Date | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const fraction = (match[2] ?? "").padEnd(3, "0").slice(0, 3);
  const ms = Date.parse(`${match[1] ?? ""}.${fraction}${match[3] ?? ""}`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

// --- JSON lines -------------------------------------------------------------------------------

/**
 * One JSON value per line. Blank lines are skipped and a last line without its newline is parsed
 * too; a malformed line throws ApiError quoting its first 200 characters. `T` is not checked.
 */
export async function* ndjson<T = unknown>(source: AsyncIterable<Uint8Array>): AsyncIterable<T> {
  for await (const { value } of jsonLines(source)) yield value as T;
}

/** ndjson, with each value's line text (for what JSON.parse cannot keep, like 64-bit integers). */
async function* jsonLines(
  source: AsyncIterable<Uint8Array>,
): AsyncIterable<{ readonly line: string; readonly value: unknown }> {
  const decoder = new TextDecoder();
  const buffer = new LineBuffer();
  for await (const chunk of source) {
    for (const line of buffer.push(decoder.decode(chunk, { stream: true }))) {
      if (line.trim() !== "") yield { line, value: parseJsonLine(line) };
    }
  }
  const lines = buffer.push(decoder.decode());
  const tail = buffer.flush();
  if (tail !== undefined) lines.push(tail);
  for (const line of lines) {
    if (line.trim() !== "") yield { line, value: parseJsonLine(line) };
  }
}

function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    throw new ApiError(`malformed JSON in the engine's stream: ${line.slice(0, 200)}`, { cause: error });
  }
}

// --- progress ---------------------------------------------------------------------------------

/**
 * Reads Docker's JSON progress messages (pull, push, build, import, load) to the end. Each
 * `status` is reported with its layer `id` and `progressDetail`; a build's `stream` text is
 * reported line by line as `status` (text split across messages is joined; empty lines are
 * skipped). Every `aux` value is collected. A message with `errorDetail` or `error` — how the
 * daemon reports a failure after it has answered 200 — throws ApiError.
 */
export async function readProgress(
  source: AsyncIterable<Uint8Array>,
  onProgress?: OnProgress,
): Promise<{ aux: unknown[] }> {
  const aux: unknown[] = [];
  const buildText = new LineBuffer();
  const report = (event: ProgressEvent): void => {
    if (event.status !== "") onProgress?.(event);
  };
  const flushBuildText = (): void => {
    const tail = buildText.flush();
    if (tail !== undefined) report({ status: tail });
  };

  for await (const message of ndjson(source)) {
    const m = record(message);
    if (m === undefined) continue;
    if (typeof m.stream === "string") {
      for (const line of buildText.push(m.stream)) report({ status: line });
    }
    if (typeof m.status === "string") {
      flushBuildText();
      report(progressEvent(m.status, m));
    }
    if (m.aux !== undefined) aux.push(m.aux);
    const error = streamError(m);
    if (error !== undefined) {
      flushBuildText();
      throw new ApiError(error);
    }
  }
  flushBuildText();
  return { aux };
}

function progressEvent(status: string, m: Readonly<Record<string, unknown>>): ProgressEvent {
  const id = string(m.id);
  const detail = record(m.progressDetail);
  const current = number(detail?.current);
  const total = number(detail?.total);
  return {
    ...(id !== undefined && id !== "" ? { id } : {}),
    status,
    ...(current !== undefined ? { current } : {}),
    ...(total !== undefined ? { total } : {}),
  };
}

function streamError(m: Readonly<Record<string, unknown>>): string | undefined {
  const detail = record(m.errorDetail);
  const error = string(m.error);
  if (detail === undefined && (error === undefined || error === "")) return undefined;
  const message = string(detail?.message);
  if (message !== undefined && message !== "") return message;
  if (error !== undefined && error !== "") return error;
  return "the engine reported an error without a message";
}

// --- events -----------------------------------------------------------------------------------

/** Image actions of the legacy event shape (no Type), which otherwise describes containers. */
const LEGACY_IMAGE_ACTIONS = new Set(["pull", "push", "tag", "untag", "delete", "import", "load", "save"]);

/** Docker's actions that are berth's under the same name and carry nothing more. */
const PLAIN_ACTIONS: ReadonlySet<string> = new Set<PlainEventAction>([
  "create",
  "start",
  "restart",
  "stop",
  "pause",
  "unpause",
  "update",
  "oom",
  "destroy",
  "connect",
  "disconnect",
  "mount",
  "unmount",
  "pull",
  "push",
  "tag",
  "untag",
  "delete",
  "import",
  "load",
  "save",
]);

const OBJECT_TYPES: ReadonlySet<string> = new Set<RuntimeObjectType>([
  "container",
  "image",
  "network",
  "volume",
  "daemon",
]);

const HEALTH_STATUSES: ReadonlySet<string> = new Set<HealthStatus>(["starting", "healthy", "unhealthy"]);

/**
 * Docker's event stream as RuntimeEvents: `{Type, Action, Actor{ID, Attributes}, time, timeNano}`,
 * or the legacy `{status, id, from, time}` of older daemons (a container event unless its action
 * is an image one; `from` becomes the `image` attribute).
 */
export async function* events(source: AsyncIterable<Uint8Array>): AsyncIterable<RuntimeEvent> {
  for await (const { line, value } of jsonLines(source)) {
    const m = record(value);
    if (m === undefined) throw new ApiError(`unexpected event in the engine's stream: ${line.slice(0, 200)}`);
    yield runtimeEvent(m, line);
  }
}

function runtimeEvent(m: Readonly<Record<string, unknown>>, line: string): RuntimeEvent {
  const actor = record(m.Actor);
  const attributes: Record<string, string> = {};
  const raw = record(actor?.Attributes);
  if (raw !== undefined) {
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value === "string") attributes[key] = value;
    }
  }
  const from = string(m.from);
  if (from !== undefined && from !== "" && attributes.image === undefined) attributes.image = from;

  const action = nonEmpty(string(m.Action)) ?? string(m.status) ?? "";
  const type =
    nonEmpty(string(m.Type)) ??
    (from === undefined && LEGACY_IMAGE_ACTIONS.has(action) ? "image" : "container");
  return withAction(
    {
      type: OBJECT_TYPES.has(type) ? (type as RuntimeObjectType) : "other",
      id: nonEmpty(string(actor?.ID)) ?? string(m.id) ?? "",
      attributes,
      time: eventTime(m, line),
    },
    action,
  );
}

type EventCommon = Pick<RuntimeEvent, "type" | "id" | "attributes" | "time">;

/**
 * Docker's action text as one of berth's: `die` with the `exitCode` attribute, `kill` with
 * `signal`, `rename` with `oldName`, `health_status: healthy` as `health`; exec and attach chatter
 * (`exec_start: sh -c …`) and anything else as `other`.
 */
function withAction(common: EventCommon, action: string): RuntimeEvent {
  const attributes = common.attributes;
  if (PLAIN_ACTIONS.has(action)) return { ...common, action: action as PlainEventAction };
  switch (action) {
    case "die": {
      const code = attributes.exitCode ?? "";
      return { ...common, action: "die", exitCode: /^-?\d+$/.test(code) ? Number(code) : undefined };
    }
    case "kill":
      return { ...common, action: "kill", signal: nonEmpty(attributes.signal) };
    case "rename":
      return { ...common, action: "rename", oldName: nonEmpty(attributes.oldName) };
  }
  const health = /^health_status:(.*)$/.exec(action)?.[1]?.trim();
  if (health !== undefined && HEALTH_STATUSES.has(health)) {
    return { ...common, action: "health", health: health as HealthStatus };
  }
  return { ...common, action: "other", detail: action };
}

/** `"timeNano": 1704164645123456789` at the top level (Attributes values are all strings). */
const TIME_NANO = /"timeNano"\s*:\s*(\d+)/;

function eventTime(m: Readonly<Record<string, unknown>>, line: string): Date {
  // timeNano (~1.7e18) is past 2^53, and JSON.parse rounds it by up to 128 ns: enough to carry
  // …05.999999999 over to …06.000. So it is read from the line text, exactly.
  const nanos = TIME_NANO.exec(line)?.[1];
  if (nanos !== undefined && m.timeNano !== undefined) return new Date(Number(BigInt(nanos) / 1_000_000n));
  const seconds = number(m.time);
  if (seconds !== undefined) return new Date(seconds * 1000);
  return new Date();
}

// --- stats ------------------------------------------------------------------------------------

/**
 * Docker's stats stream as Stats. CPU% = Δtotal_usage / Δsystem_cpu_usage × online CPUs × 100
 * against `precpu_stats` (0 without a previous sample); memory excludes the page cache
 * (`cache` on cgroup v1, `inactive_file` on v2).
 */
export async function* statsFrom(source: AsyncIterable<Uint8Array>): AsyncIterable<Stats> {
  for await (const { line, value } of jsonLines(source)) {
    const m = record(value);
    if (m === undefined) throw new ApiError(`unexpected stats in the engine's stream: ${line.slice(0, 200)}`);
    yield stats(m);
  }
}

function stats(m: Readonly<Record<string, unknown>>): Stats {
  const memory = record(m.memory_stats);
  const usage = number(memory?.usage) ?? 0;
  const memoryStats = record(memory?.stats);
  const cache = number(memoryStats?.cache) ?? number(memoryStats?.inactive_file);

  let networkRxBytes = 0;
  let networkTxBytes = 0;
  for (const value of Object.values(record(m.networks) ?? {})) {
    const network = record(value);
    networkRxBytes += number(network?.rx_bytes) ?? 0;
    networkTxBytes += number(network?.tx_bytes) ?? 0;
  }

  let blockReadBytes = 0;
  let blockWriteBytes = 0;
  const io = record(m.blkio_stats)?.io_service_bytes_recursive;
  if (Array.isArray(io)) {
    for (const value of io as unknown[]) {
      const entry = record(value);
      const op = string(entry?.op)?.toLowerCase();
      const bytes = number(entry?.value) ?? 0;
      if (op === "read") blockReadBytes += bytes;
      else if (op === "write") blockWriteBytes += bytes;
    }
  }

  return {
    time: parseTime(string(m.read) ?? "") ?? new Date(),
    cpuPercent: cpuPercent(record(m.cpu_stats), record(m.precpu_stats)),
    memoryUsageBytes: cache !== undefined && cache < usage ? usage - cache : usage,
    memoryLimitBytes: number(memory?.limit) ?? 0,
    networkRxBytes,
    networkTxBytes,
    blockReadBytes,
    blockWriteBytes,
    pids: number(record(m.pids_stats)?.current) ?? 0,
  };
}

function cpuPercent(
  cpu: Readonly<Record<string, unknown>> | undefined,
  previous: Readonly<Record<string, unknown>> | undefined,
): number {
  const usage = record(cpu?.cpu_usage);
  const total = number(usage?.total_usage);
  const previousTotal = number(record(previous?.cpu_usage)?.total_usage);
  const system = number(cpu?.system_cpu_usage);
  const previousSystem = number(previous?.system_cpu_usage);
  // A previous system usage of 0 is no previous sample (the first one of a stream, or one-shot).
  if (total === undefined || previousTotal === undefined) return 0;
  if (system === undefined || previousSystem === undefined || previousSystem <= 0) return 0;
  const cpuDelta = total - previousTotal;
  const systemDelta = system - previousSystem;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  const perCpu = usage?.percpu_usage;
  const cpus =
    nonZero(number(cpu?.online_cpus)) ?? (Array.isArray(perCpu) ? nonZero(perCpu.length) : undefined) ?? 1;
  return (cpuDelta / systemDelta) * cpus * 100;
}

// --- reading untyped JSON ---------------------------------------------------------------------

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function string(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}

function nonZero(value: number | undefined): number | undefined {
  return value === 0 ? undefined : value;
}
