/**
 * Container output must come back line for line and byte for byte, however long the lines: the
 * json-file driver cuts lines into 16 KiB messages (each with its own timestamp when asked), logs a
 * run's unterminated last line as a message without a newline, and writes that one after the follow
 * of the run may have ended; native's monitor writes partial lines of its own. Checked on each
 * runtime backend (./orchestration/backends.ts) through the Runtime (`logs`, `logs -f`'s follower
 * and printer), for plain and TTY containers, across a restart, with the backend's default log; and
 * on Docker with its `local` and `none` log drivers too (the `log-drivers` feature).
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { followLogs, printMergedLogs } from "../../src/cli/log-stream.js";
import type { LogLine, Runtime } from "../../src/runtime/runtime.js";
import { LogPrinter } from "../../src/ui/plain/log-printer.js";
import { recorder } from "../unit/ui/recorder.js";
import { RUN_ID, TEST_LABEL } from "./engine.js";
import { toBuffer } from "./images.js";
import { BACKENDS, useBackend, withFeatures } from "./orchestration/backends.js";

const KIB16 = 16 * 1024;
/** Docker's RFC3339NanoFixed. */
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/**
 * What the container prints: a 100 KiB line, a line of exactly 16 KiB, a short line of 2-, 3- and
 * 4-byte characters, and a last line without a newline. With `splitChars`, the long lines are made
 * of 1- to 4-byte characters and one has a 2-byte character straddling the 16 KiB cut: only for the
 * `local` log driver, as json-file stores each message as a JSON string, where the engine itself
 * turns a character cut in two into U+FFFD.
 */
function payload(splitChars = false): { readonly bytes: Buffer; readonly lines: readonly string[] } {
  const long = splitChars ? "a\u00e9\u20ac\u{1f600}".repeat(10 * 1024) : "0123456789".repeat(10 * 1024);
  const lines = [long, "b".repeat(KIB16), "caf\u00e9 \u20ac \u{1f600}", "short", "no newline"];
  if (splitChars) lines.splice(2, 0, `${"c".repeat(KIB16 - 1)}\u00e9tail`);
  return { bytes: Buffer.from(lines.join("\n"), "utf8"), lines };
}

/** Lines in a form whose differences print small: length, a hash and the first characters. */
function digest(lines: readonly string[]): string[] {
  return lines.map(
    (l) => `${l.length}:${createHash("sha256").update(l).digest("hex").slice(0, 12)}:${l.slice(0, 16)}`,
  );
}

describe.each(BACKENDS)("log lines, byte for byte ($name)", (backend) => {
  const suite = useBackend(backend);
  const it = suite.it;
  let runtime: Runtime;
  let image: string;
  let counter = 0;
  const made: string[] = [];

  async function tarOf(name: string, content: Buffer): Promise<Buffer> {
    const pack = tar.pack();
    pack.entry({ name, mode: 0o644 }, content);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(toBuffer(chunk));
    return Buffer.concat(chunks);
  }

  /**
   * A container that prints the payload `delayS` seconds after it starts, then exits 0; with the
   * backend's default log unless `driver` names one of Docker's.
   */
  async function printer(
    options: { tty?: boolean; delayS?: number; driver?: "local" | "none" } = {},
  ): Promise<string> {
    const driver = options.driver;
    const { id } = await runtime.containers.create({
      name: `berth-it-${backend.name}-${RUN_ID}-${++counter}-logs`,
      image,
      labels: { [TEST_LABEL]: RUN_ID },
      tty: options.tty === true,
      networkMode: "none",
      ...(driver ? { logging: { driver } } : {}),
      command: ["sh", "-c", `sleep ${options.delayS ?? 0}; cat /payload`],
    });
    made.push(id);
    await runtime.containers.copyTo(
      id,
      "/",
      Readable.from([await tarOf("payload", payload(driver === "local").bytes)]),
    );
    return id;
  }

  async function runToExit(id: string): Promise<void> {
    await runtime.containers.start(id);
    const { exitCode } = await runtime.containers.wait(id, { signal: AbortSignal.timeout(15_000) });
    expect(exitCode).toBe(0);
  }

  async function logs(id: string, timestamps: boolean): Promise<LogLine[]> {
    const out: LogLine[] = [];
    const signal = AbortSignal.timeout(15_000);
    for await (const line of runtime.containers.logs(id, { timestamps, signal })) out.push(line);
    return out;
  }

  beforeAll(() => {
    if (backend.available) ({ runtime, image } = suite.opened);
  });

  afterAll(async () => {
    for (const id of made) await runtime.containers.remove(id, { force: true }).catch(() => undefined);
  });

  // The default log, and Docker's `local` driver; each case restarts, so needs the runs kept apart.
  const drivers: readonly ("local" | undefined)[] = [
    ...(withFeatures(backend, "log-run-boundaries") ? [undefined] : []),
    ...(withFeatures(backend, "log-run-boundaries", "log-drivers") ? (["local"] as const) : []),
  ];
  for (const driver of drivers) {
    it(`logs gives every line whole, long or unterminated, and a restart glues no runs (${driver ?? "default log"})`, async () => {
      const id = await printer(driver ? { driver } : {});
      await runToExit(id);
      await runToExit(id);
      const { lines } = payload(driver === "local");
      for (const timestamps of [true, false]) {
        const got = await logs(id, timestamps);
        expect(digest(got.map((l) => l.line))).toEqual(digest([...lines, ...lines]));
        expect(got.every((l) => l.stream === "stdout")).toBe(true);
        // With -t: the engine's own text, nanoseconds included.
        const stamps = got.map((l) => l.timestamp ?? "");
        expect(stamps.every((t) => (timestamps ? STAMP.test(t) : t === ""))).toBe(true);
      }
    }, 40_000);
  }

  if (withFeatures(backend, "tty-log-lines"))
    it("logs gives a TTY container's long lines whole", async () => {
      // The default log (json-file on Docker): the local driver of 20.10 drops the newline after a line cut in pieces, which a
      // TTY's stream (no frames) cannot do without.
      const id = await printer({ tty: true });
      await runToExit(id);
      expect(digest((await logs(id, true)).map((l) => l.line))).toEqual(digest(payload().lines));
    }, 30_000);

  it("following prints a run's last line without a newline, and logs -t prints the engine's time", async () => {
    const id = await printer({ delayS: 1 });
    await runtime.containers.start(id);
    const out = recorder();
    const print = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: ["p"] });
    const target = { id, name: "p-1", service: "p" };
    await followLogs(runtime, [target], print, { signal: AbortSignal.timeout(20_000) });
    expect(digest(out.text().split("\n"))).toEqual(
      digest([...payload().lines, "p-1 exited with code 0", ""]),
    );

    const stamped = recorder();
    const withTime = new LogPrinter({
      out: stamped,
      color: false,
      prefix: false,
      timestamps: true,
      services: [],
    });
    await printMergedLogs(runtime, [target], withTime, {});
    const engine = await logs(id, true);
    const expected = engine.map((l) => `${l.timestamp ?? "?"} ${l.line}`);
    expect(digest(stamped.text().split("\n"))).toEqual(digest([...expected, ""]));
    // Not milliseconds padded with zeros: the engine's nanoseconds.
    expect(engine.some((l) => !(l.timestamp ?? "").endsWith("000000Z"))).toBe(true);
  }, 40_000);

  // Docker's `none` log driver.
  if (withFeatures(backend, "log-drivers"))
    it("following shows what a container prints when its log driver keeps nothing to read (none)", async () => {
      const id = await printer({ delayS: 1, driver: "none" });
      await runtime.containers.start(id);
      const out = recorder();
      const print = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: ["p"] });
      await followLogs(runtime, [{ id, name: "p-1", service: "p" }], print, {
        signal: AbortSignal.timeout(20_000),
      });
      expect(digest(out.text().split("\n"))).toEqual(
        digest([...payload().lines, "p-1 exited with code 0", ""]),
      );
    }, 30_000);
});
