/**
 * What flows into the dashboard from the runtime, and nothing more:
 *
 * - one event subscription for the project's containers: each event goes to the strip, and the
 *   container it names is inspected again (coalesced: at most one inspect in flight per container,
 *   plus one more if events came meanwhile);
 * - one log follower per container, the same follower `up` and `logs -f` drive, writing into the
 *   log store through the printer's interface; it follows restarts and ends when the container
 *   exits, and a later start begins a new one;
 * - one stats stream per running container (the only per-container stream besides logs);
 * - a project-wide listing every few seconds, one call, to catch events the engine dropped.
 *
 * Every stream ends on `stop()`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { containersFilter, isOneOff, projectFilter, SERVICE_LABEL } from "../../engine/labels.js";
import type { Runtime, RuntimeEventAction } from "../../runtime/runtime.js";
import type { LogOutput } from "../plain/log-printer.js";
import {
  applyRuntimeEvent,
  containerInfo,
  dropContainer,
  keepContainers,
  putContainer,
  putUsage,
} from "./model.js";
import type { DashboardStore } from "./store.js";

export interface FollowTarget {
  readonly id: string;
  readonly name: string;
  readonly service: string;
}

export interface FollowRequest {
  readonly signal: AbortSignal;
  /** Start at the container's current run (what `up` shows). */
  readonly currentRun?: boolean | undefined;
  /** Lines of history to show first (for `berth dashboard`). */
  readonly tail?: number | undefined;
}

/** Follows one container's log into `output` (the CLI passes its log follower). */
export type Follow = (target: FollowTarget, output: LogOutput, request: FollowRequest) => Promise<void>;

export interface FeedsOptions {
  readonly runtime: Runtime;
  readonly store: DashboardStore;
  readonly follow: Follow;
  /** History lines per container at start (undefined: the current run only, as `up` shows). */
  readonly tail?: number | undefined;
  readonly resyncMs?: number | undefined;
}

const RESYNC_MS = 5_000;
const EVENTS_RETRY_MS = 1_000;
/** Events after which a container's state may have changed. */
const INSPECT_ON: ReadonlySet<RuntimeEventAction> = new Set<RuntimeEventAction>([
  "create",
  "start",
  "restart",
  "die",
  "stop",
  "kill",
  "pause",
  "unpause",
  "oom",
  "rename",
  "health",
]);

export class Feeds {
  private readonly abort = new AbortController();
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly following = new Set<string>();
  private readonly stats = new Map<string, AbortController>();
  private readonly inspecting = new Map<string, { again: boolean }>();
  private readonly project: string;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: FeedsOptions) {
    this.project = options.store.model.project;
  }

  start(): void {
    this.track(this.events());
    this.track(this.initial());
    this.track(this.resync());
    // Uptimes change every second even when nothing else does.
    this.ticker = setInterval(() => this.options.store.invalidate(), 1_000);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.ticker) clearInterval(this.ticker);
    for (const controller of this.stats.values()) controller.abort();
    await Promise.allSettled([...this.tasks]);
  }

  /** Re-reads one container (also after an action, to see its result before the next event). */
  refresh(id: string): void {
    const running = this.inspecting.get(id);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.inspecting.set(id, state);
    this.track(
      (async () => {
        try {
          do {
            state.again = false;
            await this.inspectOnce(id);
          } while (state.again && !this.abort.signal.aborted);
        } finally {
          this.inspecting.delete(id);
        }
      })(),
    );
  }

  private async inspectOnce(id: string): Promise<void> {
    const { runtime, store } = this.options;
    const state = await runtime.containers.inspect(id);
    if (this.abort.signal.aborted) return;
    if (!state) {
      store.update((m) => dropContainer(m, id));
      this.stats.get(id)?.abort();
      return;
    }
    const info = containerInfo(state);
    if (!info) return;
    store.update((m) => putContainer(m, info));
    if (info.status === "running") {
      this.startStats(id);
      this.startLogs({ id, name: info.name, service: info.service }, true);
    } else {
      this.stats.get(id)?.abort();
    }
  }

  /** The containers there already: their state, logs (history for `berth dashboard`) and stats. */
  private async initial(): Promise<void> {
    const { runtime } = this.options;
    const listed = await runtime.containers.list({ labels: containersFilter(this.project), all: true });
    for (const c of listed) {
      if (isOneOff(c.labels)) continue;
      // With history, stopped containers show their last lines too; else only what runs now (and
      // what starts later, found by its start event).
      if (c.status === "running" || this.options.tail !== undefined) {
        this.startLogs({ id: c.id, name: c.name, service: c.labels[SERVICE_LABEL] ?? c.name }, false);
      }
      this.refresh(c.id);
    }
  }

  private async events(): Promise<void> {
    const { runtime, store } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        for await (const event of runtime.events(
          { labels: projectFilter(this.project), types: ["container"] },
          signal,
        )) {
          store.update((m) => applyRuntimeEvent(m, event));
          if (event.action === "destroy") {
            this.stats.get(event.id)?.abort();
            continue;
          }
          if (INSPECT_ON.has(event.action)) this.refresh(event.id);
        }
      } catch {
        // The engine went away or the stream broke: try again shortly (the resync covers the gap).
      }
      await sleep(EVENTS_RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  private async resync(): Promise<void> {
    const { runtime, store } = this.options;
    const signal = this.abort.signal;
    for (;;) {
      await sleep(this.options.resyncMs ?? RESYNC_MS, undefined, { signal });
      const listed = await runtime.containers
        .list({ labels: containersFilter(this.project), all: true })
        .catch(() => undefined);
      if (!listed || signal.aborted) continue;
      store.update((m) => keepContainers(m, new Set(listed.map((c) => c.id))));
      for (const c of listed) {
        const known = store.model.containers.get(c.id);
        if (!known || known.status !== c.status) this.refresh(c.id);
      }
    }
  }

  /** One follower per container; `currentRun` for containers that start while the dashboard is open. */
  private startLogs(target: FollowTarget, currentRun: boolean): void {
    if (this.following.has(target.id) || this.abort.signal.aborted) return;
    this.following.add(target.id);
    const { store, follow, tail } = this.options;
    const history = !currentRun && tail !== undefined;
    this.track(
      follow(target, store.logs, {
        signal: this.abort.signal,
        currentRun: !history,
        tail: history ? tail : undefined,
      })
        .catch(() => undefined)
        .finally(() => {
          this.following.delete(target.id);
          // A start that came while this follower was winding down found it still registered.
          if (!this.abort.signal.aborted && store.model.containers.get(target.id)?.status === "running") {
            this.refresh(target.id);
          }
        }),
    );
  }

  private startStats(id: string): void {
    if (this.stats.has(id) || this.abort.signal.aborted) return;
    const controller = new AbortController();
    this.stats.set(id, controller);
    const { runtime, store } = this.options;
    const signal = AbortSignal.any([controller.signal, this.abort.signal]);
    this.track(
      (async () => {
        try {
          for await (const sample of runtime.containers.stats(id, { stream: true, signal })) {
            store.updateQuietly((m) => putUsage(m, id, sample));
          }
        } catch {
          // Gone or stopped: the row simply shows no usage.
        } finally {
          if (this.stats.get(id) === controller) this.stats.delete(id);
        }
      })(),
    );
  }

  private track(task: Promise<unknown>): void {
    const handled = task.catch(() => undefined);
    this.tasks.add(handled);
    void handled.finally(() => this.tasks.delete(handled));
  }
}
