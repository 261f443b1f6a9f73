/**
 * A bounded ring of log lines for one container, kept as parallel arrays (text, time, sequence,
 * stream) rather than one object per line: at thousands of lines a second the store then holds a
 * string and 17 bytes per line, and the garbage collector has almost nothing to trace.
 *
 * Lines are addressed by absolute index (0 for the first line ever pushed); the ring holds indices
 * `first` to `end - 1`. When full, a push evicts the oldest line. Storage starts small and doubles
 * up to the capacity, so a quiet container costs little.
 */

/** Where a line came from: the container's stdout or stderr, or a line about the container itself. */
export type LineStream = "stdout" | "stderr" | "status";

const STREAM_CODES: readonly LineStream[] = ["stdout", "stderr", "status"];
const INITIAL_SLOTS = 64;

/** The order of lines across containers: by time, then by arrival (sequence numbers are unique). */
export interface LineKey {
  readonly time: number;
  readonly seq: number;
}

export function compareKeys(a: LineKey, b: LineKey): number {
  return a.time - b.time || a.seq - b.seq;
}

export class LineRing {
  private texts: string[] = [];
  private times = new Float64Array(0);
  private seqs = new Float64Array(0);
  private streams = new Uint8Array(0);
  /** Slot of the oldest line. */
  private head = 0;
  private count = 0;
  private pushed = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be ≥ 1: ${capacity}`);
  }

  /** Lines held now. */
  get length(): number {
    return this.count;
  }

  /** Absolute index of the oldest line held. */
  get first(): number {
    return this.pushed - this.count;
  }

  /** One past the absolute index of the newest line (= lines ever pushed). */
  get end(): number {
    return this.pushed;
  }

  /** Lines pushed out by newer ones since the ring was made. */
  get evicted(): number {
    return this.pushed - this.count;
  }

  push(time: number, seq: number, stream: LineStream, text: string): void {
    if (this.count === this.slots() && this.count < this.capacity) this.grow();
    const slots = this.slots();
    const slot = (this.head + this.count) % slots;
    this.texts[slot] = text;
    this.times[slot] = time;
    this.seqs[slot] = seq;
    this.streams[slot] = STREAM_CODES.indexOf(stream);
    if (this.count === slots) this.head = (this.head + 1) % slots;
    else this.count++;
    this.pushed++;
  }

  text(index: number): string {
    return this.texts[this.slot(index)] ?? "";
  }

  time(index: number): number {
    return this.times[this.slot(index)] ?? 0;
  }

  seq(index: number): number {
    return this.seqs[this.slot(index)] ?? 0;
  }

  stream(index: number): LineStream {
    return STREAM_CODES[this.streams[this.slot(index)] ?? 0] ?? "stdout";
  }

  key(index: number): LineKey {
    const slot = this.slot(index);
    return { time: this.times[slot] ?? 0, seq: this.seqs[slot] ?? 0 };
  }

  /** Time of the newest line, or -Infinity when empty. */
  lastTime(): number {
    return this.count === 0 ? Number.NEGATIVE_INFINITY : this.time(this.pushed - 1);
  }

  /**
   * Absolute index of the first line ordered after `key` (`end` when none is): lines within one
   * ring are pushed in key order, so this is a binary search.
   */
  upperBound(key: LineKey): number {
    let low = this.first;
    let high = this.pushed;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const slot = this.slot(mid);
      const t = this.times[slot] ?? 0;
      const after = t > key.time || (t === key.time && (this.seqs[slot] ?? 0) > key.seq);
      if (after) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private slots(): number {
    return this.texts.length;
  }

  private slot(index: number): number {
    if (index < this.first || index >= this.pushed) {
      throw new RangeError(`line ${index} is not held (holding ${this.first}..${this.pushed - 1})`);
    }
    return (this.head + (index - this.first)) % this.slots();
  }

  /** Doubles the storage (up to the capacity), laying the lines out from slot 0 again. */
  private grow(): void {
    const size = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.slots() * 2));
    const texts = new Array<string>(size);
    const times = new Float64Array(size);
    const seqs = new Float64Array(size);
    const streams = new Uint8Array(size);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % Math.max(1, this.slots());
      texts[i] = this.texts[from] ?? "";
      times[i] = this.times[from] ?? 0;
      seqs[i] = this.seqs[from] ?? 0;
      streams[i] = this.streams[from] ?? 0;
    }
    this.texts = texts;
    this.times = times;
    this.seqs = seqs;
    this.streams = streams;
    this.head = 0;
  }
}
