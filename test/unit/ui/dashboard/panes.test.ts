/**
 * Every pane of the dashboard as ink-testing-library renders it: what each shows for a known state,
 * and how the screen degrades (narrow terminals, no colour).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  containerInfo,
  pushEvent,
  putContainer,
  putUsage,
  setNotice,
  upFinished,
  upStarted,
  applyEngineEvent,
} from "../../../../src/ui/dashboard/model.js";
import type { DashboardStore } from "../../../../src/ui/dashboard/store.js";
import { PROJECT, state, testStore } from "./fixtures.js";
import { KEYS, mountDashboard, type Mounted } from "./ink.js";

let mounted: Mounted | undefined;
afterEach(() => mounted?.unmount());

async function mount(store: DashboardStore): Promise<Mounted> {
  mounted = await mountDashboard(store);
  return mounted;
}

/** db healthy with a port, two api replicas (one exited), web running; usage; a few log lines. */
function seeded(options: Parameters<typeof testStore>[0] = {}): DashboardStore {
  const store = testStore(options);
  store.update((m) => {
    let next = m;
    for (const s of [
      state("db", 1, {
        health: "healthy",
        ports: [{ containerPort: 5432, protocol: "tcp", hostIp: "127.0.0.1", hostPort: "15432" }],
        healthProbe: {
          exitCode: 0,
          output: "accepting connections\n",
          start: new Date(50_000),
          end: new Date(50_100),
        },
      }),
      state("api", 1, { restartCount: 1 }),
      state("api", 2, { status: "exited", running: false, exitCode: 2 }),
      state("web", 1),
    ]) {
      const info = containerInfo(s);
      if (info) next = putContainer(next, info);
    }
    return putUsage(next, "demo-db-1-id", {
      time: new Date(0),
      cpuPercent: 4.5,
      memoryUsageBytes: 30 * 1024 * 1024,
      memoryLimitBytes: 0,
      networkRxBytes: 0,
      networkTxBytes: 0,
      blockReadBytes: 0,
      blockWriteBytes: 0,
      pids: 3,
    });
  });
  const line = (name: string, service: string, text: string, ms: number) =>
    store.logs.print(
      { name: `${PROJECT}-${name}`, service },
      { line: text, stream: "stdout", time: new Date(ms) },
    );
  line("db-1", "db", "database system is ready", 1_000);
  line("api-1", "api", "listening on :3000", 2_000);
  line("web-1", "web", "GET / 200", 3_000);
  return store;
}

describe("services pane", () => {
  it("shows one row per service in dependency order with state, health, replicas, restarts, uptime, ports, usage and image", async () => {
    const app = await mount(seeded());
    const lines = app.lines();
    const header = lines.findIndex((l) => l.includes("NAME") && l.includes("STATE"));
    expect(lines[header]).toMatch(/NAME +STATE +HEALTH +REPL +RST +UPTIME +PORTS +CPU +MEM +IMAGE/);
    expect(lines[header + 1]).toMatch(
      /^› +db +running +healthy +1\/1 +0 +1m00s +127\.0\.0\.1:15432→5432\/tcp +4\.5% +30\.0M +postgres:16$/,
    );
    expect(lines[header + 2]).toMatch(/^ +▸ api +running +- +1\/2 +1 +1m00s +- +- +- +demo-api$/);
    expect(lines[header + 3]).toMatch(/^ +web +running +- +1\/1 +0 /);
  });

  it("drops the least useful columns first as the terminal narrows", async () => {
    const app = await mount(seeded({ columns: 64 }));
    const header = app.lines().find((l) => l.includes("NAME")) ?? "";
    expect(header).toContain("HEALTH");
    expect(header).not.toContain("IMAGE");
    expect(header).not.toContain("PORTS");
  });

  it("says which dependency a service waits for during an up", async () => {
    const store = testStore();
    store.update((m) => {
      const info = containerInfo(state("db", 1, { health: "starting" }));
      return info ? putContainer(upStarted(m, 0), info) : m;
    });
    const app = await mount(store);
    expect(app.frame()).toMatch(/api +waiting for db \(healthy\)/);
    expect(app.frame()).toContain("up: converging…");
  });
});

describe("logs pane", () => {
  it("interleaves every container's lines behind their short names, following the newest", async () => {
    const app = await mount(seeded());
    const lines = app.lines();
    const title = lines.findIndex((l) => l.includes("Logs ·"));
    expect(lines[title]).toContain("Logs · all services · following");
    expect(lines.slice(title + 1, title + 4)).toEqual([
      "db-1  | database system is ready",
      "api-1 | listening on :3000",
      "web-1 | GET / 200",
    ]);
  });

  it("sanitizes container output: no cursor moves or clears reach the screen", async () => {
    const store = seeded();
    store.logs.print(
      { name: "demo-web-1", service: "web" },
      { line: "\x1b[2J\x1b[Hcleared?\x07", stream: "stdout", time: new Date(4_000) },
    );
    const app = await mount(store);
    expect(app.frame()).toContain("web-1 | cleared?");
    expect(app.frame()).not.toContain("\x1b[2J");
  });

  it("cuts long lines at the edge, or wraps them under the text when wrapping is on", async () => {
    const store = seeded({ columns: 70 });
    store.logs.print(
      { name: "demo-web-1", service: "web" },
      { line: `start ${"x".repeat(100)} end`, stream: "stdout", time: new Date(5_000) },
    );
    const app = await mount(store);
    const cut = app.lines().find((l) => l.includes("start")) ?? "";
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.length).toBe(70);
    await app.press("w");
    const lines = app.lines();
    const first = lines.findIndex((l) => l.includes("start"));
    expect(lines[first + 1]).toMatch(/^ {8}x+/);
    expect(lines.some((l) => l.endsWith(" end"))).toBe(true);
  });

  it("shows only logs under 60 columns", async () => {
    const app = await mount(seeded({ columns: 50, rows: 16 }));
    expect(app.frame()).not.toContain("NAME");
    expect(app.frame()).not.toContain("Events");
    expect(app.frame()).toContain("web-1 | GET / 200");
    expect(app.lines()).toHaveLength(15);
  });
});

describe("colour", () => {
  it("uses the plain printer's service colours, the containers' own colours when kept, and none at all without colour", async () => {
    const store = seeded({ colour: true });
    store.logs.print(
      { name: "demo-web-1", service: "web" },
      { line: "\x1b[31mred\x1b[0m", stream: "stdout", time: new Date(6_000) },
    );
    const app = await mount(store);
    // api, db, web sorted: api cyan, db yellow, web green — as `berth logs` colours them.
    expect(app.frame()).toContain("\x1b[33mdb-1  | ");
    expect(app.frame()).toContain("\x1b[32mweb-1 | ");
    expect(app.frame()).toContain("\x1b[31mred");
    await app.press("c");
    expect(app.frame()).not.toContain("\x1b[31mred");
    app.unmount();

    const plain = await mount(seeded({ colour: false }));
    // eslint-disable-next-line no-control-regex
    expect(plain.frame()).not.toMatch(/\x1b\[/);
    expect(plain.frame()).toMatch(/^› +db /m);
  });
});

describe("events strip", () => {
  it("shows the newest events with their time and container, and counts errors", async () => {
    const store = seeded();
    store.update((m) => pushEvent(m, { at: 0, subject: "demo-api-2", text: "died (exit 2)", level: "warn" }));
    store.update((m) =>
      pushEvent(m, { at: 0, subject: "demo-web-1", text: "port is already allocated", level: "error" }),
    );
    const app = await mount(store);
    const lines = app.lines();
    const title = lines.findIndex((l) => l.trim().startsWith("Events"));
    expect(lines[title]).toContain("1 error");
    expect(lines.slice(title + 1).join("\n")).toMatch(
      /api-2 +died \(exit 2\)\n.*web-1 +port is already allocated/,
    );
  });
});

describe("header and footer", () => {
  it("count running containers, report the up, and list the main keys", async () => {
    const store = seeded();
    store.update((m) => upFinished(upStarted(m, 1_000), 3_500));
    const app = await mount(store);
    expect(app.lines()[0]).toBe(" berth · demo · 3/4 running · up done in 2.5s");
    expect(app.lines().at(-1)).toMatch(/^ ↑↓ move · tab pane · enter logs · \/ search · r restart/);
  });

  it("shows a notice instead of the keys while the stack stops", async () => {
    const store = seeded();
    store.update((m) => setNotice(m, "Gracefully stopping... (press Ctrl+C again to force)"));
    const app = await mount(store);
    expect(app.lines().at(-1)).toBe(" Gracefully stopping... (press Ctrl+C again to force)");
  });
});

describe("overlays", () => {
  it("graph view: each edge with its condition and whether it holds, and the critical path of the last up", async () => {
    const store = seeded();
    store.update((m) => {
      let next = upStarted(m, 0);
      for (const [id, status, at] of [
        // db was running already: this up only waited for it to be healthy.
        ["demo-db-1", "Healthy", 1_500],
        ["demo-api-1", "Started", 1_600],
        ["demo-web-1", "Started", 1_900],
      ] as const) {
        next = applyEngineEvent(next, { resource: "container", id, status, at });
      }
      return upFinished(next, 2_000);
    });
    const app = await mount(store);
    await app.press("g");
    const frame = app.frame();
    expect(frame).toContain(
      "Critical path of the last up (1.9s): db ready 1.5s ▸ api 1.6s→1.6s ▸ web 1.9s→1.9s",
    );
    expect(frame).toMatch(/★ db +running +healthy +start - +ready 1\.5s/);
    expect(frame).toMatch(/└─ db \(healthy\) ✔/);
    expect(frame).toMatch(/└─ api \(started\) ✔/);
    expect(frame).not.toContain("Logs ·");
  });

  it("help lists every key", async () => {
    const app = await mount(seeded({ rows: 40 }));
    await app.press("?");
    const frame = app.frame();
    for (const text of [
      "restart the selected service",
      "scale the selected service",
      "open a shell (sh)",
      "down: stop and remove",
      "detach",
      "timestamps on / off",
    ]) {
      expect(frame).toContain(text);
    }
  });

  it("probe shows the last healthcheck's exit code and output, and asks for fresh ones", async () => {
    const app = await mount(seeded());
    await app.press("p");
    expect(app.frame()).toMatch(/db-1 +healthy +exit 0 +at \d\d:\d\d:\d\d/);
    expect(app.frame()).toContain("accepting connections");
    expect(app.inspected.map((t) => t.service)).toEqual(["db"]);
    await app.press(KEYS.escape);
    await app.press(`${KEYS.down}${KEYS.down}p`);
    expect(app.frame()).toContain("web has no healthcheck.");
  });
});
