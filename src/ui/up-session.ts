/**
 * One interactive `up`, whichever way it is shown: the plain printer (src/cli/commands/up.ts) and
 * the dashboard (src/ui/dashboard/controller.ts) both hold one of these. It owns what they share:
 *
 * - the `up` itself, abortable: aborted by the person, its failure is no failure, and one aborted
 *   while another berth held the project changed nothing, so there is nothing to stop after it;
 * - the stop of the services of this `up` (those named on the command line, else all), once, after
 *   the `up` has returned;
 * - the kill of their running containers (the engine's `kill`: SIGKILL);
 * - the Ctrl-C policy, as Docker Compose's `up` has it: the first stops gracefully, the second
 *   kills, any later one leaves at once (where the view has something to leave).
 *
 * How each step is shown (a line on stderr, a notice on the dashboard) is the view's.
 */
import type { EventSink, UpContext, UpOptions } from "../engine/index.js";
import type * as engineCalls from "../engine/index.js";
import { LockWaitAborted } from "../engine/project-lock.js";
import type { LoadedProject } from "../project/load.js";
import type { Runtime } from "../runtime/runtime.js";

/**
 * The exit status after an interrupt: 130 (128 + SIGINT), what a shell reports for a process ended
 * by Ctrl-C and what Docker Compose's own e2e tests expect.
 */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * The exit status of an `up` whose first interrupt was `signal`. SIGTERM is how a service manager
 * (systemd, a container runtime, CI) stops an attached `up`: the stack is stopped as asked and the
 * status is 0, as Compose's reference for `up` documents; Ctrl-C stays 130.
 */
export function interruptedExitCode(signal: NodeJS.Signals | undefined): number {
  return signal === "SIGTERM" ? 0 : INTERRUPTED_EXIT_CODE;
}

/** The engine's verbs a session calls (the real ones, or recorders in tests). */
export type SessionEngine = Pick<typeof engineCalls, "up" | "stop" | "kill">;

/** What a Ctrl-C asks for: stop gracefully, then kill, then leave at once. */
export type InterruptStep = "stop" | "kill" | "leave";

export interface UpSessionOptions {
  readonly runtime: Runtime;
  readonly loaded: LoadedProject;
  /** What a stop or a kill acts on: the services named on `up`, else all (empty = all). */
  readonly stopServices: readonly string[];
  /** `-t`: seconds each container has to stop before it is killed; its own stop_grace_period else. */
  readonly timeoutS: number | undefined;
  readonly engine: SessionEngine;
}

export class UpSession {
  private readonly upAbort = new AbortController();
  private upRun: Promise<void> = Promise.resolve();
  private upChangedNothing = false;
  private stopping: Promise<void> | undefined;
  private step: "running" | InterruptStep = "running";
  private firstSignal: NodeJS.Signals | undefined;

  constructor(private readonly options: UpSessionOptions) {}

  /** The signal the `up` runs under: aborted once the person asked to stop. */
  get signal(): AbortSignal {
    return this.upAbort.signal;
  }

  /** The `up` was aborted before it had the project's lock: it changed nothing, there is nothing to stop. */
  get changedNothing(): boolean {
    return this.upChangedNothing;
  }

  /**
   * Runs the engine's `up`: "done" when it is, "aborted" when the person stopped it (not a
   * failure); rejects with any other failure.
   */
  up(options: UpOptions, sink: EventSink, context: UpContext): Promise<"done" | "aborted"> {
    const { runtime, loaded, engine } = this.options;
    const run = engine.up(runtime, loaded, options, sink, this.upAbort.signal, context).then(
      () => "done" as const,
      (error: unknown) => {
        if (!this.upAbort.signal.aborted) throw error;
        this.upChangedNothing = error instanceof LockWaitAborted;
        return "aborted" as const;
      },
    );
    this.upRun = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves once the `up` (if one was run) has returned, however it ended. */
  get upSettled(): Promise<void> {
    return this.upRun;
  }

  /** A Ctrl-C (or `signal`): which step of leaving it asks for, counting the ones before it. */
  interrupt(signal: NodeJS.Signals = "SIGINT"): InterruptStep {
    if (this.step === "running") this.firstSignal = signal;
    this.step = this.step === "running" ? "stop" : this.step === "stop" ? "kill" : "leave";
    return this.step;
  }

  /**
   * The person asked to stop some other way than Ctrl-C (the dashboard's `q` or `D`): that is the
   * first step, so the next Ctrl-C kills. (A container's exit with `--abort-on-container-exit`
   * stops too, but it is not the person's step: the next Ctrl-C still only stops, as in Compose.)
   */
  stopRequested(): void {
    if (this.step === "running") this.step = "stop";
  }

  /** The exit status of this `up` once interrupted: 0 when the first interrupt was SIGTERM, else 130. */
  get interruptedExitCode(): number {
    return interruptedExitCode(this.firstSignal);
  }

  /** Aborts the `up` if it still runs; what it started is left as it is. */
  abortUp(): void {
    this.upAbort.abort();
  }

  /**
   * Stops the services of this `up`, once: aborts the `up` if it still runs and waits for it to
   * return first. `run` runs the engine's stop (the dashboard queues it behind its other actions).
   */
  stop(sink: EventSink, run: (work: () => Promise<void>) => Promise<void> = (work) => work()): Promise<void> {
    this.upAbort.abort();
    this.stopping ??= (async () => {
      await this.upRun;
      if (this.upChangedNothing) return;
      const { runtime, loaded, engine, stopServices, timeoutS } = this.options;
      await run(async () => {
        await engine.stop(runtime, loaded, stopServices, timeoutS, sink);
      });
    })();
    return this.stopping;
  }

  /** SIGKILL to the running containers of the services being stopped. */
  async kill(sink: EventSink): Promise<void> {
    const { runtime, loaded, engine, stopServices } = this.options;
    await engine.kill(runtime, loaded.project.name, { services: stopServices }, sink);
  }
}
