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
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import type { ContainerSpec, MountSpec, NetworkSpec, Runtime } from "../runtime/runtime.js";
import { BerthError } from "../errors.js";
import { EngineError, ExecuteError } from "./errors.js";
import { emitter, type EngineResource, type EngineStatus, type EventSink } from "./events.js";
import { faultPoint } from "./fault.js";
import {
  CONFIG_HASH_LABEL,
  CONTAINER_NUMBER_LABEL,
  PROJECT_LABEL,
  REPLACE_LABEL,
  SERVICE_LABEL,
} from "./labels.js";
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
  /**
   * `up --wait --wait-timeout`: every wait of the plan ends by `at` (on the `now` clock), the
   * depends_on waits that gate the starts as well as the final one, so a dependency that never
   * becomes healthy cannot hold the run past it. A wait the deadline ends fails with Compose's
   * `--wait` message ("application not healthy after <seconds>s") and names its service.
   */
  readonly waitDeadline?: { readonly at: number; readonly seconds: number } | undefined;
  readonly pollMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

type NodeState = "pending" | "running" | "done" | "failed" | "skipped";

/** A network the engine refuses to remove with nothing attached is retried this often, this far apart. */
const NETWORK_REMOVE_ATTEMPTS = 3;
const NETWORK_REMOVE_RETRY_MS = 250;

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
    const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));
    const message = text(first.error);
    // Steps that failed in the same words (every wait the `--wait-timeout` deadline ended) say
    // nothing more; the count is of the other failures.
    const others = failures.filter((f) => text(f.error) !== message).length;
    const more = others > 0 ? ` (and ${others} more failed step${others > 1 ? "s" : ""})` : "";
    const service = /^(?:container|service):([^:]+)/.exec(first.resource)?.[1];
    throw new ExecuteError(`${message}${more}`, failures, {
      cause: first.error,
      // The step's own hint (which service `--wait` still waited for, say) must reach the user.
      ...(first.error instanceof BerthError && first.error.hint !== undefined
        ? { hint: first.error.hint }
        : {}),
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
        await this.createNetwork(op.spec);
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
        const refusal = await this.removeNetwork(network.id);
        if (refusal !== undefined) return void emit("network", op.name, "Warning", refusal);
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
        const created = await this.createContainer(spec);
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
        faultPoint("container-stopping");
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
        // Compose's two events for a restart (`restart.go`): Restarting, then Started.
        emit("container", op.display, "Restarting");
        await runtime.containers.restart(
          op.container,
          op.timeoutS !== undefined ? { timeoutS: op.timeoutS } : {},
        );
        emit("container", op.display, "Started");
        return;
      case "WaitCondition": {
        const own =
          op.timeoutS !== undefined
            ? op.timeoutS * 1000
            : (this.options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
        const deadline = this.options.waitDeadline;
        const left =
          deadline === undefined ? own : Math.max(0, deadline.at - (this.options.now ?? Date.now)());
        const bounded = deadline !== undefined && left <= own ? deadline : undefined;
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
              timeoutMs: bounded ? left : own,
              dependents: op.dependents,
              forUpWait: op.dependents.length === 0,
              ...(bounded ? { upWaitS: bounded.seconds } : {}),
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
   * Creates the network and leaves one network of its name. A run killed while its own create was
   * in flight (the engine finishes it anyway) can land a twin just as this run creates the network;
   * Docker 20.10 accepts both, and every later use of the name would fail as "ambiguous". Of the
   * project's networks of that name the oldest stays; one a concurrent run made counts as created.
   */
  private async createNetwork(spec: NetworkSpec): Promise<void> {
    let conflict: unknown;
    try {
      await this.runtime.networks.create(spec);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      conflict = error;
    }
    const project = spec.labels[PROJECT_LABEL];
    const same = (await this.runtime.networks.list({ name: spec.name }))
      .filter((n) => n.labels[PROJECT_LABEL] === project)
      .sort((a, b) => a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
    if (same.length === 0 && conflict !== undefined) throw conflict; // the name is someone else's
    for (const twin of same.slice(1)) {
      try {
        await this.runtime.networks.remove(twin.id);
      } catch (error) {
        if (error instanceof NotFoundError) continue;
        if (!(error instanceof ConflictError)) throw error;
        this.emit(
          "network",
          spec.name,
          "Warning",
          `a second network of this name (${twin.id.slice(0, 12)}) is in use`,
        );
      }
    }
  }

  /**
   * Removes a network nothing was attached to a moment ago; returns why it stays, if it does. When
   * the engine refuses ("has active endpoints") and still lists no container, it is either one that
   * joined just now or Docker 20.10's stale endpoint count (moby/moby#42119, #43286), which
   * sometimes settles: a few short retries, then a warning that says which.
   */
  private async removeNetwork(id: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.runtime.networks.remove(id);
        return undefined;
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        if (!(error instanceof ConflictError)) throw error;
      }
      const now = await this.runtime.networks.inspect(id);
      if (!now) return undefined;
      if (Object.keys(now.containers).length > 0) return "Resource is still in use";
      if (attempt === NETWORK_REMOVE_ATTEMPTS) {
        return (
          "the engine says it has active endpoints but lists no container on it (a Docker engine " +
          "defect, moby/moby#43286); restarting dockerd clears it"
        );
      }
      await sleep(NETWORK_REMOVE_RETRY_MS);
    }
  }

  /**
   * Creates the container. A name already taken by a never-started container of the same replica
   * and config was made by a run killed while this very create was in flight: it may lack its
   * networks or files, so it is replaced (its anonymous volumes with it; inherited ones are named
   * and stay). Any other holder of the name is a real conflict.
   */
  private async createContainer(spec: ContainerSpec): Promise<{ id: string; warnings: readonly string[] }> {
    try {
      return await this.runtime.containers.create(spec);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const holder = await this.runtime.containers.inspect(spec.name);
      const slot = [PROJECT_LABEL, SERVICE_LABEL, CONTAINER_NUMBER_LABEL, CONFIG_HASH_LABEL, REPLACE_LABEL];
      if (!holder || holder.status !== "created" || slot.some((k) => holder.labels[k] !== spec.labels[k])) {
        throw error;
      }
      await this.runtime.containers.remove(holder.id, { force: true, volumes: true });
      return await this.runtime.containers.create(spec);
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
