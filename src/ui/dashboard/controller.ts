/**
 * The dashboard's hands: every key that changes the stack becomes a call of the engine's own
 * functions (`restart`, `stop`, `start`, `scale`, `up`, `down`) — the code paths of the commands
 * of the same names, never a shell — reporting to an EventSink that folds the engine's events into
 * the model. Actions run one at a time in the order pressed (the initial `up` first): the project
 * lock is not re-entrant, so an action started beside another would wait on it as on another berth.
 *
 * Leaving: an attached `up` ends once every container of its services has exited, as the plain
 * `up` does; `d` detaches (the stack keeps running); `q` and the first Ctrl-C stop the services of
 * this `up` (all for `berth dashboard`) as `up` does, while the dashboard shows it happen; a second
 * Ctrl-C kills their containers; a third leaves at once. `D` (confirmed) downs the stack. The `up`,
 * the stop, the kill and the Ctrl-C steps are those of the plain `up` (src/ui/up-session.ts).
 */
import * as engineCalls from "../../engine/index.js";
import type { EngineEvent, EventSink, UpContext, UpOptions } from "../../engine/index.js";
import type { LoadedProject } from "../../project/load.js";
import type { Runtime } from "../../runtime/runtime.js";
import { UpSession } from "../up-session.js";
import type { Actions, Target } from "./components/Dashboard.js";
import type { ActionName } from "./keymap.js";
import {
  applyEngineEvent,
  desiredReplicas,
  type Model,
  pushEvent,
  setActivity,
  setDesired,
  setNotice,
  upFinished,
  upStarted,
  withProbe,
} from "./model.js";
import { containersOf } from "./rows.js";
import type { DashboardStore } from "./store.js";

export type ExitReason = "detach" | "quit" | "interrupt" | "down" | "ended";

/**
 * How long every container must stay exited before the `up` ends: a restart policy brings a
 * container back within it, and a container exited for that long is not coming back by itself.
 */
const END_SETTLE_MS = 1000;

export interface Exit {
  readonly reason: ExitReason;
  readonly code: number;
  /** What went wrong on the way out (a stop or down that failed). */
  readonly error?: unknown;
}

/** Hands the terminal to something else and back (a shell from `e`). */
export interface Screen {
  /** Stops drawing and reading keys; resolves once the screen is free. */
  suspend(): Promise<void>;
  resume(): void;
}

/** Runs a shell in a container on the terminal; resolves with its exit code. */
export type ShellRunner = (containerId: string) => Promise<number>;

/** The engine's functions the controller calls (the real ones, or recorders in tests). */
export type Engine = Pick<
  typeof engineCalls,
  "up" | "down" | "stop" | "start" | "restart" | "scale" | "kill"
>;

export interface ControllerOptions {
  readonly runtime: Runtime;
  readonly loaded: LoadedProject;
  readonly store: DashboardStore;
  /** What `q` and Ctrl-C stop: the services named on `up`, else all (empty = all). */
  readonly stopServices: readonly string[];
  readonly timeoutS: number | undefined;
  readonly shell?: ShellRunner | undefined;
  readonly screen?: Screen | undefined;
  readonly engine?: Engine | undefined;
  /** What the engine's `up` and `scale` get besides flags (env files, the host-port pre-check). */
  readonly upContext?: UpContext | undefined;
  /** END_SETTLE_MS unless given (tests). */
  readonly endSettleMs?: number | undefined;
}

export class Controller implements Actions {
  readonly sink: EventSink;
  /** Resolves once the dashboard should close, with how and the exit status. */
  readonly exited: Promise<Exit>;
  private resolveExit: (exit: Exit) => void = () => undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The `up`, the stop and kill of its services, and the Ctrl-C steps: shared with the plain `up`. */
  private readonly session: UpSession;
  /** The dashboard's `up` as queued, with the model's updates around it. */
  private upRun: Promise<void> = Promise.resolve();
  private upError: unknown;
  private leaving: ExitReason | undefined;
  /** The exit is decided: nothing more is started (a late Ctrl-C must not stop a detached stack). */
  private closed = false;
  private shellOpen = false;
  screen: Screen | undefined;
  shell: ShellRunner | undefined;
  private readonly engine: Engine;

  constructor(private readonly options: ControllerOptions) {
    this.engine = options.engine ?? engineCalls;
    this.session = new UpSession({
      runtime: options.runtime,
      loaded: options.loaded,
      stopServices: options.stopServices,
      timeoutS: options.timeoutS,
      engine: this.engine,
    });
    this.sink = { on: (event: EngineEvent) => options.store.update((m) => applyEngineEvent(m, event)) };
    this.exited = new Promise((resolve) => {
      this.resolveExit = (exit) => {
        this.closed = true;
        resolve(exit);
      };
    });
    this.screen = options.screen;
    this.shell = options.shell;
  }

  /** The error of the dashboard's `up`, if it failed (reported once the dashboard closes). */
  get failure(): unknown {
    return this.upError;
  }

  /** Runs `up` first in the queue; its failure is shown and kept, and the dashboard stays open. */
  up(options: UpOptions, context: UpContext): Promise<void> {
    const { store } = this.options;
    this.upRun = this.enqueue(async () => {
      store.update((m) => upStarted(m, Date.now()));
      let message: string | undefined;
      try {
        // Aborted by q, Ctrl-C or D: the person stopped it, as a Ctrl-C stops a plain `up`; not a failure.
        if ((await this.session.up(options, this.sink, context)) === "aborted") message = "interrupted";
      } catch (error) {
        this.upError = error;
        message = errorText(error);
      }
      if (message === undefined) {
        store.update((m) => upFinished(m, Date.now()));
        return this.endWhenAllExited();
      }
      const level = this.upError === undefined ? "warn" : "error";
      store.update((m) =>
        pushEvent(upFinished(m, Date.now(), message), {
          at: Date.now(),
          subject: "up",
          text: message,
          level,
        }),
      );
    });
    return this.upRun;
  }

  act(action: ActionName, target: Target | undefined): void {
    if (this.leaving !== undefined) return;
    switch (action) {
      case "detach":
        return this.detach();
      case "quit":
        return this.stopAndLeave("quit");
      case "down":
        return this.downAndLeave();
      case "exec":
        return void this.exec(target);
      default:
        if (!target) return this.note("nothing selected");
        return this.serviceAction(action, target.service);
    }
  }

  /**
   * First: stop gracefully (as `q`); during a stop or down: kill; after that: leave at once.
   * Waiting to detach until the up is done is no reason to ignore a Ctrl-C: it stops, as ever.
   */
  interrupt(signal: NodeJS.Signals = "SIGINT"): void {
    if (this.closed) return;
    switch (this.session.interrupt(signal)) {
      case "stop":
        return this.stopAndLeave("interrupt");
      case "kill":
        this.options.store.update((m) => setNotice(m, "Killing... (Ctrl+C again leaves at once)"));
        // Shown by the notice; the rows follow the containers' own events.
        this.session
          .kill(engineCalls.silentSink)
          .catch((error: unknown) => this.note(`kill failed: ${errorText(error)}`, "error"));
        return;
      case "leave":
        return this.leave({ reason: "interrupt", code: this.session.interruptedExitCode });
    }
  }

  inspect(target: Target): void {
    const { runtime, store } = this.options;
    const ids =
      target.replica && target.container
        ? [target.container.id]
        : containersOf(store.model, target.service).map((c) => c.id);
    for (const id of ids) {
      runtime.containers
        .inspect(id)
        .then((state) => {
          if (state) store.update((m) => withProbe(m, id, state.health, state.healthProbe));
        })
        .catch(() => undefined);
    }
  }

  // --- actions on a service ---------------------------------------------------------------------

  private serviceAction(
    action: Exclude<ActionName, "detach" | "quit" | "down" | "exec">,
    service: string,
  ): void {
    const { runtime, loaded, store, timeoutS } = this.options;
    const def = store.model.services.find((s) => s.name === service);
    const replicas = desiredReplicas(store.model, service);
    switch (action) {
      case "restart":
        return this.run(service, "restarting", () =>
          this.engine.restart(runtime, loaded, [service], timeoutS, this.sink),
        );
      case "toggle": {
        const containers = containersOf(store.model, service);
        if (containers.some((c) => c.status === "running" || c.status === "restarting")) {
          return this.run(service, "stopping", () =>
            this.engine.stop(runtime, loaded, [service], timeoutS, this.sink),
          );
        }
        if (containers.length > 0) {
          return this.run(service, "starting", () =>
            this.engine.start(runtime, loaded, [service], timeoutS, this.sink),
          );
        }
        // Nothing to start (never created, or scaled to 0): bring the service up alone.
        return this.run(service, "starting", () => this.upAlone(service, Math.max(1, replicas)));
      }
      case "scale-up":
      case "scale-down": {
        const target = replicas + (action === "scale-up" ? 1 : -1);
        if (target < 0) return this.note(`${service} has no replica to remove`);
        store.update((m) => setDesired(m, service, target));
        return this.run(
          service,
          `scaling to ${target}`,
          () =>
            this.engine.scale(
              runtime,
              loaded,
              { [service]: target },
              this.sink,
              undefined,
              this.options.upContext,
            ),
          () => store.update((m) => setDesired(m, service, undefined)),
        );
      }
      case "recreate":
        return this.run(service, "recreating", () =>
          this.upAlone(service, replicas, { forceRecreate: true, ...timeout(timeoutS) }),
        );
      case "rebuild":
        if (!def?.build)
          return this.note(`${service} has no build: section; R rebuilds built images only`, "warn");
        return this.run(service, "rebuilding", () =>
          this.upAlone(service, replicas, { build: true, forceRecreate: true, ...timeout(timeoutS) }),
        );
    }
  }

  /** `up` of one service alone (no dependencies) at `replicas`, as `berth up --no-deps` runs it. */
  private upAlone(service: string, replicas: number, more: Partial<UpOptions> = {}): Promise<unknown> {
    const { runtime, loaded, upContext } = this.options;
    const options: UpOptions = { services: [service], noDeps: true, scale: { [service]: replicas }, ...more };
    return this.engine.up(runtime, loaded, options, this.sink, undefined, upContext);
  }

  /** Queues `work` for `service`, showing `label` on its row until it is done; failures go to the strip. */
  private run(service: string, label: string, work: () => Promise<unknown>, after?: () => void): void {
    const { store } = this.options;
    store.update((m) => setActivity(m, service, label));
    void this.enqueue(async () => {
      try {
        await work();
      } catch (error) {
        this.note(`${label.split(" ")[0] ?? label} ${service}: ${errorText(error)}`, "error", service);
      } finally {
        store.update((m) => setActivity(m, service, undefined));
        after?.();
      }
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  // --- the shell ----------------------------------------------------------------------------------

  private async exec(target: Target | undefined): Promise<void> {
    if (!target) return this.note("nothing selected");
    const { store } = this.options;
    const container =
      target.replica && target.container
        ? target.container
        : containersOf(store.model, target.service).find((c) => c.status === "running");
    if (!container || container.status !== "running") {
      return this.note(`${target.service} has no running container to open a shell in`, "warn");
    }
    if (!this.shell || !this.screen || this.shellOpen) return;
    this.shellOpen = true;
    const screen = this.screen;
    await screen.suspend();
    try {
      const code = await this.shell(container.id);
      this.note(`shell in ${container.name} exited with code ${code}`);
    } catch (error) {
      this.note(`shell in ${container.name}: ${errorText(error)}`, "error");
    } finally {
      this.shellOpen = false;
      screen.resume();
    }
  }

  // --- leaving ------------------------------------------------------------------------------------

  /**
   * After a successful `up`: leave (status 0) once every container of this `up`'s services has
   * exited and stayed so for the settle time, with no action of the dashboard under way — the
   * plain `up` returns at the same point. Anything the person does first (q, d, D, Ctrl-C) wins.
   */
  private endWhenAllExited(): void {
    const { store, stopServices } = this.options;
    const settleMs = this.options.endSettleMs ?? END_SETTLE_MS;
    // Polled, not on the store's frames: those pause while a shell has the screen.
    let since: number | undefined;
    const poll = setInterval(
      () => {
        if (this.closed || this.leaving !== undefined) return clearInterval(poll);
        if (!everyContainerExited(store.model, stopServices)) return void (since = undefined);
        since ??= Date.now();
        if (Date.now() - since < settleMs) return;
        clearInterval(poll);
        this.leave({ reason: "ended", code: 0 });
      },
      Math.max(1, Math.min(250, settleMs / 4)),
    );
  }

  private leave(exit: Exit): void {
    this.leaving ??= exit.reason;
    this.resolveExit(exit);
  }

  /** `d`: leave the stack as it is — once the dashboard's `up` (if still running) has brought it up. */
  private detach(): void {
    this.leaving = "detach";
    if (this.options.store.model.upRunning) {
      this.options.store.update((m) =>
        setNotice(m, "Detaching once the up is done... (Ctrl+C stops instead)"),
      );
    }
    void this.upRun.then(() => {
      if (this.leaving === "detach") this.resolveExit({ reason: "detach", code: 0 });
    });
  }

  /** `q` or Ctrl-C: stop what this `up` brought up (after aborting the `up` if it still runs), then leave. */
  private stopAndLeave(reason: "quit" | "interrupt"): void {
    this.leaving = reason;
    this.session.stopRequested();
    this.options.store.update((m) => setNotice(m, "Gracefully stopping... (press Ctrl+C again to force)"));
    // After SIGTERM (a service manager's stop) 0, as the plain `up`; after Ctrl-C 130.
    const code = reason === "interrupt" ? this.session.interruptedExitCode : 0;
    this.session
      .stop(this.sink, (work) => this.enqueue(work))
      .then(
        () => this.resolveExit({ reason, code }),
        (error: unknown) => this.resolveExit({ reason, code: code || 1, error }),
      );
  }

  private downAndLeave(): void {
    const { runtime, loaded, store, timeoutS } = this.options;
    this.leaving = "down";
    this.session.stopRequested();
    store.update((m) => setNotice(m, "Removing the stack..."));
    this.session.abortUp();
    void (async () => {
      try {
        await this.upRun;
        await this.enqueue(async () => {
          await this.engine.down(runtime, loaded.project.name, loaded, timeout(timeoutS), this.sink);
        });
        this.resolveExit({ reason: "down", code: 0 });
      } catch (error) {
        this.resolveExit({ reason: "down", code: 1, error });
      }
    })();
  }

  private note(text: string, level: "info" | "warn" | "error" = "info", subject = "berth"): void {
    this.options.store.update((m) => pushEvent(m, { at: Date.now(), subject, text, level }));
  }
}

/** Every container of `services` (all when empty) has exited, there is one, and nothing is being done. */
function everyContainerExited(model: Model, services: readonly string[]): boolean {
  if (model.upRunning || model.activity.size > 0) return false;
  const wanted = services.length > 0 ? new Set(services) : undefined;
  const containers = [...model.containers.values()].filter((c) => !wanted || wanted.has(c.service));
  return containers.length > 0 && containers.every((c) => c.status === "exited" || c.status === "dead");
}

function timeout(timeoutS: number | undefined): { timeoutS?: number } {
  return timeoutS === undefined ? {} : { timeoutS };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const hint = (error as { hint?: unknown }).hint;
    return typeof hint === "string" && hint !== "" ? `${error.message} (${hint})` : error.message;
  }
  return String(error);
}
