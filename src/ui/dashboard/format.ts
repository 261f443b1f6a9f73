/** How the dashboard writes numbers, durations, times and ports in its narrow columns. */
import type { PortBinding } from "../../runtime/runtime.js";

/** `127.0.0.1:8080→80/tcp` for a published port, `80/tcp` for an exposed one; duplicates once. */
export function formatPorts(ports: readonly PortBinding[]): string {
  const seen = new Set<string>();
  for (const p of ports) {
    const target = `${p.containerPort}/${p.protocol}`;
    if (!p.hostPort) {
      seen.add(target);
      continue;
    }
    const ip = p.hostIp ?? "";
    const host = ip === "" ? p.hostPort : ip.includes(":") ? `[${ip}]:${p.hostPort}` : `${ip}:${p.hostPort}`;
    seen.add(`${host}→${target}`);
  }
  return [...seen].join(", ");
}

/** `512B`, `3.4K`, `45.6M`, `1.2G` (binary units, as `docker stats` shows memory). */
export function formatBytes(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)}B` : `${value.toFixed(value >= 100 ? 0 : 1)}${units[unit]}`;
}

export function formatPercent(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 1)}%`;
}

/** A short duration: `42s`, `3m12s`, `2h05m`, `4d03h`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  if (days > 0) return `${days}d${two(hours)}h`;
  if (hours > 0) return `${hours}h${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m${two(seconds)}s`;
  return `${seconds}s`;
}

/** Seconds with one decimal: `2.3s` (start times on the critical path). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `14:03:27` in local time (the events strip). */
export function formatClock(at: number): string {
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A log line's time of day with milliseconds, local like the events strip: `14:03:27.081`. */
export function formatLogTime(at: number): string {
  return `${formatClock(at)}.${String(new Date(at).getMilliseconds()).padStart(3, "0")}`;
}
