/**
 * waitFor with a fake runtime: the engine's events wake a wait long before its poll interval, the
 * timeout is measured on an injected clock, and an abort ends the wait.
 */
import { describe, expect, it } from "vitest";
import { DependencyError } from "../../../src/engine/errors.js";
import { goDuration, ProjectWatcher, waitFor } from "../../../src/engine/wait.js";
import type {
  ContainerState,
  ContainerSummary,
  Runtime,
  RuntimeEvent,
} from "../../../src/runtime/runtime.js";

const summary: ContainerSummary = {
  id: "c1",
  name: "demo-db-1",
  image: "busybox",
  imageId: "",
  labels: { "com.docker.compose.service": "db" },
  status: "running",
  statusText: "",
  created: new Date(0),
  ports: [],
};

const stateOf = (health: ContainerState["health"]): ContainerState => ({
  id: "c1",
  name: "demo-db-1",
  image: "busybox",
  imageId: "",
  labels: summary.labels,
  created: new Date(0),
  status: "running",
  running: true,
  exitCode: 0,
  pid: 1,
  startedAt: new Date(0),
  finishedAt: undefined,
  health,
  restartCount: 0,
  oomKilled: false,
  error: undefined,
  tty: false,
  networks: {},
  ports: [],
  mounts: [],
});

/** A runtime whose db container reports `health`, and whose event stream the test feeds. */
function fakeRuntime(initial: ContainerState["health"]) {
  let health = initial;
  let push: ((event: RuntimeEvent) => void) | undefined;
  const queue: RuntimeEvent[] = [];
  const runtime = {
    containers: {
      list: async () => [summary],
      inspect: async () => stateOf(health),
    },
    events: (_filter: unknown, signal?: AbortSignal): AsyncIterable<RuntimeEvent> => ({
      async *[Symbol.asyncIterator]() {
        while (!signal?.aborted) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            push = (event) => {
              queue.push(event);
              resolve();
            };
            signal?.addEventListener("abort", () => resolve(), { once: true });
          });
        }
      },
    }),
  } as unknown as Runtime;
  return {
    runtime,
    become(next: ContainerState["health"]) {
      health = next;
      push?.({
        type: "container",
        ...(next === undefined ? { action: "update" as const } : { action: "health" as const, health: next }),
        id: "c1",
        attributes: { "com.docker.compose.service": "db" },
        time: new Date(),
      });
    },
  };
}

describe("waitFor", () => {
  it("an engine event wakes the wait before the poll interval", async () => {
    const fake = fakeRuntime("starting");
    const watcher = new ProjectWatcher(fake.runtime, "demo");
    const reports: string[] = [];
    const started = Date.now();
    const done = waitFor(
      {
        runtime: fake.runtime,
        project: "demo",
        watcher,
        pollMs: 60_000,
        report: (container, status) => reports.push(`${container} ${status}`),
      },
      {
        service: "db",
        condition: "service_healthy",
        timeoutMs: 120_000,
        dependents: ["web"],
        forUpWait: false,
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    fake.become("healthy");
    await done;
    watcher.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(reports).toEqual(["demo-db-1 Waiting", "demo-db-1 Healthy"]);
  });

  it("times out on the injected clock with Compose's message, the service and its state in the hint", async () => {
    const fake = fakeRuntime("starting");
    const watcher = new ProjectWatcher(fake.runtime, "demo");
    let clock = 0;
    const now = () => (clock += 1_000);
    const error = await waitFor(
      { runtime: fake.runtime, project: "demo", watcher, pollMs: 1, now },
      { service: "db", condition: "running_or_healthy", timeoutMs: 3_000, dependents: [], forUpWait: true },
    ).catch((e: unknown) => e);
    watcher.close();
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe("application not healthy after 3s");
    expect((error as DependencyError).hint).toBe('service "db": container demo-db-1 is starting');
  });

  it("fails at once on unhealthy with Compose's message, who needed it in the hint", async () => {
    const fake = fakeRuntime("unhealthy");
    const watcher = new ProjectWatcher(fake.runtime, "demo");
    const error = await waitFor(
      { runtime: fake.runtime, project: "demo", watcher },
      {
        service: "db",
        condition: "service_healthy",
        timeoutMs: 60_000,
        dependents: ["api", "web"],
        forUpWait: false,
      },
    ).catch((e: unknown) => e);
    watcher.close();
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe("dependency failed to start: container demo-db-1 is unhealthy");
    expect((error as DependencyError).hint).toBe("needed by api, web");
  });

  it("ends on abort", async () => {
    const fake = fakeRuntime("starting");
    const watcher = new ProjectWatcher(fake.runtime, "demo");
    const controller = new AbortController();
    const done = waitFor(
      { runtime: fake.runtime, project: "demo", watcher, pollMs: 60_000, signal: controller.signal },
      { service: "db", condition: "service_healthy", timeoutMs: 120_000, dependents: [], forUpWait: false },
    );
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("interrupted"));
    await expect(done).rejects.toThrow("interrupted");
    watcher.close();
  });

  it("a dependency that must complete names the service and its exit code, as Compose does", async () => {
    const exited: ContainerState = { ...stateOf(undefined), status: "exited", running: false, exitCode: 3 };
    const runtime = {
      containers: { list: async () => [summary], inspect: async () => exited },
      events: (): AsyncIterable<RuntimeEvent> => ({ [Symbol.asyncIterator]: async function* () {} }),
    } as unknown as Runtime;
    const watcher = new ProjectWatcher(runtime, "demo");
    const error = await waitFor(
      { runtime, project: "demo", watcher },
      {
        service: "db",
        condition: "service_completed_successfully",
        timeoutMs: 60_000,
        dependents: ["api"],
        forUpWait: false,
      },
    ).catch((e: unknown) => e);
    watcher.close();
    expect((error as Error).message).toBe(`service "db" didn't complete successfully: exit 3`);
  });

  it("prints timeouts as Go prints a duration", () => {
    expect([3, 90, 600, 3600].map(goDuration)).toEqual(["3s", "1m30s", "10m0s", "1h0m0s"]);
  });
});
