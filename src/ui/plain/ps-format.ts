/**
 * `ps` output as `docker compose ps` prints it: a table (NAME IMAGE COMMAND SERVICE CREATED STATUS
 * PORTS, aligned like Docker's tabwriter: columns at least 10 wide, 3 spaces of padding), a Go
 * template, or (`json`) one object per line: `{{json .}}` of the template's container context, as
 * Compose v2 prints it.
 */
import { PROJECT_LABEL, SERVICE_LABEL } from "../../engine/labels.js";
import type { ContainerSummary, PortBinding } from "../../runtime/runtime.js";
import { humanDuration } from "../../runtime/status-text.js";
import { formatRows, TemplateStruct } from "./go-template.js";

export interface Publisher {
  readonly URL: string;
  readonly TargetPort: number;
  readonly PublishedPort: number;
  readonly Protocol: string;
}

/** Compose's `Publishers`: the engine's ports by container port (pkg/compose/ps.go sorts them so). */
export function publishersOf(ports: readonly PortBinding[]): Publisher[] {
  return [...ports]
    .sort((a, b) => a.containerPort - b.containerPort)
    .map((p) => ({
      URL: p.hostPort ? (p.hostIp ?? "") : "",
      TargetPort: p.containerPort,
      PublishedPort: p.hostPort ? Number.parseInt(p.hostPort, 10) || 0 : 0,
      Protocol: p.protocol,
    }));
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

/** Compose's default `ps` table (cmd/formatter/container.go defaultContainerTableFormat). */
export const DEFAULT_PS_FORMAT =
  "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";

/** The header of each field in a `table` format (NewContainerContext's header map). */
const PS_HEADER: Readonly<Record<string, string>> = {
  ID: "CONTAINER ID",
  Name: "NAME",
  Project: "PROJECT",
  Service: "SERVICE",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Labels: "LABELS",
};

/** Go's `time.Time.String()` in the local zone: `2024-05-01 10:00:00 +0000 UTC`. */
function goTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const zoneOffset = `${offset < 0 ? "-" : "+"}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const zone =
    offset === 0
      ? "UTC"
      : (new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
          .formatToParts(date)
          .find((p) => p.type === "timeZoneName")?.value ?? zoneOffset);
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(
    date.getMinutes(),
  )}:${two(date.getSeconds())} ${zoneOffset} ${zone}`;
}

/**
 * One container as a `--format` template sees it: Compose's ContainerContext, its fields in the
 * sorted order `{{json .}}` marshals them in. `trunc` (no `--no-trunc`) shortens the ID to 12
 * characters and the command to 20.
 */
export function psContext(c: ContainerSummary, now: Date, trunc: boolean): TemplateStruct {
  const command = c.command ?? "";
  const labels = c.labels;
  const mounts = c.mounts ?? [];
  return new TemplateStruct("*formatter.ContainerContext", {
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: goTime(c.created),
    ExitCode: c.exitCode ?? 0,
    Health: c.health ?? "",
    ID: trunc ? c.id.slice(0, 12) : c.id,
    Image: c.image,
    Label: (name) => labels[typeof name === "string" ? name : ""] ?? "",
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    LocalVolumes: String(mounts.filter((m) => m.driver === "local").length),
    Mounts: mounts.map((m) => (trunc ? ellipsis(m.name ?? m.source, 15) : (m.name ?? m.source))).join(","),
    Name: c.name,
    Names: c.name,
    Networks: (c.networks ?? []).join(","),
    Ports: displayPorts(c.ports),
    Project: labels[PROJECT_LABEL] ?? "",
    Publishers: publishersOf(c.ports).map((p) => new TemplateStruct("api.PortPublisher", { ...p })),
    RunningFor: `${humanDuration(now.getTime() - c.created.getTime())} ago`,
    Service: labels[SERVICE_LABEL] ?? "",
    // Compose lists without sizes (no `size=1`): its SizeRw is 0, printed by go-units as "0B".
    Size: "0B",
    State: c.status,
    Status: c.statusText,
  });
}

/** `ps --format`: Compose's table by default, or a Go template (`table …` prints a header row). */
export function psFormat(
  containers: readonly ContainerSummary[],
  now: Date,
  format: string = DEFAULT_PS_FORMAT,
  trunc = true,
): string {
  return formatRows(
    format,
    containers.map((c) => psContext(c, now, trunc)),
    PS_HEADER,
  );
}

export function psTable(containers: readonly ContainerSummary[], now: Date): string {
  return psFormat(containers, now);
}
