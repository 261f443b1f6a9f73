/** Files copied in and out as tar archives, and the event stream. */
import { describe, expect } from "vitest";
import { NotFoundError } from "../../../src/runtime/errors.js";
import type { RuntimeEvent } from "../../../src/runtime/runtime.js";
import { RUN_ID, TEST_LABEL } from "../engine.js";
import { drain, type Harness, LABEL_TERM, rejection, tarStream, untar } from "./harness.js";

type Die = Extract<RuntimeEvent, { readonly action: "die" }>;
const isDie = (e: RuntimeEvent): e is Die => e.action === "die";

/** The events of container `id` from `since` until `last` is seen (bounded to 15 s, then aborted). */
async function eventsOf(h: Harness, id: string, since: Date, last: string): Promise<RuntimeEvent[]> {
  const controller = new AbortController();
  const bound = setTimeout(() => controller.abort(), 15_000);
  const seen: RuntimeEvent[] = [];
  try {
    for await (const event of h.runtime.events(
      { labels: [LABEL_TERM], types: ["container"], since },
      controller.signal,
    )) {
      if (event.id !== id) continue;
      seen.push(event);
      if (event.action === last) controller.abort();
    }
  } finally {
    clearTimeout(bound);
  }
  return seen;
}

export function copyCases(h: Harness): void {
  describe("copy", () => {
    h.case("copies a file in and back out (tar round trip)", [], async () => {
      const { runtime } = h;
      const id = await h.sleeper();
      const content = `hello from berth ${RUN_ID}\n`;
      await runtime.containers.copyTo(id, "/tmp", await tarStream({ "hello.txt": content }));
      const files = await untar(await runtime.containers.copyFrom(id, "/tmp/hello.txt"));
      expect([...files.keys()]).toEqual(["hello.txt"]);
      expect(files.get("hello.txt")).toBe(content);
      const dir = await untar(await runtime.containers.copyFrom(id, "/tmp"));
      expect(dir.get("tmp/hello.txt")).toBe(content);
      expect(await rejection(runtime.containers.copyFrom(id, "/tmp/absent.txt"))).toBeInstanceOf(
        NotFoundError,
      );
    });

    h.case("a file copied in is what a process reads", ["processes"], async () => {
      const id = await h.sleeper();
      const content = `hello from berth ${RUN_ID}\n`;
      await h.runtime.containers.copyTo(id, "/tmp", await tarStream({ "hello.txt": content }));
      const check = await h.runtime.containers.exec(id, { command: ["cat", "/tmp/hello.txt"] });
      expect((await drain(check)).stdout).toBe(content);
    });
  });

  describe("events", () => {
    h.case(
      "sees create, start, die with the exit code, and destroy, with labels; abort ends the stream",
      [],
      async () => {
        const since = new Date(Date.now() - 2_000);
        const id = await h.sleeper();
        await h.runtime.containers.kill(id);
        await h.waitExit(id);
        await h.runtime.containers.remove(id);
        const seen = await eventsOf(h, id, since, "destroy");
        const actions = seen
          .map((e) => e.action)
          .filter((a) => ["create", "start", "die", "destroy"].includes(a));
        expect(actions).toEqual(["create", "start", "die", "destroy"]);
        const die = seen.find(isDie);
        expect(die?.exitCode).toBe(137);
        expect(die?.type).toBe("container");
        expect(die?.attributes[TEST_LABEL]).toBe(RUN_ID);
      },
    );

    h.case("sees the exit code a process chose", ["processes"], async () => {
      const since = new Date(Date.now() - 2_000);
      const id = await h.createContainer({ command: ["sh", "-c", "exit 5"] });
      await h.runtime.containers.start(id);
      const seen = await eventsOf(h, id, since, "die");
      expect(seen.find(isDie)?.exitCode).toBe(5);
    });

    h.case("follows events as they happen", [], async () => {
      const controller = new AbortController();
      const bound = setTimeout(() => controller.abort(), 15_000);
      const seen: string[] = [];
      const name = h.unique("live");
      let id = "";
      try {
        const stream = h.runtime.events({ labels: [LABEL_TERM], types: ["container"] }, controller.signal);
        const reading = (async () => {
          for await (const event of stream) {
            if (event.attributes.name !== name) continue;
            seen.push(event.action);
            if (event.action === "start") controller.abort();
          }
        })();
        // The subscription is made when the stream is first read: give it a moment to be in place.
        await new Promise((resolve) => setTimeout(resolve, 500));
        id = await h.createContainer({ name, command: ["sleep", "60"] });
        await h.runtime.containers.start(id);
        await reading;
      } finally {
        clearTimeout(bound);
      }
      expect(seen).toEqual(["create", "start"]);
    });
  });
}
