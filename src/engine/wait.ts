/**
 * Waiting for `depends_on` conditions and `up --wait`. Each wait re-inspects the service's
 * containers, wakes early on the runtime's events for the project (one label-filtered
 * subscription shared by every wait of a run) and otherwise polls every 500 ms, since a runtime
 * may drop events under load (a subscriber that falls behind loses them) and a missed one must
 * not stall a wait. Every wait is bounded by its timeout and by the caller's AbortSignal.
 *
 * Verdicts follow Docker Compose (`pkg/compose/convergence.go`): `service_healthy` fails at once on
 * an `unhealthy` container, an exited one, or one without a healthcheck; `service_completed_successfully`
 * fails on a non-zero exit; `running_or_healthy` (`--wait`) wants running, and healthy where there is
 * a healthcheck.
 */
import type { ContainerState, Runtime } from "../runtime/runtime.js";
import { DependencyError } from "./errors.js";
import type { EngineStatus } from "./events.js";
import { containersFilter, projectFilter, SERVICE_LABEL } from "./labels.js";
import type { WaitCondition } from "./plan.js";

const POLL_INTERVAL_MS = 500;
/** Bound for a wait that names none (Compose waits forever; berth does not). */
export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60 * 1000;

/** Wakes waiters when the engine reports anything about a service's containers. */
export class ProjectWatcher {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly controller = new AbortController();
  private started = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly project: string,
  ) {}

  /** Resolves at the next event about `service` (or about a container without a service label). */
  next(service: string): { readonly promise: Promise<void>; cancel(): void } {
    this.start();
    let wake: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.waiters.get(service);
    if (!set) this.waiters.set(service, (set = new Set()));
    set.add(wake);
    return { promise, cancel: () => set.delete(wake) };
  }

  close(): void {
    this.controller.abort();
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      const events = this.runtime.events(
        { labels: projectFilter(this.project), types: ["container"] },
        this.controller.signal,
      );
      for await (const event of events) {
        const service = event.attributes[SERVICE_LABEL];
        if (service === undefined) this.wakeAll();
        else this.wake(service);
      }
    } catch {
      // No events (engine without them, connection dropped): the 500 ms polling carries on alone.
    }
  }

  private wake(service: string): void {
    const set = this.waiters.get(service);
    if (!set) return;
    this.waiters.delete(service);
    for (const wake of set) wake();
  }

  private wakeAll(): void {
    for (const service of [...this.waiters.keys()]) this.wake(service);
  }
}

export interface WaitRequest {
  readonly service: string;
  readonly condition: WaitCondition;
  readonly timeoutMs: number;
  /** Services waiting on this one, named in the failure message. */
  readonly dependents: readonly string[];
  /** `--wait` phrases its timeout as Compose does: "application not healthy after Ns". */
  readonly forUpWait: boolean;
  /**
   * Set when `up --wait --wait-timeout` (these seconds) is what bounds this wait, a depends_on one
   * included: its timeout then reads as `--wait`'s, naming the service that was not ready.
   */
  readonly upWaitS?: number | undefined;
}

export interface WaitEnvironment {
  readonly runtime: Runtime;
  readonly project: string;
  readonly watcher: ProjectWatcher;
  readonly signal?: AbortSignal | undefined;
  readonly pollMs?: number | undefined;
  readonly now?: (() => number) | undefined;
  /** Reports progress per container. */
  readonly report?: ((container: string, status: EngineStatus, text?: string) => void) | undefined;
}

type Verdict =
  | { readonly kind: "met" }
  | { readonly kind: "pending"; readonly why: string }
  | { readonly kind: "failed"; readonly why: string; readonly container: string };

type Judgement = Verdict & { readonly states: readonly ContainerState[] };

/** Resolves once the condition holds; rejects with a DependencyError naming the service and why. */
export async function waitFor(env: WaitEnvironment, request: WaitRequest): Promise<void> {
  const now = env.now ?? Date.now;
  const deadline = now() + request.timeoutMs;
  const pollMs = env.pollMs ?? POLL_INTERVAL_MS;
  const announced = new Set<string>();
  for (;;) {
    env.signal?.throwIfAborted();
    const verdict = await judge(env.runtime, env.project, request.service, request.condition);
    for (const state of verdict.states) {
      if (announced.has(state.name)) continue;
      announced.add(state.name);
      env.report?.(state.name, "Waiting");
    }
    if (verdict.kind === "met") {
      for (const state of verdict.states) env.report?.(state.name, doneStatus(request.condition, state));
      return;
    }
    if (verdict.kind === "failed") {
      env.report?.(verdict.container, "Error", verdict.why);
      const exitCode = verdict.states.find((s) => s.name === verdict.container)?.exitCode;
      throw new DependencyError(failureMessage(request, verdict.why, exitCode), {
        service: request.service,
        ...(request.dependents.length > 0 ? { hint: `needed by ${request.dependents.join(", ")}` } : {}),
      });
    }
    const left = deadline - now();
    if (left <= 0) {
      const seconds = Math.round(request.timeoutMs / 1000);
      // Compose's words for `--wait` exactly; what was still awaited goes in the hint.
      if (request.forUpWait || request.upWaitS !== undefined) {
        const needed = request.dependents.length > 0 ? ` (needed by ${request.dependents.join(", ")})` : "";
        throw new DependencyError(`application not healthy after ${goDuration(request.upWaitS ?? seconds)}`, {
          service: request.service,
          hint: `service "${request.service}": ${verdict.why}${needed}`,
        });
      }
      throw new DependencyError(
        `timed out after ${seconds}s waiting for service "${request.service}" (${describe(request.condition)}): ${verdict.why}`,
        { service: request.service },
      );
    }
    await pause(env, request.service, Math.min(pollMs, left));
  }
}

function describe(condition: WaitCondition): string {
  switch (condition) {
    case "service_started":
      return "to start";
    case "service_healthy":
      return "to be healthy";
    case "service_completed_successfully":
      return "to complete successfully";
    case "running_or_healthy":
      return "to be running or healthy";
  }
}

/**
 * Docker Compose's messages (`convergence.go`), so scripts that match them keep working: `--wait`
 * reports the container's state as is; `service_completed_successfully` names the service; the
 * other conditions say "dependency failed to start: container X is unhealthy" (or "exited (1)").
 */
function failureMessage(request: WaitRequest, why: string, exitCode: number | undefined): string {
  if (request.forUpWait) return why;
  if (request.condition === "service_completed_successfully") {
    return `service "${request.service}" didn't complete successfully: exit ${exitCode ?? "unknown"}`;
  }
  return `dependency failed to start: ${why}`;
}

/** Seconds as Go prints a time.Duration (3s, 1m30s, 1h0m0s), as Compose's timeout message has it. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function doneStatus(condition: WaitCondition, state: ContainerState): EngineStatus {
  if (condition === "service_completed_successfully") return "Exited";
  if (state.health === "healthy") return "Healthy";
  return "Running";
}

/** Waits for an event about the service, the poll interval, or the abort, whichever is first. */
async function pause(env: WaitEnvironment, service: string, ms: number): Promise<void> {
  const wake = env.watcher.next(service);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      wake.promise,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
      new Promise<void>((resolve) => {
        onAbort = resolve;
        env.signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    wake.cancel();
    if (timer) clearTimeout(timer);
    if (onAbort) env.signal?.removeEventListener("abort", onAbort);
  }
}

/** Looks at every container of the service once and says whether the condition holds. */
async function judge(
  runtime: Runtime,
  project: string,
  service: string,
  condition: WaitCondition,
): Promise<Judgement> {
  const listed = await runtime.containers.list({
    labels: containersFilter(project, { service, oneOff: "exclude" }),
    all: true,
  });
  const states = (await Promise.all(listed.map((c) => runtime.containers.inspect(c.id)))).filter(
    (s): s is ContainerState => s !== undefined,
  );
  if (states.length === 0) return { kind: "pending", why: "has no container yet", states };
  states.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let pending: Verdict | undefined;
  for (const state of states) {
    const verdict = judgeOne(state, condition);
    if (verdict.kind === "failed") return { ...verdict, states };
    if (verdict.kind === "pending") pending ??= verdict;
  }
  return { ...(pending ?? { kind: "met" }), states };
}

export function judgeOne(state: ContainerState, condition: WaitCondition): Verdict {
  const name = state.name;
  const exited = state.status === "exited" || state.status === "dead";
  const met: Verdict = { kind: "met" };
  switch (condition) {
    case "service_started":
      return state.status === "created" ? { kind: "pending", why: `container ${name} is created` } : met;
    case "service_completed_successfully":
      if (!exited) return { kind: "pending", why: `container ${name} is ${state.status}` };
      return state.exitCode === 0
        ? met
        : {
            kind: "failed",
            container: name,
            why: `container ${name} didn't complete successfully: exit ${state.exitCode ?? "unknown"}`,
          };
    case "service_healthy":
    case "running_or_healthy": {
      if (exited) {
        return {
          kind: "failed",
          container: name,
          why: `container ${name} exited (${state.exitCode ?? "unknown"})`,
        };
      }
      if (state.health === "unhealthy")
        return { kind: "failed", container: name, why: `container ${name} is unhealthy` };
      if (state.health === undefined) {
        if (condition === "service_healthy") {
          return { kind: "failed", container: name, why: `container ${name} has no healthcheck configured` };
        }
        return state.status === "running"
          ? met
          : { kind: "pending", why: `container ${name} is ${state.status}` };
      }
      if (state.health === "healthy" && state.status === "running") return met;
      return {
        kind: "pending",
        why: `container ${name} is ${state.health === "healthy" ? state.status : state.health}`,
      };
    }
  }
}
