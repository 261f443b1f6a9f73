/**
 * `--progress json`: one JSON object per event, one per line, for tools. The `id`, `status` and `text`
 * fields read as Docker Compose's `--progress json` (`id` "Container web-1", `status` Working | Done |
 * Warning | Error, `text` the verb); berth adds the resource kind, its bare name and the time.
 *
 * ```json
 * {"id":"Container webapp-web-1","status":"Working","text":"Creating","resource":"container","name":"webapp-web-1","time":"2024-05-01T10:00:00.000Z"}
 * ```
 */
import type { EngineEvent } from "../engine/events.js";
import { phaseOf, resourceLabel, type ProgressRenderer, type TextOut } from "./progress.js";

export interface JsonProgressMessage {
  readonly id: string;
  readonly status: "Working" | "Done" | "Warning" | "Error";
  readonly text: string;
  readonly details?: string;
  readonly resource: EngineEvent["resource"];
  readonly name: string;
  readonly time: string;
}

const STATUS = { working: "Working", done: "Done", warning: "Warning", error: "Error" } as const;

export function jsonMessage(event: EngineEvent): JsonProgressMessage {
  return {
    id: resourceLabel(event),
    status: STATUS[phaseOf(event.status)],
    text: event.status,
    ...(event.text === undefined || event.text === "" ? {} : { details: event.text }),
    resource: event.resource,
    name: event.id,
    time: new Date(event.at).toISOString(),
  };
}

export function jsonProgress(out: TextOut): ProgressRenderer {
  return {
    on(event: EngineEvent): void {
      out.write(`${JSON.stringify(jsonMessage(event))}\n`);
    },
    done(): void {},
  };
}
