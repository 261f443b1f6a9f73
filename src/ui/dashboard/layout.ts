/**
 * How the screen's height is shared (pure). One line is left free at the bottom: a frame as tall
 * as the terminal makes Ink clear the whole screen on every redraw instead of rewriting lines.
 *
 *     header                      1
 *     services table header       1   ┐ not under 60 columns
 *     service rows                n   ┘ (up to ~45% of the room)
 *     logs title                  1
 *     log lines                   rest
 *     events title + events       1+e   not under 60 columns, e = 1..3 by height
 *     footer                      1
 */

export interface Size {
  readonly columns: number;
  readonly rows: number;
}

export interface Layout {
  /** Under 60 columns only the logs are shown. */
  readonly narrow: boolean;
  /** Service rows shown (the table's header line not counted). */
  readonly services: number;
  /** Log lines shown (the title not counted). */
  readonly logs: number;
  /** Event lines shown (the title not counted). */
  readonly events: number;
  /** Lines of the middle area an overlay takes (services + logs, titles included). */
  readonly body: number;
}

export const NARROW_COLUMNS = 60;

export function layout(size: Size, serviceRows: number): Layout {
  const height = Math.max(4, size.rows - 1);
  if (size.columns < NARROW_COLUMNS) {
    const logs = Math.max(1, height - 3);
    return { narrow: true, services: 0, logs, events: 0, body: logs + 1 };
  }
  const events = height >= 24 ? 3 : height >= 16 ? 2 : height >= 10 ? 1 : 0;
  const fixed = 1 + 1 + 1 + 1 + (events > 0 ? events + 1 : 0);
  const room = Math.max(2, height - fixed);
  const services = Math.max(1, Math.min(serviceRows, Math.floor(room * 0.45)));
  const logs = Math.max(1, room - services);
  return { narrow: false, services, logs, events, body: 1 + services + 1 + logs };
}
