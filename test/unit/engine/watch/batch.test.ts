/** Changes gathered into batches: a 500 ms quiet period after the last change, distinct paths, one batch at a time. */
import { describe, expect, it } from "vitest";
import { Batcher, type Clock, QUIET_PERIOD_MS } from "../../../../src/engine/watch/batch.js";

/** A clock moved by hand: `advance(ms)` runs the timers due by then. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let next = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout: (fn, ms) => {
      timers.set(++next, { at: now + ms, fn });
      return next;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    advance(ms) {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        timers.delete(id);
        t.fn();
      }
    },
    pending: () => timers.size,
  };
}

function recorder(): { batches: string[][]; handle: (paths: readonly string[]) => Promise<void> } {
  const batches: string[][] = [];
  return { batches, handle: (paths) => (batches.push([...paths]), Promise.resolve()) };
}

describe("Batcher", () => {
  it("waits Compose's 500 ms of quiet, restarted by each change, then sends the distinct paths once", async () => {
    expect(QUIET_PERIOD_MS).toBe(500);
    const clock = manualClock();
    const { batches, handle } = recorder();
    const batcher = new Batcher(handle, () => undefined, clock);
    batcher.add("/p/a");
    clock.advance(400);
    batcher.add("/p/b");
    batcher.add("/p/a");
    clock.advance(400);
    await batcher.idle();
    expect(batches).toEqual([]);
    clock.advance(100);
    await batcher.idle();
    expect(batches).toEqual([["/p/a", "/p/b"]]);
    clock.advance(5_000);
    await batcher.idle();
    expect(batches).toHaveLength(1);
  });

  it("handles one batch at a time: changes during a batch go into the next", async () => {
    const clock = manualClock();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher(
      async (paths) => {
        order.push(`start ${paths.join(",")}`);
        if (paths.includes("/a")) await first;
        order.push(`end ${paths.join(",")}`);
      },
      () => undefined,
      clock,
    );
    batcher.add("/a");
    clock.advance(500);
    batcher.add("/b");
    clock.advance(500);
    await Promise.resolve();
    expect(order).toEqual(["start /a"]);
    release();
    await batcher.idle();
    expect(order).toEqual(["start /a", "end /a", "start /b", "end /b"]);
  });

  it("reports a failed batch and goes on with the next", async () => {
    const clock = manualClock();
    const errors: unknown[] = [];
    const seen: string[][] = [];
    const batcher = new Batcher(
      (paths) => {
        seen.push([...paths]);
        return paths.includes("/bad") ? Promise.reject(new Error("boom")) : Promise.resolve();
      },
      (error) => errors.push(error),
      clock,
    );
    batcher.add("/bad");
    clock.advance(500);
    await batcher.idle();
    batcher.add("/good");
    clock.advance(500);
    await batcher.idle();
    expect(seen).toEqual([["/bad"], ["/good"]]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
  });

  it("drops what is pending when closed, and takes nothing after", async () => {
    const clock = manualClock();
    const { batches, handle } = recorder();
    const batcher = new Batcher(handle, () => undefined, clock);
    batcher.add("/a");
    await batcher.close();
    expect(clock.pending()).toBe(0);
    batcher.add("/b");
    clock.advance(1_000);
    await batcher.idle();
    expect(batches).toEqual([]);
  });
});
