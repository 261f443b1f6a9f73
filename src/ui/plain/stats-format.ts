/**
 * `stats` as `docker stats` (which `docker compose stats` runs) prints it: the default table
 * (CONTAINER ID, NAME, CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS; Docker's
 * formatter tabwriter, 10/3), `json` (one object per line), or a Go-template-style format
 * (`{{.Name}}`, `table {{.Name}}\t{{.CPUPerc}}`, `{{json .}}`), with `\t` and `\n` read as Docker reads them.
 */
import type { Stats } from "../../runtime/runtime.js";
import { formatRows, TemplateStruct } from "./go-template.js";
import { bytesSize, humanSize } from "./units.js";

export interface ContainerStats {
  readonly id: string;
  readonly name: string;
  /** Undefined until the first sample arrives (shown as `--`, as Docker shows a pending row). */
  readonly stats: Stats | undefined;
}

/** The fields of a row, under the names Docker's templates use. */
type Row = Readonly<Record<StatsField, string>>;
type StatsField =
  "Container" | "ID" | "Name" | "CPUPerc" | "MemUsage" | "MemPerc" | "NetIO" | "BlockIO" | "PIDs";

const HEADERS: Readonly<Record<StatsField, string>> = {
  Container: "CONTAINER",
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};

export const DEFAULT_STATS_FORMAT =
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

const percent = (n: number): string => `${n.toFixed(2)}%`;

export function statsRow(c: ContainerStats, noTrunc: boolean): Row {
  const id = noTrunc ? c.id : c.id.slice(0, 12);
  const s = c.stats;
  if (s === undefined) {
    const pending = "--";
    return {
      Container: id,
      ID: id,
      Name: c.name,
      CPUPerc: pending,
      MemUsage: "-- / --",
      MemPerc: pending,
      NetIO: "-- / --",
      BlockIO: "-- / --",
      PIDs: pending,
    };
  }
  const memPercent = s.memoryLimitBytes > 0 ? (s.memoryUsageBytes / s.memoryLimitBytes) * 100 : 0;
  return {
    Container: id,
    ID: id,
    Name: c.name,
    CPUPerc: percent(s.cpuPercent),
    MemUsage: `${bytesSize(s.memoryUsageBytes)} / ${bytesSize(s.memoryLimitBytes)}`,
    MemPerc: percent(memPercent),
    NetIO: `${humanSize(s.networkRxBytes)} / ${humanSize(s.networkTxBytes)}`,
    BlockIO: `${humanSize(s.blockReadBytes)} / ${humanSize(s.blockWriteBytes)}`,
    PIDs: String(s.pids),
  };
}

/** Renders every container's row in `format` (Docker's `--format` syntax; empty or `table`: the default table). */
export function statsText(containers: readonly ContainerStats[], format: string, noTrunc: boolean): string {
  const trimmed = format.trim();
  const source = trimmed === "" || trimmed === "table" ? DEFAULT_STATS_FORMAT : trimmed;
  // A struct, so a field it lacks is an error, with its fields sorted: docker marshals a formatter
  // context's `{{json .}}` as a map of its methods.
  const structOf = (row: Row): TemplateStruct =>
    new TemplateStruct(
      "*formatter.statsContext",
      Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    );
  return formatRows(
    source,
    containers.map((c) => structOf(statsRow(c, noTrunc))),
    HEADERS,
  );
}
