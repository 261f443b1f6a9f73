import { describe, expect, it } from "vitest";
import { LineRing } from "../../../../src/ui/dashboard/ring.js";

describe("LineRing", () => {
  it("holds every line below its capacity, in order, as pushed", () => {
    const ring = new LineRing(1000);
    for (let i = 0; i < 500; i++) ring.push(i, i + 1, i % 2 === 0 ? "stdout" : "stderr", `line ${i}`);
    expect(ring.length).toBe(500);
    expect(ring.evicted).toBe(0);
    expect([ring.first, ring.end]).toEqual([0, 500]);
    expect(ring.text(0)).toBe("line 0");
    expect(ring.text(499)).toBe("line 499");
    expect(ring.stream(1)).toBe("stderr");
    expect(ring.key(10)).toEqual({ time: 10, seq: 11 });
  });

  it("evicts the oldest lines past its capacity and counts them", () => {
    const ring = new LineRing(100);
    for (let i = 0; i < 250; i++) ring.push(i, i + 1, "stdout", `line ${i}`);
    expect(ring.length).toBe(100);
    expect(ring.evicted).toBe(150);
    expect(ring.first).toBe(150);
    expect(ring.text(150)).toBe("line 150");
    expect(ring.text(249)).toBe("line 249");
    expect(() => ring.text(149)).toThrow(RangeError);
  });

  it("finds the first line after a key by binary search, ties broken by sequence", () => {
    const ring = new LineRing(10);
    ring.push(5, 1, "stdout", "a");
    ring.push(5, 2, "stdout", "b");
    ring.push(7, 3, "stdout", "c");
    expect(ring.upperBound({ time: 4, seq: 0 })).toBe(0);
    expect(ring.upperBound({ time: 5, seq: 1 })).toBe(1);
    expect(ring.upperBound({ time: 6, seq: 0 })).toBe(2);
    expect(ring.upperBound({ time: 9, seq: 0 })).toBe(3);
  });

  it("rejects a capacity below one", () => {
    expect(() => new LineRing(0)).toThrow(RangeError);
  });
});
