/**
 * Every container line the dashboard has seen, outside React: one bounded ring per container
 * (named, so a recreated container carries on its predecessor's ring), fed through the same three
 * calls the plain printer takes from the log follower (`register`, `print`, `status`).
 *
 * Lines are ordered by their engine timestamp, then by arrival: each container's lines come in
 * time order, and a view across containers merges the rings on that key, so several services'
 * histories interleave as they happened even when one stream delivered its backlog first. A view
 * reads only the lines it shows (walking back or forward from a key), whatever the rings hold.
 *
 * Each `print` stores whole lines: a LogLine is one line; should one carry newlines anyway, each
 * piece becomes its own line, as the plain printer prints it. Nothing is dropped below a ring's
 * capacity; past it the oldest lines of that container go (counted in `evicted`).
 */
import type { LogLine } from "../../runtime/runtime.js";
import type { LogSource } from "../plain/log-printer.js";
import { stripAnsi } from "./ansi.js";
import { compareKeys, type LineKey, LineRing, type LineStream } from "./ring.js";

export type { LineKey, LineStream } from "./ring.js";

export interface LogEntry extends LineKey {
  /** The container's name (`webapp-web-1`). */
  readonly source: string;
  readonly service: string;
  readonly stream: LineStream;
  /** As the container wrote it (escape sequences included; the view sanitizes). */
  readonly text: string;
}

export type LogFilter =
  | { readonly kind: "all" }
  | { readonly kind: "service"; readonly service: string }
  | { readonly kind: "source"; readonly source: string };

export const ALL_LOGS: LogFilter = { kind: "all" };

/** What the views read: a read-only index over the lines (the view reducer takes this). */
export interface LogIndex {
  /** The newest line's key, or undefined when the filter selects no line. */
  last(filter: LogFilter): LineKey | undefined;
  /** The oldest line's key. */
  firstKey(filter: LogFilter): LineKey | undefined;
  /** Lines at or before `from` (the newest when undefined), newest first. */
  backward(filter: LogFilter, from?: LineKey): Generator<LogEntry>;
  /** Lines strictly after `after` (from the oldest when undefined), oldest first. */
  forward(filter: LogFilter, after?: LineKey): Generator<LogEntry>;
  /** How many lines come after `key`. */
  countAfter(filter: LogFilter, key: LineKey): number;
}

export interface LogStoreOptions {
  /** Lines kept per container. */
  readonly capacity: number;
  /** Arrival time for lines that carry none. */
  readonly now?: (() => number) | undefined;
  /** Called after every stored line (the frame clock's "something changed"). */
  readonly onAppend?: (() => void) | undefined;
}

interface Source {
  readonly name: string;
  readonly service: string;
  readonly ring: LineRing;
}

export interface LogStoreStats {
  /** Lines handed to the store. */
  readonly received: number;
  /** Lines held now. */
  readonly retained: number;
  /** Lines pushed out of full rings by newer ones. */
  readonly evicted: number;
  readonly sources: number;
}

export const DEFAULT_SCROLLBACK = 10_000;

export class LogStore implements LogIndex {
  private readonly sources = new Map<string, Source>();
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly onAppend: () => void;
  private seq = 0;
  private received = 0;

  constructor(options: LogStoreOptions) {
    this.capacity = options.capacity;
    this.now = options.now ?? Date.now;
    this.onAppend = options.onAppend ?? (() => undefined);
  }

  // --- the LogPrinter calls -------------------------------------------------------------------

  register(source: LogSource): void {
    this.sourceOf(source);
  }

  print(source: LogSource, line: Pick<LogLine, "line" | "stream" | "time">): void {
    const target = this.sourceOf(source);
    const time = line.time?.getTime() ?? this.now();
    const pieces = line.line.includes("\n") ? line.line.split("\n") : [line.line];
    for (const piece of pieces)
      this.append(target, time, line.stream, piece.endsWith("\r") ? piece.slice(0, -1) : piece);
  }

  status(source: LogSource, message: string): void {
    this.append(this.sourceOf(source), this.now(), "status", message);
  }

  // --- reading ----------------------------------------------------------------------------------

  /** Container names with lines (or registered), in name order, with their service. */
  names(): readonly { readonly name: string; readonly service: string }[] {
    return [...this.sources.values()]
      .map(({ name, service }) => ({ name, service }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  stats(): LogStoreStats {
    let retained = 0;
    let evicted = 0;
    for (const { ring } of this.sources.values()) {
      retained += ring.length;
      evicted += ring.evicted;
    }
    return { received: this.received, retained, evicted, sources: this.sources.size };
  }

  /** Every line held for one container, oldest first (the bench checks these for gaps). */
  linesOf(name: string): string[] {
    const ring = this.sources.get(name)?.ring;
    if (!ring) return [];
    const out: string[] = [];
    for (let i = ring.first; i < ring.end; i++) if (ring.stream(i) !== "status") out.push(ring.text(i));
    return out;
  }

  last(filter: LogFilter): LineKey | undefined {
    let best: LineKey | undefined;
    for (const { ring } of this.selected(filter)) {
      if (ring.length === 0) continue;
      const key = ring.key(ring.end - 1);
      if (!best || compareKeys(key, best) > 0) best = key;
    }
    return best;
  }

  firstKey(filter: LogFilter): LineKey | undefined {
    let best: LineKey | undefined;
    for (const { ring } of this.selected(filter)) {
      if (ring.length === 0) continue;
      const key = ring.key(ring.first);
      if (!best || compareKeys(key, best) < 0) best = key;
    }
    return best;
  }

  *backward(filter: LogFilter, from?: LineKey): Generator<LogEntry> {
    const cursors = this.selected(filter).map((source) => ({
      source,
      index: (from ? source.ring.upperBound(from) : source.ring.end) - 1,
    }));
    for (;;) {
      let pick: (typeof cursors)[number] | undefined;
      let pickKey: LineKey | undefined;
      for (const cursor of cursors) {
        if (cursor.index < cursor.source.ring.first) continue;
        const key = cursor.source.ring.key(cursor.index);
        if (!pickKey || compareKeys(key, pickKey) > 0) {
          pick = cursor;
          pickKey = key;
        }
      }
      if (!pick || !pickKey) return;
      yield entry(pick.source, pick.index, pickKey);
      pick.index--;
    }
  }

  *forward(filter: LogFilter, after?: LineKey): Generator<LogEntry> {
    const cursors = this.selected(filter).map((source) => ({
      source,
      index: after ? source.ring.upperBound(after) : source.ring.first,
    }));
    for (;;) {
      let pick: (typeof cursors)[number] | undefined;
      let pickKey: LineKey | undefined;
      for (const cursor of cursors) {
        if (cursor.index >= cursor.source.ring.end) continue;
        const key = cursor.source.ring.key(cursor.index);
        if (!pickKey || compareKeys(key, pickKey) < 0) {
          pick = cursor;
          pickKey = key;
        }
      }
      if (!pick || !pickKey) return;
      yield entry(pick.source, pick.index, pickKey);
      pick.index++;
    }
  }

  countAfter(filter: LogFilter, key: LineKey): number {
    let count = 0;
    for (const { ring } of this.selected(filter)) count += ring.end - ring.upperBound(key);
    return count;
  }

  // --- inside -----------------------------------------------------------------------------------

  private sourceOf(source: LogSource): Source {
    let found = this.sources.get(source.name);
    if (!found) {
      found = { name: source.name, service: source.service, ring: new LineRing(this.capacity) };
      this.sources.set(source.name, found);
    }
    return found;
  }

  private append(source: Source, time: number, stream: LineStream, text: string): void {
    // One container's lines must stay in key order for the binary searches: a clock step back in
    // the engine's timestamps is clamped to the previous line's time.
    const ordered = Math.max(time, source.ring.lastTime());
    source.ring.push(ordered, ++this.seq, stream, text);
    this.received++;
    this.onAppend();
  }

  private selected(filter: LogFilter): Source[] {
    switch (filter.kind) {
      case "all":
        return [...this.sources.values()];
      case "service":
        return [...this.sources.values()].filter((s) => s.service === filter.service);
      case "source": {
        const one = this.sources.get(filter.source);
        return one ? [one] : [];
      }
    }
  }
}

function entry(source: Source, index: number, key: LineKey): LogEntry {
  return {
    time: key.time,
    seq: key.seq,
    source: source.name,
    service: source.service,
    stream: source.ring.stream(index),
    text: source.ring.text(index),
  };
}

/** Case-insensitive: does the line's visible text contain the query? */
export function matches(text: string, query: string): boolean {
  if (query === "") return false;
  return stripAnsi(text).toLowerCase().includes(query.toLowerCase());
}

/**
 * The nearest line matching `query`, starting at `from` (inclusive) and going `direction`:
 * `older` walks back (from the newest when `from` is undefined), `newer` walks forward.
 */
export function findLine(
  index: LogIndex,
  filter: LogFilter,
  query: string,
  from: LineKey | undefined,
  direction: "older" | "newer",
  inclusive = true,
): LogEntry | undefined {
  if (query === "") return undefined;
  const lines =
    direction === "older"
      ? index.backward(filter, from)
      : index.forward(filter, from && inclusive ? { time: from.time, seq: from.seq - 1 } : from);
  for (const line of lines) {
    if (!inclusive && from && line.seq === from.seq) continue;
    if (matches(line.text, query)) return line;
  }
  return undefined;
}
