/**
 * The live progress view for a terminal, drawn with ANSI cursor moves (no Ink): a header and one row
 * per resource, in the order resources first appeared, redrawn in place on a 100 ms tick.
 *
 * ```
 * [+] Running 2/3
 *  ✔ Network webapp_default    Created                                   0.1s
 *  ⠙ Container webapp-web-1    Starting                                  0.4s
 * ```
 *
 * Redraws happen on the first event, on each tick (never more often than every 100 ms) and once at
 * `done()`. A row never wraps (it is cut to the terminal width), and while live the view never grows
 * taller than the terminal, so moving the cursor back up always lands on the first row. Time comes
 * from an injected clock and the tick from an injected timer, so tests drive it without sleeping.
 */
import type { EngineEvent } from "../../engine/events.js";
import { painter, type ChalkInstance } from "../colors.js";
import { phaseOf, resourceLabel, type Phase, type ProgressRenderer, type TextOut } from "../progress.js";

export const REDRAW_MS = 100;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;
const ICON: Record<Exclude<Phase, "working">, string> = { done: "✔", warning: "!", error: "✘" };
const DEFAULT_COLUMNS = 80;

const ESC = "\x1b[";
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const CLEAR_LINE = `${ESC}2K`;

export interface TtyProgressOptions {
  readonly out: TextOut;
  readonly color: boolean;
  /** The header's verb: `[+] Running 2/3`. */
  readonly title?: string | undefined;
  /** Milliseconds since some origin; default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Calls `tick` every `ms` until the returned function is called; default setInterval (unref'd). */
  readonly every?: ((tick: () => void, ms: number) => () => void) | undefined;
}

interface Task {
  readonly label: string;
  readonly first: number;
  readonly start: number;
  status: string;
  text: string;
  phase: Phase;
  end: number | undefined;
  updated: number;
}

interface Segment {
  readonly text: string;
  readonly style?: ((text: string) => string) | undefined;
}

function defaultEvery(tick: () => void, ms: number): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function ttyProgress(options: TtyProgressOptions): ProgressRenderer {
  return new TtyProgress(options);
}

class TtyProgress implements ProgressRenderer {
  private readonly out: TextOut;
  private readonly paint: ChalkInstance;
  private readonly title: string;
  private readonly now: () => number;
  private readonly every: (tick: () => void, ms: number) => () => void;
  private readonly tasks = new Map<string, Task>();
  private sequence = 0;
  /** Lines the last frame left on screen (the cursor sits just below them). */
  private drawn = 0;
  private stopTicker: (() => void) | undefined;
  private finished = false;

  constructor(options: TtyProgressOptions) {
    this.out = options.out;
    this.paint = painter(options.color);
    this.title = options.title ?? "Running";
    this.now = options.now ?? Date.now;
    this.every = options.every ?? defaultEvery;
  }

  on(event: EngineEvent): void {
    const task = this.update(event);
    if (this.finished) {
      // The view is closed (logs may be printing below it): report the change as one line.
      this.out.write(`${render(this.row(task, 0, Number.POSITIVE_INFINITY, false))}\n`);
      return;
    }
    if (this.stopTicker === undefined) {
      this.stopTicker = this.every(() => this.draw(false), REDRAW_MS);
      this.draw(false);
    }
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTicker?.();
    if (this.tasks.size > 0) this.draw(true);
  }

  private update(event: EngineEvent): Task {
    const key = `${event.resource}\0${event.id}`;
    const now = this.now();
    const phase = phaseOf(event.status);
    let task = this.tasks.get(key);
    if (!task) {
      task = {
        label: resourceLabel(event),
        first: this.tasks.size,
        start: now,
        status: event.status,
        text: event.text ?? "",
        phase,
        end: undefined,
        updated: 0,
      };
      this.tasks.set(key, task);
    }
    if (phase === "working") task.end = undefined;
    else if (task.phase === "working" || task.end === undefined) task.end = now;
    task.status = event.status;
    task.text = event.text ?? "";
    task.phase = phase;
    task.updated = ++this.sequence;
    return task;
  }

  private draw(final: boolean): void {
    const columns = Math.max(20, (this.out.columns ?? DEFAULT_COLUMNS) - 1);
    const all = [...this.tasks.values()];
    const shown = final ? all : visible(all, this.out.rows === undefined ? undefined : this.out.rows - 2);
    const labelWidth = Math.max(0, ...shown.map((t) => t.label.length));
    const finishedCount = all.filter((t) => t.phase !== "working").length;
    const lines = [
      `[+] ${this.title} ${finishedCount}/${all.length}`,
      ...shown.map((task) => render(this.row(task, labelWidth, columns, true))),
    ];

    let frame = HIDE_CURSOR;
    if (this.drawn > 0) frame += `${ESC}${this.drawn}A`;
    frame += "\r";
    for (const line of lines) frame += `${CLEAR_LINE}${line}\n`;
    for (let i = lines.length; i < this.drawn; i++) frame += `${CLEAR_LINE}\n`;
    frame += SHOW_CURSOR;
    this.drawn = Math.max(lines.length, this.drawn);
    this.out.write(frame);
  }

  /** One row as coloured segments, cut to `columns`; with `timer`, the elapsed time sits at the right. */
  private row(task: Task, labelWidth: number, columns: number, timer: boolean): Segment[] {
    const paint = this.paint;
    const now = this.now();
    const icon =
      task.phase === "working"
        ? { text: SPINNER[Math.floor(now / REDRAW_MS) % SPINNER.length] ?? "-", style: paint.blue }
        : { text: ICON[task.phase], style: phaseStyle(paint, task.phase) };
    const left: Segment[] = [
      { text: " " },
      icon,
      { text: ` ${task.label.padEnd(labelWidth)}  ` },
      { text: task.status, style: phaseStyle(paint, task.phase) },
      ...(task.text === "" ? [] : [{ text: `  ${task.text}`, style: phaseStyle(paint, task.phase) }]),
    ];
    if (!timer) return cut(left, columns);
    const seconds = `${(((task.end ?? now) - task.start) / 1000).toFixed(1)}s`;
    const room = columns - seconds.length - 2;
    const cutLeft = cut(left, room);
    const gap = columns - width(cutLeft) - seconds.length;
    return [...cutLeft, { text: " ".repeat(Math.max(2, gap)) }, { text: seconds, style: paint.blue }];
  }
}

function phaseStyle(paint: ChalkInstance, phase: Phase): ((text: string) => string) | undefined {
  switch (phase) {
    case "done":
      return paint.green;
    case "warning":
      return paint.yellow;
    case "error":
      return paint.red;
    case "working":
      return undefined;
  }
}

/**
 * Rows that fit the terminal while live: unfinished and failed ones first, then the most recently
 * changed, shown in the order they first appeared.
 */
function visible(tasks: readonly Task[], room: number | undefined): Task[] {
  if (room === undefined || tasks.length <= room) return [...tasks];
  const urgent = (t: Task): number => (t.phase === "working" || t.phase === "error" ? 1 : 0);
  return [...tasks]
    .sort((a, b) => urgent(b) - urgent(a) || b.updated - a.updated)
    .slice(0, Math.max(1, room))
    .sort((a, b) => a.first - b.first);
}

function width(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + s.text.length, 0);
}

/** Cuts the segments to `max` characters, ending in "…" when anything was cut. */
function cut(segments: readonly Segment[], max: number): Segment[] {
  if (width(segments) <= max) return [...segments];
  const out: Segment[] = [];
  let left = Math.max(0, max - 1);
  for (const segment of segments) {
    if (left <= 0) break;
    const text = segment.text.slice(0, left);
    out.push({ text, style: segment.style });
    left -= text.length;
  }
  out.push({ text: "…" });
  return out;
}

function render(segments: readonly Segment[]): string {
  return segments.map((s) => (s.style ? s.style(s.text) : s.text)).join("");
}
