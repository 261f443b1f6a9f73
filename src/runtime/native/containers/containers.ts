/**
 * The `Containers` members of the native Runtime: records under `paths.containers`, a bundle per
 * container under `paths.runContainers`, its rootfs an overlay of the image's layers, run by runc
 * under a conmon monitor (./monitor.ts), observed from files and processes (./observe.ts).
 *
 * Every change to a container holds its lock (./lock.ts). The exit of a run is collected by whoever
 * first sees its exit file (./exits.ts). This module only assembles the parts: create (./create.ts),
 * start/stop/kill/restart (./lifecycle.ts), pause (./pause.ts), remove (./remove.ts), rename
 * (./names.ts), inspect/list views (./views.ts), wait (./wait.ts), logs (./logs.ts), and process io
 * through ./process-target.ts.
 */
import { ConflictError } from "../../errors.js";
import type { ContainerSummary, Containers, EndpointSpec, LogLine, LogOptions } from "../../runtime.js";
import { matchesLabels } from "../events.js";
import { drainOwed, reattachDrainer, untilDrained } from "../monitor/drained.js";
import { superviseIfNeeded } from "../supervise/ensure.js";
import { attachToNextRun } from "./attach-next-run.js";
import { containerContext, type NativeContainersOptions } from "./context.js";
import { create } from "./create.js";
import { collectExits, current } from "./exits.js";
import { kill, restart, start, startByPolicy, stop } from "./lifecycle.js";
import { rotateLogs } from "./log-rotation.js";
import { readLog } from "./logs.js";
import { rename } from "./names.js";
import { connectNetwork, disconnectNetwork } from "./networking.js";
import { observe } from "./observe.js";
import { pause, unpause } from "./pause.js";
import { processIoOf, type ProcessTarget, targetOf } from "./process-target.js";
import { listIds, readRecord } from "./records.js";
import { recover } from "./recover.js";
import { remove } from "./remove.js";
import { stateOf, summaryOf } from "./views.js";
import { waitFor } from "./wait.js";

export type { NativeContainersOptions } from "./context.js";
export type { ProcessIo, ProcessTarget } from "./process-target.js";

export interface NativeContainers extends Containers {
  /** Collects every run that ended and nobody has collected (writes their `die` events). */
  collectExits(): Promise<void>;
  /** Rotates the logs that reached their `max-size` (for whoever runs between commands). */
  rotateLogs(): void;
  /** Removes what creates and removes killed half-way left. */
  recover(): Promise<void>;
  /** What process io needs about a container (NotFoundError when there is none). */
  target(nameOrId: string): Promise<ProcessTarget>;
  /** Whether any container (in any state) was made from image `imageId`. */
  usesImage(imageId: string): boolean;
  /**
   * The supervisor's restart (../supervise): starts the container only while its exit at
   * `finishedAt` is still its last word (not stopped by hand, not started meanwhile), keeping the
   * restart count, which the supervisor keeps; false when it did not start it.
   */
  startByPolicy(id: string, finishedAt: string): Promise<boolean>;
  /** Runtime.networks.connect and disconnect, under the container's lock (./networking.ts). */
  connectNetwork(network: string, nameOrId: string, endpoint?: EndpointSpec): Promise<void>;
  disconnectNetwork(network: string, nameOrId: string): Promise<void>;
}

export function createNativeContainers(options: NativeContainersOptions): NativeContainers {
  const ctx = containerContext(options);
  const { paths } = ctx;

  const targetFor = async (nameOrId: string): Promise<ProcessTarget> => {
    const found = await current(ctx, ctx.mustFind(nameOrId));
    return targetOf(ctx, found.record, found.observed);
  };
  const runningTarget = async (nameOrId: string): Promise<ProcessTarget> => {
    const target = await targetFor(nameOrId);
    if (!target.running) throw new ConflictError(`Container ${target.id} is not running`, { status: 409 });
    return target;
  };

  return {
    collectExits: () => collectExits(ctx),
    rotateLogs: () => rotateLogs(paths),
    recover: () => recover(ctx),
    target: targetFor,
    usesImage: (imageId) => listIds(paths).some((id) => readRecord(paths, id)?.imageId === imageId),
    create: (spec) => create(ctx, spec),
    start: (nameOrId) => start(ctx, nameOrId),
    startByPolicy: (id, finishedAt) => startByPolicy(ctx, id, finishedAt),
    stop: (nameOrId, stopOptions) => stop(ctx, nameOrId, stopOptions),
    kill: (nameOrId, signal) => kill(ctx, nameOrId, signal),
    restart: (nameOrId, restartOptions) => restart(ctx, nameOrId, restartOptions),
    pause: (nameOrId) => pause(ctx, nameOrId),
    unpause: (nameOrId) => unpause(ctx, nameOrId),
    remove: (nameOrId, removeOptions) => remove(ctx, nameOrId, removeOptions),
    rename: (nameOrId, newName) => rename(ctx, nameOrId, newName),
    connectNetwork: (network, nameOrId, endpoint) => connectNetwork(ctx, network, nameOrId, endpoint),
    disconnectNetwork: (network, nameOrId) => disconnectNetwork(ctx, network, nameOrId),

    async inspect(nameOrId) {
      const record = ctx.find(nameOrId);
      if (!record) return undefined;
      const found = await current(ctx, record);
      const networking = await ctx.deps.networks?.containerNetworking(record.id);
      return stateOf(paths, found.record, found.observed, networking);
    },

    async list(filter = {}) {
      await recover(ctx);
      // A supervisor killed meanwhile is started again here: it picks up every container's state.
      await superviseIfNeeded(paths).catch(() => undefined);
      reattachDrainer(paths);
      const now = new Date();
      const networking = await ctx.deps.networks?.allNetworking();
      const out: ContainerSummary[] = [];
      for (const id of listIds(paths)) {
        const record = readRecord(paths, id);
        if (!record || record.state !== "created") continue;
        if (filter.name !== undefined && record.name !== filter.name.replace(/^\//, "")) continue;
        if (!matchesLabels(record.labels, filter.labels)) continue;
        const found = await current(ctx, record);
        const state = stateOf(paths, found.record, found.observed, networking?.get(record.id));
        if (!filter.all && !state.running) continue;
        out.push(summaryOf(found.record, state, now));
      }
      out.sort((a, b) => b.created.getTime() - a.created.getTime());
      return out;
    },

    async wait(nameOrId, waitOptions = {}) {
      return waitFor(ctx, ctx.mustFind(nameOrId), nameOrId, waitOptions);
    },

    async armWait(nameOrId, waitOptions = {}) {
      // Armed at once: the record read now is what "next" and "removed" are measured against.
      const result = waitFor(ctx, ctx.mustFind(nameOrId), nameOrId, waitOptions);
      result.catch(() => undefined);
      return { result };
    },

    logs(nameOrId: string, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
      return (async function* () {
        const record = ctx.mustFind(nameOrId);
        const layout = ctx.layoutOf(record.id);
        const running = (): boolean => {
          const now = readRecord(paths, record.id);
          const kind = now && observe(now, layout).kind;
          return kind === "running" || kind === "unstarted";
        };
        // FIFO stdio (../monitor/drained.ts): a run's output is whole once drained, not at its exit.
        reattachDrainer(paths);
        if (!running()) await untilDrained(paths, layout.bundle);
        const owed = drainOwed(paths, layout.bundle);
        yield* readLog(layout.log, logOptions, { running: async () => running() || owed() });
      })();
    },

    async attach(nameOrId, attachOptions = {}) {
      reattachDrainer(paths);
      const found = await current(ctx, ctx.mustFind(nameOrId));
      if (found.observed.kind === "running" || found.observed.kind === "unstarted") {
        return processIoOf(ctx).attach(targetOf(ctx, found.record, found.observed), attachOptions);
      }
      return attachToNextRun(ctx, found.record, attachOptions);
    },
    async exec(nameOrId, spec) {
      const target = await runningTarget(nameOrId);
      return processIoOf(ctx).exec(target, spec);
    },
    async resize(nameOrId, size) {
      const target = await targetFor(nameOrId);
      return processIoOf(ctx).resize(target, size);
    },
    async top(nameOrId, psArgs) {
      const target = await runningTarget(nameOrId);
      return processIoOf(ctx).top(target, psArgs);
    },
    stats(nameOrId, statsOptions = {}) {
      return (async function* () {
        const target = await targetFor(nameOrId);
        yield* processIoOf(ctx).stats(target, statsOptions);
      })();
    },
    async copyTo(nameOrId, where, tar) {
      const target = await targetFor(nameOrId);
      return processIoOf(ctx).copyTo(target, where, tar);
    },
    async copyFrom(nameOrId, where) {
      const target = await targetFor(nameOrId);
      return processIoOf(ctx).copyFrom(target, where);
    },
  };
}
