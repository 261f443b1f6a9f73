/**
 * `logs` without -f must merge the containers' logs by time, across services and replicas, while
 * reading each stream in order (a k-way merge), and skip a container removed in the meantime.
 */
import { describe, expect, it } from "vitest";
import { followLogs, outputLines, printMergedLogs } from "../../../src/cli/log-stream.js";
import type { LogLine, LogOptions, OutputChunk } from "../../../src/runtime/runtime.js";
import { LogPrinter } from "../../../src/ui/plain/log-printer.js";
import { ConflictError } from "../../../src/runtime/errors.js";
import { FakeRuntime } from "../../fake-runtime.js";
import { recorder } from "../ui/recorder.js";

const t = (s: number): Date => new Date(Date.UTC(2024, 4, 1, 10, 0, s));

/**
 * A fake runtime holding one stopped container per entry, named as given, that printed the lines
 * given (`removed`: made and removed since). Returns the runtime and each container's ID by name.
 */
async function ranAndPrinted(logs: Record<string, Omit<LogLine, "stream">[] | "removed">) {
  const runtime = new FakeRuntime();
  runtime.seedImage("busybox");
  const ids: Record<string, string> = {};
  for (const [name, lines] of Object.entries(logs)) {
    const { id } = await runtime.containers.create({ name, image: "busybox", labels: {} });
    ids[name] = id;
    if (lines === "removed") {
      await runtime.containers.remove(id);
      continue;
    }
    await runtime.containers.start(id);
    for (const { line, ...at } of lines) runtime.process(id).print(line, at);
    runtime.process(id).exit(0);
  }
  const id = (name: string): string => ids[name] ?? "";
  const logOptions = (): LogOptions[] =>
    runtime.callsOf("containers.logs").map((args) => args[1] as LogOptions);
  return { runtime, id, logOptions };
}

describe("merged logs", () => {
  it("interleaves lines by time across containers, asking the runtime for timestamps", async () => {
    const { runtime, id, logOptions } = await ranAndPrinted({
      "app-web-1": [
        { line: "web-1 a", time: t(1) },
        { line: "web-1 b", time: t(4) },
      ],
      "app-web-2": [
        { line: "web-2 a", time: t(2) },
        { line: "web-2 b", time: t(4) },
      ],
      "app-db-1": [{ line: "db-1 a", time: t(3) }],
      "app-old-1": "removed",
    });
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
        { id: id("app-db-1"), name: "app-db-1", service: "db" },
        { id: id("app-old-1"), name: "app-old-1", service: "old" },
        { id: id("app-web-1"), name: "app-web-1", service: "web" },
        { id: id("app-web-2"), name: "app-web-2", service: "web" },
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
    const seen = logOptions();
    expect(seen).toHaveLength(4);
    expect(seen.every((o) => o.timestamps === true && o.tail === 10 && o.follow !== true)).toBe(true);
  });

  it("orders lines of the same millisecond by their nanoseconds", async () => {
    const at = (nanos: string) => ({
      line: nanos,
      time: new Date("2024-05-01T10:00:00.123Z"),
      timestamp: `2024-05-01T10:00:00.${nanos}Z`,
    });
    const { runtime, id } = await ranAndPrinted({
      "p-a-1": [at("123000900"), at("123900000")],
      "p-b-1": [at("123000100"), at("123500000")],
    });
    const out = recorder();
    const printer = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: [] });
    const targets = [
      { id: id("p-a-1"), name: "p-a-1", service: "a" },
      { id: id("p-b-1"), name: "p-b-1", service: "b" },
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
    let clock = ms(-1_000);
    const runtime = new FakeRuntime({ now: () => clock });
    runtime.seedImage("busybox");
    const { id } = await runtime.containers.create({ name: "p-c-1", image: "busybox", labels: {} });
    const c = runtime.process(id);
    await runtime.containers.start(id);
    c.print("previous run", { time: ms(-900) });
    clock = ms(-800);
    c.exit(0);
    clock = started;
    await runtime.containers.start(id);
    c.print("first", { time: ms(-2) }); // stamped a moment before StartedAt
    c.print("second", { time: ms(1) });
    clock = ms(5);
    c.exit(0);
    const out = recorder();
    const printer = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: [] });
    await followLogs(runtime, [{ id, name: "p-c-1", service: "c" }], printer, {
      signal: AbortSignal.timeout(5_000),
      currentRun: true,
    });
    expect(out.text()).toBe("first\nsecond\np-c-1 exited with code 0\n");
  });
});

describe("following a container that is removed", () => {
  it("ends that container's output when the engine refuses its log as being removed, not the whole follow", async () => {
    const runtime = new FakeRuntime();
    runtime.seedImage("busybox");
    const { id } = await runtime.containers.create({ name: "p-web-1", image: "busybox", labels: {} });
    await runtime.containers.start(id);
    runtime.process(id).print("hello");
    // What Docker answers for a container being removed (a recreate's old one): 409 on its log.
    const follow = runtime.containers.logs.bind(runtime.containers);
    Object.assign(runtime.containers, {
      logs: (cid: string, options: LogOptions = {}) =>
        options.follow === true
          ? follow(cid, options)
          : (async function* (): AsyncIterable<LogLine> {
              yield* [];
              throw new ConflictError("can not get logs from container which is dead or marked for removal");
            })(),
    });
    const out = recorder();
    const printer = new LogPrinter({ out, color: false, prefix: false, timestamps: false, services: [] });
    const followed = followLogs(runtime, [{ id, name: "p-web-1", service: "web" }], printer, {
      signal: AbortSignal.timeout(5_000),
    });
    setTimeout(() => runtime.process(id).exit(137), 50);
    await expect(followed).resolves.toBeUndefined();
    expect(out.text()).toBe("hello\n");
  });
});
