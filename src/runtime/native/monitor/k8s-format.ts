/**
 * Container output as k8s-file records, the format conmon writes and berth's log readers parse
 * (../process/k8s-log.ts): `<RFC3339Nano> <stdout|stderr> <F|P> <text>\n`. As conmon does, each
 * read is cut at its newlines: every whole line is an `F` record (its newline dropped), a trailing
 * piece without one a `P` record, which the next piece of the same stream continues.
 */

export type StreamName = "stdout" | "stderr";

/** `2026-12-06T13:54:02.304113113+00:00`: milliseconds from the clock, finer digits from hrtime. */
export function k8sTimestamp(now: Date, subMillisecondNs: number): string {
  const iso = now.toISOString(); // 2026-12-06T13:54:02.304Z
  const fine = String(Math.max(0, Math.min(999_999, Math.floor(subMillisecondNs)))).padStart(6, "0");
  return `${iso.slice(0, 23)}${fine}+00:00`;
}

/**
 * The records' clock: the wall clock read once, then hrtime's monotonic nanoseconds added, so a
 * drainer's stamps never go back. Milliseconds from the wall clock with hrtime's own sub-millisecond
 * digits did, within one millisecond: a reader resuming after the last line it printed (the time
 * it holds) then met an earlier-stamped line and printed the run again.
 */
export function monotonicStamps(
  wallMs: number = Date.now(),
  hrtime: () => bigint = () => process.hrtime.bigint(),
): () => string {
  const origin = hrtime();
  const base = BigInt(Math.floor(wallMs)) * 1_000_000n;
  return () => {
    const ns = base + (hrtime() - origin);
    return k8sTimestamp(new Date(Number(ns / 1_000_000n)), Number(ns % 1_000_000n));
  };
}

/** The records of one read of `stream`, all stamped `timestamp`. */
export function k8sRecords(stream: StreamName, chunk: Buffer, timestamp: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < 1_000_000 && start < chunk.length; i++) {
    const newline = chunk.indexOf(0x0a, start);
    const end = newline === -1 ? chunk.length : newline;
    parts.push(
      Buffer.from(`${timestamp} ${stream} ${newline === -1 ? "P" : "F"} `),
      chunk.subarray(start, end),
      Buffer.from("\n"),
    );
    start = end + 1;
  }
  return Buffer.concat(parts);
}
