/**
 * The services pane: a table of one row per service in dependency order (replicas under an
 * expanded service), columns dropped from the least useful as the terminal narrows, and scrolled
 * to keep the selection in view.
 *
 *       NAME      STATE      HEALTH   REPL  RST  UPTIME  PORTS                  CPU   MEM    IMAGE
 *     › db        running    healthy  1/1   0    3m12s   127.0.0.1:5432→5432/tcp  0.4%  21.3M  postgres:16
 */
import { fit, truncate, visibleWidth } from "../ansi.js";
import type { Row, Tone } from "../rows.js";
import type { Theme } from "../theme.js";
import type { Pane } from "../view.js";
import { Lines } from "./Lines.js";

interface Column {
  readonly title: string;
  readonly min: number;
  readonly max: number;
  /** Lower is kept longer when the terminal is narrow. */
  readonly keep: number;
  readonly value: (row: Row) => string;
  readonly tone?: (row: Row) => Tone | undefined;
}

const COLUMNS: readonly Column[] = [
  { title: "NAME", min: 6, max: 28, keep: 0, value: nameCell },
  { title: "STATE", min: 8, max: 30, keep: 0, value: (r) => r.state, tone: (r) => r.tone },
  {
    title: "HEALTH",
    min: 6,
    max: 9,
    keep: 1,
    value: (r) => r.health || "-",
    tone: (r) => (r.health ? r.healthTone : undefined),
  },
  { title: "REPL", min: 4, max: 7, keep: 2, value: (r) => r.replicas },
  { title: "RST", min: 3, max: 4, keep: 6, value: (r) => String(r.restarts) },
  { title: "UPTIME", min: 6, max: 7, keep: 3, value: (r) => r.uptime || "-" },
  { title: "PORTS", min: 5, max: 34, keep: 7, value: (r) => r.ports || "-" },
  { title: "CPU", min: 5, max: 6, keep: 4, value: (r) => r.cpu || "-" },
  { title: "MEM", min: 5, max: 7, keep: 5, value: (r) => r.mem || "-" },
  { title: "IMAGE", min: 5, max: 40, keep: 8, value: (r) => r.image },
];

const GAP = 2;
const MARKER = 2;

function nameCell(row: Row): string {
  if (row.kind === "replica") return `  ${row.label}`;
  return `${row.expandable ? (row.expanded ? "▾" : "▸") : " "} ${row.label}`;
}

interface Placed {
  readonly column: Column;
  readonly width: number;
}

/** The columns that fit `width`, each as wide as its widest value allows. */
export function placeColumns(rows: readonly Row[], width: number): Placed[] {
  const natural = COLUMNS.map((column) => {
    const widest = Math.max(column.title.length, ...rows.map((r) => visibleWidth(column.value(r))));
    return { column, width: Math.min(column.max, Math.max(column.min, widest)) };
  });
  const chosen = new Set<Column>();
  let used = MARKER;
  for (const placed of [...natural].sort((a, b) => a.column.keep - b.column.keep)) {
    const need = placed.width + (chosen.size > 0 ? GAP : 0);
    if (placed.column.keep > 0 && used + need > width) continue;
    chosen.add(placed.column);
    used += need;
  }
  return natural.filter((p) => chosen.has(p.column));
}

export interface ServiceLinesInput {
  readonly rows: readonly Row[];
  readonly selected: string | undefined;
  readonly focus: Pane;
  readonly width: number;
  /** Rows that fit under the header line. */
  readonly height: number;
  readonly theme: Theme;
}

/** The header line and the visible rows, fitted to the width and styled. */
export function serviceLines(input: ServiceLinesInput): string[] {
  const { rows, theme, width } = input;
  const placed = placeColumns(rows, width);
  const at = Math.max(
    0,
    rows.findIndex((r) => r.id === input.selected),
  );
  const start = Math.max(0, Math.min(at - Math.floor(input.height / 2), rows.length - input.height));
  const visible = rows.slice(start, start + input.height);
  const more = rows.length > input.height ? ` ${start + 1}-${start + visible.length}/${rows.length}` : "";
  const header = truncate(
    `  ${placed.map((p) => fit(p.column.title, p.width)).join(" ".repeat(GAP))}${more}`,
    width,
  );
  const lines = [theme.dim(header)];
  for (const row of visible) {
    const chosen = row.id === input.selected;
    const cells = placed.map((p, i) => {
      const text = fit(p.column.value(row), p.width);
      if (chosen && input.focus === "services" && theme.colour) return text;
      if (i === 0) return theme.service(row.service, text);
      const tone = p.column.tone?.(row);
      return tone ? theme.tone(tone, text) : text;
    });
    const text = `${chosen ? "›" : " "} ${cells.join(" ".repeat(GAP))}`;
    // Only the selected row is padded to the width: its highlight is a full bar. Other lines stop
    // at their text (Ink's screen is blank beyond it, and every character given costs it work).
    const line = chosen ? fit(text, width) : truncate(text, width);
    if (!chosen) lines.push(line);
    else lines.push(input.focus === "services" ? theme.selected(line) : theme.bold(line));
  }
  return lines;
}

export function ServicesPane(props: ServiceLinesInput) {
  return <Lines lines={serviceLines(props)} height={props.height + 1} width={props.width} />;
}
