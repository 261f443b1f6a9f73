/**
 * waitFor against the fake runtime: the engine's events wake a wait long before its poll interval,
 * the timeout is measured on an injected clock, and an abort ends the wait.
 */
import { describe, expect, it } from "vitest";
import { DependencyError } from "../../../src/engine/errors.js";
import {
  CONFIG_HASH_LABEL,
  ONEOFF_FALSE,
  ONEOFF_LABEL,
  PROJECT_LABEL,
  SERVICE_LABEL,
} from "../../../src/engine/labels.js";
import { goDuration, ProjectWatcher, waitFor } from "../../../src/engine/wait.js";
import type { HealthStatus } from "../../../src/runtime/runtime.js";
import { FakeRuntime } from "../../fake-runtime.js";

/** Project demo with its db container running: healthchecked and `health` when given, else without a healthcheck. */
async function withDb(health?: HealthStatus) {
  const runtime = new FakeRuntime();
  runtime.seedImage("busybox");
  const { id } = await runtime.containers.create({
    name: "demo-db-1",
    image: "busybox",
    labels: {
      [PROJECT_LABEL]: "demo",
      [SERVICE_LABEL]: "db",
      [ONEOFF_LABEL]: ONEOFF_FALSE,
      [CONFIG_HASH_LABEL]: "abc",
    },
    ...(health !== undefined ? { healthcheck: { test: ["CMD", "true"] } } : {}),
  });
  await runtime.containers.start(id);
  const db = runtime.process(id);
  if (health !== undefined && health !== "starting") db.health(health);
  return { runtime, db, watcher: new ProjectWatcher(runtime, "demo") };
}

describe("waitFor", () => {
  it("an engine event wakes the wait before the poll interval", async () => {
    const { runtime, db, watcher } = await withDb("starting");
    const reports: string[] = [];
    const started = Date.now();
    const done = waitFor(
      {
        runtime,
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
    db.health("healthy");
    await done;
    watcher.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(reports).toEqual(["demo-db-1 Waiting", "demo-db-1 Healthy"]);
  });

  it("times out on the injected clock with Compose's message, the service and its state in the hint", async () => {
    const { runtime, watcher } = await withDb("starting");
    let clock = 0;
    const now = () => (clock += 1_000);
    const error = await waitFor(
      { runtime, project: "demo", watcher, pollMs: 1, now },
      { service: "db", condition: "running_or_healthy", timeoutMs: 3_000, dependents: [], forUpWait: true },
    ).catch((e: unknown) => e);
    watcher.close();
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toBe("application not healthy after 3s");
    expect((error as DependencyError).hint).toBe('service "db": container demo-db-1 is starting');
  });

  it("fails at once on unhealthy with Compose's message, who needed it in the hint", async () => {
    const { runtime, watcher } = await withDb("unhealthy");
    const error = await waitFor(
      { runtime, project: "demo", watcher },
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
    const { runtime, watcher } = await withDb("starting");
    const controller = new AbortController();
    const done = waitFor(
      { runtime, project: "demo", watcher, pollMs: 60_000, signal: controller.signal },
      { service: "db", condition: "service_healthy", timeoutMs: 120_000, dependents: [], forUpWait: false },
    );
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("interrupted"));
    await expect(done).rejects.toThrow("interrupted");
    watcher.close();
  });

  it("a dependency that must complete names the service and its exit code, as Compose does", async () => {
    const { runtime, db, watcher } = await withDb();
    db.exit(3);
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
