/**
 * The events strip: the newest runtime events (created, started, died with its exit code, health
 * changes, OOM) and the errors of actions, one per line, newest last.
 *
 *     Events
 *     14:03:27  web-1    died (exit 1)
 */
import { fit, sanitize, truncate } from "../ansi.js";
import { formatClock } from "../format.js";
import type { StripEvent } from "../model.js";
import { shortName } from "../rows.js";
import type { Theme } from "../theme.js";
import { Lines } from "./Lines.js";

export interface EventLinesInput {
  readonly events: readonly StripEvent[];
  readonly project: string;
  readonly width: number;
  /** Event lines under the title. */
  readonly height: number;
  readonly theme: Theme;
}

export function eventLines(input: EventLinesInput): string[] {
  const { theme } = input;
  const shown = input.events.slice(-input.height);
  const errors = input.events.filter((e) => e.level === "error").length;
  const title = `  ${theme.bold("Events")}${errors > 0 ? theme.tone("bad", `  ${errors} error${errors === 1 ? "" : "s"}`) : ""}`;
  const subjectWidth = Math.min(
    24,
    Math.max(6, ...shown.map((e) => shortName(input.project, e.subject).length)),
  );
  const lines = shown.map((e) => {
    const subject = fit(shortName(input.project, e.subject), subjectWidth);
    // Engine error texts can span lines; the strip shows the first.
    const text = sanitize(e.text.split("\n")[0] ?? "", false);
    return truncate(
      `  ${theme.dim(formatClock(e.at))}  ${subject}  ${theme.level(e.level, text)}`,
      input.width,
    );
  });
  return [truncate(title, input.width), ...lines];
}

export function EventsStrip(props: EventLinesInput) {
  return <Lines lines={eventLines(props)} height={props.height + 1} width={props.width} />;
}
