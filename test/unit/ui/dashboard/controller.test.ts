/**
 * The controller turns keys into the engine's own functions, one at a time, and leaves the way
 * `up` does. The engine is a recorder here (each call waits until the test releases it; `kill`
 * answers at once); the runtime is the fake, holding nothing (every action goes through the engine).
 */
import { describe, expect, it } from "vitest";
import type { LoadedProject } from "../../../../src/project/load.js";
import type { Target } from "../../../../src/ui/dashboard/components/Dashboard.js";
import { Controller, type Engine } from "../../../../src/ui/dashboard/controller.js";
import { containerInfo, putContainer } from "../../../../src/ui/dashboard/model.js";
import type { DashboardStore } from "../../../../src/ui/dashboard/store.js";
import { FakeRuntime } from "../../../fake-runtime.js";
import { state, testStore } from "./fixtures.js";

interface Call {
  readonly name: string;
  readonly args: unknown[];
  release(error?: Error): void;
}

/** An engine whose calls are recorded and finish only when released. */
function recordingEngine() {
  const calls: Call[] = [];
  const settled: string[] = [];
  const killed: unknown[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]): Promise<never> =>
      new Promise((resolve, reject) => {
        calls.push({
          name,
          args,
          release: (error) => {
            settled.push(name);
            if (error) reject(error);
            else resolve(undefined as never);
          },
        });
      });
  const engine = {
    up: record("up"),
    down: record("down"),
    stop: record("stop"),
    start: record("start"),
    restart: record("restart"),
    scale: record("scale"),
    kill: async (_runtime: unknown, project: string, options: unknown) => {
      killed.push([project, options]);
      return { containers: [] };
    },
  } as unknown as Engine;
  return { engine, calls, settled, killed };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

function setup(
  options: { containers?: Parameters<typeof state>[]; stopServices?: string[]; endSettleMs?: number } = {},
) {
  const store: DashboardStore = testStore();
  store.update((m) => {
    let next = m;
    for (const args of options.containers ?? [["web", 1]]) {
      const info = containerInfo(state(...args));
      if (info) next = putContainer(next, info);
    }
    return next;
  });
  const runtime = new FakeRuntime();
  const loaded = { project: { name: "demo", services: {} } } as unknown as LoadedProject;
  const { engine, calls, settled, killed } = recordingEngine();
  const controller = new Controller({
    runtime,
    loaded,
    store,
    stopServices: options.stopServices ?? [],
    timeoutS: 3,
    engine,
    endSettleMs: options.endSettleMs,
  });
  const target = (service: string): Target => ({
    service,
    container: [...store.model.containers.values()].find((c) => c.service === service),
    replica: false,
  });
  return { store, controller, calls, settled, killed, target };
}

describe("actions on a service", () => {
  it("r restarts through the engine, showing `restarting` on the row until it is done", async () => {
    const { controller, calls, store, target } = setup();
    controller.act("restart", target("web"));
    await tick();
    expect(calls.map((c) => [c.name, c.args[2], c.args[3]])).toEqual([["restart", ["web"], 3]]);
    expect(store.model.activity.get("web")).toBe("restarting");
    calls[0]?.release();
    await tick();
    expect(store.model.activity.has("web")).toBe(false);
  });

  it("+ and - scale by one from the replicas wanted, one call at a time in the order pressed", async () => {
    const { controller, calls, store, target } = setup({
      containers: [
        ["web", 1],
        ["web", 2],
      ],
    });
    controller.act("scale-up", target("web"));
    controller.act("scale-up", target("web"));
    await tick();
    expect(calls.map((c) => c.args[2])).toEqual([{ web: 3 }]);
    expect(store.model.desired.get("web")).toBe(4);
    calls[0]?.release();
    await tick();
    expect(calls.map((c) => c.args[2])).toEqual([{ web: 3 }, { web: 4 }]);
    calls[1]?.release();
    await tick();
    expect(store.model.desired.has("web")).toBe(false);
    controller.act("scale-down", target("web"));
    await tick();
    expect(calls[2]?.args[2]).toEqual({ web: 1 });
  });

  it("- below zero replicas does nothing but say so", async () => {
    const { controller, calls, store, target } = setup({ containers: [] });
    store.update((m) => ({ ...m, desired: new Map([["web", 0]]) }));
    controller.act("scale-down", target("web"));
    await tick();
    expect(calls).toEqual([]);
    expect(store.model.events.at(-1)?.text).toBe("web has no replica to remove");
  });

  it("s stops a running service, starts a stopped one, and brings up one that has no container", async () => {
    const running = setup();
    running.controller.act("toggle", running.target("web"));
    await tick();
    expect(running.calls[0]?.name).toBe("stop");

    const stopped = setup({ containers: [["web", 1, { status: "exited", running: false }]] });
    stopped.controller.act("toggle", stopped.target("web"));
    await tick();
    expect(stopped.calls[0]?.name).toBe("start");

    const none = setup({ containers: [] });
    none.controller.act("toggle", none.target("web"));
    await tick();
    expect(none.calls[0]?.name).toBe("up");
    expect(none.calls[0]?.args[2]).toEqual({ services: ["web"], noDeps: true, scale: { web: 1 } });
  });

  it("x recreates and R rebuilds, keeping the replica count; R refuses a service without build:", async () => {
    const { controller, calls, store, target } = setup({
      containers: [
        ["web", 1],
        ["web", 2],
        ["api", 1],
      ],
    });
    controller.act("recreate", target("web"));
    await tick();
    expect(calls[0]?.args[2]).toEqual({
      services: ["web"],
      noDeps: true,
      forceRecreate: true,
      scale: { web: 2 },
      timeoutS: 3,
    });
    calls[0]?.release();
    controller.act("rebuild", target("web"));
    await tick();
    expect(calls).toHaveLength(1);
    expect(store.model.events.at(-1)).toMatchObject({
      text: "web has no build: section; R rebuilds built images only",
      level: "warn",
    });
    controller.act("rebuild", target("api"));
    await tick();
    expect(calls[1]?.args[2]).toMatchObject({
      services: ["api"],
      build: true,
      forceRecreate: true,
      scale: { api: 1 },
    });
  });

  it("puts a failed action on the events strip as an error and goes on with the next", async () => {
    const { controller, calls, store, target } = setup();
    controller.act("restart", target("web"));
    controller.act("toggle", target("web"));
    await tick();
    calls[0]?.release(new Error("no such container"));
    await tick();
    expect(store.model.events.at(-1)).toMatchObject({
      subject: "web",
      text: "restarting web: no such container",
      level: "error",
    });
    expect(calls[1]?.name).toBe("stop");
  });
});

describe("the up", () => {
  it("runs first; actions wait for it; a failure is kept, shown, and the dashboard stays", async () => {
    const { controller, calls, store, target } = setup();
    const done = controller.up({}, {});
    controller.act("restart", target("web"));
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["up"]);
    expect(store.model.upRunning).toBe(true);
    calls[0]?.release(new Error("dependency failed to start"));
    await done;
    await tick();
    expect(controller.failure).toBeInstanceOf(Error);
    expect(store.model.upError).toBe("dependency failed to start");
    expect(store.model.events.at(-1)).toMatchObject({ subject: "up", level: "error" });
    expect(calls.map((c) => c.name)).toEqual(["up", "restart"]);
  });
});

describe("leaving", () => {
  it("d detaches, leaving everything running; a Ctrl-C after it changes nothing", async () => {
    const { controller, calls } = setup();
    controller.act("detach", undefined);
    expect(await controller.exited).toEqual({ reason: "detach", code: 0 });
    controller.interrupt();
    await tick();
    expect(calls).toEqual([]);
  });

  it("d during the up waits for the up to bring the stack up, then detaches", async () => {
    const { controller, calls, store } = setup();
    void controller.up({}, {});
    await tick();
    controller.act("detach", undefined);
    let exited = false;
    void controller.exited.then(() => (exited = true));
    await tick();
    expect(exited).toBe(false);
    expect(store.model.notice).toMatch(/^Detaching once the up is done/);
    expect((calls[0]?.args[4] as AbortSignal).aborted).toBe(false);
    calls[0]?.release();
    expect(await controller.exited).toEqual({ reason: "detach", code: 0 });
  });

  it("Ctrl-C while waiting to detach stops instead", async () => {
    const { controller, calls } = setup();
    void controller.up({}, {});
    await tick();
    controller.act("detach", undefined);
    controller.interrupt();
    expect((calls[0]?.args[4] as AbortSignal).aborted).toBe(true);
    calls[0]?.release(new Error("aborted"));
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["up", "stop"]);
    calls[1]?.release();
    expect(await controller.exited).toEqual({ reason: "interrupt", code: 130 });
  });

  it("q stops the services of this up, then leaves with status 0", async () => {
    const { controller, calls, store } = setup({ stopServices: ["web"] });
    controller.act("quit", undefined);
    await tick();
    expect(store.model.notice).toBe("Gracefully stopping... (press Ctrl+C again to force)");
    expect(calls.map((c) => [c.name, c.args[2]])).toEqual([["stop", ["web"]]]);
    calls[0]?.release();
    expect(await controller.exited).toEqual({ reason: "quit", code: 0 });
  });

  it("Ctrl-C stops (130), a second kills the containers, a third leaves at once; other keys are ignored meanwhile", async () => {
    const { controller, calls, killed, target } = setup();
    controller.interrupt();
    await tick();
    controller.act("restart", target("web"));
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["stop"]);
    controller.interrupt();
    await tick();
    // The engine's kill, on the services this up stops (all), with its default signal (SIGKILL).
    expect(killed).toEqual([["demo", { services: [] }]]);
    controller.interrupt();
    expect(await controller.exited).toEqual({ reason: "interrupt", code: 130 });
  });

  it("SIGTERM stops as Ctrl-C does but leaves with status 0, as the plain up does", async () => {
    const { controller, calls } = setup();
    controller.interrupt("SIGTERM");
    await tick();
    calls.find((c) => c.name === "stop")?.release();
    expect(await controller.exited).toEqual({ reason: "interrupt", code: 0 });
  });

  it("Ctrl-C while the up still runs aborts it before stopping", async () => {
    const { controller, calls } = setup();
    void controller.up({}, {});
    await tick();
    controller.interrupt();
    const signal = calls[0]?.args[4] as AbortSignal;
    expect(signal.aborted).toBe(true);
    calls[0]?.release(new Error("aborted"));
    await tick();
    expect(calls.map((c) => c.name)).toEqual(["up", "stop"]);
    calls[1]?.release();
    expect((await controller.exited).code).toBe(130);
    // Stopped by the person, not failed: nothing to report once the dashboard closes.
    expect(controller.failure).toBeUndefined();
  });

  it("D (confirmed) downs the stack and leaves; a failed down is reported on exit", async () => {
    const { controller, calls } = setup();
    controller.act("down", undefined);
    await tick();
    expect(calls.map((c) => [c.name, c.args[1]])).toEqual([["down", "demo"]]);
    calls[0]?.release(new Error("network in use"));
    const exit = await controller.exited;
    expect(exit).toMatchObject({ reason: "down", code: 1 });
    expect((exit.error as Error).message).toBe("network in use");
  });
});

describe("shell", () => {
  it("e suspends the screen, runs sh in the selected running container, and restores the screen", async () => {
    const { controller, store, target } = setup();
    const log: string[] = [];
    controller.screen = {
      suspend: async () => void log.push("suspend"),
      resume: () => void log.push("resume"),
    };
    controller.shell = async (id) => {
      log.push(`shell ${id}`);
      return 0;
    };
    controller.act("exec", target("web"));
    await tick();
    expect(log).toEqual(["suspend", "shell demo-web-1-id", "resume"]);
    expect(store.model.events.at(-1)?.text).toBe("shell in demo-web-1 exited with code 0");
  });

  it("says so when the service has no running container", async () => {
    const { controller, store, target } = setup({
      containers: [["web", 1, { status: "exited", running: false }]],
    });
    controller.shell = async () => 0;
    controller.screen = { suspend: async () => undefined, resume: () => undefined };
    controller.act("exec", target("web"));
    await tick();
    expect(store.model.events.at(-1)?.text).toBe("web has no running container to open a shell in");
  });
});

describe("the end of an attached up", () => {
  const putState = (store: DashboardStore, ...args: Parameters<typeof state>) =>
    store.update((m) => {
      const info = containerInfo(state(...args));
      return info ? putContainer(m, info) : m;
    });

  it("ends with status 0 once every container of the up has exited and stayed so, as the plain up does", async () => {
    const { controller, calls, store } = setup({
      containers: [
        ["web", 1],
        ["db", 1],
      ],
      endSettleMs: 30,
    });
    let exit: unknown;
    void controller.exited.then((e) => (exit = e));
    void controller.up({}, {});
    await tick();
    // All exited while the up still runs: not the end yet.
    for (const service of ["web", "db"]) putState(store, service, 1, { status: "exited", exitCode: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exit).toBeUndefined();
    calls[0]?.release();
    // web comes back (a restart policy) before the settle time: still not the end.
    await tick();
    putState(store, "web", 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exit).toBeUndefined();
    putState(store, "web", 1, { status: "exited", exitCode: 0 });
    expect(await controller.exited).toEqual({ reason: "ended", code: 0 });
  });

  it("counts only the services named on up; q before the end stops as usual", async () => {
    const named = setup({
      containers: [
        ["web", 1],
        ["db", 1],
      ],
      stopServices: ["web"],
      endSettleMs: 10,
    });
    void named.controller.up({}, {});
    await tick();
    named.calls[0]?.release();
    putState(named.store, "web", 1, { status: "exited", exitCode: 0 });
    expect(await named.controller.exited).toEqual({ reason: "ended", code: 0 });

    const quitting = setup({ endSettleMs: 10 });
    void quitting.controller.up({}, {});
    await tick();
    quitting.calls[0]?.release();
    await tick();
    quitting.controller.act("quit", undefined);
    putState(quitting.store, "web", 1, { status: "exited", exitCode: 0 });
    await tick();
    quitting.calls.find((c) => c.name === "stop")?.release();
    expect(await quitting.controller.exited).toEqual({ reason: "quit", code: 0 });
  });
});
