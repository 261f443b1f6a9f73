/**
 * Walks a Plan with as much parallelism as its edges allow: a node starts the moment its last
 * prerequisite finished, and is carried out by its operation's step (operations.ts), which reports
 * it as events.
 *
 * When a node fails, nothing that depends on it runs; independent branches run to the end; then
 * `execute` rejects with an ExecuteError naming the failed step and the engine's message. On abort
 * no new node starts, running waits end, and `execute` rejects with the abort reason.
 */
import type { Runtime } from "../runtime/runtime.js";
import { BerthError } from "../errors.js";
import { EngineError, ExecuteError } from "./errors.js";
import { emitter, type EngineResource, type EventSink } from "./events.js";
import { runOperation, type StepContext, type StepOptions } from "./operations.js";
import type { Operation, Plan, PlanNode } from "./plan.js";
import { ProjectWatcher } from "./wait.js";

export interface ExecuteOptions extends StepOptions {
  /** Most nodes in flight at once; default unlimited (the DAG is the only limit). */
  readonly concurrency?: number | undefined;
}

type NodeState = "pending" | "running" | "done" | "failed" | "skipped";

interface Failure {
  readonly node: number;
  readonly resource: string;
  readonly error: unknown;
}

export async function execute(
  runtime: Runtime,
  plan: Plan,
  sink: EventSink,
  options: ExecuteOptions,
): Promise<void> {
  if (plan.nodes.length === 0) return;
  const emit = emitter(sink, options.now);
  const watcher = new ProjectWatcher(runtime, options.project);
  const cx: StepContext = { runtime, emit, watcher, options };
  try {
    await walk(plan, options, (node) => runNode(cx, node));
  } finally {
    watcher.close();
  }
}

/**
 * The scheduler on its own (tested with fake work): runs `work` for each node once its
 * prerequisites are done, skips the dependents of a failed node, and reports failures at the end.
 */
export async function walk(
  plan: Plan,
  options: { readonly signal?: AbortSignal | undefined; readonly concurrency?: number | undefined },
  work: (node: PlanNode) => Promise<void>,
): Promise<void> {
  const state = new Map<number, NodeState>();
  const waitingOn = new Map<number, number>();
  const dependents = new Map<number, number[]>();
  const byId = new Map<number, PlanNode>();
  for (const node of plan.nodes) {
    byId.set(node.id, node);
    state.set(node.id, "pending");
    waitingOn.set(node.id, node.deps.length);
    for (const dep of node.deps) {
      const list = dependents.get(dep);
      if (list) list.push(node.id);
      else dependents.set(dep, [node.id]);
    }
  }
  const ready: number[] = plan.nodes.filter((n) => n.deps.length === 0).map((n) => n.id);
  const failures: Failure[] = [];
  const limit = options.concurrency ?? Number.POSITIVE_INFINITY;
  let running = 0;

  const skip = (id: number): void => {
    for (const next of dependents.get(id) ?? []) {
      if (state.get(next) !== "pending") continue;
      state.set(next, "skipped");
      skip(next);
    }
  };

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (ready.length > 0 && running < limit && !options.signal?.aborted) {
        const id = ready.shift() as number;
        if (state.get(id) !== "pending") continue;
        const node = byId.get(id) as PlanNode;
        state.set(id, "running");
        running++;
        work(node).then(
          () => {
            running--;
            state.set(id, "done");
            for (const next of dependents.get(id) ?? []) {
              const left = (waitingOn.get(next) ?? 1) - 1;
              waitingOn.set(next, left);
              if (left === 0 && state.get(next) === "pending") ready.push(next);
            }
            ready.sort((a, b) => a - b);
            pump();
          },
          (error: unknown) => {
            running--;
            state.set(id, "failed");
            failures.push({ node: id, resource: node.resource, error });
            skip(id);
            pump();
          },
        );
      }
      if (running === 0) resolve();
    };
    pump();
  });

  if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
  if (failures.length > 0) throw failureOf(failures);
}

/** The error of a walk whose steps failed: the first one's, counting the others. */
function failureOf(failures: readonly Failure[]): ExecuteError {
  const first = failures[0] as Failure;
  const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  const message = text(first.error);
  // Steps that failed in the same words (every wait the `--wait-timeout` deadline ended) say
  // nothing more; the count is of the other failures.
  const others = failures.filter((f) => text(f.error) !== message).length;
  const more = others > 0 ? ` (and ${others} more failed step${others > 1 ? "s" : ""})` : "";
  const service = /^(?:container|service):([^:]+)/.exec(first.resource)?.[1];
  return new ExecuteError(`${message}${more}`, failures, {
    cause: first.error,
    // The step's own hint (which service `--wait` still waited for, say) must reach the user.
    ...(first.error instanceof BerthError && first.error.hint !== undefined
      ? { hint: first.error.hint }
      : {}),
    ...(service !== undefined && service !== "?" ? { service } : {}),
  });
}

/** Runs one node; a failure is reported on the node's object and rejects naming it. */
async function runNode(cx: StepContext, node: PlanNode): Promise<void> {
  const { resource, id } = eventTarget(node.op);
  try {
    await runOperation(cx, node.op);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (node.op.kind !== "WaitCondition") cx.emit(resource, id, "Error", message);
    throw describeFailure(node, error);
  }
}

function eventTarget(op: Operation): { resource: EngineResource; id: string } {
  switch (op.kind) {
    case "CreateNetwork":
    case "RemoveNetwork":
      return { resource: "network", id: op.name };
    case "CreateVolume":
    case "RemoveVolume":
      return { resource: "volume", id: op.name };
    case "PullImage":
    case "BuildImage":
    case "RemoveImage":
      return { resource: "image", id: op.reference };
    case "RenameContainer":
      return { resource: "container", id: op.to };
    case "WaitCondition":
      return { resource: "container", id: op.service };
    default:
      return { resource: "container", id: op.display };
  }
}

const VERBS: Record<Operation["kind"], string> = {
  CreateNetwork: "create network",
  RemoveNetwork: "remove network",
  CreateVolume: "create volume",
  RemoveVolume: "remove volume",
  PullImage: "pull image",
  BuildImage: "build image",
  RemoveImage: "remove image",
  CreateContainer: "create",
  StartContainer: "start",
  StopContainer: "stop",
  RemoveContainer: "remove",
  RenameContainer: "rename",
  RestartContainer: "restart",
  WaitCondition: "wait",
};

/** The error a failed node rejects with: what was done to which service, then the engine's words. */
function describeFailure(node: PlanNode, error: unknown): unknown {
  if (!(error instanceof Error) || error.name === "AbortError") return error;
  if (node.op.kind === "WaitCondition") return error;
  const service = /^container:([^:]+)/.exec(node.resource)?.[1];
  const { id } = eventTarget(node.op);
  const verb = VERBS[node.op.kind];
  const subject =
    service !== undefined && service !== "?"
      ? `service "${service}": cannot ${verb} ${id}`
      : `cannot ${verb} ${id}`;
  return new EngineError(`${subject}: ${error.message}`, {
    cause: error,
    ...(service !== undefined && service !== "?" ? { service } : {}),
  });
}
