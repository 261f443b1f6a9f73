/**
 * The live view must redraw in place (cursor up over its own rows, never more often than every 100 ms),
 * keep rows within the terminal's width and height, and show ✔ / ✘ / a spinner with elapsed times.
 * Time and the tick are injected, so nothing here sleeps.
 */
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.js";
import { REDRAW_MS, ttyProgress } from "../../../src/ui/plain/progress-tty.js";
import { recorder, stripAnsi } from "./recorder.js";

function harness(shape: { columns?: number; rows?: number; color?: boolean } = {}) {
  let now = 1_000_000;
  let tick: (() => void) | undefined;
  let stopped = false;
  const out = recorder({
    isTTY: true,
    columns: shape.columns ?? 60,
    ...(shape.rows ? { rows: shape.rows } : {}),
  });
  const progress = ttyProgress({
    out,
    color: shape.color ?? false,
    title: "Running",
    now: () => now,
    every: (fn, ms) => {
      expect(ms).toBe(REDRAW_MS);
      tick = fn;
      return () => {
        stopped = true;
      };
    },
  });
  const event = (id: string, status: EngineEvent["status"], text?: string): void =>
    progress.on(
      text === undefined
        ? { resource: "container", id, status, at: now }
        : { resource: "container", id, status, text, at: now },
    );
  return {
    out,
    progress,
    event,
    advance(ms: number): void {
      now += ms;
    },
    tick(): void {
      tick?.();
    },
    stopped: () => stopped,
    /** The rows of the last frame, escape codes removed. */
    lastFrame(): string[] {
      const frame = stripAnsi(out.writes.at(-1) ?? "").replaceAll("\r", "");
      return frame.split("\n").filter((l) => l !== "");
    },
  };
}

/** A row as drawn: the text on the left, the elapsed time ending one column short of the terminal's edge. */
const row = (left: string, time: string, columns: number): string =>
  left + " ".repeat(columns - 1 - left.length - time.length) + time;

describe("tty progress", () => {
  it("draws the first event at once, then only on ticks", () => {
    const h = harness();
    h.event("webapp-web-1", "Creating");
    expect(h.out.writes).toHaveLength(1);
    h.event("webapp-web-1", "Created");
    h.event("webapp-db-1", "Creating");
    expect(h.out.writes).toHaveLength(1); // throttled: waits for the tick
    h.advance(100);
    h.tick();
    expect(h.out.writes).toHaveLength(2);
    expect(h.lastFrame()).toEqual([
      "[+] Running 1/2",
      row(" ✔ Container webapp-web-1  Created", "0.0s", 60),
      row(" ⠙ Container webapp-db-1   Creating", "0.1s", 60),
    ]);
  });

  it("moves the cursor back over the rows it drew, and clears rows it no longer needs", () => {
    const h = harness();
    h.event("a-1", "Creating");
    expect(h.out.writes[0]).not.toContain("\x1b[1A");
    h.event("b-1", "Creating");
    h.tick();
    expect(h.out.writes[1]).toContain("\x1b[2A"); // header + 1 row drawn before
    h.tick();
    expect(h.out.writes[2]).toContain("\x1b[3A");
    expect(h.out.writes[2]?.startsWith("\x1b[?25l")).toBe(true); // cursor hidden while drawing
    expect(h.out.writes[2]?.endsWith("\x1b[?25h")).toBe(true); // and shown again
  });

  it("marks done rows ✔ and failed rows ✘ with their detail, and freezes their time", () => {
    const h = harness({ columns: 70 });
    h.event("webapp-web-1", "Starting");
    h.advance(400);
    h.event("webapp-web-1", "Started");
    h.event("webapp-db-1", "Error", "port is already allocated");
    h.advance(5_000);
    h.progress.done();
    expect(h.stopped()).toBe(true);
    expect(h.lastFrame()).toEqual([
      "[+] Running 2/2",
      row(" ✔ Container webapp-web-1  Started", "0.4s", 70),
      row(" ✘ Container webapp-db-1   Error  port is already allocated", "0.0s", 70),
    ]);
  });

  it("cuts rows to the terminal width so they never wrap", () => {
    const h = harness({ columns: 40 });
    h.event("a-very-long-project-name-web-1", "Error", "x".repeat(100));
    h.progress.done();
    for (const row of h.lastFrame()) expect(row.length).toBeLessThanOrEqual(39);
    expect(h.lastFrame()[1]).toContain("…");
  });

  it("keeps the live view within the terminal's height, unfinished rows first", () => {
    const h = harness({ rows: 5 });
    for (let i = 1; i <= 6; i++) h.event(`svc-${i}`, "Created");
    h.event("svc-7", "Creating");
    h.tick();
    const frame = h.lastFrame();
    expect(frame).toHaveLength(4); // header + rows - 2
    expect(frame[0]).toBe("[+] Running 6/7");
    expect(frame.some((row) => row.includes("svc-7"))).toBe(true);
    h.progress.done(); // the final frame shows everything
    expect(h.lastFrame()).toHaveLength(8);
  });

  it("after done, prints later events as single lines below the view", () => {
    const h = harness();
    h.event("webapp-web-1", "Started");
    h.progress.done();
    const before = h.out.writes.length;
    h.event("webapp-web-1", "Stopping");
    expect(h.out.writes).toHaveLength(before + 1);
    expect(stripAnsi(h.out.writes.at(-1) ?? "")).toBe(" ⠋ Container webapp-web-1  Stopping\n");
  });

  it("colours ✔ green and ✘ red when colour is on, and nothing when off", () => {
    const on = harness({ color: true });
    on.event("a-1", "Created");
    on.event("b-1", "Error");
    on.progress.done();
    expect(on.out.writes.at(-1)).toContain("\x1b[32m✔");
    expect(on.out.writes.at(-1)).toContain("\x1b[31m✘");
    const off = harness();
    off.event("a-1", "Created");
    off.progress.done();
    // Cursor control only (hide/show, up, clear line): no colour (SGR 30-39 / 90-97) sequences.
    expect(off.out.text()).not.toMatch(/\[(?:3|9)\dm/);
    expect(on.out.text()).toMatch(/\[(?:3|9)\dm/);
  });
});
