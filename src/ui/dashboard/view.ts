/**
 * What the person looking at the dashboard has chosen: the focused pane, the selected row, which
 * services are expanded, which logs are shown and where, the search, the overlay. `reduceView` is
 * pure: given the rows on screen and a read-only index of the log lines, an action gives the next
 * state. Log positions are keys of lines (not offsets), so a paused view stays on the same lines
 * however many arrive below it.
 */
import { ALL_LOGS, findLine, type LineKey, type LogFilter, type LogIndex } from "./log-store.js";
import { type Row, serviceOfRowId, serviceRowId } from "./rows.js";

export type Pane = "services" | "logs";
export type Overlay = "none" | "help" | "graph" | "probe" | "confirm-down";

export interface LogView {
  readonly filter: LogFilter;
  /** The key of the bottom line while scrolled back; undefined while following the newest. */
  readonly anchor: LineKey | undefined;
  readonly timestamps: boolean;
  /** Wrap long lines (else cut them at the pane's edge). */
  readonly wrap: boolean;
  /** Keep the containers' own ANSI colours (else strip them). */
  readonly colours: boolean;
}

export interface SearchState {
  /** The `/` prompt is open and `draft` is being typed. */
  readonly editing: boolean;
  readonly draft: string;
  /** The submitted query ("" when none): its matches are highlighted. */
  readonly query: string;
  /** The current match's line. */
  readonly match: LineKey | undefined;
  readonly status: "none" | "found" | "not-found" | "no-more";
}

export interface ViewState {
  readonly focus: Pane;
  /** A row id (`svc:web`, `ctr:webapp-web-2`), or undefined before the first row exists. */
  readonly selected: string | undefined;
  readonly expanded: ReadonlySet<string>;
  readonly logs: LogView;
  readonly search: SearchState;
  readonly overlay: Overlay;
}

export type ViewAction =
  | { readonly type: "move"; readonly delta: number }
  | { readonly type: "scroll"; readonly lines: number }
  | { readonly type: "page"; readonly pages: number }
  | { readonly type: "top" }
  | { readonly type: "follow" }
  | { readonly type: "focus-next" }
  | { readonly type: "focus-logs" }
  | { readonly type: "back" }
  | { readonly type: "expand"; readonly open: boolean }
  | { readonly type: "search-start" }
  | { readonly type: "search-input"; readonly text: string }
  | { readonly type: "search-backspace" }
  | { readonly type: "search-submit" }
  | { readonly type: "search-cancel" }
  | { readonly type: "search-next"; readonly direction: "older" | "newer" }
  | { readonly type: "toggle"; readonly what: "timestamps" | "wrap" | "colours" }
  | { readonly type: "overlay"; readonly overlay: Overlay }
  | { readonly type: "close" };

/** What the reducer reads besides the state: the rows shown and the log lines. */
export interface ViewEnv {
  readonly rows: readonly Pick<Row, "id" | "kind" | "service" | "container" | "expandable">[];
  readonly logs: LogIndex;
  /** Log lines one page holds (the pane's height). */
  readonly page: number;
}

export interface ViewOptions {
  readonly timestamps?: boolean | undefined;
}

export function initialView(options: ViewOptions = {}): ViewState {
  return {
    focus: "services",
    selected: undefined,
    expanded: new Set(),
    logs: {
      filter: ALL_LOGS,
      anchor: undefined,
      timestamps: options.timestamps ?? false,
      wrap: false,
      colours: true,
    },
    search: { editing: false, draft: "", query: "", match: undefined, status: "none" },
    overlay: "none",
  };
}

export function reduceView(view: ViewState, action: ViewAction, env: ViewEnv): ViewState {
  switch (action.type) {
    case "move":
      if (view.focus === "logs") return scrolled(view, action.delta, env);
      return { ...view, selected: moved(view, action.delta, env) };
    case "scroll":
      return scrolled(view, action.lines, env);
    case "page":
      return scrolled(view, action.pages * Math.max(1, env.page - 1), env);
    case "top":
      return withAnchor(view, topAnchor(env.logs, view.logs.filter, env.page));
    case "follow":
      return withAnchor(view, undefined);
    case "focus-next":
      return { ...view, focus: view.focus === "services" ? "logs" : "services" };
    case "focus-logs":
      return focusLogs(view, env);
    case "back":
      if (view.overlay !== "none") return { ...view, overlay: "none" };
      if (view.search.query !== "") return { ...view, search: initialView().search };
      return { ...view, logs: { ...view.logs, filter: ALL_LOGS, anchor: undefined } };
    case "expand":
      return expand(view, action.open, env);
    case "search-start":
      return { ...view, search: { ...view.search, editing: true, draft: "" } };
    case "search-input":
      return { ...view, search: { ...view.search, draft: view.search.draft + action.text } };
    case "search-backspace":
      return { ...view, search: { ...view.search, draft: [...view.search.draft].slice(0, -1).join("") } };
    case "search-cancel":
      return { ...view, search: { ...view.search, editing: false, draft: "" } };
    case "search-submit":
      return submit(view, env);
    case "search-next":
      return nextMatch(view, action.direction, env);
    case "toggle":
      return { ...view, logs: { ...view.logs, [action.what]: !view.logs[action.what] } };
    case "overlay":
      return { ...view, overlay: view.overlay === action.overlay ? "none" : action.overlay };
    case "close":
      return { ...view, overlay: "none" };
  }
}

/** Keeps the selection on a row that exists: a vanished replica hands it to its service. */
export function reconcileSelection(view: ViewState, rows: ViewEnv["rows"]): ViewState {
  if (rows.length === 0) return view.selected === undefined ? view : { ...view, selected: undefined };
  if (view.selected !== undefined && rows.some((r) => r.id === view.selected)) return view;
  const gone = view.selected;
  const owner =
    gone === undefined ? undefined : rows.find((r) => r.id === serviceRowId(serviceOfRowId(gone)));
  return { ...view, selected: (owner ?? rows[0])?.id };
}

function moved(view: ViewState, delta: number, env: ViewEnv): string | undefined {
  const rows = env.rows;
  if (rows.length === 0) return undefined;
  const at = rows.findIndex((r) => r.id === view.selected);
  const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + delta));
  return rows[next]?.id;
}

function withAnchor(view: ViewState, anchor: LineKey | undefined): ViewState {
  return { ...view, logs: { ...view.logs, anchor } };
}

/** Moves the bottom line `lines` lines (negative: back in time); reaching the newest follows again. */
function scrolled(view: ViewState, lines: number, env: ViewEnv): ViewState {
  const { filter } = view.logs;
  const base = view.logs.anchor ?? env.logs.last(filter);
  if (base === undefined || lines === 0) return view;
  if (lines > 0) {
    if (view.logs.anchor === undefined) return view;
    let target: LineKey | undefined;
    let steps = 0;
    for (const line of env.logs.forward(filter, base)) {
      target = line;
      if (++steps >= lines) break;
    }
    if (steps < lines || target === undefined) return withAnchor(view, undefined);
    const last = env.logs.last(filter);
    return withAnchor(view, last && last.seq === target.seq ? undefined : key(target));
  }
  let target: LineKey = base;
  let steps = 0;
  for (const line of env.logs.backward(filter, base)) {
    if (line.seq === base.seq) continue;
    target = line;
    if (++steps >= -lines) break;
  }
  const floor = topAnchor(env.logs, filter, env.page);
  if (
    floor !== undefined &&
    (target.time < floor.time || (target.time === floor.time && target.seq < floor.seq))
  ) {
    target = floor;
  }
  return withAnchor(view, key(target));
}

/** The bottom line when the oldest line is at the top of a full page. */
function topAnchor(logs: LogIndex, filter: LogFilter, page: number): LineKey | undefined {
  let at: LineKey | undefined;
  let count = 0;
  for (const line of logs.forward(filter)) {
    at = line;
    if (++count >= page) break;
  }
  return at === undefined ? undefined : key(at);
}

function key(line: LineKey): LineKey {
  return { time: line.time, seq: line.seq };
}

function focusLogs(view: ViewState, env: ViewEnv): ViewState {
  const row = env.rows.find((r) => r.id === view.selected);
  if (!row) return { ...view, focus: "logs" };
  const filter: LogFilter =
    row.kind === "replica" && row.container
      ? { kind: "source", source: row.container.name }
      : { kind: "service", service: row.service };
  return { ...view, focus: "logs", logs: { ...view.logs, filter, anchor: undefined } };
}

function expand(view: ViewState, open: boolean, env: ViewEnv): ViewState {
  const row = env.rows.find((r) => r.id === view.selected);
  if (!row) return view;
  const expanded = new Set(view.expanded);
  if (open) {
    if (row.kind !== "service" || !row.expandable) return view;
    expanded.add(row.service);
    return { ...view, expanded };
  }
  expanded.delete(row.service);
  return { ...view, expanded, selected: serviceRowId(row.service) };
}

function submit(view: ViewState, env: ViewEnv): ViewState {
  const query = view.search.draft;
  const cleared = { ...view, search: { ...view.search, editing: false, draft: "", query } };
  if (query === "") return { ...cleared, search: initialView().search };
  const from = view.logs.anchor ?? env.logs.last(view.logs.filter);
  const found = findLine(env.logs, view.logs.filter, query, from, "older");
  if (!found) return { ...cleared, search: { ...cleared.search, match: undefined, status: "not-found" } };
  return showMatch(cleared, found, env);
}

function nextMatch(view: ViewState, direction: "older" | "newer", env: ViewEnv): ViewState {
  const { query, match } = view.search;
  if (query === "") return view;
  const found = findLine(env.logs, view.logs.filter, query, match, direction, match === undefined);
  if (!found) return { ...view, search: { ...view.search, status: match ? "no-more" : "not-found" } };
  return showMatch(view, found, env);
}

/** Puts the match about the middle of the pane (or as low as the newest line allows), follow paused. */
function showMatch(view: ViewState, match: LineKey, env: ViewEnv): ViewState {
  let anchor: LineKey = match;
  let steps = 0;
  const below = Math.floor(env.page / 2);
  if (below > 0) {
    for (const line of env.logs.forward(view.logs.filter, match)) {
      anchor = line;
      if (++steps >= below) break;
    }
  }
  return {
    ...view,
    focus: "logs",
    logs: { ...view.logs, anchor: key(anchor) },
    search: { ...view.search, match: key(match), status: "found" },
  };
}
