import { describe, expect, it } from "vitest";
import { pushEvent } from "../../../../src/ui/dashboard/model.js";
import { manualTimer, testStore } from "./fixtures.js";

describe("DashboardStore", () => {
  it("turns any number of changes into one frame for its subscribers", () => {
    const timer = manualTimer();
    const store = testStore({ timer });
    let heard = 0;
    store.subscribe(() => heard++);
    const before = store.getFrame();
    for (let i = 0; i < 100; i++) {
      store.logs.print({ name: "demo-web-1", service: "web" }, { line: `line ${i}`, stream: "stdout" });
      store.update((m) => pushEvent(m, { at: i, subject: "x", text: "y", level: "info" }));
    }
    expect(timer.pending).toBe(1);
    timer.flush();
    expect(heard).toBe(1);
    expect(store.getFrame()).toBe(before + 1);
  });

  it("asks no frame for quiet updates (stats) nor for reducers that change nothing", () => {
    const timer = manualTimer();
    const store = testStore({ timer });
    store.updateQuietly((m) => pushEvent(m, { at: 0, subject: "x", text: "quiet", level: "info" }));
    store.update((m) => m);
    expect(timer.pending).toBe(0);
    expect(store.model.events.at(-1)?.text).toBe("quiet");
    store.dispatch({ type: "move", delta: 1 });
    expect(timer.pending).toBe(1);
  });

  it("keeps the selection on a row when the view changes", () => {
    const store = testStore({ timer: manualTimer() });
    expect(store.view.selected).toBe("svc:db");
    store.dispatch({ type: "move", delta: 2 });
    expect(store.view.selected).toBe("svc:web");
  });
});
