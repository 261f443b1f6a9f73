import { describe, expect, it } from "vitest";
import { splitLogRecords } from "../../../../../src/runtime/native/process/k8s-log.js";
import {
  k8sRecords,
  k8sTimestamp,
  monotonicStamps,
} from "../../../../../src/runtime/native/monitor/k8s-format.js";

describe("k8s-file records", () => {
  it("stamps RFC3339 with nanoseconds and +00:00, as conmon does", () => {
    expect(k8sTimestamp(new Date("2026-12-06T13:54:02.304Z"), 113_113)).toBe(
      "2026-12-06T13:54:02.304113113+00:00",
    );
    expect(k8sTimestamp(new Date("2026-12-06T13:54:02.000Z"), 7)).toBe("2026-12-06T13:54:02.000000007+00:00");
  });

  it("cuts a read at its newlines: whole lines F, a trailing piece P", () => {
    const ts = "2026-12-06T13:54:02.304113113+00:00";
    expect(k8sRecords("stdout", Buffer.from("a\nbb\ncc"), ts).toString()).toBe(
      `${ts} stdout F a\n${ts} stdout F bb\n${ts} stdout P cc\n`,
    );
    expect(k8sRecords("stderr", Buffer.from("\n"), ts).toString()).toBe(`${ts} stderr F \n`);
    expect(k8sRecords("stdout", Buffer.alloc(0), ts).toString()).toBe("");
  });

  it("reads back through berth's log parser as the bytes written, binary included", () => {
    const ts = k8sTimestamp(new Date(), 0);
    const reads = [Buffer.from("one\ntw"), Buffer.from("o\n"), Buffer.from([0xff, 0x00, 0x0a, 0x41])];
    const log = Buffer.concat(reads.map((read) => k8sRecords("stdout", read, ts)));
    const { records, rest } = splitLogRecords(log);
    expect(rest.length).toBe(0);
    expect(Buffer.concat(records.map((record) => record.data))).toEqual(Buffer.concat(reads));
  });
});

describe("the drainer's clock", () => {
  it("never goes back, across millisecond boundaries, with the wall clock's time at its start", () => {
    // hrtime readings 0.4 ms apart: stamps taken from the wall clock's milliseconds with hrtime's
    // own sub-millisecond digits went back within one millisecond.
    let hr = 5_999_700_000n;
    const stamp = monotonicStamps(Date.parse("2026-12-06T13:54:02.304Z"), () => (hr += 400_000n));
    const stamps = Array.from({ length: 6 }, () => stamp());
    expect(stamps[0]).toBe("2026-12-06T13:54:02.304400000+00:00");
    expect(stamps[5]).toBe("2026-12-06T13:54:02.306400000+00:00");
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });
});
