/**
 * `logs` without -f must merge the containers' logs by time, across services and replicas, while
 * reading each stream in order (a k-way merge), and skip a container removed in the meantime.
 */
import { describe, expect, it } from "vitest";
import { followLogs, outputLines, printMergedLogs } from "../../../src/cli/log-stream.js";
import { NotFoundError } from "../../../src/runtime/errors.js";
import type {
  ContainerState,
  LogLine,
  LogOptions,
  OutputChunk,
  Runtime,
} from "../../../src/runtime/runtime.js";
import { LogPrinter } from "../../../src/ui/plain/log-printer.js";
import { recorder } from "../ui/recorder.js";

const t = (s: number): Date => new Date(Date.UTC(2024, 4, 1, 10, 0, s));

/** A runtime whose only working call is `containers.logs`, serving fixed lines per container. */
function fakeRuntime(logs: Record<string, LogLine[] | "removed">, seen: LogOptions[]): Runtime {
  const containers = {
    logs(id: string, options: LogOptions = {}): AsyncIterable<LogLine> {
      seen.push(options);
      const lines = logs[id];
      return (async function* () {
        if (lines === "removed" || lines === undefined) throw new NotFoundError(`no such container: ${id}`);
        yield* lines;
      })();
    },
  };
  return { containers } as unknown as Runtime;
}

describe("merged logs", () => {
  it("interleaves lines by time across containers, asking the runtime for timestamps", async () => {
    const seen: LogOptions[] = [];
    const runtime = fakeRuntime(
      {
        w1: [
          { stream: "stdout", line: "web-1 a", time: t(1) },
          { stream: "stdout", line: "web-1 b", time: t(4) },
        ],
        w2: [
          { stream: "stdout", line: "web-2 a", time: t(2) },
          { stream: "stdout", line: "web-2 b", time: t(4) },
        ],
        d1: [{ stream: "stdout", line: "db-1 a", time: t(3) }],
        gone: "removed",
      },
      seen,
    );
    const out = recorder();
    const printer = new LogPrinter({
      out,
      color: false,
      prefix: true,
      timestamps: false,
      services: ["db", "web"],
    });
    await printMergedLogs(
      runtime,
      [
        { id: "d1", name: "app-db-1", service: "db" },
        { id: "gone", name: "app-old-1", service: "old" },
        { id: "w1", name: "app-web-1", service: "web" },
        { id: "w2", name: "app-web-2", service: "web" },
      ],
      printer,
      { tail: 10 },
    );
    expect(out.text()).toBe(
      [
        "app-web-1  | web-1 a",
        "app-web-2  | web-2 a",
        "app-db-1   | db-1 a",
        "app-web-1  | web-1 b", // a tie keeps the order the containers were given in
        "app-web-2  | web-2 b",
        "",
      ].join("\n"),
    );
    expect(seen.every((o) => o.timestamps === true && o.tail === 10 && o.follow !== true)).toBe(true);
  });

  it("orders lines of the same millisecond by their nanoseconds", async () => {
    const at = (nanos: string): LogLine => ({
      stream: "stdout",
      line: nanos,
      time: new Date("2024-05-01T10:00:00.123Z"),
      timestamp: `2024-05-01T10:00:00.${nanos}Z`,
    });
    const runtime = fakeRuntime(
      { a: [at("123000900"), at("123900000")], b: [at("123000100"), at("123500000")] },
      [],
    );
    const out = recorder();
    const printer = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: [] });
    const targets = [
      { id: "a", name: "p-a-1", service: "a" },
      { id: "b", name: "p-b-1", service: "b" },
    ];
    await printMergedLogs(runtime, targets, printer, {});
    expect(out.text()).toBe("123000100\n123000900\n123500000\n123900000\n");
  });
});

describe("attached output as lines", () => {
  it("splits each stream apart at LF, decodes UTF-8 cut across chunks, drops CR before LF, keeps the tail", async () => {
    const bytes = Buffer.from("h\u00e9llo\r\nw\u{1f600}rld\n");
    const chunks: OutputChunk[] = [
      { stream: "stdout", data: bytes.subarray(0, 2) },
      { stream: "stderr", data: Buffer.from("err ") },
      { stream: "stdout", data: bytes.subarray(2, 10) },
      { stream: "stderr", data: Buffer.from("line\nerr tail") },
      { stream: "stdout", data: bytes.subarray(10) },
      { stream: "stdout", data: Buffer.from("out tail") },
    ];
    const lines: LogLine[] = [];
    for await (const line of outputLines(
      (async function* () {
        yield* chunks;
      })(),
    ))
      lines.push(line);
    expect(lines).toEqual([
      { stream: "stdout", line: "h\u00e9llo" },
      { stream: "stderr", line: "err line" },
      { stream: "stdout", line: "w\u{1f600}rld" },
      { stream: "stdout", line: "out tail" },
      { stream: "stderr", line: "err tail" },
    ]);
  });
});

describe("following the current run", () => {
  it("finds the run of a container that has already exited from its start, not its finish", async () => {
    const started = new Date("2024-05-01T10:00:00.500Z");
    const ms = (offset: number): Date => new Date(started.getTime() + offset);
    const log: LogLine[] = [
      { stream: "stdout", line: "previous run", time: ms(-900) },
      { stream: "stdout", line: "first", time: ms(-2) }, // stamped a moment before StartedAt
      { stream: "stdout", line: "second", time: ms(1) },
    ];
    const state = {
      id: "c",
      name: "p-c-1",
      labels: {},
      status: "exited",
      exitCode: 0,
      startedAt: started,
      finishedAt: ms(5),
    } as unknown as ContainerState;
    const runtime = {
      containers: {
        inspect: () => Promise.resolve(state),
        logs: (_id: string, options: LogOptions = {}) =>
          (async function* () {
            // The engine's since: lines at or after it.
            yield* log.filter(
              (l) => options.since === undefined || (l.time?.getTime() ?? 0) >= options.since.getTime(),
            );
          })(),
      },
    } as unknown as Runtime;
    const out = recorder();
    const printer = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: [] });
    await followLogs(runtime, [{ id: "c", name: "p-c-1", service: "c" }], printer, {
      signal: AbortSignal.timeout(5_000),
      currentRun: true,
    });
    expect(out.text()).toBe("first\nsecond\np-c-1 exited with code 0\n");
  });
});
