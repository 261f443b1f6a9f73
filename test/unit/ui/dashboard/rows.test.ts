import { describe, expect, it } from "vitest";
import {
  containerInfo,
  emptyModel,
  type Model,
  putContainer,
  putUsage,
  setActivity,
  upFinished,
  upStarted,
} from "../../../../src/ui/dashboard/model.js";
import { buildRows, serviceOfRowId, unmetDependencies } from "../../../../src/ui/dashboard/rows.js";
import { PROJECT, SERVICES, state } from "./fixtures.js";

function model(...states: ReturnType<typeof state>[]): Model {
  let m = emptyModel(PROJECT, SERVICES);
  for (const s of states) {
    const info = containerInfo(s);
    if (info) m = putContainer(m, info);
  }
  return m;
}

const NOW = 61_000;

describe("service rows", () => {
  it("lists services in dependency order with state, health, replicas, uptime, ports and usage", () => {
    let m = model(
      state("db", 1, {
        health: "healthy",
        ports: [{ containerPort: 5432, protocol: "tcp", hostIp: "127.0.0.1", hostPort: "5432" }],
      }),
      state("api", 1, { restartCount: 2, startedAt: new Date(1_000) }),
      state("api", 2, { status: "exited", running: false, exitCode: 1 }),
      state("web", 1),
    );
    m = putUsage(m, "demo-db-1-id", {
      time: new Date(0),
      cpuPercent: 1.25,
      memoryUsageBytes: 20 * 1024 * 1024,
      memoryLimitBytes: 0,
      networkRxBytes: 0,
      networkTxBytes: 0,
      blockReadBytes: 0,
      blockWriteBytes: 0,
      pids: 1,
    });
    const rows = buildRows(m, new Set(), NOW);
    expect(rows.map((r) => [r.label, r.state, r.tone, r.health, r.replicas, r.restarts, r.uptime])).toEqual([
      ["db", "running", "ok", "healthy", "1/1", 0, "1m00s"],
      ["api", "running", "warn", "", "1/2", 2, "1m00s"],
      ["web", "running", "ok", "", "1/1", 0, "1m00s"],
    ]);
    expect(rows[0]?.ports).toBe("127.0.0.1:5432→5432/tcp");
    expect([rows[0]?.cpu, rows[0]?.mem]).toEqual(["1.3%", "20.0M"]);
    expect(rows[1]?.expandable).toBe(true);
  });

  it("lists an expanded service's replicas under it, each with its own state", () => {
    const m = model(state("api", 1), state("api", 2, { status: "exited", running: false, exitCode: 3 }));
    const rows = buildRows(m, new Set(["api"]), NOW);
    expect(rows.map((r) => [r.id, r.label, r.state])).toEqual([
      ["svc:db", "db", "not created"],
      ["svc:api", "api", "running"],
      ["ctr:api/demo-api-1", "api-1", "running"],
      ["ctr:api/demo-api-2", "api-2", "exited (3)"],
      ["svc:web", "web", "not created"],
    ]);
    expect(serviceOfRowId("ctr:api/demo-api-2")).toBe("api");
    expect(serviceOfRowId("svc:web")).toBe("web");
  });

  it("says what a service waits for while an up brings it up", () => {
    let m = upStarted(model(state("db", 1, { health: "starting" })), 0);
    const rows = buildRows(m, new Set(), NOW);
    expect(rows[1]?.state).toBe("waiting for db (healthy)");
    expect(rows[2]?.state).toBe("waiting for api (started)");
    const created = putContainer(m, containerInfo(state("api", 1, { status: "created", running: false }))!);
    expect(buildRows(upFinished(created, 1), new Set(), NOW)[1]).toMatchObject({
      state: "created, needs db (healthy)",
      tone: "warn",
    });
    m = putContainer(m, containerInfo(state("db", 1, { health: "healthy" }))!);
    expect(unmetDependencies(m, SERVICES[1]!)).toEqual([]);
  });

  it("shows an action's label while it runs, and an exit code and OOM when all replicas exited", () => {
    let m = model(state("web", 1, { status: "exited", running: false, exitCode: 137, oomKilled: true }));
    expect(buildRows(m, new Set(), NOW)[2]).toMatchObject({ state: "exited (137) OOM", tone: "bad" });
    m = setActivity(m, "web", "restarting");
    expect(buildRows(m, new Set(), NOW)[2]).toMatchObject({ state: "restarting", tone: "busy" });
  });

  it("reports the worst health among running replicas", () => {
    const m = model(state("db", 1, { health: "healthy" }), state("db", 2, { health: "unhealthy" }));
    expect(buildRows(m, new Set(), NOW)[0]).toMatchObject({ health: "unhealthy", healthTone: "bad" });
  });
});
