/**
 * `events` lines as `docker compose events` prints them: `2006-01-02 15:04:05.000000 container
 * ACTION ID (k=v, …)` in local time, or (`--json`) one object per line with Compose's fields
 * (time, type, service, id, action, attributes). Actions are spelled as Docker spells them, so a
 * script written for Compose reads the same words (`health_status: healthy`).
 */
import { SERVICE_LABEL } from "../../engine/labels.js";
import type { RuntimeEvent } from "../../runtime/runtime.js";

/** The action as the engine worded it. */
export function dockerAction(event: RuntimeEvent): string {
  switch (event.action) {
    case "health":
      return `health_status: ${event.health}`;
    case "other":
      return event.detail;
    default:
      return event.action;
  }
}

/** The attributes Compose shows: the object's, without its `com.docker.compose.*` labels. */
export function shownAttributes(event: RuntimeEvent): Record<string, string> {
  const shown: Record<string, string> = {};
  // Sorted, as Go marshals a map.
  for (const [k, v] of Object.entries(event.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (!k.startsWith("com.docker.compose.")) shown[k] = v;
  return shown;
}

export function eventLine(event: RuntimeEvent): string {
  const attrs = Object.entries(shownAttributes(event)).map(([k, v]) => `${k}=${v}`);
  return `${localStamp(event.time)} container ${dockerAction(event)} ${event.id} (${attrs.join(", ")})\n`;
}

export function eventJson(event: RuntimeEvent): string {
  return `${JSON.stringify({
    action: dockerAction(event),
    attributes: shownAttributes(event),
    id: event.id,
    service: event.attributes[SERVICE_LABEL] ?? "",
    time: rfc3339(event.time),
    type: "container",
  })}\n`;
}

const two = (n: number): string => String(n).padStart(2, "0");

/** Go's `2006-01-02 15:04:05.000000` in local time. */
export function localStamp(t: Date): string {
  const micros = String(t.getMilliseconds() * 1000).padStart(6, "0");
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${micros}`;
}

/** How Go marshals a time.Time: RFC 3339 in local time, fraction without trailing zeros. */
export function rfc3339(t: Date): string {
  const offset = -t.getTimezoneOffset();
  const zone =
    offset === 0
      ? "Z"
      : `${offset > 0 ? "+" : "-"}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  const fraction =
    t.getMilliseconds() === 0 ? "" : `.${String(t.getMilliseconds()).padStart(3, "0").replace(/0+$/, "")}`;
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}T${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}${fraction}${zone}`;
}
