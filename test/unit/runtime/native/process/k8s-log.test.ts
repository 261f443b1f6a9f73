import { describe, expect, it } from "vitest";
import { parseLogRecord, splitLogRecords } from "../../../../../src/runtime/native/process/k8s-log.js";

const TIME = "2026-12-06T13:54:02.304113113+00:00";

describe("conmon's k8s-file log", () => {
  it("gives full lines their newline back, partial ones as they are, streams apart", () => {
    expect(parseLogRecord(Buffer.from(`${TIME} stdout F hello world`))).toEqual({
      timestamp: TIME,
      stream: "stdout",
      partial: false,
      data: Buffer.from("hello world\n"),
    });
    expect(parseLogRecord(Buffer.from(`${TIME} stderr P part`))).toMatchObject({
      stream: "stderr",
      partial: true,
      data: Buffer.from("part"),
    });
    expect(parseLogRecord(Buffer.from(`${TIME} stdout F `))?.data).toEqual(Buffer.from("\n"));
    expect(parseLogRecord(Buffer.from(`${TIME} stdout F`))?.data).toEqual(Buffer.from("\n"));
    expect(parseLogRecord(Buffer.from("garbage"))).toBeUndefined();
    expect(parseLogRecord(Buffer.from(`${TIME} stdin F x`))).toBeUndefined();
  });

  it("keeps bytes that are not UTF-8, and a record still being written for the next read", () => {
    const bytes = Buffer.concat([
      Buffer.from(`${TIME} stdout F \xff`, "latin1"),
      Buffer.from("\n"),
      Buffer.from(`${TIME} stdout P half`),
    ]);
    const { records, rest } = splitLogRecords(bytes);
    expect(records.map((r) => r.data)).toEqual([Buffer.from([0xff, 0x0a])]);
    expect(rest.toString()).toBe(`${TIME} stdout P half`);
  });
});
