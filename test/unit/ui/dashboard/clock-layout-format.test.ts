import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatPorts,
  formatSeconds,
} from "../../../../src/ui/dashboard/format.js";
import { FrameClock, realTimer } from "../../../../src/ui/dashboard/frame-clock.js";
import { layout } from "../../../../src/ui/dashboard/layout.js";

function fakeTimer() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after: (fn: () => void, ms: number) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
    },
  };
}

describe("frame clock", () => {
  it("draws at once after a quiet spell, then at most once per interval however many changes come", () => {
    const timer = fakeTimer();
    let frames = 0;
    const clock = new FrameClock(() => frames++, 33, timer);
    clock.request();
    timer.advance(0);
    expect(frames).toBe(1);
    for (let ms = 0; ms < 330; ms++) {
      clock.request();
      clock.request();
      timer.advance(1);
    }
    expect(frames).toBeGreaterThanOrEqual(10);
    expect(frames).toBeLessThanOrEqual(11);
    clock.stop();
    clock.request();
    timer.advance(100);
    expect(frames).toBeLessThanOrEqual(11);
  });
});

describe("layout", () => {
  it("leaves the last line free and shares the rest among the panes", () => {
    const lay = layout({ columns: 120, rows: 40 }, 4);
    expect(lay).toMatchObject({ narrow: false, services: 4, events: 3 });
    // header + table header + rows + logs title + logs + events title + events + footer = rows - 1
    expect(1 + 1 + lay.services + 1 + lay.logs + 1 + lay.events + 1).toBe(39);
  });

  it("caps the services table and keeps room for logs", () => {
    const lay = layout({ columns: 120, rows: 30 }, 50);
    expect(lay.services).toBeLessThan(15);
    expect(lay.logs).toBeGreaterThan(8);
  });

  it("shows only logs under 60 columns", () => {
    expect(layout({ columns: 59, rows: 20 }, 5)).toMatchObject({
      narrow: true,
      services: 0,
      events: 0,
      logs: 16,
    });
  });
});

describe("format", () => {
  it("writes ports, sizes, percentages and durations as the columns show them", () => {
    expect(
      formatPorts([
        { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: "8080" },
        { containerPort: 80, protocol: "tcp", hostIp: "::1", hostPort: "8080" },
        { containerPort: 53, protocol: "udp" },
      ]),
    ).toBe("127.0.0.1:8080→80/tcp, [::1]:8080→80/tcp, 53/udp");
    expect([formatBytes(512), formatBytes(3 * 1024 * 1024 + 1), formatBytes(200 * 1024 ** 3)]).toEqual([
      "512B",
      "3.0M",
      "200G",
    ]);
    expect(formatPercent(3.14159)).toBe("3.1%");
    expect([
      formatDuration(42_000),
      formatDuration(192_000),
      formatDuration(2 * 3600_000 + 300_000),
      formatDuration(97 * 3600_000),
    ]).toEqual(["42s", "3m12s", "2h05m", "4d01h"]);
    expect(formatSeconds(2_345)).toBe("2.3s");
  });
});

describe("frame budget", () => {
  it("spaces frames at least three times their cost apart, between 33 and 250 ms", () => {
    const timer = fakeTimer();
    let frames = 0;
    const clock = new FrameClock(() => frames++, 33, timer);
    expect(clock.interval).toBe(33);
    clock.reportCost(5);
    expect(clock.interval).toBe(33);
    for (let i = 0; i < 50; i++) clock.reportCost(40);
    expect(clock.interval).toBeCloseTo(120, 0);
    for (let i = 0; i < 50; i++) clock.reportCost(400);
    expect(clock.interval).toBe(250);
    // Requests within the interval wait for it.
    clock.request();
    timer.advance(0);
    expect(frames).toBe(1);
    clock.request();
    timer.advance(249);
    expect(frames).toBe(1);
    timer.advance(1);
    expect(frames).toBe(2);
  });
});

describe("key frames", () => {
  it("draws a key's frame at once, even inside a budget-stretched interval", () => {
    const timer = fakeTimer();
    let frames = 0;
    const clock = new FrameClock(() => frames++, 33, timer);
    for (let i = 0; i < 50; i++) clock.reportCost(100);
    clock.request();
    timer.advance(0);
    clock.request();
    timer.advance(10);
    expect(frames).toBe(1);
    clock.request(true);
    timer.advance(0);
    expect(frames).toBe(2);
  });
});

describe("the real timer", () => {
  it("draws a key's frame in a microtask, ahead of timers and I/O callbacks already queued", async () => {
    const order: string[] = [];
    const clock = new FrameClock(() => order.push("frame"), 33, realTimer);
    setTimeout(() => order.push("timer"), 0);
    setImmediate(() => order.push("immediate"));
    clock.request(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order[0]).toBe("frame");
    expect(order).toHaveLength(3);
    clock.stop();
  });
});
