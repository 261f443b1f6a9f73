/** feed(): a source written into a slow writable, in order and whole, and a failing source's error passed on. */
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { feed } from "../../../src/runtime/backpressure.js";

it("writes every chunk in order into a writable that is full after each one, then ends it", async () => {
  const received: number[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      received.push(...chunk);
      setTimeout(callback, 1);
    },
  });
  const finished = new Promise((resolve) => sink.on("finish", resolve));
  async function* source(): AsyncIterable<Uint8Array> {
    for (let i = 0; i < 50; i++) yield Uint8Array.of(i);
  }
  feed(source(), sink);
  await finished;
  expect(received).toEqual([...Array(50).keys()]);
  expect(sink.listenerCount("drain")).toBe(0);
});

it("destroys the writable with the source's error", async () => {
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const failed = new Promise<Error>((resolve) => sink.on("error", resolve));
  async function* source(): AsyncIterable<Uint8Array> {
    yield Uint8Array.of(1);
    await sleep(1);
    throw new Error("the container's archive broke off");
  }
  feed(source(), sink);
  expect((await failed).message).toBe("the container's archive broke off");
});
