/**
 * The config hash stamped on every container (`com.docker.compose.config-hash`): a SHA-256 of the
 * service's canonical JSON. Fields that must not force a recreate are left out, as Compose does:
 * scaling (`scale`, `deploy.replicas`), ordering (`depends_on`), selection (`profiles`) and how the
 * image is obtained (`build`, `pull_policy`).
 */
import { createHash } from "node:crypto";

const IGNORED_SERVICE_KEYS = new Set(["build", "pull_policy", "scale", "depends_on", "profiles"]);

export function serviceConfigHash(service: object): string {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(service)) {
    if (IGNORED_SERVICE_KEYS.has(key)) continue;
    if (key === "deploy" && value !== null && typeof value === "object") {
      const { replicas: _replicas, ...rest } = value as Record<string, unknown>;
      if (Object.keys(rest).length > 0) copy[key] = rest;
      continue;
    }
    copy[key] = value;
  }
  return sha256(canonicalJson(copy));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with keys sorted at every level and undefined dropped, so equal configs hash equally. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
