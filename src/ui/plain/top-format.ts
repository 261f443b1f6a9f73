/**
 * `top` as `docker compose top` prints it (`collectTop`/`topPrint`): containers sorted by name, one
 * row per process, columns in the order first met with SERVICE and # ahead and CMD moved last, a
 * missing cell shown as `-`; Go tabwriter with min width 4 and padding 2. Nothing when no process.
 */
import { tabwriteRows } from "./tabwriter.js";

export interface TopSummary {
  readonly name: string;
  readonly service: string;
  readonly replica: string;
  readonly titles: readonly string[];
  readonly processes: readonly (readonly string[])[];
}

export function topTable(summaries: readonly TopSummary[]): string {
  const sorted = [...summaries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header = ["SERVICE", "#"];
  const rows: Map<string, string>[] = [];
  for (const c of sorted) {
    for (const proc of c.processes) {
      const row = new Map([
        ["SERVICE", c.service],
        ["#", c.replica],
      ]);
      c.titles.forEach((title, i) => {
        if (!header.includes(title)) header.push(title);
        row.set(title, proc[i] ?? "");
      });
      rows.push(row);
    }
  }
  if (rows.length === 0) return "";
  const cmd = header.indexOf("CMD");
  if (cmd >= 0) header.push(...header.splice(cmd, 1));
  return tabwriteRows([header, ...rows.map((row) => header.map((title) => row.get(title) ?? "-"))], {
    minWidth: 4,
    padding: 2,
  });
}
