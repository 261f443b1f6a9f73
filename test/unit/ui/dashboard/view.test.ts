import { describe, expect, it } from "vitest";
import { LogStore } from "../../../../src/ui/dashboard/log-store.js";
import {
  initialView,
  reconcileSelection,
  reduceView,
  type ViewAction,
  type ViewEnv,
  type ViewState,
} from "../../../../src/ui/dashboard/view.js";

const web1 = { name: "demo-web-1", service: "web" };
const db1 = { name: "demo-db-1", service: "db" };

function logs(count: number): LogStore {
  const store = new LogStore({ capacity: 1000, now: () => 0 });
  for (let i = 1; i <= count; i++) {
    store.print(i % 2 === 0 ? db1 : web1, { line: `line ${i}`, stream: "stdout", time: new Date(i) });
  }
  return store;
}

const rows: ViewEnv["rows"] = [
  { id: "svc:db", kind: "service", service: "db", container: undefined, expandable: false },
  { id: "svc:web", kind: "service", service: "web", container: undefined, expandable: true },
];

function run(actions: ViewAction[], env: Partial<ViewEnv> = {}, from: ViewState = initialView()): ViewState {
  const full: ViewEnv = { rows, logs: logs(20), page: 5, ...env };
  const start = reconcileSelection(from, full.rows);
  return actions.reduce(
    (view, action) => reconcileSelection(reduceView(view, action, full), full.rows),
    start,
  );
}

/** The text of the bottom line the view shows. */
function bottom(view: ViewState, store: LogStore): string | undefined {
  return store.backward(view.logs.filter, view.logs.anchor).next().value?.text;
}

describe("selection", () => {
  it("moves within the rows and stays on them", () => {
    expect(run([]).selected).toBe("svc:db");
    expect(run([{ type: "move", delta: 1 }]).selected).toBe("svc:web");
    expect(run([{ type: "move", delta: 5 }]).selected).toBe("svc:web");
    expect(run([{ type: "move", delta: -3 }]).selected).toBe("svc:db");
  });

  it("hands the selection of a vanished replica to its service", () => {
    const view = { ...initialView(), selected: "ctr:web/demo-web-3" };
    expect(reconcileSelection(view, rows).selected).toBe("svc:web");
  });

  it("expands only services with replicas, and collapsing selects the service", () => {
    const open = run([
      { type: "move", delta: 1 },
      { type: "expand", open: true },
    ]);
    expect([...open.expanded]).toEqual(["web"]);
    expect([...run([{ type: "expand", open: true }]).expanded]).toEqual([]);
    const replicaRows: ViewEnv["rows"] = [
      ...rows,
      { id: "ctr:web/demo-web-1", kind: "replica", service: "web", container: undefined, expandable: false },
    ];
    const closed = run(
      [{ type: "expand", open: false }],
      { rows: replicaRows },
      { ...open, selected: "ctr:web/demo-web-1" },
    );
    expect(closed.selected).toBe("svc:web");
    expect([...closed.expanded]).toEqual([]);
  });
});

describe("log scrolling", () => {
  const store = logs(20);
  const env = { logs: store };

  it("follows the newest line until scrolled back, then stays on the same lines", () => {
    expect(run([], env).logs.anchor).toBeUndefined();
    const back = run([{ type: "scroll", lines: -3 }], env);
    expect(bottom(back, store)).toBe("line 17");
    store.print(web1, { line: "line 21", stream: "stdout", time: new Date(21) });
    expect(bottom(back, store)).toBe("line 17");
  });

  it("pages back by a page less one line, and not past the page holding the oldest line", () => {
    expect(bottom(run([{ type: "page", pages: -1 }], env), store)).toBe("line 17");
    expect(bottom(run([{ type: "page", pages: -100 }], env), store)).toBe("line 5");
    expect(bottom(run([{ type: "top" }], env), store)).toBe("line 5");
  });

  it("follows again on reaching the newest line, End, or f", () => {
    const back = run([{ type: "scroll", lines: -2 }], env);
    expect(run([{ type: "scroll", lines: 1 }], env, back).logs.anchor).toBeDefined();
    expect(run([{ type: "scroll", lines: 5 }], env, back).logs.anchor).toBeUndefined();
    expect(run([{ type: "follow" }], env, back).logs.anchor).toBeUndefined();
  });

  it("scrolls with the arrows when the logs pane has the focus", () => {
    const focused = run([{ type: "focus-next" }], env);
    expect(focused.focus).toBe("logs");
    expect(bottom(run([{ type: "move", delta: -1 }], env, focused), store)).not.toBe(bottom(focused, store));
  });
});

describe("log filter", () => {
  it("enter shows the selected service's lines and focuses the logs; esc shows all again", () => {
    const store = logs(6);
    const web = run([{ type: "move", delta: 1 }, { type: "focus-logs" }], { logs: store });
    expect(web.focus).toBe("logs");
    expect(web.logs.filter).toEqual({ kind: "service", service: "web" });
    expect([...store.backward(web.logs.filter)].map((l) => l.text)).toEqual(["line 5", "line 3", "line 1"]);
    expect(run([{ type: "back" }], { logs: store }, web).logs.filter).toEqual({ kind: "all" });
  });

  it("toggles timestamps, wrapping and the containers' colours", () => {
    const view = run([
      { type: "toggle", what: "timestamps" },
      { type: "toggle", what: "wrap" },
      { type: "toggle", what: "colours" },
    ]);
    expect(view.logs).toMatchObject({ timestamps: true, wrap: true, colours: false });
  });
});

describe("search", () => {
  const store = new LogStore({ capacity: 100, now: () => 0 });
  for (let i = 1; i <= 30; i++) {
    store.print(web1, {
      line: i % 10 === 0 ? `needle ${i}` : `hay ${i}`,
      stream: "stdout",
      time: new Date(i),
    });
  }
  const env = { logs: store, page: 6 };
  const typed = (query: string): ViewAction[] => [
    { type: "search-start" },
    ...[...query].map((text): ViewAction => ({ type: "search-input", text })),
    { type: "search-submit" },
  ];

  it("finds the newest match, puts it mid-pane with follow paused, and steps with n/N", () => {
    const found = run(typed("NEEDLE"), env);
    expect(found.search).toMatchObject({ query: "NEEDLE", status: "found", editing: false });
    expect(found.logs.anchor).toBeDefined();
    const match = store.backward({ kind: "all" }, found.search.match).next().value;
    expect(match?.text).toBe("needle 30");
    const older = run([{ type: "search-next", direction: "older" }], env, found);
    expect(store.backward({ kind: "all" }, older.search.match).next().value?.text).toBe("needle 20");
    expect(bottom(older, store)).toBe("hay 23");
    const newer = run([{ type: "search-next", direction: "newer" }], env, older);
    expect(store.backward({ kind: "all" }, newer.search.match).next().value?.text).toBe("needle 30");
    expect(run([{ type: "search-next", direction: "newer" }], env, newer).search.status).toBe("no-more");
  });

  it("says so when nothing matches, edits the draft, and esc cancels the prompt", () => {
    expect(run(typed("absent"), env).search.status).toBe("not-found");
    const editing = run(
      [{ type: "search-start" }, { type: "search-input", text: "ab" }, { type: "search-backspace" }],
      env,
    );
    expect(editing.search).toMatchObject({ editing: true, draft: "a" });
    expect(run([{ type: "search-cancel" }], env, editing).search.editing).toBe(false);
    expect(run([{ type: "back" }], env, run(typed("needle"), env)).search.query).toBe("");
  });
});

describe("overlays", () => {
  it("toggles an overlay with its key and closes it with back", () => {
    const graph = run([{ type: "overlay", overlay: "graph" }]);
    expect(graph.overlay).toBe("graph");
    expect(run([{ type: "overlay", overlay: "graph" }], {}, graph).overlay).toBe("none");
    expect(run([{ type: "overlay", overlay: "help" }], {}, graph).overlay).toBe("help");
    expect(run([{ type: "back" }], {}, graph).overlay).toBe("none");
  });
});
