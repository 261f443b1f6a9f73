/**
 * Rendering: the model as `docker compose config` prints it. Which values print in another form than
 * the model keeps them is the field table's `OUTPUT_FORMATS` (fields.ts).
 */
import type { OutputFormat } from "./decoders.js";
import { OUTPUT_FORMATS } from "./fields.js";
import { compareBytes } from "./key-order.js";
import type { Project } from "./model.js";
import { findRule } from "./path-pattern.js";
import type { Mapping, Node, Path, Scalar } from "./tree.js";
import { formatDuration } from "./units.js";

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
