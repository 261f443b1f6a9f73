// What the benchmark scripts share: flag parsing, statistics, Prettier-shaped Markdown tables, and
// the tiny busybox image they run (imported through berth's Engine API client, kept as a cache).
/* global AbortSignal, Buffer */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import tar from "tar-stream";

const BUSYBOX = "/bin/busybox";

/** `--name N` from `args` as a number, else `fallback`. */
export function numberOption(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** A Markdown table laid out as Prettier would (padded cells), so `prettier --check` passes. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)];
}

/**
 * The benches' busybox image (the host's busybox-static with a few applets), tagged by a hash of
 * its content: imported through berth when missing, and kept as a cache the benches share.
 */
export async function benchImage(runtime) {
  const busybox = readFileSync(BUSYBOX);
  const applets = ["sh", "yes", "head", "sleep"];
  const digest = createHash("sha256").update(busybox).update(applets.join()).digest("hex");
  const reference = `berth-bench/busybox:${digest.slice(0, 12)}`;
  if (await runtime.images.inspect(reference)) return reference;
  const pack = tar.pack();
  pack.entry({ name: "bin", type: "directory", mode: 0o755 });
  pack.entry({ name: "tmp", type: "directory", mode: 0o1777 });
  pack.entry({ name: "bin/busybox", mode: 0o755, size: busybox.length }, busybox);
  for (const applet of applets) pack.entry({ name: `bin/${applet}`, type: "symlink", linkname: "busybox" });
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(chunk);
  await runtime.images.importRootfs(Readable.from([Buffer.concat(chunks)]), {
    reference,
    changes: ["ENV PATH=/bin"],
    signal: AbortSignal.timeout(60_000),
  });
  return reference;
}
