import { describe, expect, it } from "vitest";
import { ChunkQueue } from "../../../../../src/runtime/native/process/chunk-queue.js";

describe("a session's output queue", () => {
  it("gives chunks in order, then ends; a failure comes after what was pushed", async () => {
    const queue = new ChunkQueue();
    queue.push("stdout", Buffer.from("a"));
    queue.push("stderr", Buffer.from("b"));
    queue.fail(new Error("cut"));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of queue) seen.push(`${chunk.stream}:${Buffer.from(chunk.data).toString()}`);
      })(),
    ).rejects.toThrow("cut");
    expect(seen).toEqual(["stdout:a", "stderr:b"]);
  });

  it("asks the producer to pause past the high-water mark and to go on at a quarter of it", async () => {
    const events: string[] = [];
    const queue = new ChunkQueue({
      highWater: 10,
      onFull: () => events.push("full"),
      onDrained: () => events.push("drained"),
    });
    for (let i = 0; i < 4; i++) queue.push("stdout", Buffer.alloc(4));
    expect(events).toEqual(["full"]);
    expect(queue.full).toBe(true);
    queue.end();
    const reader = queue[Symbol.asyncIterator]();
    await reader.next(); // 12 left
    await reader.next(); // 8 left
    expect(events).toEqual(["full"]);
    await reader.next(); // 4 left: still above a quarter of 10
    await reader.next(); // 0 left
    expect(events).toEqual(["full", "drained"]);
    expect((await reader.next()).done).toBe(true);
  });

  it("drops what is unread on clear, and lets a paused producer go", async () => {
    const events: string[] = [];
    const queue = new ChunkQueue({
      highWater: 1,
      onFull: () => events.push("full"),
      onDrained: () => events.push("drained"),
    });
    queue.push("stdout", Buffer.alloc(8));
    queue.clear();
    queue.push("stdout", Buffer.alloc(8)); // after the end: ignored
    expect(events).toEqual(["full", "drained"]);
    const chunks = [];
    for await (const chunk of queue) chunks.push(chunk);
    expect(chunks).toEqual([]);
    await queue.ended;
  });
});
