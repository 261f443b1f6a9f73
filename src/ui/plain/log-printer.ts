/**
 * Container output as `docker compose up` and `docker compose logs` print it:
 *
 * ```
 * webapp-db-1   | ready to accept connections
 * webapp-web-1  | listening on :80
 * webapp-web-1 exited with code 0
 * ```
 *
 * - The prefix is the container name padded to one more than the longest registered name, then ` | `.
 * - Each service has a colour from a fixed palette (Compose's), assigned in the order of the project's
 *   services, so a service keeps its colour from run to run and across its replicas.
 * - Every line is written whole, with its prefix, in one `write`: lines from several containers
 *   interleave but never split or merge, whatever order they arrive in.
 * - Container stdout goes to `out`, container stderr to `err` (both the process's stdout by default).
 */
import type { LogLine } from "../../runtime/runtime.js";
import { painter, type ChalkInstance } from "../colors.js";
import type { TextOut } from "../progress.js";

export interface LogSource {
  /** The container name, e.g. `webapp-web-1`. */
  readonly name: string;
  readonly service: string;
}

export interface LogPrinterOptions {
  readonly out: TextOut;
  readonly err?: TextOut | undefined;
  readonly color: boolean;
  /** false: `--no-log-prefix`. */
  readonly prefix: boolean;
  /** Print each line's time (`-t`): the engine's RFC 3339 with nanoseconds. */
  readonly timestamps: boolean;
  /** The project's services in order: colours are assigned in this order. */
  readonly services: readonly string[];
}

type Colour = (text: string) => string;

/** Compose's rainbow: cyan, yellow, green, magenta, blue, then their bright forms. */
export function palette(paint: ChalkInstance): readonly Colour[] {
  return [
    paint.cyan,
    paint.yellow,
    paint.green,
    paint.magenta,
    paint.blue,
    paint.cyanBright,
    paint.yellowBright,
    paint.greenBright,
    paint.magentaBright,
    paint.blueBright,
  ];
}

/** `2024-05-01T10:00:00.123000000Z`: Docker's fixed-width RFC 3339 with nanoseconds. */
export function formatTimestamp(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

/** What the log follower writes to: this printer, or the dashboard's log store. */
export type LogOutput = Pick<LogPrinter, "register" | "print" | "status">;

export class LogPrinter {
  private readonly out: TextOut;
  private readonly err: TextOut;
  private readonly showPrefix: boolean;
  private readonly timestamps: boolean;
  private readonly colours: readonly Colour[];
  private readonly serviceColour = new Map<string, Colour>();
  private readonly names = new Set<string>();
  private readonly plain: Colour = (text) => text;
  private width = 0;
  private muted = false;

  constructor(options: LogPrinterOptions) {
    this.out = options.out;
    this.err = options.err ?? options.out;
    this.showPrefix = options.prefix;
    this.timestamps = options.timestamps;
    this.colours = options.color ? palette(painter(true)) : [];
    for (const service of options.services) this.colourOf(service);
  }

  /** Makes the name count for the padding before its first line (so columns line up from the start). */
  register(source: LogSource): void {
    if (this.names.has(source.name)) return;
    this.names.add(source.name);
    this.width = Math.max(this.width, source.name.length);
  }

  /**
   * Drops every line from now on: while a live progress view redraws stderr (the stop after Ctrl-C),
   * lines printed in between would break it, so Compose stops printing them too.
   */
  mute(): void {
    this.muted = true;
  }

  /**
   * One container line; its time is printed only with timestamps on, as the engine wrote it (as
   * `docker compose logs -t` does), else formatted from `time`.
   */
  print(source: LogSource, line: Pick<LogLine, "line" | "stream" | "time" | "timestamp">): void {
    this.register(source);
    if (this.muted) return;
    const target = line.stream === "stderr" ? this.err : this.out;
    const prefix = this.prefixOf(source);
    const time = line.timestamp ?? (line.time && formatTimestamp(line.time));
    const stamp = this.timestamps && time !== undefined ? `${time} ` : "";
    // A LogLine is one line; should one carry newlines anyway, each piece becomes its own whole line.
    const text = line.line
      .split("\n")
      .map((piece) => `${prefix}${stamp}${piece.endsWith("\r") ? piece.slice(0, -1) : piece}\n`)
      .join("");
    target.write(text);
  }

  /** A line about the container itself: `webapp-web-1 exited with code 0`, in its colour. */
  status(source: LogSource, message: string): void {
    this.register(source);
    if (this.muted) return;
    this.out.write(`${this.colourOf(source.service)(`${source.name} ${message}`)}\n`);
  }

  /**
   * A line of `up --watch`'s watcher: a blank prefix ending in ` ⦿ ` where container lines have
   * ` | `, in bright green, as Compose prints its watch logger.
   */
  watch(message: string): void {
    if (this.muted) return;
    const prefix = this.showPrefix ? `${" ".repeat(this.width + 1)} ⦿ ` : "";
    const paint = this.colours.length > 0 ? painter(true).greenBright : this.plain;
    this.out.write(`${prefix === "" ? "" : paint(prefix)}${message}\n`);
  }

  private prefixOf(source: LogSource): string {
    if (!this.showPrefix) return "";
    return this.colourOf(source.service)(`${source.name.padEnd(this.width + 1)} | `);
  }

  private colourOf(service: string): Colour {
    let colour = this.serviceColour.get(service);
    if (!colour) {
      colour = this.colours[this.serviceColour.size % Math.max(1, this.colours.length)] ?? this.plain;
      this.serviceColour.set(service, colour);
    }
    return colour;
  }
}
