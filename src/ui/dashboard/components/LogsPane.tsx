/**
 * The logs pane: a title saying what is shown and how (following, or paused with the count of
 * lines waiting below), then the visible window of lines — only those, read from the store by
 * walking back from the bottom line. Each line: the container's short name in its service's
 * colour, optionally its time, then its text, sanitized, with the search's matches highlighted.
 *
 *     Logs · all services · following                         /needle 1 match  t w
 *     web-1  | GET / 200
 */
import { fit, sanitize, stripAnsi, truncate, visibleWidth, wrapRows } from "../ansi.js";
import { formatLogTime } from "../format.js";
import type { LogEntry, LogIndex } from "../log-store.js";
import { shortName } from "../rows.js";
import type { Theme } from "../theme.js";
import type { LogView, Pane, SearchState } from "../view.js";
import { Lines } from "./Lines.js";

export interface LogLinesInput {
  readonly logs: LogIndex;
  readonly view: LogView;
  readonly search: SearchState;
  readonly project: string;
  /** Width of the name column (the longest short name among the containers shown). */
  readonly nameWidth: number;
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

export interface LogWindow {
  readonly lines: string[];
  /** Lines below the bottom one while paused (0 while following). */
  readonly newer: number;
}

export function logWindow(input: LogLinesInput): LogWindow {
  const { logs, view, height } = input;
  const blocks: string[][] = [];
  let filled = 0;
  for (const entry of logs.backward(view.filter, view.anchor)) {
    const rows = renderEntry(entry, input);
    blocks.push(rows);
    filled += rows.length;
    if (filled >= height) break;
  }
  const lines = blocks.reverse().flat();
  const newer = view.anchor ? logs.countAfter(view.filter, view.anchor) : 0;
  return { lines: lines.slice(Math.max(0, lines.length - height)), newer };
}

function renderEntry(entry: LogEntry, input: LogLinesInput): string[] {
  const { theme, view, search } = input;
  const name = fit(shortName(input.project, entry.source), input.nameWidth);
  const gutter = search.query === "" ? "" : search.match?.seq === entry.seq ? "▶" : " ";
  const stamp = view.timestamps ? `${formatLogTime(entry.time)} ` : "";
  const lead = `${gutter}${name} | ${stamp}`;
  const styledLead = `${gutter}${theme.service(entry.service, `${name} | `)}${theme.dim(stamp)}`;
  const room = Math.max(8, input.width - visibleWidth(lead));
  const body = bodyOf(entry, input);
  if (!view.wrap) return [`${styledLead}${truncate(body, room)}`];
  const pad = " ".repeat(visibleWidth(lead));
  return wrapRows(body, room).map((row, i) => (i === 0 ? `${styledLead}${row}` : `${pad}${row}`));
}

function bodyOf(entry: LogEntry, input: LogLinesInput): string {
  const { theme, view, search } = input;
  if (entry.stream === "status") return theme.service(entry.service, sanitize(entry.text, false));
  const clean = sanitize(entry.text, theme.colour && view.colours);
  if (search.query === "" || !theme.colour) return clean;
  return highlight(stripAnsi(clean), search.query, theme.match);
}

/** Wraps every case-insensitive occurrence of `query` in `style`. */
export function highlight(text: string, query: string, style: (text: string) => string): string {
  const lower = text.toLowerCase();
  const needle = query.toLowerCase();
  let out = "";
  let from = 0;
  for (
    let at = lower.indexOf(needle);
    at >= 0 && needle !== "";
    at = lower.indexOf(needle, at + needle.length)
  ) {
    out += text.slice(from, at) + style(text.slice(at, at + needle.length));
    from = at + needle.length;
  }
  return out + text.slice(from);
}

export interface LogTitleInput {
  readonly view: LogView;
  readonly search: SearchState;
  readonly focus: Pane;
  readonly newer: number;
  readonly project: string;
  readonly width: number;
  readonly theme: Theme;
}

export function logTitle(input: LogTitleInput): string {
  const { view, search, theme } = input;
  const what =
    view.filter.kind === "all"
      ? "all services"
      : view.filter.kind === "service"
        ? view.filter.service
        : shortName(input.project, view.filter.source);
  const where = view.anchor
    ? theme.tone("warn", `paused · ${input.newer} new below (End to follow)`)
    : theme.tone("ok", "following");
  const found =
    search.query === ""
      ? ""
      : `  /${search.query} ${
          search.status === "found"
            ? theme.tone("ok", "found")
            : search.status === "not-found"
              ? theme.tone("bad", "not found")
              : search.status === "no-more"
                ? theme.tone("warn", "no more matches")
                : ""
        }`;
  const flags = [view.timestamps ? "time" : "", view.wrap ? "wrap" : "", view.colours ? "" : "no-colour"]
    .filter((f) => f !== "")
    .join(" ");
  const marker = input.focus === "logs" ? "›" : " ";
  const title = `${marker} ${theme.bold("Logs")} · ${what} · ${where}${found}${flags ? theme.dim(`  [${flags}]`) : ""}`;
  return truncate(title, input.width);
}

export interface LogsPaneProps extends LogLinesInput {
  readonly focus: Pane;
}

export function LogsPane(props: LogsPaneProps) {
  const window = logWindow(props);
  const title = logTitle({ ...props, search: props.search, newer: window.newer });
  return <Lines lines={[title, ...window.lines]} height={props.height + 1} width={props.width} />;
}

/** The name column's width for the containers a filter shows. */
export function nameWidthOf(names: readonly { name: string; service: string }[], project: string): number {
  return Math.min(24, Math.max(4, ...names.map((n) => visibleWidth(shortName(project, n.name)))));
}
