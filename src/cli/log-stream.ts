/**
 * Container output for `up` (attached) and `logs`: reads the runtime's log streams and hands whole
 * lines to the LogPrinter.
 *
 * - Not following: every container's log is read with timestamps and the streams are merged by time
 *   (each stream is already in order, so a k-way merge keeps memory flat however long the logs are).
 * - Following: lines print as they arrive. When a stream ends the container is inspected: it exited
 *   (its exit is reported and `onExit` called), it restarted (its new run is followed from its start),
 *   or it is still running (the stream broke, e.g. at a log rotation; reading resumes after the last
 *   line). Containers of the project that start later (scale, another `up`) are followed too, found
 *   through the runtime's events. Following ends when no container is left to follow, or on abort.
 * - Reading again (a restart, a broken stream, the last look after an exit) starts after the last line
 *   printed, by its nanosecond time, so no line prints twice. A container whose log driver keeps
 *   nothing to read (`none`) is attached to instead: what it prints from then on.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SERVICE_LABEL } from "../engine/labels.js";
import { ConflictError, NotFoundError, RuntimeError } from "../runtime/errors.js";
import type {
  ContainerState,
  ContainerSummary,
  LabelTerms,
  Labels,
  LogLine,
  OutputChunk,
  Runtime,
  StreamSession,
} from "../runtime/runtime.js";
import type { LogOutput, LogSource } from "../ui/plain/log-printer.js";

export interface LogTarget extends LogSource {
  readonly id: string;
}

export function logTarget(summary: ContainerSummary): LogTarget {
  return { id: summary.id, name: summary.name, service: summary.labels[SERVICE_LABEL] ?? summary.name };
}

export interface LogRange {
  readonly tail?: number | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

interface Head {
  readonly target: LogTarget;
  readonly lines: AsyncIterator<LogLine>;
  next: IteratorResult<LogLine> | undefined;
}

/** The logs of every target, up to now, merged by time across containers (ties keep target order). */
export async function printMergedLogs(
  runtime: Runtime,
  targets: readonly LogTarget[],
  printer: LogOutput,
  range: LogRange,
  signal?: AbortSignal,
): Promise<void> {
  for (const target of targets) printer.register(target);
  const heads: Head[] = targets.map((target) => ({
    target,
    lines: runtime.containers.logs(target.id, { ...range, timestamps: true, signal })[Symbol.asyncIterator](),
    next: undefined,
  }));
  await Promise.all(heads.map(advance));
  for (;;) {
    let first: Head | undefined;
    let firstAt = 0n;
    for (const head of heads) {
      const line = head.next?.done === false ? head.next.value : undefined;
      if (line === undefined) continue;
      const at = lineNanos(line) ?? NO_TIME;
      if (first === undefined || at < firstAt) {
        first = head;
        firstAt = at;
      }
    }
    if (first?.next?.done !== false) return;
    printer.print(first.target, first.next.value);
    await advance(first);
  }
}

async function advance(head: Head): Promise<void> {
  try {
    head.next = await head.lines.next();
  } catch (error) {
    // Removed between the listing and the read: it has no more to say.
    if (!(error instanceof NotFoundError)) throw error;
    head.next = { done: true, value: undefined };
  }
}

/** Sorts before every real time. */
const NO_TIME = -(1n << 80n);

/**
 * A line's time in nanoseconds since the epoch: `time` (milliseconds, offset applied) plus the
 * digits past the milliseconds of the engine's `timestamp`. Undefined without a time.
 */
export function lineNanos(line: Pick<LogLine, "time" | "timestamp">): bigint | undefined {
  if (line.time === undefined) return undefined;
  const fraction = line.timestamp === undefined ? undefined : FRACTION.exec(line.timestamp)?.[1];
  const subMilli = fraction === undefined ? 0n : BigInt(fraction.slice(3, 9).padEnd(6, "0"));
  return BigInt(line.time.getTime()) * 1_000_000n + subMilli;
}

const FRACTION = /:\d{2}\.(\d+)/;

/**
 * Where to begin reading a container's log: after the line stamped `after` (nanoseconds, exclusive),
 * else at `since` (inclusive); neither: at its first line.
 */
export interface LogPosition {
  readonly since?: Date | undefined;
  readonly after?: bigint | undefined;
}

export interface FollowOptions extends LogRange {
  readonly signal: AbortSignal;
  /** Also follow containers that start later and carry these labels (and pass `accept`). */
  readonly watch?: { readonly labels: LabelTerms; readonly accept: (labels: Labels) => boolean } | undefined;
  /**
   * Where each container's output begins (what `up` shows: see `upLogStarts`), for the targets and
   * for containers found later; `since`/`tail` then do not apply.
   */
  readonly startOf?: ((id: string) => LogPosition) | undefined;
  /**
   * Without `startOf`: start each container's output at its current run (not the output of a run
   * before a restart); otherwise `since`/`tail` apply.
   */
  readonly currentRun?: boolean | undefined;
  /** A followed container exited for good (not restarting): after its "exited with code" line. */
  readonly onExit?: ((target: LogTarget, exitCode: number) => void) | undefined;
}

/**
 * Where a container's current run begins in its log: just after the previous run finished. (Not its
 * StartedAt: the engine stamps a run's first lines a little before the StartedAt it records.)
 */
function runBoundary(previousFinish: Date | undefined): Date {
  return new Date((previousFinish?.getTime() ?? 0) + 1);
}

/** How long before its StartedAt a run's first lines may be stamped (a millisecond or two, measured). */
const RUN_LEAD_MS = 100;

/**
 * Where a container's current run begins in its log. Running: just after the previous run finished.
 * Stopped: its FinishedAt is the current run's own, so the run is found from its StartedAt.
 */
function currentRun(state: ContainerState): LogPosition {
  if (state.status === "running" || state.status === "paused" || state.status === "restarting") {
    return state.finishedAt ? { since: runBoundary(state.finishedAt) } : {};
  }
  return state.startedAt ? { since: new Date(state.startedAt.getTime() - RUN_LEAD_MS) } : {};
}

/**
 * Where the output of an `up` begins for each container of the project, taken before it changes
 * anything. A running container's current run is shown from its start (just after the run before it
 * finished); a stopped one's output begins after the last line of its log (not after its FinishedAt:
 * a run's unterminated last line is stamped a moment after it). A container not there yet is made by
 * this `up` (created, recreated, a new replica), and all of its output is new.
 */
export async function upLogStarts(
  runtime: Runtime,
  labels: LabelTerms,
): Promise<(id: string) => LogPosition> {
  const starts = new Map<string, LogPosition>();
  const containers = await runtime.containers.list({ labels, all: true });
  await Promise.all(
    containers.map(async (c) => {
      const state = await runtime.containers.inspect(c.id);
      if (state?.status === "running" || state?.status === "paused") {
        starts.set(c.id, state.finishedAt ? { since: runBoundary(state.finishedAt) } : {});
        return;
      }
      let after: bigint | undefined;
      try {
        for await (const line of runtime.containers.logs(c.id, { tail: 1, timestamps: true })) {
          after = lineNanos(line) ?? after;
        }
      } catch {
        // Removed in the meantime, or a log driver that cannot be read: no output to skip.
      }
      starts.set(c.id, { after });
    }),
  );
  return (id) => starts.get(id) ?? {};
}

/** How often a container whose stream ended is inspected until its state settles. */
const SETTLE_POLL_MS = 250;
/** A container still running with the same start after this many polls lost its stream: resume it. */
const RESUME_AFTER_POLLS = 8;

/** Follows the targets (and later containers, with `watch`) until none is left or `signal` aborts. */
export async function followLogs(
  runtime: Runtime,
  targets: readonly LogTarget[],
  printer: LogOutput,
  options: FollowOptions,
): Promise<void> {
  await new Follower(runtime, printer, options).run(targets);
}

type Settled =
  | { readonly kind: "gone" }
  | { readonly kind: "exited"; readonly exitCode: number }
  | { readonly kind: "restarted"; readonly since: Date }
  | { readonly kind: "resume" };

class Follower {
  /** Containers being read or settled. */
  private readonly live = new Set<string>();
  /** The start time of the run last followed, per container (to tell a restart from a replayed event). */
  private readonly runs = new Map<string, number>();
  /** The time of the last line printed, per container: reading again resumes after it. */
  private readonly printed = new Map<string, bigint>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly idle = new AbortController();
  private readonly signal: AbortSignal;
  private wake: () => void = () => undefined;
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly printer: LogOutput,
    private readonly options: FollowOptions,
  ) {
    this.signal = AbortSignal.any([options.signal, this.idle.signal]);
  }

  async run(targets: readonly LogTarget[]): Promise<void> {
    const finished = new Promise<void>((resolve) => (this.wake = resolve));
    const onAbort = (): void => this.wake();
    this.options.signal.addEventListener("abort", onAbort, { once: true });
    const watching = this.options.watch
      ? this.watch(this.options.watch, new Date()).catch(() => undefined)
      : Promise.resolve();
    for (const target of targets) this.follow(target, this.options.startOf?.(target.id));
    if (this.live.size === 0 || this.options.signal.aborted) this.wake();
    await finished;
    this.options.signal.removeEventListener("abort", onAbort);
    this.idle.abort();
    await Promise.allSettled([...this.tasks, watching]);
    if (this.failure) throw this.failure.error;
  }

  /** `start` undefined: the options' range (`since`, `tail`, `currentRun`) applies. */
  private follow(target: LogTarget, start: LogPosition | undefined): void {
    if (this.live.has(target.id) || this.signal.aborted) return;
    this.live.add(target.id);
    this.printer.register(target);
    const task = this.track(target, start)
      .catch((error: unknown) => {
        if (!this.signal.aborted) this.failure ??= { error };
      })
      .finally(() => {
        this.live.delete(target.id);
        this.tasks.delete(task);
        if (this.live.size === 0 || this.failure) this.wake();
      });
    this.tasks.add(task);
  }

  private async track(target: LogTarget, start: LogPosition | undefined): Promise<void> {
    let position: LogPosition = start ?? { since: this.options.since };
    let tail = start === undefined ? this.options.tail : undefined;
    for (let first = true; ; first = false) {
      const state = await this.runtime.containers.inspect(target.id);
      if (!state) return;
      const started = state.startedAt?.getTime();
      if (started !== undefined) this.runs.set(target.id, started);
      if (first && start === undefined && this.options.currentRun === true) {
        position = currentRun(state);
        tail = undefined;
      }
      const read = await this.read(target, position, tail);
      if (read === "gone" || this.signal.aborted) return;
      if (this.options.until && Date.now() >= this.options.until.getTime()) return;
      const last = this.printed.get(target.id);
      const next = await this.settle(target.id, started);
      switch (next.kind) {
        case "gone":
          return;
        case "exited":
          // The engine can end a follow before the run's last output is in the log (an unterminated
          // last line is written once the process is gone): read what came after the last line.
          if (
            (await this.read(target, last !== undefined ? { after: last } : position, tail, false)) === "gone"
          )
            return;
          this.printer.status(target, `exited with code ${next.exitCode}`);
          this.options.onExit?.(target, next.exitCode);
          return;
        case "restarted":
          tail = undefined;
          // After the last line printed: the new run's lines all come later in the log.
          position = last !== undefined ? { after: last } : { since: next.since };
          continue;
        case "resume":
          tail = undefined;
          position = last !== undefined ? { after: last } : { since: new Date() };
          continue;
      }
    }
  }

  /**
   * Prints the container's log from `position` until the stream ends (following: until the container
   * stops). A read that begins after a line printed before skips the lines up to it: the engine's
   * `since` has only milliseconds.
   */
  private async read(
    target: LogTarget,
    position: LogPosition,
    tail: number | undefined,
    follow = true,
  ): Promise<"gone" | "ended"> {
    let skipping = position.after;
    const since =
      position.after !== undefined ? new Date(Number(position.after / 1_000_000n)) : position.since;
    try {
      for await (const line of this.runtime.containers.logs(target.id, {
        follow,
        timestamps: true,
        tail,
        since,
        until: this.options.until,
        signal: this.signal,
      })) {
        if (this.signal.aborted) return "ended";
        const at = lineNanos(line);
        if (skipping !== undefined) {
          if (at !== undefined && at <= skipping) continue;
          // Only the replayed lines at the start: past them, a line is printed whatever its time.
          skipping = undefined;
        }
        this.printer.print(target, line);
        if (at !== undefined) this.printed.set(target.id, at);
      }
    } catch (error) {
      if (error instanceof NotFoundError) return "gone";
      // Docker refuses the log of a container being removed (409 "dead or marked for removal"):
      // a recreate's old container, or a `down` from elsewhere. Gone, for what it prints.
      if (error instanceof ConflictError) return "gone";
      if (!unreadable(error)) throw error;
      // A log driver the engine cannot read back (`none`): what the container prints from now on.
      return follow ? this.attached(target) : "ended";
    }
    return "ended";
  }

  /** Prints what the container prints while attached to it, until it stops. */
  private async attached(target: LogTarget): Promise<"gone" | "ended"> {
    let session: StreamSession;
    try {
      session = await this.runtime.containers.attach(target.id, { signal: this.signal });
    } catch (error) {
      if (error instanceof NotFoundError) return "gone";
      if (error instanceof ConflictError) return "ended"; // stopped in the meantime
      throw error;
    }
    try {
      for await (const line of outputLines(session.output)) {
        if (this.signal.aborted) break;
        this.printer.print(target, line);
      }
    } finally {
      session.close();
    }
    return "ended";
  }

  /** Inspects a container whose stream ended until it is clearly gone, exited, restarted or still up. */
  private async settle(id: string, started: number | undefined): Promise<Settled> {
    for (let poll = 0; ; poll++) {
      const state = await this.runtime.containers.inspect(id);
      if (!state) return { kind: "gone" };
      const since = state.startedAt;
      const newRun = since !== undefined && (started === undefined || since.getTime() > started);
      switch (state.status) {
        case "running":
        case "paused":
          if (newRun) return { kind: "restarted", since: runBoundary(state.finishedAt) };
          if (poll >= RESUME_AFTER_POLLS) return { kind: "resume" };
          break;
        case "exited":
        case "dead":
          // A run that began and ended since the stream did (a quick restart) is read first.
          if (newRun) return { kind: "restarted", since: new Date((started ?? 0) + 1) };
          return { kind: "exited", exitCode: state.exitCode ?? 0 };
        case "created":
          return { kind: "gone" };
        case "restarting":
        case "removing":
          break;
      }
      await sleep(SETTLE_POLL_MS, undefined, { signal: this.signal });
    }
  }

  private async watch(watch: NonNullable<FollowOptions["watch"]>, since: Date): Promise<void> {
    for await (const event of this.runtime.events(
      { labels: watch.labels, types: ["container"], since },
      this.signal,
    )) {
      if (event.action !== "start" || this.live.has(event.id) || !watch.accept(event.attributes)) continue;
      const state = await this.runtime.containers.inspect(event.id);
      const started = state?.startedAt?.getTime();
      // A replayed start of a run already followed (the events since `since` include it) adds nothing.
      if (!state || started === undefined || started === this.runs.get(event.id)) continue;
      // Seen before: after its last line. Made since following began: all of it. Else its current run.
      const last = this.printed.get(state.id);
      const start =
        last !== undefined
          ? { after: last }
          : (this.options.startOf?.(state.id) ?? (state.created >= since ? {} : currentRun(state)));
      this.follow(
        { id: state.id, name: state.name, service: state.labels[SERVICE_LABEL] ?? state.name },
        start,
      );
    }
  }
}

/** The engine cannot give this container's log: its driver does not keep one to read (501). */
function unreadable(error: unknown): boolean {
  return error instanceof RuntimeError && error.status === 501;
}

/** Attached output as lines: each stream split at LF apart (a CR before it dropped), as UTF-8. */
export async function* outputLines(chunks: AsyncIterable<OutputChunk>): AsyncIterable<LogLine> {
  const rest = { stdout: "", stderr: "" };
  const decoders = {
    stdout: new TextDecoder("utf-8", { ignoreBOM: true }),
    stderr: new TextDecoder("utf-8", { ignoreBOM: true }),
  };
  for await (const { stream, data } of chunks) {
    const parts = (rest[stream] + decoders[stream].decode(data, { stream: true })).split("\n");
    rest[stream] = parts.pop() ?? "";
    for (const part of parts) yield { stream, line: part.endsWith("\r") ? part.slice(0, -1) : part };
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const tail = rest[stream] + decoders[stream].decode();
    if (tail !== "") yield { stream, line: tail };
  }
}
