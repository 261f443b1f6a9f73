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
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SERVICE_LABEL } from "../engine/labels.js";
import { NotFoundError } from "../runtime/errors.js";
import type { ContainerSummary, LabelTerms, Labels, LogLine, Runtime } from "../runtime/runtime.js";
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
    for (const head of heads) {
      const line = head.next?.done === false ? head.next.value : undefined;
      if (line === undefined) continue;
      const best = first?.next?.done === false ? first.next.value : undefined;
      if (best === undefined || time(line) < time(best)) first = head;
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

function time(line: LogLine): number {
  return line.time?.getTime() ?? Number.NEGATIVE_INFINITY;
}

export interface FollowOptions extends LogRange {
  readonly signal: AbortSignal;
  /** Also follow containers that start later and carry these labels (and pass `accept`). */
  readonly watch?: { readonly labels: LabelTerms; readonly accept: (labels: Labels) => boolean } | undefined;
  /**
   * Start each container's output at its current run (what `up` shows: not the output of a run before
   * a restart); otherwise `since`/`tail` apply.
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
    for (const target of targets) this.follow(target, undefined);
    if (this.live.size === 0 || this.options.signal.aborted) this.wake();
    await finished;
    this.options.signal.removeEventListener("abort", onAbort);
    this.idle.abort();
    await Promise.allSettled([...this.tasks, watching]);
    if (this.failure) throw this.failure.error;
  }

  private follow(target: LogTarget, since: Date | undefined): void {
    if (this.live.has(target.id) || this.signal.aborted) return;
    this.live.add(target.id);
    this.printer.register(target);
    const task = this.track(target, since)
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

  private async track(target: LogTarget, since: Date | undefined): Promise<void> {
    let from = since ?? this.options.since;
    let tail = since === undefined ? this.options.tail : undefined;
    for (;;) {
      const state = await this.runtime.containers.inspect(target.id);
      if (!state) return;
      const started = state.startedAt?.getTime();
      if (started !== undefined) this.runs.set(target.id, started);
      if (from === undefined && this.options.currentRun === true && state.finishedAt) {
        from = runBoundary(state.finishedAt);
        tail = undefined;
      }
      let last: Date | undefined;
      try {
        for await (const line of this.runtime.containers.logs(target.id, {
          follow: true,
          timestamps: true,
          tail,
          since: from,
          until: this.options.until,
          signal: this.signal,
        })) {
          if (this.signal.aborted) return;
          this.printer.print(target, line);
          last = line.time ?? last;
        }
      } catch (error) {
        if (error instanceof NotFoundError) return;
        throw error;
      }
      if (this.signal.aborted) return;
      if (this.options.until && Date.now() >= this.options.until.getTime()) return;
      const next = await this.settle(target.id, started);
      switch (next.kind) {
        case "gone":
          return;
        case "exited":
          this.printer.status(target, `exited with code ${next.exitCode}`);
          this.options.onExit?.(target, next.exitCode);
          return;
        case "restarted":
          from = next.since;
          tail = undefined;
          continue;
        case "resume":
          from = new Date((last ?? new Date()).getTime() + 1);
          tail = undefined;
          continue;
      }
    }
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
      this.follow(
        { id: state.id, name: state.name, service: state.labels[SERVICE_LABEL] ?? state.name },
        state.finishedAt ? runBoundary(state.finishedAt) : new Date(0),
      );
    }
  }
}
