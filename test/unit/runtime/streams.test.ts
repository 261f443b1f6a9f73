import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/runtime/errors.js";
import type { LogLine, OutputChunk, ProgressEvent } from "../../../src/runtime/runtime.js";
import {
  demux,
  events,
  logLines,
  ndjson,
  raw,
  readProgress,
  statsFrom,
} from "../../../src/runtime/docker/streams.js";

// --- helpers ----------------------------------------------------------------------------------

const utf8 = new TextEncoder();

/** An array of chunks as an async iterable, the way a socket delivers them. */
async function* from(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function bytes(value: string | readonly number[] | Uint8Array): Uint8Array {
  if (typeof value === "string") return utf8.encode(value);
  return Uint8Array.from(value);
}

function cat(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts.map((p) => bytes(p))));
}

/** A multiplexed frame, built by hand: [type, 0, 0, 0, size big-endian], payload. */
function frame(type: number, payload: Uint8Array | string): Uint8Array {
  const body = bytes(payload);
  const size = body.length;
  const header = [
    type,
    0,
    0,
    0,
    (size >>> 24) & 0xff,
    (size >>> 16) & 0xff,
    (size >>> 8) & 0xff,
    size & 0xff,
  ];
  return cat(Uint8Array.from(header), body);
}

/** Cuts `data` after each of `sizes` bytes; the rest is the last chunk. */
function cut(data: Uint8Array, ...sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(data.slice(at, at + size));
    at += size;
  }
  if (at < data.length) out.push(data.slice(at));
  return out;
}

function bytewise(data: Uint8Array): Uint8Array[] {
  return Array.from(data, (b) => Uint8Array.of(b));
}

function everySize(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.slice(at, at + size));
  return out;
}

/** Output chunks in a comparable form: stream and payload as hex. */
function shown(chunks: readonly OutputChunk[]): { stream: string; hex: string }[] {
  return chunks.map((c) => ({ stream: c.stream, hex: Buffer.from(c.data).toString("hex") }));
}

function out(stream: "stdout" | "stderr", text: string | Uint8Array): { stream: string; hex: string } {
  return { stream, hex: Buffer.from(bytes(text)).toString("hex") };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected an ApiError");
}

function json(...values: readonly unknown[]): Uint8Array {
  return utf8.encode(values.map((v) => `${JSON.stringify(v)}\r\n`).join(""));
}

// --- demux ------------------------------------------------------------------------------------

describe("demux", () => {
  const sample = cat(frame(1, "hello\n"), frame(2, "oops\n"), frame(1, "world"));
  const expected = [out("stdout", "hello\n"), out("stderr", "oops\n"), out("stdout", "world")];

  it("reads several frames from one chunk", async () => {
    expect(shown(await collect(demux(from([sample]))))).toEqual(expected);
  });

  it("reads a header split in two chunks (3 + 5 bytes)", async () => {
    const data = frame(1, "abc");
    const chunks = cut(data, 3, 5);
    expect(chunks.map((c) => c.length)).toEqual([3, 5, 3]);
    expect(shown(await collect(demux(from(chunks))))).toEqual([out("stdout", "abc")]);
  });

  it("reads a header split across a chunk that also ends the previous frame", async () => {
    const data = cat(frame(1, "one"), frame(2, "two"));
    // first chunk: frame 1 complete + 2 bytes of the next header
    const chunks = cut(data, 13);
    expect(shown(await collect(demux(from(chunks))))).toEqual([out("stdout", "one"), out("stderr", "two")]);
  });

  it("reads a payload split in three chunks", async () => {
    const data = frame(2, "abcdefghij");
    const chunks = cut(data, 8 + 3, 4);
    expect(chunks.length).toBe(3);
    expect(shown(await collect(demux(from(chunks))))).toEqual([out("stderr", "abcdefghij")]);
  });

  it("yields nothing for zero-length frames between others", async () => {
    const data = cat(frame(1, ""), frame(1, "a"), frame(2, ""), frame(1, ""), frame(2, "b"), frame(1, ""));
    expect(shown(await collect(demux(from([data]))))).toEqual([out("stdout", "a"), out("stderr", "b")]);
    expect(shown(await collect(demux(from(bytewise(data)))))).toEqual([
      out("stdout", "a"),
      out("stderr", "b"),
    ]);
  });

  it("gives the identical result when every byte is its own chunk", async () => {
    const whole = await collect(demux(from([sample])));
    const single = await collect(demux(from(bytewise(sample))));
    expect(shown(single)).toEqual(shown(whole));
    expect(shown(single)).toEqual(expected);
  });

  it("gives the identical result for every chunk size", async () => {
    for (let size = 1; size <= sample.length; size++) {
      expect(shown(await collect(demux(from(everySize(sample, size)))))).toEqual(expected);
    }
  });

  it("reports the stdin stream type as stdout", async () => {
    expect(shown(await collect(demux(from([frame(0, "typed")]))))).toEqual([out("stdout", "typed")]);
  });

  it("keeps binary payloads byte for byte", async () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const chunks = await collect(demux(from(bytewise(frame(1, payload)))));
    expect(shown(chunks)).toEqual([out("stdout", payload)]);
  });

  it("reads a payload whose size uses all four size bytes", async () => {
    // 0x01020304 bytes would be 16 MiB; check the arithmetic on a header alone instead.
    const header = Uint8Array.of(1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04);
    const error = await failure(collect(demux(from([header, new Uint8Array(10)]))));
    expect(error.message).toBe("stream ended inside a frame");
    const big = Uint8Array.of(2, 0, 0, 0, 0x00, 0x01, 0x00, 0x01);
    const payload = new Uint8Array(0x10001).fill(0x41);
    const chunks = await collect(demux(from([big, payload])));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.data.length).toBe(65537);
  });

  it("throws the daemon's text for a systemerr frame", async () => {
    const data = cat(frame(1, "before"), frame(3, "container exited unexpectedly"), frame(1, "after"));
    const seen: OutputChunk[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of demux(from(bytewise(data)))) seen.push(chunk);
      })(),
    );
    expect(error.message).toBe("container exited unexpectedly");
    expect(error.code).toBe("API_ERROR");
    expect(shown(seen)).toEqual([out("stdout", "before")]);
  });

  it("throws for an empty systemerr frame too", async () => {
    const error = await failure(collect(demux(from([frame(3, "")]))));
    expect(error.message).toMatch(/error/);
  });

  it("throws when the source ends inside a header", async () => {
    const data = cat(frame(1, "ok"), Uint8Array.of(1, 0, 0, 0, 0));
    const error = await failure(collect(demux(from([data]))));
    expect(error.message).toBe("stream ended inside a frame");
  });

  it("throws when the source ends inside a payload", async () => {
    const data = frame(1, "truncated payload").slice(0, 12);
    const error = await failure(collect(demux(from(cut(data, 5)))));
    expect(error.message).toBe("stream ended inside a frame");
  });

  it("delivers the frames before a truncation", async () => {
    const data = cat(frame(2, "kept"), frame(1, "lost").slice(0, 10));
    const seen: OutputChunk[] = [];
    await failure(
      (async () => {
        for await (const chunk of demux(from([data]))) seen.push(chunk);
      })(),
    );
    expect(shown(seen)).toEqual([out("stderr", "kept")]);
  });

  it("ends quietly on an empty source and on a source of empty chunks", async () => {
    expect(await collect(demux(from([])))).toEqual([]);
    expect(await collect(demux(from([new Uint8Array(0), new Uint8Array(0)])))).toEqual([]);
  });

  it("rejects an unknown stream type (a TTY stream read as multiplexed)", async () => {
    const error = await failure(collect(demux(from([bytes("hello world\n")]))));
    expect(error.message).toMatch(/stream type 104/);
  });

  it("passes a 1 MiB payload in one chunk as a view, without copying", async () => {
    const payload = new Uint8Array(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const data = frame(1, payload);
    const chunks = await collect(demux(from([data])));
    expect(chunks).toHaveLength(1);
    const first = chunks[0];
    expect(first?.data.buffer).toBe(data.buffer);
    expect(first?.data.byteOffset).toBe(8);
    expect(Buffer.compare(Buffer.from(first?.data ?? []), Buffer.from(payload))).toBe(0);
  });

  it("reassembles a 1 MiB payload split into 64 KiB chunks", async () => {
    const payload = new Uint8Array(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const data = cat(frame(2, payload), frame(1, "tail"));
    const chunks = await collect(demux(from(everySize(data, 65536 + 5))));
    expect(chunks.map((c) => [c.stream, c.data.length])).toEqual([
      ["stderr", 1024 * 1024],
      ["stdout", 4],
    ]);
    expect(Buffer.compare(Buffer.from(chunks[0]?.data ?? []), Buffer.from(payload))).toBe(0);
  });

  it("works on a Node Readable", async () => {
    const { Readable } = await import("node:stream");
    const readable = Readable.from([Buffer.from(sample.slice(0, 10)), Buffer.from(sample.slice(10))]);
    expect(shown(await collect(demux(readable)))).toEqual(expected);
  });
});

// --- raw --------------------------------------------------------------------------------------

describe("raw", () => {
  it("reports every chunk as stdout, as is", async () => {
    const chunks = [bytes("hello\r\n"), bytes([0x1b, 0x5b, 0x48]), new Uint8Array(0), bytes("x")];
    expect(shown(await collect(raw(from(chunks))))).toEqual([
      out("stdout", "hello\r\n"),
      out("stdout", Uint8Array.of(0x1b, 0x5b, 0x48)),
      out("stdout", "x"),
    ]);
  });

  it("does not parse frame headers", async () => {
    const data = frame(2, "x");
    expect(shown(await collect(raw(from([data]))))).toEqual([out("stdout", data)]);
  });
});

// --- logLines ---------------------------------------------------------------------------------

const T1 = "2024-01-02T03:04:05.123456789Z";
const T2 = "2024-01-02T03:04:06.000000001Z";
const T3 = "2024-01-02T03:04:07.500000000Z";
const KIB16 = 16 * 1024;

/** One message of a multiplexed logs stream (timestamps=1): a frame holding `<time> <bytes>`. */
const o = (time: string, text: string | Uint8Array): Uint8Array => frame(1, cat(`${time} `, bytes(text)));
const e = (time: string, text: string | Uint8Array): Uint8Array => frame(2, cat(`${time} `, bytes(text)));
/** One message of a TTY's logs stream: no frame. */
const t = (time: string, text: string | Uint8Array): Uint8Array => cat(`${time} `, bytes(text));

/** A line as the docker json-file driver logs it: messages of 16 KiB sharing the first one's time. */
function pieces(time: string, line: Uint8Array, wrap: (time: string, text: Uint8Array) => Uint8Array) {
  const out: Uint8Array[] = [];
  for (let at = 0; at < line.length || at === 0; at += KIB16)
    out.push(wrap(time, line.slice(at, at + KIB16)));
  return out;
}

const lines = async (messages: readonly Uint8Array[], tty = false, chunking = (d: Uint8Array) => [d]) =>
  collect(logLines(from(chunking(cat(...messages))), { tty }));
const texts = (result: readonly LogLine[]): [string, string][] => result.map((l) => [l.stream, l.line]);

describe("logLines", () => {
  it("gives each message's line, its time and the engine's timestamp text, streams kept apart", async () => {
    expect(await lines([o(T1, "a\n"), e(T2, "err\n"), o(T3, "\n")])).toEqual([
      { stream: "stdout", line: "a", time: new Date("2024-01-02T03:04:05.123Z"), timestamp: T1 },
      { stream: "stderr", line: "err", time: new Date("2024-01-02T03:04:06.000Z"), timestamp: T2 },
      { stream: "stdout", line: "", time: new Date("2024-01-02T03:04:07.500Z"), timestamp: T3 },
    ]);
  });

  it("joins a 100 KiB line cut into 16 KiB messages, byte for byte, whatever the chunking", async () => {
    const line = utf8.encode("x".repeat(100 * 1024 - 3) + "\u00e9!"); // é straddles no boundary here
    const messages = pieces(T1, cat(line, "\n"), o);
    expect(messages.length).toBe(7);
    for (const chunking of [(d: Uint8Array) => [d], (d: Uint8Array) => everySize(d, 4093)]) {
      const result = await lines([...messages, o(T2, "next\n")], false, chunking);
      expect(result.map((l) => l.line)).toEqual([new TextDecoder().decode(line), "next"]);
      expect(result[0]?.timestamp).toBe(T1);
    }
  });

  it("joins a line of exactly 16 KiB: a full message, then its newline alone", async () => {
    const line = "y".repeat(KIB16);
    const result = await lines([o(T1, line), o(T1, "\n"), o(T2, "after\n")]);
    expect(texts(result)).toEqual([
      ["stdout", line],
      ["stdout", "after"],
    ]);
  });

  it("decodes a UTF-8 character cut by a 16 KiB boundary and by chunk boundaries", async () => {
    const line = utf8.encode("a".repeat(KIB16 - 1) + "\u{1f600}" + "b".repeat(10));
    const messages = pieces(T1, cat(line, "\n"), o);
    const result = await lines(messages, false, bytewiseLarge);
    expect(result.map((l) => l.line)).toEqual([new TextDecoder().decode(line)]);
  });

  it("ends an unterminated piece when the next message has another time (a restart), not gluing them", async () => {
    const result = await lines([o(T1, "no newline"), e(T2, "err\n"), o(T3, "next run\n")]);
    expect(texts(result)).toEqual([
      ["stderr", "err"],
      ["stdout", "no newline"],
      ["stdout", "next run"],
    ]);
  });

  it("delivers unterminated lines at the end, in the order they began", async () => {
    const result = await lines([e(T1, "err tail"), o(T2, "out\n"), o(T3, "out tail")]);
    expect(texts(result)).toEqual([
      ["stdout", "out"],
      ["stderr", "err tail"],
      ["stdout", "out tail"],
    ]);
  });

  it("keeps pieces of stdout and stderr apart while they interleave", async () => {
    const out = "o".repeat(KIB16 + 5);
    const err = "e".repeat(KIB16 + 7);
    const result = await lines([
      o(T1, out.slice(0, KIB16)),
      e(T2, err.slice(0, KIB16)),
      o(T1, `${out.slice(KIB16)}\n`),
      e(T2, `${err.slice(KIB16)}\n`),
    ]);
    expect(texts(result)).toEqual([
      ["stdout", out],
      ["stderr", err],
    ]);
  });

  it("drops the CR of CRLF and keeps other CRs", async () => {
    const result = await lines([o(T1, "one\r\n"), o(T2, "50%\r100%\n")]);
    expect(result.map((l) => l.line)).toEqual(["one", "50%\r100%"]);
  });

  it("keeps a leading byte-order mark and ends invalid UTF-8 with a replacement character", async () => {
    const result = await lines([
      o(T1, Uint8Array.of(0xef, 0xbb, 0xbf, 0x61, 0x0a)),
      o(T2, Uint8Array.of(0x61, 0xc3)),
    ]);
    expect(result.map((l) => l.line)).toEqual(["\ufeffa", "a\ufffd"]);
  });

  it("passes a line that merely looks like a timestamp as content", async () => {
    const result = await lines([o(T1, `${T2} inside\n`)]);
    expect(result.map((l) => [l.line, l.timestamp])).toEqual([[`${T2} inside`, T1]]);
  });

  it("honours short fractions and offsets in time", async () => {
    const result = await lines([o("2024-01-02T05:04:05.5+02:00", "c\n"), o("2024-01-02T03:04:05Z", "b\n")]);
    expect(result.map((l) => l.time?.toISOString())).toEqual([
      "2024-01-02T03:04:05.500Z",
      "2024-01-02T03:04:05.000Z",
    ]);
  });

  it("reads a TTY's raw stream: messages end at their LF or after 16 KiB", async () => {
    const long = "z".repeat(KIB16 * 2 + 100);
    const messages = [t(T1, "hi\r\n"), ...pieces(T2, utf8.encode(`${long}\r\n`), t), t(T3, "bye\r\n")];
    for (const chunking of [(d: Uint8Array) => [d], bytewiseLarge, (d: Uint8Array) => everySize(d, 1000)]) {
      const result = await lines(messages, true, chunking);
      expect(result.map((l) => [l.stream, l.line, l.timestamp])).toEqual([
        ["stdout", "hi", T1],
        ["stdout", long, T2],
        ["stdout", "bye", T3],
      ]);
    }
  });

  it("reads a TTY line of exactly 16 KiB and a final line without a newline", async () => {
    const line = "q".repeat(KIB16);
    const result = await lines([t(T1, line), t(T1, "\r\n"), t(T2, "tail")], true);
    expect(result.map((l) => l.line)).toEqual([line, "tail"]);
  });

  it("reads frames without timestamps line by line, joining what has no newline", async () => {
    const result = await lines([frame(1, "plain\nli"), frame(1, "ne\ntail")]);
    expect(result).toEqual([
      { stream: "stdout", line: "plain" },
      { stream: "stdout", line: "line" },
      { stream: "stdout", line: "tail" },
    ]);
  });
});

/** Every byte its own chunk is slow on 100 KiB; 7-byte chunks cut every boundary as well. */
function bytewiseLarge(data: Uint8Array): Uint8Array[] {
  return everySize(data, 7);
}

// --- ndjson -----------------------------------------------------------------------------------

describe("ndjson", () => {
  it("parses objects split mid-object across chunks", async () => {
    const data = bytes('{"a":1,"b":"x"}\n{"a":2,"b":"\u00e9"}\n');
    const expected = [
      { a: 1, b: "x" },
      { a: 2, b: "\u00e9" },
    ];
    expect(await collect(ndjson(from(cut(data, 5, 12, 3))))).toEqual(expected);
    expect(await collect(ndjson(from(bytewise(data))))).toEqual(expected);
  });

  it("skips blank lines, accepts CRLF and parses a last line without newline", async () => {
    const data = bytes('\n{"a":1}\r\n\r\n  \n{"a":2}');
    expect(await collect(ndjson(from(cut(data, 4))))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("throws ApiError naming the first 200 characters of a malformed line", async () => {
    const bad = `{"broken": ${"x".repeat(300)}`;
    const error = await failure(collect(ndjson(from([bytes(`{"ok":true}\n${bad}\n`)]))));
    expect(error.message).toContain(bad.slice(0, 200));
    expect(error.message).not.toContain(bad.slice(0, 201));
  });

  it("throws for a malformed last line without newline", async () => {
    const error = await failure(collect(ndjson(from([bytes('{"ok":true}\n{"nope"')]))));
    expect(error.message).toContain('{"nope"');
  });
});

// --- readProgress -----------------------------------------------------------------------------

describe("readProgress", () => {
  it("reports status, layer id and progress detail", async () => {
    const seen: ProgressEvent[] = [];
    const data = json(
      { status: "Pulling from library/alpine", id: "latest" },
      { status: "Downloading", progressDetail: { current: 100, total: 300 }, progress: "[=> ]", id: "abc" },
      { status: "Pull complete", progressDetail: {}, id: "abc" },
      { status: "Digest: sha256:0123" },
    );
    const result = await readProgress(from(bytewise(data)), (event) => seen.push(event));
    expect(result).toEqual({ aux: [] });
    expect(seen).toEqual([
      { id: "latest", status: "Pulling from library/alpine" },
      { id: "abc", status: "Downloading", current: 100, total: 300 },
      { id: "abc", status: "Pull complete" },
      { status: "Digest: sha256:0123" },
    ]);
  });

  it("throws errorDetail.message after reporting the progress before it", async () => {
    const seen: string[] = [];
    const data = json(
      { status: "Pulling fs layer", id: "l1" },
      { status: "Downloading", id: "l1", progressDetail: { current: 1, total: 2 } },
      { errorDetail: { message: "unauthorized: authentication required" }, error: "deprecated text" },
      { status: "never seen" },
    );
    const error = await failure(readProgress(from(cut(data, 20, 40)), (event) => seen.push(event.status)));
    expect(error.message).toBe("unauthorized: authentication required");
    expect(seen).toEqual(["Pulling fs layer", "Downloading"]);
  });

  it("falls back to the deprecated error field", async () => {
    const error = await failure(readProgress(from([json({ error: "manifest unknown" })])));
    expect(error.message).toBe("manifest unknown");
  });

  it("reports build stream lines as status without their newline, skipping empty ones", async () => {
    const seen: ProgressEvent[] = [];
    const data = json(
      { stream: "Step 1/2 : FROM alpine\n" },
      { stream: " ---> 0123abcd\n" },
      { stream: "\n" },
      { stream: "Step 2/2 : RUN make\r\n" },
      { stream: "partial " },
      { stream: "line\nnext\n" },
      { aux: { ID: "sha256:feed" } },
      { stream: "Successfully built feed\n" },
    );
    const result = await readProgress(from([data]), (event) => seen.push(event));
    expect(seen).toEqual([
      { status: "Step 1/2 : FROM alpine" },
      { status: " ---> 0123abcd" },
      { status: "Step 2/2 : RUN make" },
      { status: "partial line" },
      { status: "next" },
      { status: "Successfully built feed" },
    ]);
    expect(result.aux).toEqual([{ ID: "sha256:feed" }]);
  });

  it("delivers unterminated build text before an error and at the end", async () => {
    const seen: string[] = [];
    const failing = json({ stream: "make: *** failed" }, { errorDetail: { code: 2, message: "returned 2" } });
    const error = await failure(readProgress(from([failing]), (event) => seen.push(event.status)));
    expect(error.message).toBe("returned 2");
    expect(seen).toEqual(["make: *** failed"]);

    seen.length = 0;
    await readProgress(from([json({ stream: "no newline" })]), (event) => seen.push(event.status));
    expect(seen).toEqual(["no newline"]);
  });

  it("collects every aux value in order", async () => {
    const data = json(
      { status: "The push refers to repository [localhost:5000/app]" },
      { aux: { Tag: "latest", Digest: "sha256:aa", Size: 528 }, progressDetail: {} },
      { aux: "second" },
      { aux: null },
    );
    const result = await readProgress(from(bytewise(data)));
    expect(result.aux).toEqual([{ Tag: "latest", Digest: "sha256:aa", Size: 528 }, "second", null]);
  });

  it("works without a progress callback and on an empty stream", async () => {
    expect(await readProgress(from([]))).toEqual({ aux: [] });
    expect(await readProgress(from([json({ status: "Loaded image: x:1" })]))).toEqual({ aux: [] });
  });
});

// --- events -----------------------------------------------------------------------------------

describe("events", () => {
  it("maps the modern shape, with the exit code of die", async () => {
    const data = json(
      {
        status: "die",
        id: "c0ffee",
        from: "alpine",
        Type: "container",
        Action: "die",
        Actor: { ID: "c0ffee", Attributes: { exitCode: "137", image: "alpine", name: "demo-web-1" } },
        scope: "local",
        time: 1704164645,
        timeNano: 1704164645123000000,
      },
      {
        Type: "network",
        Action: "connect",
        Actor: { ID: "net1", Attributes: { container: "c0ffee", name: "demo_default", type: "bridge" } },
        scope: "local",
        time: 1704164646,
        timeNano: 1704164646000000000,
      },
    );
    expect(await collect(events(from(cut(data, 30))))).toEqual([
      {
        type: "container",
        action: "die",
        id: "c0ffee",
        attributes: { exitCode: "137", image: "alpine", name: "demo-web-1" },
        time: new Date("2024-01-02T03:04:05.123Z"),
        exitCode: 137,
      },
      {
        type: "network",
        action: "connect",
        id: "net1",
        attributes: { container: "c0ffee", name: "demo_default", type: "bridge" },
        time: new Date("2024-01-02T03:04:06.000Z"),
      },
    ]);
  });

  it("reads health_status as a health event, and kill, rename and exec chatter into berth's fields", async () => {
    // Written as wire text: the nanoseconds are past 2^53 and JSON.parse rounds them to …06.000.
    const wire =
      '{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"c1","Attributes":{"name":"x"}},' +
      '"time":1704164645,"timeNano":1704164645999999999}\n';
    const [event] = await collect(events(from([bytes(wire)])));
    expect(event).toMatchObject({ type: "container", action: "health", health: "healthy", id: "c1" });
    expect(event?.time.toISOString()).toBe("2024-01-02T03:04:05.999Z");

    const actor = (attributes: Record<string, string>) => ({ ID: "c1", Attributes: attributes });
    const more = await collect(
      events(
        from([
          json(
            { Type: "container", Action: "kill", Actor: actor({ signal: "15" }), time: 1 },
            { Type: "container", Action: "rename", Actor: actor({ oldName: "/old", name: "new" }), time: 1 },
            { Type: "container", Action: "exec_start: sh -c true", Actor: actor({}), time: 1 },
            { Type: "container", Action: "die", Actor: actor({}), time: 1 },
            { Type: "container", Action: "health_status: sideways", Actor: actor({}), time: 1 },
            { Type: "plugin", Action: "enable", Actor: actor({}), time: 1 },
          ),
        ]),
      ),
    );
    expect(more.map(({ time: _time, attributes: _attributes, id: _id, ...rest }) => rest)).toEqual([
      { type: "container", action: "kill", signal: "15" },
      { type: "container", action: "rename", oldName: "/old" },
      { type: "container", action: "other", detail: "exec_start: sh -c true" },
      { type: "container", action: "die", exitCode: undefined },
      { type: "container", action: "other", detail: "health_status: sideways" },
      { type: "other", action: "other", detail: "enable" },
    ]);
  });

  it("takes the time from timeNano alone, exact to the millisecond", async () => {
    const wire =
      '{"Type":"image","Action":"pull","Actor":{"ID":"alpine:3"},"timeNano":1704164645123000000}\n' +
      '{"Type":"image","Action":"tag","Actor":{"ID":"alpine:3"},"timeNano":1704164645007999999}\n';
    const result = await collect(events(from(bytewise(bytes(wire)))));
    expect(result.map((event) => event.time.toISOString())).toEqual([
      "2024-01-02T03:04:05.123Z",
      "2024-01-02T03:04:05.007Z",
    ]);
    expect(result.map((event) => [event.type, event.id, event.attributes])).toEqual([
      ["image", "alpine:3", {}],
      ["image", "alpine:3", {}],
    ]);
  });

  it("throws ApiError for an event that is not an object", async () => {
    const error = await failure(collect(events(from([bytes('"just text"\n')]))));
    expect(error.message).toContain("just text");
  });

  it("maps the legacy shape of older daemons (status, id, from, time)", async () => {
    const data = json(
      { status: "start", id: "abc123", from: "nginx:latest", time: 1704164645 },
      { status: "untag", id: "sha256:beef", time: 1704164646 },
    );
    expect(await collect(events(from(bytewise(data))))).toEqual([
      {
        type: "container",
        action: "start",
        id: "abc123",
        attributes: { image: "nginx:latest" },
        time: new Date("2024-01-02T03:04:05.000Z"),
      },
      {
        type: "image",
        action: "untag",
        id: "sha256:beef",
        attributes: {},
        time: new Date("2024-01-02T03:04:06.000Z"),
      },
    ]);
  });

  it("drops attribute values that are not strings", async () => {
    const [event] = await collect(
      events(
        from([
          json({
            Type: "volume",
            Action: "mount",
            Actor: { ID: "v", Attributes: { a: "1", b: 2 } },
            time: 1,
          }),
        ]),
      ),
    );
    expect(event?.attributes).toEqual({ a: "1" });
    expect(event?.time.getTime()).toBe(1000);
  });
});

// --- stats ------------------------------------------------------------------------------------

/** A cgroup v1 sample pair: precpu_stats holds the previous sample. */
const v1Stats = {
  read: "2024-01-02T03:04:05.123456789Z",
  preread: "2024-01-02T03:04:04.120000000Z",
  pids_stats: { current: 7 },
  blkio_stats: {
    io_service_bytes_recursive: [
      { major: 8, minor: 0, op: "Read", value: 4096 },
      { major: 8, minor: 0, op: "Write", value: 8192 },
      { major: 8, minor: 0, op: "Sync", value: 12288 },
      { major: 8, minor: 0, op: "Total", value: 12288 },
      { major: 8, minor: 16, op: "Read", value: 1000 },
    ],
  },
  cpu_stats: {
    cpu_usage: { total_usage: 2_500_000_000, percpu_usage: [1, 2, 3, 4] },
    system_cpu_usage: 120_000_000_000,
    online_cpus: 2,
  },
  precpu_stats: {
    cpu_usage: { total_usage: 2_000_000_000, percpu_usage: [1, 2, 3, 4] },
    system_cpu_usage: 118_000_000_000,
    online_cpus: 2,
  },
  memory_stats: {
    usage: 50_000_000,
    max_usage: 60_000_000,
    stats: { cache: 10_000_000, inactive_file: 4_000_000, total_inactive_file: 4_000_000 },
    limit: 2_000_000_000,
  },
  name: "/demo-web-1",
  id: "c0ffee",
  networks: {
    eth0: { rx_bytes: 1000, tx_bytes: 200 },
    eth1: { rx_bytes: 30, tx_bytes: 4 },
  },
};

/** A cgroup v2 sample: no percpu_usage, no online_cpus, lower-case blkio ops. */
const v2Stats = {
  read: "2024-01-02T03:04:06.5Z",
  pids_stats: { current: 3, limit: 100 },
  blkio_stats: {
    io_service_bytes_recursive: [
      { major: 254, minor: 0, op: "read", value: 111 },
      { major: 254, minor: 0, op: "write", value: 222 },
      { major: 254, minor: 1, op: "write", value: 3 },
    ],
  },
  cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 10_000_000_000 },
  precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 9_000_000_000 },
  memory_stats: {
    usage: 9_000_000,
    stats: { anon: 3_000_000, file: 6_000_000, inactive_file: 5_000_000 },
    limit: 1e9,
  },
};

describe("statsFrom", () => {
  it("computes cgroup v1 stats: usage minus cache, online_cpus, summed network and block io", async () => {
    const [stats] = await collect(statsFrom(from(bytewise(json(v1Stats)))));
    expect(stats).toEqual({
      time: new Date("2024-01-02T03:04:05.123Z"),
      // 0.5e9 / 2e9 × 2 CPUs × 100
      cpuPercent: 50,
      memoryUsageBytes: 40_000_000,
      memoryLimitBytes: 2_000_000_000,
      networkRxBytes: 1030,
      networkTxBytes: 204,
      blockReadBytes: 5096,
      blockWriteBytes: 8192,
      pids: 7,
    });
  });

  it("computes cgroup v2 stats: usage minus inactive_file, one CPU by default", async () => {
    const [stats] = await collect(statsFrom(from(cut(json(v2Stats), 50))));
    expect(stats).toEqual({
      time: new Date("2024-01-02T03:04:06.500Z"),
      // 2e6 / 1e9 × 1 × 100
      cpuPercent: 0.2,
      memoryUsageBytes: 4_000_000,
      memoryLimitBytes: 1e9,
      networkRxBytes: 0,
      networkTxBytes: 0,
      blockReadBytes: 111,
      blockWriteBytes: 225,
      pids: 3,
    });
  });

  it("counts CPUs from percpu_usage when online_cpus is missing", async () => {
    const sample = {
      ...v1Stats,
      cpu_stats: { ...v1Stats.cpu_stats, online_cpus: undefined },
    };
    const [stats] = await collect(statsFrom(from([json(sample)])));
    expect(stats?.cpuPercent).toBe(100);
  });

  it("gives 0% CPU without a previous sample or with a non-positive delta", async () => {
    const first = { ...v2Stats, precpu_stats: { cpu_usage: { total_usage: 0 } } };
    const zeroed = { ...v2Stats, precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 } };
    const idle = { ...v2Stats, precpu_stats: v2Stats.cpu_stats };
    const backwards = {
      ...v2Stats,
      precpu_stats: { cpu_usage: { total_usage: 5_000_000 }, system_cpu_usage: 9_000_000_000 },
    };
    const result = await collect(statsFrom(from([json(first, zeroed, idle, backwards)])));
    expect(result.map((s) => s.cpuPercent)).toEqual([0, 0, 0, 0]);
  });

  it("tolerates a stopped container's sample (nulls, zero time)", async () => {
    const sample = {
      read: "0001-01-01T00:00:00Z",
      pids_stats: {},
      blkio_stats: { io_service_bytes_recursive: null },
      cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} },
      memory_stats: {},
    };
    const [stats] = await collect(statsFrom(from([json(sample)])));
    expect(stats).toEqual({
      time: new Date("0001-01-01T00:00:00Z"),
      cpuPercent: 0,
      memoryUsageBytes: 0,
      memoryLimitBytes: 0,
      networkRxBytes: 0,
      networkTxBytes: 0,
      blockReadBytes: 0,
      blockWriteBytes: 0,
      pids: 0,
    });
  });

  it("yields one Stats per line of a stream", async () => {
    const result = await collect(statsFrom(from(everySize(json(v1Stats, v2Stats, v1Stats), 97))));
    expect(result.map((s) => s.pids)).toEqual([7, 3, 7]);
  });
});
