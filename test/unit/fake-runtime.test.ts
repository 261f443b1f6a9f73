/**
 * What the fake runtime does beyond the conformance suite's bookkeeping cases (which it also
 * passes: test/integration/runtime-conformance.test.ts): the process side tests drive (output, exit,
 * signals, health, the restart policy) and the controls for tests (hooks, seeds, missed events).
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/runtime/errors.js";
import type { ContainerSpec, LogLine, RuntimeEvent } from "../../src/runtime/runtime.js";
import { FakeRuntime } from "../fake-runtime.js";

/** A fake whose stops do not wait, with busybox to run; `started` makes and starts a container. */
function world() {
  const runtime = new FakeRuntime({ sleep: () => Promise.resolve() });
  runtime.seedImage("busybox");
  const started = async (extra: Partial<ContainerSpec> = {}): Promise<string> => {
    const { id } = await runtime.containers.create({ name: "app", image: "busybox", labels: {}, ...extra });
    await runtime.containers.start(id);
    return id;
  };
  return { runtime, started };
}

async function read<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of stream) all.push(item);
  return all;
}

const text = (lines: readonly LogLine[]): string[] => lines.map((l) => `${l.stream}:${l.line}`);

describe("the process side", () => {
  it("keeps what the process prints per stream, and logs answer tail, since, timestamps and stream choice", async () => {
    const { runtime, started } = world();
    const id = await started();
    const c = runtime.process(id);
    c.print("one", { time: new Date(1_000) });
    c.print("oops", { stream: "stderr", time: new Date(2_000) });
    c.print("two", { time: new Date(3_000) });
    expect(text(await read(runtime.containers.logs(id)))).toEqual([
      "stdout:one",
      "stderr:oops",
      "stdout:two",
    ]);
    expect(text(await read(runtime.containers.logs(id, { tail: 1 })))).toEqual(["stdout:two"]);
    expect(text(await read(runtime.containers.logs(id, { since: new Date(2_000) })))).toEqual([
      "stderr:oops",
      "stdout:two",
    ]);
    expect(text(await read(runtime.containers.logs(id, { stderr: true })))).toEqual(["stderr:oops"]);
    const [first] = await read(runtime.containers.logs(id, { timestamps: true }));
    expect(first?.timestamp).toBe("1970-01-01T00:00:01.000000000Z");
    expect((await read(runtime.containers.logs(id)))[0]?.timestamp).toBeUndefined();
  });

  it("a follow gives the lines printed later and ends when the process exits", async () => {
    const { runtime, started } = world();
    const id = await started();
    const following = read(runtime.containers.logs(id, { follow: true, signal: AbortSignal.timeout(5_000) }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    runtime.process(id).print("later");
    runtime.process(id).exit(2);
    expect(text(await following)).toEqual(["stdout:later"]);
    expect((await runtime.containers.inspect(id))?.exitCode).toBe(2);
    expect(runtime.openStreams.logs).toBe(0);
  });

  it("ignores a signal it does not trap (a stop then kills: 137), and exits with the code of one it traps", async () => {
    const { runtime, started } = world();
    const plain = await started({ name: "plain" });
    await runtime.containers.kill(plain, "SIGTERM");
    expect((await runtime.containers.inspect(plain))?.status).toBe("running");
    await runtime.containers.stop(plain, { timeoutS: 1 });
    expect((await runtime.containers.inspect(plain))?.exitCode).toBe(137);

    const trapping = await started({ name: "trapping" });
    runtime.process(trapping).trap("TERM", 0);
    await runtime.containers.stop(trapping);
    expect((await runtime.containers.inspect(trapping))?.exitCode).toBe(0);
  });

  it("restarts by its policy when the process exits on its own, not when a client stops it", async () => {
    const { runtime, started } = world();
    const always = await started({ name: "always", restart: { name: "always" } });
    runtime.process(always).exit(1);
    let state = await runtime.containers.inspect(always);
    expect([state?.status, state?.restartCount]).toEqual(["running", 1]);
    await runtime.containers.stop(always);
    expect((await runtime.containers.inspect(always))?.status).toBe("exited");

    const once = await started({ name: "once", restart: { name: "on-failure", maximumRetryCount: 1 } });
    runtime.process(once).exit(3);
    runtime.process(once).exit(3);
    state = await runtime.containers.inspect(once);
    expect([state?.status, state?.exitCode, state?.restartCount]).toEqual(["exited", 3, 1]);
  });

  it("reports health as events, on inspect and in the listing", async () => {
    const { runtime, started } = world();
    const since = new Date(0);
    const id = await started({ healthcheck: { test: ["CMD", "true"] } });
    expect((await runtime.containers.inspect(id))?.health).toBe("starting");
    runtime.process(id).health("healthy", "ok");
    const [listed] = await runtime.containers.list();
    expect([listed?.health, listed?.statusText]).toEqual(["healthy", "Up Less than a second (healthy)"]);
    expect((await runtime.containers.inspect(id))?.healthProbe?.output).toBe("ok");
    const events = await read(runtime.events({ since, until: new Date() }));
    const health = events.find(
      (e): e is Extract<RuntimeEvent, { action: "health" }> => e.action === "health",
    );
    expect(health?.health).toBe("healthy");
    const plain = await started({ name: "plain" });
    expect(() => runtime.process(plain).health("healthy")).toThrow("has no healthcheck");
  });
});

describe("controls for tests", () => {
  it("a hook runs before the call and can fail it; calls are recorded", async () => {
    const { runtime, started } = world();
    runtime.before("containers.start", () => {
      throw new ApiError("the engine is busy");
    });
    await expect(started()).rejects.toThrow("the engine is busy");
    const state = await runtime.containers.inspect("app");
    expect(state?.status).toBe("created");
    expect(runtime.callsOf("containers.start")).toEqual([[state?.id]]);
  });

  it("changes made withoutEvents reach no live stream, but a later one replaying from `since` sees them", async () => {
    const { runtime, started } = world();
    const since = new Date(0);
    const controller = new AbortController();
    const live: string[] = [];
    const reading = (async () => {
      for await (const e of runtime.events({ types: ["container"] }, controller.signal)) live.push(e.action);
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.withoutEvents(() => started());
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await reading;
    expect(live).toEqual([]);
    const replayed = await read(runtime.events({ types: ["container"], since, until: new Date() }));
    expect(replayed.map((e) => e.action)).toEqual(["create", "start"]);
    expect(runtime.openStreams.events).toBe(0);
  });
});
