/**
 * The interactive `up`'s session, shared by the plain printer and the dashboard: Ctrl-C must stop,
 * then kill, then leave; the stop must come once, after the `up` has returned, and not at all when
 * the `up` was aborted before it changed anything. The engine is a recorder here: each `up` and
 * `stop` waits until the test settles it.
 */
import { describe, expect, it } from "vitest";
import { silentSink } from "../../../src/engine/events.js";
import { LockWaitAborted } from "../../../src/engine/project-lock.js";
import type { LoadedProject } from "../../../src/project/load.js";
import { type SessionEngine, UpSession } from "../../../src/ui/up-session.js";
import { FakeRuntime } from "../../fake-runtime.js";

interface Call {
  readonly name: string;
  readonly args: unknown[];
  settle(error?: Error): void;
}

function setup(stopServices: string[] = []) {
  const calls: Call[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]): Promise<never> =>
      new Promise((resolve, reject) => {
        calls.push({ name, args, settle: (error) => (error ? reject(error) : resolve(undefined as never)) });
      });
  const engine = {
    up: record("up"),
    stop: record("stop"),
    kill: async (...args: unknown[]) => {
      calls.push({ name: "kill", args, settle: () => undefined });
      return { containers: [] };
    },
  } as unknown as SessionEngine;
  const session = new UpSession({
    runtime: new FakeRuntime(),
    loaded: { project: { name: "demo" } } as unknown as LoadedProject,
    stopServices,
    timeoutS: 4,
    engine,
  });
  return { session, calls };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe("Ctrl-C steps", () => {
  it("the first stops, the second kills, every later one leaves", () => {
    const { session } = setup();
    expect([1, 2, 3, 4].map(() => session.interrupt())).toEqual(["stop", "kill", "leave", "leave"]);
  });

  it("a stop the person asked for another way is the first step: the next Ctrl-C kills", () => {
    const { session } = setup();
    session.stopRequested();
    expect(session.interrupt()).toBe("kill");
    session.stopRequested();
    expect(session.interrupt()).toBe("leave");
  });
});

describe("the up, the stop and the kill", () => {
  it("a stop aborts the running up, waits for it to return, then stops the services once", async () => {
    const { session, calls } = setup(["web"]);
    const upRun = session.up({}, silentSink, {});
    await tick();
    const first = session.stop(silentSink);
    const second = session.stop(silentSink);
    expect((calls[0]?.args[4] as AbortSignal).aborted).toBe(true);
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["up"]);
    calls[0]?.settle(new Error("aborted"));
    expect(await upRun).toBe("aborted");
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["up", "stop"]);
    expect(calls[1]?.args.slice(2, 4)).toEqual([["web"], 4]);
    calls[1]?.settle();
    await Promise.all([first, second]);
  });

  it("an up aborted while another berth held the project changed nothing: the stop stops nothing", async () => {
    const { session, calls } = setup();
    const upRun = session.up({}, silentSink, {});
    await tick();
    session.abortUp();
    calls[0]?.settle(new LockWaitAborted("interrupted while waiting for the project lock"));
    expect(await upRun).toBe("aborted");
    expect(session.changedNothing).toBe(true);
    await session.stop(silentSink);
    expect(calls.map((c) => c.name)).toEqual(["up"]);
  });

  it("an up that fails on its own rejects with its error; one that finishes is done", async () => {
    const { session, calls } = setup();
    const failing = session.up({}, silentSink, {});
    await tick();
    calls[0]?.settle(new Error("port is already allocated"));
    await expect(failing).rejects.toThrow("port is already allocated");

    const next = setup();
    const done = next.session.up({}, silentSink, {});
    await tick();
    next.calls[0]?.settle();
    expect(await done).toBe("done");
    expect(next.session.changedNothing).toBe(false);
  });

  it("the kill is the engine's, on the services this up stops", async () => {
    const { session, calls } = setup(["web", "db"]);
    await session.kill(silentSink);
    expect(calls.map((c) => [c.name, c.args[1], c.args[2]])).toEqual([
      ["kill", "demo", { services: ["web", "db"] }],
    ]);
  });
});
