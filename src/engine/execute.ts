/**
 * Walks a Plan with as much parallelism as its edges allow: a node starts the moment its last
 * prerequisite finished. Each node is one Runtime call (a create also copies its files in before
 * anyone can start it, and a first start copies them again when the plan says so; a wait is one
 * bounded wait), reported as events. No decisions are taken here beyond the mechanics of a call
 * (an object already gone counts as removed, a network a concurrent run created counts as created).
 * Each completed step passes a fault point (fault.ts), a no-op unless a test asks for a crash there.
 *
 * When a node fails, nothing that depends on it runs; independent branches run to the end; then
 * `execute` rejects with an ExecuteError naming the failed step and the engine's message. On abort
 * no new node starts, running waits end, and `execute` rejects with the abort reason.
 */
import { Readable } from "node:stream";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import type { ContainerSpec, MountSpec, Runtime } from "../runtime/runtime.js";
import { EngineError, ExecuteError } from "./errors.js";
import { emitter, type EngineResource, type EngineStatus, type EventSink } from "./events.js";
import { faultPoint } from "./fault.js";
import type { FileCopy, Operation, Plan, PlanNode } from "./plan.js";
import { DEFAULT_WAIT_TIMEOUT_MS, ProjectWatcher, waitFor } from "./wait.js";

export interface ExecuteOptions {
  /** The project name: waits watch its containers. */
  readonly project: string;
  readonly signal?: AbortSignal | undefined;
  /** Most nodes in flight at once; default unlimited (the DAG is the only limit). */
  readonly concurrency?: number | undefined;
  /** Wait nodes without their own timeout use this; default 10 minutes. */
  readonly waitTimeoutMs?: number | undefined;
  readonly pollMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

type NodeState = "pending" | "running" | "done" | "failed" | "skipped";

export async function execute(
  runtime: Runtime,
  plan: Plan,
  sink: EventSink,
  options: ExecuteOptions,
): Promise<void> {
  if (plan.nodes.length === 0) return;
  const emit = emitter(sink, options.now);
  const watcher = new ProjectWatcher(runtime, options.project);
  const runner = new NodeRunner(runtime, emit, watcher, options);
  try {
    await walk(plan, options, (node) => runner.run(node));
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
  const failures: { node: number; resource: string; error: unknown }[] = [];
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
  if (failures.length > 0) {
    const first = failures[0] as (typeof failures)[number];
    const message = first.error instanceof Error ? first.error.message : String(first.error);
    const more =
      failures.length > 1
        ? ` (and ${failures.length - 1} more failed step${failures.length > 2 ? "s" : ""})`
        : "";
    const service = /^(?:container|service):([^:]+)/.exec(first.resource)?.[1];
    throw new ExecuteError(`${message}${more}`, failures, {
      cause: first.error,
      ...(service !== undefined && service !== "?" ? { service } : {}),
    });
  }
}

type Emit = (resource: EngineResource, id: string, status: EngineStatus, text?: string) => void;

class NodeRunner {
  constructor(
    private readonly runtime: Runtime,
    private readonly emit: Emit,
    private readonly watcher: ProjectWatcher,
    private readonly options: ExecuteOptions,
  ) {}

  async run(node: PlanNode): Promise<void> {
    const { resource, id } = eventTarget(node.op);
    try {
      await this.dispatch(node.op);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (node.op.kind !== "WaitCondition") this.emit(resource, id, "Error", message);
      throw describeFailure(node, error);
    }
  }

  private async dispatch(op: Operation): Promise<void> {
    const { runtime, emit } = this;
    const signal = this.options.signal;
    switch (op.kind) {
      case "CreateNetwork": {
        emit("network", op.name, "Creating");
        try {
          await runtime.networks.create(op.spec);
        } catch (error) {
          // Created meanwhile by a concurrent run of the same project: use it.
          if (!(error instanceof ConflictError) || !(await runtime.networks.inspect(op.name))) throw error;
        }
        faultPoint("network-created");
        emit("network", op.name, "Created");
        return;
      }
      case "RemoveNetwork": {
        const network = await runtime.networks.inspect(op.id ?? op.name);
        if (!network) return;
        emit("network", op.name, "Removing");
        if (Object.keys(network.containers).length > 0) {
          emit("network", op.name, "Warning", "Resource is still in use");
          return;
        }
        try {
          await runtime.networks.remove(network.id);
        } catch (error) {
          if (error instanceof NotFoundError) return void emit("network", op.name, "Removed");
          if (error instanceof ConflictError)
            return void emit("network", op.name, "Warning", "Resource is still in use");
          throw error;
        }
        faultPoint("network-removed");
        emit("network", op.name, "Removed");
        return;
      }
      case "CreateVolume":
        emit("volume", op.name, "Creating");
        await runtime.volumes.create(op.spec);
        faultPoint("volume-created");
        emit("volume", op.name, "Created");
        return;
      case "RemoveVolume":
        emit("volume", op.name, "Removing");
        try {
          await runtime.volumes.remove(op.name);
        } catch (error) {
          if (error instanceof ConflictError)
            return void emit("volume", op.name, "Warning", "Resource is still in use");
          if (!(error instanceof NotFoundError)) throw error;
        }
        emit("volume", op.name, "Removed");
        return;
      case "PullImage": {
        emit("image", op.reference, "Pulling");
        let last = 0;
        await runtime.images.pull(op.reference, { platform: op.platform, signal }, (progress) => {
          const now = Date.now();
          if (now - last < 250) return; // progress is for eyes: a few reports a second are plenty
          last = now;
          emit(
            "image",
            op.reference,
            "Pulling",
            progress.id ? `${progress.id}: ${progress.status}` : progress.status,
          );
        });
        emit("image", op.reference, "Pulled");
        return;
      }
      case "BuildImage":
        emit("image", op.reference, "Building");
        await runtime.images.build({ ...op.spec, signal }, (progress) => {
          if (/^Step \d+\/\d+/.test(progress.status))
            emit("image", op.reference, "Building", progress.status);
        });
        emit("image", op.reference, "Built");
        return;
      case "RemoveImage":
        emit("image", op.reference, "Removing");
        try {
          await runtime.images.remove(op.reference);
        } catch (error) {
          if (error instanceof ConflictError) {
            return void emit("image", op.reference, "Warning", "Resource is still in use");
          }
          if (!(error instanceof NotFoundError)) throw error;
        }
        emit("image", op.reference, "Removed");
        return;
      case "CreateContainer": {
        emit("container", op.display, op.recreate ? "Recreate" : "Creating");
        const spec = op.inheritFrom ? await this.inheritVolumes(op.spec, op.inheritFrom) : op.spec;
        const created = await runtime.containers.create(spec);
        faultPoint("container-created");
        if (op.recreate) faultPoint("recreate-tmp-created");
        for (const warning of created.warnings) emit("container", op.display, "Warning", warning);
        if (op.copies.length > 0) {
          try {
            await runtime.containers.copyTo(created.id, "/", Readable.from([await tarOf(op.copies)]));
          } catch (error) {
            // Undo what this step made: a container without its secrets must not be started later.
            await runtime.containers.remove(created.id, { force: true }).catch(() => undefined);
            throw error;
          }
        }
        if (!op.recreate) emit("container", op.display, "Created");
        return;
      }
      case "StartContainer":
        emit("container", op.display, "Starting");
        if (op.copies && op.copies.length > 0) {
          await runtime.containers.copyTo(op.container, "/", Readable.from([await tarOf(op.copies)]));
        }
        await runtime.containers.start(op.container);
        faultPoint("container-started");
        emit("container", op.display, "Started");
        return;
      case "StopContainer":
        if (!op.recreate) emit("container", op.display, "Stopping");
        try {
          await runtime.containers.stop(
            op.container,
            op.timeoutS !== undefined ? { timeoutS: op.timeoutS } : {},
          );
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        faultPoint("container-stopped");
        if (!op.recreate) emit("container", op.display, "Stopped");
        return;
      case "RemoveContainer":
        if (!op.recreate) emit("container", op.display, "Removing");
        try {
          await runtime.containers.remove(op.container, { force: true, volumes: op.volumes });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        faultPoint("container-removed");
        if (!op.recreate) emit("container", op.display, "Removed");
        return;
      case "RenameContainer":
        await runtime.containers.rename(op.container, op.to);
        faultPoint("container-renamed");
        if (op.recreate) emit("container", op.to, "Recreated");
        return;
      case "RestartContainer":
        emit("container", op.display, "Starting", "restarting");
        await runtime.containers.restart(
          op.container,
          op.timeoutS !== undefined ? { timeoutS: op.timeoutS } : {},
        );
        emit("container", op.display, "Started", "restarted");
        return;
      case "WaitCondition": {
        const timeoutMs =
          op.timeoutS !== undefined
            ? op.timeoutS * 1000
            : (this.options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
        try {
          await waitFor(
            {
              runtime,
              project: this.options.project,
              watcher: this.watcher,
              signal,
              pollMs: this.options.pollMs,
              now: this.options.now,
              report: (container, status, text) => emit("container", container, status, text),
            },
            {
              service: op.service,
              condition: op.condition,
              timeoutMs,
              dependents: op.dependents,
              forUpWait: op.dependents.length === 0,
            },
          );
        } catch (error) {
          if (op.required || signal?.aborted) throw error;
          const message = error instanceof Error ? error.message : String(error);
          emit("container", op.service, "Warning", `${message}; not required, going on`);
        }
        return;
      }
    }
  }

  /**
   * The new container takes over the old one's anonymous volumes (Compose's default on recreate),
   * so data in a `VOLUME` of the image or an unnamed `volumes:` entry survives a config change.
   */
  private async inheritVolumes(spec: ContainerSpec, from: string): Promise<ContainerSpec> {
    const old = await this.runtime.containers.inspect(from);
    if (!old) return spec;
    const mounts: MountSpec[] = [...(spec.mounts ?? [])];
    for (const mount of old.mounts) {
      if (mount.type !== "volume" || !mount.name) continue;
      const index = mounts.findIndex((m) => m.target === mount.target);
      const existing = index >= 0 ? mounts[index] : undefined;
      if (existing === undefined) {
        mounts.push({ type: "volume", source: mount.name, target: mount.target });
      } else if (existing.type === "volume" && existing.source === undefined) {
        mounts[index] = { ...existing, source: mount.name };
      }
    }
    return mounts.length > 0 ? { ...spec, mounts } : spec;
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

/** The files as a tar archive rooted at `/`. */
export async function tarOf(copies: readonly FileCopy[]): Promise<Buffer> {
  // Loaded on first use: only secrets and configs given as content need it, and compiling it
  // (with streamx) cost every `up` and `down` a few ms.
  const { default: tar } = await import("tar-stream");
  const pack = tar.pack();
  const mtime = new Date();
  for (const copy of copies) {
    const content = Buffer.from(copy.content, "utf8");
    pack.entry(
      {
        name: copy.target.replace(/^\/+/, ""),
        type: "file",
        size: content.length,
        mode: copy.mode,
        uid: copy.uid ?? 0,
        gid: copy.gid ?? 0,
        mtime,
      },
      content,
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) {
    if (chunk instanceof Uint8Array)
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks);
}
