/**
 * Every key, written to the dashboard's stdin: the frame it leads to, or the action it asks of the
 * controller (with the selected service, or replica, as its target).
 */
import { afterEach, describe, expect, it } from "vitest";
import { containerInfo, putContainer } from "../../../../src/ui/dashboard/model.js";
import type { DashboardStore } from "../../../../src/ui/dashboard/store.js";
import { PROJECT, state, testStore } from "./fixtures.js";
import { KEYS, mountDashboard, type Mounted } from "./ink.js";

let mounted: Mounted | undefined;
afterEach(() => mounted?.unmount());

function stack(lines = 60): DashboardStore {
  const store = testStore({ rows: 30 });
  store.update((m) => {
    let next = m;
    for (const s of [state("db", 1), state("api", 1), state("api", 2), state("web", 1)]) {
      const info = containerInfo(s);
      if (info) next = putContainer(next, info);
    }
    return next;
  });
  for (let i = 1; i <= lines; i++) {
    const service = ["db", "api", "web"][i % 3] ?? "db";
    store.logs.print(
      { name: `${PROJECT}-${service}-1`, service },
      { line: i === 7 ? "needle in the hay" : `line ${i}`, stream: "stdout", time: new Date(i * 1000) },
    );
  }
  return store;
}

async function mount(store = stack()): Promise<Mounted> {
  mounted = await mountDashboard(store);
  return mounted;
}

/** The row the `›` marker is on. */
function selected(app: Mounted): string {
  return (app.lines().find((l) => l.startsWith("›") && !l.includes("Logs")) ?? "").replace(/\s+/g, " ");
}

describe("moving", () => {
  it("↓ ↑ j k move the selection through the services", async () => {
    const app = await mount();
    expect(selected(app)).toMatch(/^› db /);
    await app.press(KEYS.down);
    expect(selected(app)).toMatch(/^› ▸ api /);
    await app.press("j");
    expect(selected(app)).toMatch(/^› web /);
    await app.press("kk");
    expect(selected(app)).toMatch(/^› db /);
  });

  it("→ lists a service's replicas under it and ← folds them", async () => {
    const app = await mount();
    await app.press(`j${KEYS.right}`);
    expect(app.frame()).toMatch(/▾ api[\s\S]*api-1[\s\S]*api-2/);
    await app.press(`j`);
    expect(selected(app)).toMatch(/^› api-1 /);
    await app.press(KEYS.left);
    expect(selected(app)).toMatch(/^› ▸ api /);
    expect(app.frame()).not.toContain("api-2  ");
  });

  it("tab gives the focus to the logs pane, where ↑ scrolls the logs instead", async () => {
    const app = await mount();
    await app.press(KEYS.tab);
    expect(app.lines().find((l) => l.includes("Logs ·"))).toMatch(/^› Logs/);
    await app.press(KEYS.up);
    expect(app.frame()).toContain("paused · 1 new below");
    expect(selected(app)).toMatch(/^› db /);
  });
});

describe("logs", () => {
  it("enter shows the selected service's logs only; esc shows all again", async () => {
    const app = await mount();
    await app.press(`jj${KEYS.enter}`);
    const logLines = app.lines().filter((l) => l.includes(" | "));
    expect(logLines.length).toBeGreaterThan(3);
    expect(logLines.every((l) => l.startsWith("web-1"))).toBe(true);
    expect(app.frame()).toContain("Logs · web · following");
    await app.press(KEYS.escape);
    expect(app.frame()).toContain("Logs · all services");
  });

  it("PgUp pauses follow with a count of newer lines, PgDn and End follow again, Home goes to the oldest", async () => {
    const app = await mount();
    expect(app.frame()).toContain("line 60");
    await app.press(KEYS.pageUp);
    expect(app.frame()).toMatch(/paused · \d+ new below/);
    expect(app.frame()).not.toContain("line 60");
    await app.press(KEYS.end);
    expect(app.frame()).toContain("following");
    await app.press(KEYS.home);
    expect(app.frame()).toContain("line 1\n");
    await app.press(KEYS.pageDown.repeat(10));
    expect(app.frame()).toContain("following");
    await app.press(`${KEYS.pageUp}f`);
    expect(app.frame()).toContain("following");
  });

  it("/ finds a line, marks it, and n N step through matches", async () => {
    const app = await mount();
    expect(app.frame()).not.toContain("needle");
    await app.press("/");
    expect(app.lines().at(-1)).toContain("/█");
    await app.press("neeX");
    await app.press(KEYS.backspace);
    await app.press("dle");
    expect(app.lines().at(-1)).toContain("/needle█");
    await app.press(KEYS.enter);
    expect(app.frame()).toContain("/needle found");
    expect(app.lines().find((l) => l.includes("needle in the hay"))).toMatch(
      /^▶api-1 +\| needle in the hay$/,
    );
    await app.press("n");
    expect(app.frame()).toContain("no more matches");
    await app.press("/absent\r");
    expect(app.frame()).toContain("/absent not found");
  });

  it("t shows each line's time", async () => {
    const app = await mount();
    await app.press("t");
    expect(app.frame()).toMatch(/web-1 \| \d\d:\d\d:\d\d\.\d{3} line 59/);
    expect(app.frame()).toContain("[time]");
  });
});

describe("views", () => {
  it("g, ? and p open their overlays, the same key or esc closes them", async () => {
    const app = await mount();
    await app.press("g");
    expect(app.frame()).toContain("Dependency graph");
    await app.press("g");
    expect(app.frame()).toContain("Logs ·");
    await app.press("?");
    expect(app.frame()).toContain("Keys");
    await app.press(KEYS.escape);
    expect(app.frame()).not.toContain("(esc or ? closes)");
    await app.press("p");
    expect(app.frame()).toContain("Last healthcheck");
  });
});

describe("actions", () => {
  it("r s + - x R e ask the controller to act on the selected service", async () => {
    const app = await mount();
    await app.press("jrs+-xRe");
    expect(app.acts.map((a) => [a.action, a.target?.service])).toEqual([
      ["restart", "api"],
      ["toggle", "api"],
      ["scale-up", "api"],
      ["scale-down", "api"],
      ["recreate", "api"],
      ["rebuild", "api"],
      ["exec", "api"],
    ]);
  });

  it("acts on the selected replica when a replica row is selected (e opens its shell)", async () => {
    const app = await mount();
    await app.press(`j${KEYS.right}jj`);
    await app.press("e");
    expect(app.acts[0]).toMatchObject({ action: "exec", target: { service: "api", replica: true } });
    expect(app.acts[0]?.target?.container?.name).toBe("demo-api-2");
  });

  it("d detaches and q quits", async () => {
    const app = await mount();
    await app.press("d");
    await app.press("q");
    expect(app.acts.map((a) => a.action)).toEqual(["detach", "quit"]);
  });

  it("D asks first: y downs the stack, n does not", async () => {
    const app = await mount();
    await app.press("D");
    expect(app.lines().at(-1)).toContain("Down: stop and remove the stack's containers and networks? y/n");
    await app.press("n");
    expect(app.acts).toEqual([]);
    expect(app.lines().at(-1)).toContain("r restart");
    await app.press("Dy");
    expect(app.acts.map((a) => a.action)).toEqual(["down"]);
  });

  it("Ctrl-C interrupts, in any mode", async () => {
    const app = await mount();
    await app.press(KEYS.ctrlC);
    await app.press(`/${KEYS.ctrlC}`);
    expect(app.interrupts).toBe(2);
    expect(app.acts).toEqual([]);
  });
});

describe("resize", () => {
  it("redraws for the new size, down to logs only under 60 columns", async () => {
    const store = stack();
    const app = await mount(store);
    expect(app.frame()).toContain("NAME");
    store.setSize({ columns: 50, rows: 12 });
    await app.redraw();
    expect(app.frame()).not.toContain("NAME");
    expect(app.lines()).toHaveLength(11);
    store.setSize({ columns: 90, rows: 24 });
    await app.redraw();
    expect(app.frame()).toContain("NAME");
    expect(app.lines()).toHaveLength(23);
  });
});
