/**
 * `ps` output as `docker compose ps` prints it: a table (NAME IMAGE COMMAND SERVICE CREATED STATUS
 * PORTS, aligned like Docker's tabwriter: columns at least 10 wide, 3 spaces of padding) or one JSON
 * object per container with Compose's field names.
 */
import { PROJECT_LABEL, SERVICE_LABEL } from "../../engine/labels.js";
import type { ContainerSummary, PortBinding } from "../../runtime/runtime.js";
import { humanDuration } from "../../runtime/status-text.js";

export interface Publisher {
  readonly URL: string;
  readonly TargetPort: number;
  readonly PublishedPort: number;
  readonly Protocol: string;
}

/** One container in `ps --format json` (Compose's `api.ContainerSummary` field names). */
export interface PsJson {
  readonly ID: string;
  readonly Name: string;
  readonly Image: string;
  readonly Command: string;
  readonly Project: string;
  readonly Service: string;
  /** Unix seconds. */
  readonly Created: number;
  readonly State: string;
  readonly Status: string;
  readonly Health: string;
  readonly ExitCode: number;
  readonly Publishers: readonly Publisher[];
  readonly Labels: Readonly<Record<string, string>>;
}

export function publishersOf(ports: readonly PortBinding[]): Publisher[] {
  return ports.map((p) => ({
    URL: p.hostPort ? (p.hostIp ?? "") : "",
    TargetPort: p.containerPort,
    PublishedPort: p.hostPort ? Number.parseInt(p.hostPort, 10) || 0 : 0,
    Protocol: p.protocol,
  }));
}

export function psJson(c: ContainerSummary): PsJson {
  return {
    ID: c.id,
    Name: c.name,
    Image: c.image,
    Command: c.command ?? "",
    Project: c.labels[PROJECT_LABEL] ?? "",
    Service: c.labels[SERVICE_LABEL] ?? "",
    Created: Math.floor(c.created.getTime() / 1000),
    State: c.status,
    Status: c.statusText,
    Health: c.health ?? "",
    ExitCode: c.exitCode ?? 0,
    Publishers: publishersOf(c.ports),
    Labels: c.labels,
  };
}

/** Cuts to `max` characters, the last one `…` when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The PORTS column as Docker prints it: ports in order, runs of consecutive ports with the same
 * address folded into ranges (`0.0.0.0:8000-8002->8000-8002/tcp`), unpublished ports as `80/tcp`,
 * and mappings to a different host port (`0.0.0.0:8080->80/tcp`) last.
 */
export function displayPorts(bindings: readonly PortBinding[]): string {
  const ports = bindings
    .map((b) => {
      const published = b.hostPort ? Number.parseInt(b.hostPort, 10) || 0 : 0;
      return { ip: published ? (b.hostIp ?? "") : "", target: b.containerPort, published, type: b.protocol };
    })
    .sort(
      (a, b) =>
        a.target - b.target ||
        (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0) ||
        a.published - b.published ||
        (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
    );
  const groups = new Map<string, { ip: string; type: string; first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const form = (g: { ip: string; type: string; first: number; last: number }): string => {
    const range = g.first === g.last ? `${g.first}` : `${g.first}-${g.last}`;
    return `${g.ip === "" ? range : `${joinHostPort(g.ip, range)}->${range}`}/${g.type}`;
  };
  for (const port of ports) {
    if (port.ip !== "" && port.published !== port.target) {
      mappings.push(`${joinHostPort(port.ip, String(port.published))}->${port.target}/${port.type}`);
      continue;
    }
    const key = `${port.ip}/${port.type}`;
    const group = groups.get(key);
    if (group && port.target === group.last + 1) {
      group.last = port.target;
      continue;
    }
    if (group) result.push(form(group));
    // Re-inserting keeps the key's first position, so groups print in the order they began.
    groups.set(key, { ip: port.ip, type: port.type, first: port.target, last: port.target });
  }
  for (const group of groups.values()) result.push(form(group));
  return [...result, ...mappings].join(", ");
}

const HEADER = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"] as const;
const MIN_WIDTH = 10;
const PADDING = 3;

/** Rows aligned as Go's tabwriter (min width 10, padding 3) aligns them; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] ?? MIN_WIDTH, [...cell].length + PADDING);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join(""))
    .map((line) => `${line}\n`)
    .join("");
}

function pad(cell: string, width: number): string {
  return cell + " ".repeat(Math.max(0, width - [...cell].length));
}

export function psTable(containers: readonly ContainerSummary[], now: Date): string {
  return table([
    HEADER,
    ...containers.map((c) => [
      c.name,
      c.image,
      JSON.stringify(ellipsis(c.command ?? "", 20)),
      c.labels[SERVICE_LABEL] ?? "",
      `${humanDuration(now.getTime() - c.created.getTime())} ago`,
      c.statusText,
      displayPorts(c.ports),
    ]),
  ]);
}
