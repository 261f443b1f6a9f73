import { describe, expect, it } from "vitest";
import { findLine, LogStore, matches } from "../../../../src/ui/dashboard/log-store.js";

const web1 = { name: "demo-web-1", service: "web" };
const web2 = { name: "demo-web-2", service: "web" };
const db1 = { name: "demo-db-1", service: "db" };

function store(capacity = 100): LogStore {
  return new LogStore({ capacity, now: () => 0 });
}

function at(ms: number): Date {
  return new Date(ms);
}

describe("LogStore", () => {
  it("interleaves containers by their timestamps, whatever order the streams delivered them", () => {
    const logs = store();
    // db's backlog arrives after web's, but happened in between.
    logs.print(web1, { line: "web a", stream: "stdout", time: at(1) });
    logs.print(web1, { line: "web c", stream: "stdout", time: at(3) });
    logs.print(db1, { line: "db b", stream: "stdout", time: at(2) });
    logs.print(db1, { line: "db d", stream: "stderr", time: at(4) });
    expect([...logs.forward({ kind: "all" })].map((l) => l.text)).toEqual(["web a", "db b", "web c", "db d"]);
    expect([...logs.backward({ kind: "all" })].map((l) => l.text)).toEqual([
      "db d",
      "web c",
      "db b",
      "web a",
    ]);
  });

  it("filters by service (all replicas) or by one container", () => {
    const logs = store();
    logs.print(web1, { line: "1", stream: "stdout", time: at(1) });
    logs.print(web2, { line: "2", stream: "stdout", time: at(2) });
    logs.print(db1, { line: "3", stream: "stdout", time: at(3) });
    expect([...logs.forward({ kind: "service", service: "web" })].map((l) => l.text)).toEqual(["1", "2"]);
    expect([...logs.forward({ kind: "source", source: "demo-web-2" })].map((l) => l.text)).toEqual(["2"]);
    expect([...logs.forward({ kind: "source", source: "nope" })]).toEqual([]);
  });

  it("stores whole lines: a line carrying newlines becomes several, none merged", () => {
    const logs = store();
    logs.print(web1, { line: "one\r\ntwo", stream: "stdout", time: at(1) });
    logs.status(web1, "exited with code 0");
    expect([...logs.forward({ kind: "all" })].map((l) => [l.text, l.stream])).toEqual([
      ["one", "stdout"],
      ["two", "stdout"],
      ["exited with code 0", "status"],
    ]);
    expect(logs.linesOf("demo-web-1")).toEqual(["one", "two"]);
  });

  it("walks from a key in both directions and counts what comes after it", () => {
    const logs = store();
    for (let i = 1; i <= 5; i++) logs.print(web1, { line: `l${i}`, stream: "stdout", time: at(i) });
    const third = [...logs.forward({ kind: "all" })][2];
    if (!third) throw new Error("no third line");
    expect([...logs.backward({ kind: "all" }, third)].map((l) => l.text)).toEqual(["l3", "l2", "l1"]);
    expect([...logs.forward({ kind: "all" }, third)].map((l) => l.text)).toEqual(["l4", "l5"]);
    expect(logs.countAfter({ kind: "all" }, third)).toBe(2);
    expect(logs.last({ kind: "all" })?.time).toBe(5);
    expect(logs.firstKey({ kind: "all" })?.time).toBe(1);
  });

  it("keeps one container's lines in order when the engine's clock steps back", () => {
    const logs = store();
    logs.print(web1, { line: "late", stream: "stdout", time: at(10) });
    logs.print(web1, { line: "stepped back", stream: "stdout", time: at(5) });
    expect([...logs.forward({ kind: "all" })].map((l) => l.text)).toEqual(["late", "stepped back"]);
  });

  it("loses no line below capacity and reports evictions past it", () => {
    const logs = store(1000);
    for (let i = 0; i < 1000; i++) logs.print(web1, { line: `n${i}`, stream: "stdout", time: at(i) });
    expect(logs.stats()).toEqual({ received: 1000, retained: 1000, evicted: 0, sources: 1 });
    expect(logs.linesOf("demo-web-1")).toEqual(Array.from({ length: 1000 }, (_, i) => `n${i}`));
    logs.print(web1, { line: "one more", stream: "stdout", time: at(2000) });
    expect(logs.stats()).toMatchObject({ received: 1001, retained: 1000, evicted: 1 });
    expect(logs.linesOf("demo-web-1")[0]).toBe("n1");
  });

  it("tells its owner after every stored line (the frame clock's cue)", () => {
    let told = 0;
    const logs = new LogStore({ capacity: 10, onAppend: () => told++ });
    logs.print(web1, { line: "a\nb", stream: "stdout" });
    expect(told).toBe(2);
  });
});

describe("search", () => {
  it("matches case-insensitively on the visible text, ignoring colour codes", () => {
    expect(matches("\x1b[31mERROR\x1b[0m: disk", "error: d")).toBe(true);
    expect(matches("fine", "error")).toBe(false);
    expect(matches("anything", "")).toBe(false);
  });

  it("finds the nearest match older or newer than a line, inclusive or not", () => {
    const logs = store();
    const texts = ["needle 1", "hay", "needle 2", "hay", "needle 3"];
    texts.forEach((line, i) => logs.print(web1, { line, stream: "stdout", time: at(i + 1) }));
    const all = { kind: "all" } as const;
    const newest = findLine(logs, all, "needle", undefined, "older");
    expect(newest?.text).toBe("needle 3");
    const older = findLine(logs, all, "needle", newest, "older", false);
    expect(older?.text).toBe("needle 2");
    const newer = findLine(logs, all, "needle", older, "newer", false);
    expect(newer?.text).toBe("needle 3");
    expect(findLine(logs, all, "needle", newer, "newer", false)).toBeUndefined();
    expect(findLine(logs, all, "absent", undefined, "older")).toBeUndefined();
  });
});
