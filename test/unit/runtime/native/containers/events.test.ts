/**
 * The native event log: appended by any process, read by several readers at once, each from the
 * start (`since`) or from now, following new events until aborted or `until`; a log started afresh
 * past its size limit is followed into the new file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appendEvent, readEvents } from "../../../../../src/runtime/native/events.js";
import { nativePaths } from "../../../../../src/runtime/native/paths.js";
import type { RuntimeEvent } from "../../../../../src/runtime/runtime.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "berth-events-"));
const paths = nativePaths({ BERTH_ROOT: dir, BERTH_RUN_ROOT: path.join(dir, "run") });

const event = (id: string, labels: Record<string, string> = {}): RuntimeEvent => ({
  type: "container",
  id,
  action: "start",
  attributes: { name: id, ...labels },
  time: new Date(),
});

/** The ids `count` events in, read by a reader started now with `filter`. */
async function collect(count: number, filter: Parameters<typeof readEvents>[1], timeoutMs = 5_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const ids: string[] = [];
  try {
    for await (const e of readEvents(paths, filter, controller.signal, { pollMs: 20 })) {
      ids.push(e.id);
      if (ids.length === count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return ids;
}

describe("native events", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives past events with since, new ones to every reader, filtered by label", async () => {
    const start = new Date(Date.now() - 1_000);
    appendEvent(paths, event("old"));
    const fromStart = collect(3, { since: start });
    const fromNow = collect(2, { labels: ["keep"] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendEvent(paths, event("new-1", { keep: "1" }));
    appendEvent(paths, event("dropped"));
    appendEvent(paths, event("new-2", { keep: "1" }));
    expect(await fromStart).toEqual(["old", "new-1", "dropped"]);
    expect(await fromNow).toEqual(["new-1", "new-2"]);
  });

  it("ends at until, and follows a log started afresh past its size", async () => {
    const past = await collect(10, { since: new Date(0), until: new Date() }, 2_000);
    expect(past).toEqual(["old", "new-1", "dropped", "new-2"]);
    const following = collect(2, {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Each append finds the log over 1 byte: each starts it afresh (read between the two).
    appendEvent(paths, event("before-rotation"), 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    appendEvent(paths, event("after-rotation"), 1);
    expect(await following).toEqual(["before-rotation", "after-rotation"]);
  });
});
