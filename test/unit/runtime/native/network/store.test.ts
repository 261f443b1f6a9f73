import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { readState, updateState } from "../../../../../src/runtime/native/network/store.js";
import { nativePaths } from "../../../../../src/runtime/native/paths.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshPaths() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "berth-net-store-"));
  dirs.push(dir);
  return nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
}

describe("network state updates in one process", () => {
  it("hand the lock on at once, one at a time, in call order (no poll interval between turns)", async () => {
    const paths = freshPaths();
    const turns: { index: number; start: number; end: number }[] = [];
    let inside = 0;
    let overlapped = false;
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        updateState(paths, async (state) => {
          const start = performance.now();
          if (++inside > 1) overlapped = true;
          await sleep(5);
          inside--;
          turns.push({ index, start, end: performance.now() });
          return { state: { ...state, containers: { ...state.containers } }, result: undefined };
        }),
      ),
    );
    expect(overlapped).toBe(false);
    expect(turns.map((t) => t.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const gaps = turns.slice(1).map((t, i) => t.start - turns[i]!.end);
    gaps.sort((a, b) => a - b);
    // Polling the lock file left each next caller waiting for its poll (20 → 200 ms): the median
    // gap was ~200 ms. Queued in the process, a turn starts as soon as the file is released.
    expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(60);
    expect((await readState(paths)).version).toBe(1);
  });

  it("a change that throws releases the lock for the next caller", async () => {
    const paths = freshPaths();
    const failing = updateState(paths, () => {
      throw new Error("refused");
    });
    const next = updateState(paths, (state) => ({ state, result: "ran" }));
    await expect(failing).rejects.toThrow("refused");
    await expect(next).resolves.toBe("ran");
  });
});
