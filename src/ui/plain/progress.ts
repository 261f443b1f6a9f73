/**
 * Plain progress: one line per event, as `docker compose --progress plain` prints them, for logs,
 * CI and anything that is not a terminal. No colours, no cursor movement; each line is one write.
 *
 * ```
 *  Network webapp_default  Creating
 *  Network webapp_default  Created
 *  Container webapp-web-1  Creating
 * ```
 */
import type { EngineEvent } from "../../engine/events.js";
import { resourceLabel, type ProgressRenderer, type TextOut } from "../progress.js";

export function plainLine(event: EngineEvent): string {
  const text = event.text === undefined || event.text === "" ? "" : `  ${event.text}`;
  return ` ${resourceLabel(event)}  ${event.status}${text}\n`;
}

export function plainProgress(out: TextOut): ProgressRenderer {
  return {
    on(event: EngineEvent): void {
      out.write(plainLine(event));
    },
    done(): void {},
  };
}
