import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../../src/engine/events.js";
import type { RuntimeEvent } from "../../../../src/runtime/runtime.js";
import {
  applyEngineEvent,
  applyRuntimeEvent,
  containerInfo,
  desiredReplicas,
  dropContainer,
  emptyModel,
  EVENT_LIMIT,
  keepContainers,
  type Model,
  pushEvent,
  putContainer,
  putUsage,
  setDesired,
  timelineFromContainers,
  upFinished,
  upStarted,
} from "../../../../src/ui/dashboard/model.js";
import { PROJECT, SERVICES, state } from "./fixtures.js";

function withContainers(...states: Parameters<typeof state>[]): Model {
  let model = emptyModel(PROJECT, SERVICES);
  for (const args of states) {
    const info = containerInfo(state(...args));
    if (info) model = putContainer(model, info);
  }
  return model;
}

const stats = {
  time: new Date(0),
  cpuPercent: 12.5,
  memoryUsageBytes: 2048,
  memoryLimitBytes: 4096,
  networkRxBytes: 0,
  networkTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 1,
};

/** An action with its own fields: `{action: "die", exitCode: 1}`. */
type Happening<E = RuntimeEvent> = E extends unknown ? Omit<E, "type" | "id" | "attributes" | "time"> : never;

/** An event about container `id` (named as its id without `-id`). */
function event(what: Happening, id: string): RuntimeEvent {
  return {
    type: "container",
    id,
    attributes: { name: id.replace(/-id$/, "") },
    time: new Date(5_000),
    ...what,
  };
}

describe("containers", () => {
  it("reads service, number and health from an inspected container, and skips one-off containers", () => {
    const info = containerInfo(state("db", 2, { health: "healthy" }));
    expect(info).toMatchObject({ service: "db", number: 2, health: "healthy", startedAt: 1_000 });
    const oneOff = state("db", 1, {
      labels: { "com.docker.compose.service": "db", "com.docker.compose.oneoff": "True" },
    });
    expect(containerInfo(oneOff)).toBeUndefined();
  });

  it("replaces a container recreated under the same name, and drops usage once it stops", () => {
    let model = withContainers(["web", 1]);
    model = putUsage(model, "demo-web-1-id", stats);
    expect(model.usage.get("demo-web-1-id")?.cpuPercent).toBe(12.5);
    const recreated = containerInfo(state("web", 1, { id: "new-id" }));
    if (!recreated) throw new Error("no info");
    model = putContainer(model, recreated);
    expect([...model.containers.keys()]).toEqual(["new-id"]);
    model = putUsage(model, "new-id", stats);
    const stopped = containerInfo(state("web", 1, { id: "new-id", status: "exited", running: false }));
    if (!stopped) throw new Error("no info");
    model = putContainer(model, stopped);
    expect(model.usage.has("new-id")).toBe(false);
    expect(putUsage(model, "new-id", stats)).toBe(model);
  });

  it("keeps only the listed containers on a resync, and drops one by id", () => {
    const model = withContainers(["web", 1], ["web", 2], ["db", 1]);
    expect([...keepContainers(model, new Set(["demo-db-1-id"])).containers.keys()]).toEqual(["demo-db-1-id"]);
    expect(dropContainer(model, "demo-web-2-id").containers.size).toBe(2);
    expect(dropContainer(model, "unknown")).toBe(model);
  });

  it("wants the replicas asked for, else as many as exist, else the file's", () => {
    let model = withContainers(["web", 1], ["web", 2]);
    expect(desiredReplicas(model, "web")).toBe(2);
    expect(desiredReplicas(model, "db")).toBe(1);
    model = setDesired(model, "web", 5);
    expect(desiredReplicas(model, "web")).toBe(5);
    expect(desiredReplicas(setDesired(model, "web", undefined), "web")).toBe(2);
  });
});

describe("runtime events", () => {
  it("puts what a person cares about on the strip: died with exit code, health, OOM", () => {
    let model = withContainers(["db", 1]);
    model = applyRuntimeEvent(model, event({ action: "die", exitCode: 137 }, "demo-db-1-id"));
    model = applyRuntimeEvent(model, event({ action: "health", health: "unhealthy" }, "demo-db-1-id"));
    model = applyRuntimeEvent(model, event({ action: "oom" }, "demo-db-1-id"));
    model = applyRuntimeEvent(
      model,
      event({ action: "other", detail: "exec_start: /bin/sh -c check" }, "demo-db-1-id"),
    );
    expect(model.events.map((e) => [e.subject, e.text, e.level])).toEqual([
      ["demo-db-1", "died (exit 137)", "warn"],
      ["demo-db-1", "unhealthy", "warn"],
      ["demo-db-1", "out of memory (OOM killed)", "error"],
    ]);
    expect(model.containers.get("demo-db-1-id")?.health).toBe("unhealthy");
  });

  it("removes a destroyed container", () => {
    const model = applyRuntimeEvent(
      withContainers(["web", 1]),
      event({ action: "destroy" }, "demo-web-1-id"),
    );
    expect(model.containers.size).toBe(0);
    expect(model.events.at(-1)?.text).toBe("removed");
  });

  it("keeps at most EVENT_LIMIT events, the newest", () => {
    let model = emptyModel(PROJECT, SERVICES);
    for (let i = 0; i < EVENT_LIMIT + 5; i++)
      model = pushEvent(model, { at: i, subject: "x", text: `${i}`, level: "info" });
    expect(model.events).toHaveLength(EVENT_LIMIT);
    expect(model.events[0]?.text).toBe("5");
  });
});

describe("engine events", () => {
  const engine = (id: string, status: EngineEvent["status"], at: number, text?: string): EngineEvent =>
    text === undefined
      ? { resource: "container", id, status, at }
      : { resource: "container", id, status, at, text };

  it("marks what an action is doing to a container, and sends errors and warnings to the strip", () => {
    let model = withContainers(["web", 1]);
    model = applyEngineEvent(model, engine("demo-web-1", "Stopping", 1));
    expect(model.progress.get("demo-web-1")).toMatchObject({ status: "Stopping", working: true });
    model = applyEngineEvent(model, engine("demo-web-1", "Stopped", 2));
    expect(model.progress.get("demo-web-1")?.working).toBe(false);
    model = applyEngineEvent(model, engine("demo-web-1", "Error", 3, "port is already allocated"));
    expect(model.events.at(-1)).toMatchObject({ text: "port is already allocated", level: "error" });
  });

  it("times each service's start and readiness during an up, and not after it", () => {
    let model = upStarted(emptyModel(PROJECT, SERVICES), 1_000);
    model = applyEngineEvent(model, engine("demo-db-1", "Started", 1_200));
    model = applyEngineEvent(model, engine("demo-db-1", "Healthy", 3_000));
    model = applyEngineEvent(model, engine("demo-api-1", "Started", 3_100));
    model = upFinished(model, 3_500);
    model = applyEngineEvent(model, engine("demo-web-1", "Started", 9_000));
    expect(model.timeline?.services).toEqual({
      db: { started: 1_200, ready: 3_000 },
      api: { started: 3_100, ready: 3_100 },
    });
    expect(model.upRunning).toBe(false);
    expect(upFinished(upStarted(model, 0), 1, "boom").upError).toBe("boom");
  });

  it("reads a timeline back from the containers' start times when it ran no up itself", () => {
    const model = withContainers(
      ["db", 1, { startedAt: new Date(2_000) }],
      ["api", 1, { startedAt: new Date(5_000) }],
    );
    expect(timelineFromContainers(model)).toEqual({
      startedAt: 2_000,
      finishedAt: 5_000,
      source: "containers",
      services: { db: { started: 2_000, ready: 2_000 }, api: { started: 5_000, ready: 5_000 } },
    });
    expect(timelineFromContainers(emptyModel(PROJECT, SERVICES))).toBeUndefined();
  });
});
