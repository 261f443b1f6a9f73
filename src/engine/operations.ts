/**
 * How each plan operation is carried out: one function per operation kind (as docker/compose's
 * `executor_ops.go` has), found through a table keyed by kind, so adding a kind is adding a
 * function and a row, and the compiler names any kind without one. Each is one Runtime call (a
 * create also copies its files in before anyone can start it, and a first start copies them again
 * when the plan says so; a wait is one bounded wait), reported as events. No decisions are taken
 * here beyond the mechanics of a call (an object already gone counts as removed, a network a
 * concurrent run created counts as created). Each completed step passes a fault point (fault.ts),
 * a no-op unless a test asks for a crash there.
 */
import { Readable } from "node:stream";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import type { ContainerSpec, MountSpec, NetworkSpec, Runtime } from "../runtime/runtime.js";
import type { EngineResource, EngineStatus } from "./events.js";
import { faultPoint } from "./fault.js";
import {
  CONFIG_HASH_LABEL,
  CONTAINER_NUMBER_LABEL,
  PROJECT_LABEL,
  REPLACE_LABEL,
  SERVICE_LABEL,
} from "./labels.js";
import type { FileCopy, Operation, OperationKind } from "./plan.js";
import { DEFAULT_WAIT_TIMEOUT_MS, type ProjectWatcher, waitFor } from "./wait.js";

type Emit = (resource: EngineResource, id: string, status: EngineStatus, text?: string) => void;

/** What the steps of one `execute` share. */
export interface StepOptions {
  /** The project name: waits watch its containers. */
  readonly project: string;
  readonly signal?: AbortSignal | undefined;
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
  /** `--quiet-pull`: a pull or build says it began and ended, without its layers or steps. */
  readonly quietPull?: boolean | undefined;
}

export interface StepContext {
  readonly runtime: Runtime;
  readonly emit: Emit;
  readonly watcher: ProjectWatcher;
  readonly options: StepOptions;
}

type OperationOf<K extends OperationKind> = Extract<Operation, { readonly kind: K }>;
type Step<K extends OperationKind> = (cx: StepContext, op: OperationOf<K>) => Promise<void>;

/** Progress is for eyes: a few pull reports a second are plenty. */
const PULL_REPORT_MS = 250;

const STEPS: { readonly [K in OperationKind]: Step<K> } = {
  CreateNetwork: createNetwork,
  RemoveNetwork: removeNetwork,
  CreateVolume: createVolume,
  RemoveVolume: removeVolume,
  PullImage: pullImage,
  BuildImage: buildImage,
  RemoveImage: removeImage,
  CreateContainer: createContainer,
  StartContainer: startContainer,
  StopContainer: stopContainer,
  RemoveContainer: removeContainer,
  RenameContainer: renameContainer,
  RestartContainer: restartContainer,
  WaitCondition: waitCondition,
};

/** Carries out one operation. */
export function runOperation(cx: StepContext, op: Operation): Promise<void> {
  // The table pairs each kind with its own step; TypeScript cannot follow `op.kind` into it.
  const step = STEPS[op.kind] as (cx: StepContext, op: Operation) => Promise<void>;
  return step(cx, op);
}

// --- networks ---------------------------------------------------------------------------------

async function createNetwork(cx: StepContext, op: OperationOf<"CreateNetwork">): Promise<void> {
  cx.emit("network", op.name, "Creating");
  await createLeavingOne(cx, op.spec);
  faultPoint("network-created");
  cx.emit("network", op.name, "Created");
}

/**
 * Creates the network. A create refused because the project's network of that name exists was a
 * concurrent run's (one killed while its create was in flight, which the runtime finishes): it
 * counts as created. On a runtime whose racing creates can both land (`createMayDuplicate`), the
 * oldest of the project's networks of the name stays and the others go, before any container joins
 * the name (which would then be ambiguous).
 */
async function createLeavingOne(cx: StepContext, spec: NetworkSpec): Promise<void> {
  const networks = cx.runtime.networks;
  let conflict: unknown;
  try {
    await networks.create(spec);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    conflict = error;
  }
  if (conflict === undefined && networks.createMayDuplicate !== true) return;
  const project = spec.labels[PROJECT_LABEL];
  const same = (await networks.list({ name: spec.name }))
    .filter((n) => n.labels[PROJECT_LABEL] === project)
    .sort((a, b) => a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
  if (same.length === 0 && conflict !== undefined) throw conflict; // the name is someone else's
  if (networks.createMayDuplicate !== true) return;
  for (const twin of same.slice(1)) {
    try {
      await networks.remove(twin.id);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      if (!(error instanceof ConflictError)) throw error;
      cx.emit(
        "network",
        spec.name,
        "Warning",
        `a second network of this name (${twin.id.slice(0, 12)}) is in use`,
      );
    }
  }
}

async function removeNetwork(cx: StepContext, op: OperationOf<"RemoveNetwork">): Promise<void> {
  const network = await cx.runtime.networks.inspect(op.id ?? op.name);
  if (!network) return;
  cx.emit("network", op.name, "Removing");
  if (Object.keys(network.containers).length > 0) {
    cx.emit("network", op.name, "Warning", "Resource is still in use");
    return;
  }
  const refusal = await removeUnused(cx, network.id);
  if (refusal !== undefined) return void cx.emit("network", op.name, "Warning", refusal);
  faultPoint("network-removed");
  cx.emit("network", op.name, "Removed");
}

/**
 * Removes a network nothing was attached to a moment ago; returns why it stays, if it does: a
 * container joined since (in use), or the runtime's own reason for refusing.
 */
async function removeUnused(cx: StepContext, id: string): Promise<string | undefined> {
  try {
    await cx.runtime.networks.remove(id);
    return undefined;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    if (!(error instanceof ConflictError)) throw error;
    const now = await cx.runtime.networks.inspect(id);
    if (!now) return undefined;
    return Object.keys(now.containers).length > 0 ? "Resource is still in use" : error.message;
  }
}

// --- volumes and images -----------------------------------------------------------------------

async function createVolume(cx: StepContext, op: OperationOf<"CreateVolume">): Promise<void> {
  cx.emit("volume", op.name, "Creating");
  await cx.runtime.volumes.create(op.spec);
  faultPoint("volume-created");
  cx.emit("volume", op.name, "Created");
}

function removeVolume(cx: StepContext, op: OperationOf<"RemoveVolume">): Promise<void> {
  return removeUnlessInUse(cx, "volume", op.name, () => cx.runtime.volumes.remove(op.name));
}

async function pullImage(cx: StepContext, op: OperationOf<"PullImage">): Promise<void> {
  cx.emit("image", op.reference, "Pulling");
  let last = 0;
  await cx.runtime.images.pull(
    op.reference,
    { platform: op.platform, signal: cx.options.signal },
    (progress) => {
      const now = Date.now();
      if (cx.options.quietPull === true || now - last < PULL_REPORT_MS) return;
      last = now;
      cx.emit(
        "image",
        op.reference,
        "Pulling",
        progress.id ? `${progress.id}: ${progress.status}` : progress.status,
      );
    },
  );
  cx.emit("image", op.reference, "Pulled");
}

async function buildImage(cx: StepContext, op: OperationOf<"BuildImage">): Promise<void> {
  cx.emit("image", op.reference, "Building");
  // Only the steps: the rest of a build's output is for its log, not the progress view.
  await cx.runtime.images.build({ ...op.spec, signal: cx.options.signal }, ({ step }) => {
    if (step && cx.options.quietPull !== true)
      cx.emit("image", op.reference, "Building", `Step ${step.step}/${step.total} : ${step.text}`);
  });
  cx.emit("image", op.reference, "Built");
}

function removeImage(cx: StepContext, op: OperationOf<"RemoveImage">): Promise<void> {
  return removeUnlessInUse(cx, "image", op.reference, () => cx.runtime.images.remove(op.reference));
}

/** Runs a removal: one already gone counts as removed; one in use stays, with a warning. */
async function removeUnlessInUse(
  cx: StepContext,
  resource: "volume" | "image",
  id: string,
  remove: () => Promise<void>,
): Promise<void> {
  cx.emit(resource, id, "Removing");
  try {
    await remove();
  } catch (error) {
    if (error instanceof ConflictError)
      return void cx.emit(resource, id, "Warning", "Resource is still in use");
    if (!(error instanceof NotFoundError)) throw error;
  }
  cx.emit(resource, id, "Removed");
}

// --- containers -------------------------------------------------------------------------------

async function createContainer(cx: StepContext, op: OperationOf<"CreateContainer">): Promise<void> {
  cx.emit("container", op.display, op.recreate ? "Recreate" : "Creating");
  const spec = op.inheritFrom ? await inheritVolumes(cx, op.spec, op.inheritFrom) : op.spec;
  const created = await createTakingOver(cx, spec);
  faultPoint("container-created");
  if (op.recreate) faultPoint("recreate-tmp-created");
  for (const warning of created.warnings) cx.emit("container", op.display, "Warning", warning);
  if (op.copies.length > 0) {
    try {
      await copyIn(cx, created.id, op.copies);
    } catch (error) {
      // Undo what this step made: a container without its secrets must not be started later.
      await cx.runtime.containers.remove(created.id, { force: true }).catch(() => undefined);
      throw error;
    }
  }
  if (!op.recreate) cx.emit("container", op.display, "Created");
}

/**
 * Creates the container. A name already taken by a never-started container of the same replica
 * and config was made by a run killed while this very create was in flight: it may lack its
 * networks or files, so it is replaced (its anonymous volumes with it; inherited ones are named
 * and stay). Any other holder of the name is a real conflict.
 */
async function createTakingOver(
  cx: StepContext,
  spec: ContainerSpec,
): Promise<{ id: string; warnings: readonly string[] }> {
  try {
    return await cx.runtime.containers.create(spec);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const holder = await cx.runtime.containers.inspect(spec.name);
    const slot = [PROJECT_LABEL, SERVICE_LABEL, CONTAINER_NUMBER_LABEL, CONFIG_HASH_LABEL, REPLACE_LABEL];
    if (!holder || holder.status !== "created" || slot.some((k) => holder.labels[k] !== spec.labels[k])) {
      throw error;
    }
    await cx.runtime.containers.remove(holder.id, { force: true, volumes: true });
    return await cx.runtime.containers.create(spec);
  }
}

/**
 * The new container takes over the old one's anonymous volumes (Compose's default on recreate),
 * so data in a `VOLUME` of the image or an unnamed `volumes:` entry survives a config change.
 */
async function inheritVolumes(cx: StepContext, spec: ContainerSpec, from: string): Promise<ContainerSpec> {
  const old = await cx.runtime.containers.inspect(from);
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

async function copyIn(cx: StepContext, container: string, copies: readonly FileCopy[]): Promise<void> {
  await cx.runtime.containers.copyTo(container, "/", Readable.from([await tarOf(copies)]));
}

async function startContainer(cx: StepContext, op: OperationOf<"StartContainer">): Promise<void> {
  cx.emit("container", op.display, "Starting");
  if (op.copies && op.copies.length > 0) await copyIn(cx, op.container, op.copies);
  await cx.runtime.containers.start(op.container);
  faultPoint("container-started");
  cx.emit("container", op.display, "Started");
}

async function stopContainer(cx: StepContext, op: OperationOf<"StopContainer">): Promise<void> {
  if (!op.recreate) cx.emit("container", op.display, "Stopping");
  faultPoint("container-stopping");
  await goneIsDone(() =>
    cx.runtime.containers.stop(op.container, op.timeoutS !== undefined ? { timeoutS: op.timeoutS } : {}),
  );
  faultPoint("container-stopped");
  if (!op.recreate) cx.emit("container", op.display, "Stopped");
}

async function removeContainer(cx: StepContext, op: OperationOf<"RemoveContainer">): Promise<void> {
  if (!op.recreate) cx.emit("container", op.display, "Removing");
  await goneIsDone(() => cx.runtime.containers.remove(op.container, { force: true, volumes: op.volumes }));
  faultPoint("container-removed");
  if (!op.recreate) cx.emit("container", op.display, "Removed");
}

/** Runs a call on a container; one that is gone already counts as done. */
async function goneIsDone(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

async function renameContainer(cx: StepContext, op: OperationOf<"RenameContainer">): Promise<void> {
  await cx.runtime.containers.rename(op.container, op.to);
  faultPoint("container-renamed");
  if (op.recreate) cx.emit("container", op.to, "Recreated");
}

async function restartContainer(cx: StepContext, op: OperationOf<"RestartContainer">): Promise<void> {
  // Compose's two events for a restart (`restart.go`): Restarting, then Started.
  cx.emit("container", op.display, "Restarting");
  await cx.runtime.containers.restart(
    op.container,
    op.timeoutS !== undefined ? { timeoutS: op.timeoutS } : {},
  );
  cx.emit("container", op.display, "Started");
}

// --- waits ------------------------------------------------------------------------------------

async function waitCondition(cx: StepContext, op: OperationOf<"WaitCondition">): Promise<void> {
  const { options } = cx;
  const own =
    op.timeoutS !== undefined ? op.timeoutS * 1000 : (options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  const deadline = options.waitDeadline;
  const left = deadline === undefined ? own : Math.max(0, deadline.at - (options.now ?? Date.now)());
  const bounded = deadline !== undefined && left <= own ? deadline : undefined;
  try {
    await waitFor(
      {
        runtime: cx.runtime,
        project: options.project,
        watcher: cx.watcher,
        signal: options.signal,
        pollMs: options.pollMs,
        now: options.now,
        report: (container, status, text) => cx.emit("container", container, status, text),
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
    if (op.required || options.signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    cx.emit("container", op.service, "Warning", `${message}; not required, going on`);
  }
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
