/** Rendering: the model as `docker compose config` prints it. */
import { compareBytes } from "./key-order.js";
import type { Project } from "./model.js";
import { findRule, type PathPattern } from "./path-pattern.js";
import type { Mapping, Node, Path, Scalar } from "./tree.js";
import { formatDuration } from "./units.js";

type OutputFormat = "duration" | "bytes" | "filemode" | "hosts" | "ssh" | "env_file";

/**
 * Values the model keeps as numbers or structures but Compose prints differently: durations as Go
 * durations (`1m30s`), byte sizes as decimal strings (`"536870912"`), modes as octal strings
 * (`"0440"`), extra_hosts as a sorted `host=ip` list, ssh keys as `id` / `id: path` strings,
 * env_file entries as a path (or `{path, required: false}`).
 */
export const OUTPUT_FORMATS: Readonly<Record<PathPattern, OutputFormat>> = {
  "services.*.healthcheck.timeout": "duration",
  "services.*.healthcheck.interval": "duration",
  "services.*.healthcheck.start_period": "duration",
  "services.*.healthcheck.start_interval": "duration",
  "services.*.stop_grace_period": "duration",
  "services.*.deploy.update_config.delay": "duration",
  "services.*.deploy.update_config.monitor": "duration",
  "services.*.deploy.rollback_config.delay": "duration",
  "services.*.deploy.rollback_config.monitor": "duration",
  "services.*.deploy.restart_policy.delay": "duration",
  "services.*.deploy.restart_policy.window": "duration",
  "services.*.mem_limit": "bytes",
  "services.*.mem_reservation": "bytes",
  "services.*.memswap_limit": "bytes",
  "services.*.mem_swappiness": "bytes",
  "services.*.shm_size": "bytes",
  "services.*.build.shm_size": "bytes",
  "services.*.deploy.resources.limits.memory": "bytes",
  "services.*.deploy.resources.reservations.memory": "bytes",
  "services.*.volumes.[].tmpfs.size": "bytes",
  "services.*.blkio_config.device_read_bps.[].rate": "bytes",
  "services.*.blkio_config.device_read_iops.[].rate": "bytes",
  "services.*.blkio_config.device_write_bps.[].rate": "bytes",
  "services.*.blkio_config.device_write_iops.[].rate": "bytes",
  "services.*.secrets.[].mode": "filemode",
  "services.*.configs.[].mode": "filemode",
  "services.*.build.secrets.[].mode": "filemode",
  "services.*.extra_hosts": "hosts",
  "services.*.build.extra_hosts": "hosts",
  "services.*.build.ssh": "ssh",
  "services.*.env_file": "env_file",
};

/**
 * The Project as the plain tree `docker compose config` prints: `name`, `services`, `networks`,
 * `volumes`, `secrets`, `configs`, `models` (empty sections left out), then top-level `x-*` keys.
 * `workingDir` and `environment` are not part of it.
 */
export function renderProject(project: Project): Mapping {
  const out: Mapping = { name: project.name };
  out.services = renderValue(project.services, ["services"]);
  for (const key of ["networks", "volumes", "secrets", "configs", "models"] as const) {
    const section = project[key];
    if (section && Object.keys(section).length > 0) out[key] = renderValue(section, [key]);
  }
  for (const [key, value] of Object.entries(project.extensions ?? {})) out[key] = renderValue(value, [key]);
  return out;
}

function renderValue(value: unknown, path: Path): Node {
  const format = path.length > 1 ? findRule(OUTPUT_FORMATS, path) : undefined;
  if (format !== undefined && value !== null && value !== undefined) return formatOutput(format, value);
  if (Array.isArray(value)) return value.map((item: unknown, i) => renderValue(item, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Mapping = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = renderValue(item, [...path, key]);
    }
    return out;
  }
  if (value === undefined) return null;
  return value as Scalar;
}

function formatOutput(format: OutputFormat, value: unknown): Node {
  switch (format) {
    case "duration":
      return formatDuration(value as number);
    case "bytes":
      return String(Math.trunc(value as number));
    case "filemode":
      return `0${(value as number).toString(8)}`;
    case "hosts": {
      const list: string[] = [];
      for (const [host, ips] of Object.entries(value as Record<string, string[]>)) {
        for (const ip of ips) list.push(`${host}=${ip}`);
      }
      return list.sort(compareBytes);
    }
    case "ssh":
      return (value as { id: string; path?: string }[]).map((k) => (k.path ? `${k.id}: ${k.path}` : k.id));
    case "env_file":
      return (value as { path: string; required: boolean; format?: string }[]).map((f) => {
        if (f.required && f.format === undefined) return f.path;
        const entry: Mapping = { path: f.path };
        if (!f.required) entry.required = false;
        if (f.format !== undefined) entry.format = f.format;
        return entry;
      });
  }
}
