/**
 * What every progress renderer shares: the sink the engine reports to, the stream it writes on, and
 * how an event's status reads (still working, done, or failed). Renderers never decide anything about
 * the stack; they only show the events they are given.
 */
import type { EngineEvent, EngineStatus, EventSink } from "../engine/events.js";

/** The part of a stream a renderer uses (process.stderr satisfies it; tests pass a recorder). */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

/** An EventSink with an end: the TTY view draws its final state and stops redrawing. */
export interface ProgressRenderer extends EventSink {
  /** Idempotent; events after it are printed as single lines (TTY) or as before (plain, json). */
  done(): void;
}

export type Phase = "working" | "done" | "warning" | "error";

/**
 * How each status reads: a present participle is work in progress (a spinner), a past participle
 * or a state is done (✔), `Warning` and `Error` are what they say. A table, so a status added to
 * EngineStatus does not compile until it is placed here.
 */
const PHASES: Readonly<Record<EngineStatus, Phase>> = {
  Creating: "working",
  Created: "done",
  Starting: "working",
  Started: "done",
  Waiting: "working",
  Healthy: "done",
  Stopping: "working",
  Stopped: "done",
  Killing: "working",
  Killed: "done",
  Paused: "done",
  Unpaused: "done",
  Removing: "working",
  Removed: "done",
  Recreate: "working",
  Recreated: "done",
  Restarting: "working",
  Running: "done",
  Exited: "done",
  Pulling: "working",
  Pulled: "done",
  Building: "working",
  Built: "done",
  Pushing: "working",
  Pushed: "done",
  Skipped: "done",
  Error: "error",
  Warning: "warning",
};

export function phaseOf(status: EngineStatus): Phase {
  return PHASES[status];
}

/** `Container`, `Network`, `Volume`, `Image`: the word Compose puts before a resource's name. */
export function resourceWord(resource: EngineEvent["resource"]): string {
  return resource.charAt(0).toUpperCase() + resource.slice(1);
}

/** `Container webapp-web-1`: how a resource is named on a progress line. */
export function resourceLabel(event: Pick<EngineEvent, "resource" | "id">): string {
  return `${resourceWord(event.resource)} ${event.id}`;
}

/** The sink that shows nothing (`--progress quiet`, `--dry-run`). */
export function quietProgress(): ProgressRenderer {
  return { on: () => undefined, done: () => undefined };
}
