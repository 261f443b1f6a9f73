/**
 * The `Containers` members of the native Runtime: records under `paths.containers`, a bundle per
 * container under `paths.runContainers`, its rootfs an overlay of the image's layers, run by runc
 * under a conmon monitor (./monitor.ts), observed from files and processes (./observe.ts).
 *
 * Every change to a container holds its lock (./lock.ts). The exit of a run is collected by whoever
 * first sees its exit file (any command, or an events reader): under the lock, once, it records the
 * exit code, finish time and OOM kill, deletes runc's state and the cgroup, and writes `die`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PassThrough, type Readable } from "node:stream";
import { ApiError, ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type {
  AttachOptions,
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  Containers,
  ExecSession,
  ExecSpec,
  LogLine,
  LogOptions,
  RuntimeEvent,
  Stats,
  StreamSession,
  WaitOptions,
  WaitResult,
} from "../../runtime.js";
import { statusText } from "../../status-text.js";
import { appendEvent, lastExitCode, matchesLabels } from "../events.js";
import type { NativePaths } from "../paths.js";
import { hostnameFile, hostsFile, resolvFile } from "./bundle-files.js";
import { cgroupDirs, cgroupsPath, cgroupVersion, oomKilledInCgroup, removeCgroups } from "./cgroups.js";
import type { ContainerDeps } from "./deps.js";
import { processStart, self, stillRuns, withLock } from "./lock.js";
import { ctlPath, logLimits, monitorSizeMax, rotateIfDue } from "./log-rotation.js";
import { readLog } from "./logs.js";
import { startMonitor } from "./monitor.js";
import { observe, type Observed, statusOf } from "./observe.js";
import {
  claimName,
  type ContainerLayout,
  containerLayout,
  type ContainerRecord,
  ID_PATTERN,
  listIds,
  NAME_PATTERN,
  nameOwner,
  newId,
  readRecord,
  releaseName,
  writeAtomic,
  writeRecord,
} from "./records.js";
import { createRunc, type Runc } from "./runc.js";
import { normalizeSignal, stopSignalName } from "./signals.js";
import { ensureSupervisor, superviseIfNeeded } from "../supervise/ensure.js";
import { needsSupervision, supervisedView } from "../supervise/state-files.js";

/** What process io (exec, attach, top, stats, copy) is given about a container. */
export interface ProcessTarget {
  readonly runcRoot: string;
  readonly id: string;
  /** The merged rootfs directory. */
  readonly rootfs: string;
  readonly cgroupPaths: readonly string[];
  /** The init's PID; undefined when the container does not run. */
  readonly pid: number | undefined;
  readonly bundle: string;
  readonly attachSocket: string;
  /** The monitor's k8s-file log of the main process. */
  readonly logPath: string;
  readonly tty: boolean;
  readonly running: boolean;
}

/** The process-io part (exec, attach, top, stats, copy), given per call what it needs. */
export interface ProcessIo {
  exec(target: ProcessTarget, spec: ExecSpec): Promise<ExecSession>;
  attach(target: ProcessTarget, options: AttachOptions): Promise<StreamSession>;
  resize(target: ProcessTarget, size: { readonly rows: number; readonly cols: number }): Promise<void>;
  top(
    target: ProcessTarget,
    psArgs?: string,
  ): Promise<{ readonly titles: readonly string[]; readonly processes: readonly (readonly string[])[] }>;
  stats(
    target: ProcessTarget,
    options: { readonly stream?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<Stats>;
  copyTo(target: ProcessTarget, path: string, tar: Readable): Promise<void>;
  copyFrom(target: ProcessTarget, path: string): Promise<Readable>;
}

export interface NativeContainersOptions {
  readonly paths: NativePaths;
  readonly deps: ContainerDeps;
  readonly runcPath?: string | undefined;
  readonly conmonPath?: string | undefined;
  readonly processIo?: ProcessIo | undefined;
}

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
}

/** An event's own part (its action and what goes with it), the common fields left out. */
type EventBody = RuntimeEvent extends infer E
  ? E extends RuntimeEvent
    ? Omit<E, "type" | "id" | "attributes" | "time">
    : never
  : never;

const DEFAULT_STOP_TIMEOUT_S = 10;
/** After SIGKILL, how long a process may take to be gone before stop reports failure. */
const KILL_WAIT_MS = 10_000;

function hostOrNone(spec: ContainerSpec): boolean {
  return spec.networkMode === "none" || spec.networkMode === "host";
}

function notFound(nameOrId: string): NotFoundError {
  return new NotFoundError(`No such container: ${nameOrId}`, { status: 404 });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function mounted(target: string): boolean {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .some((line) => line.split(" ")[4] === target);
  } catch {
    return false;
  }
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Not there.
  }
}

function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function createNativeContainers(options: NativeContainersOptions): NativeContainers {
  const { paths, deps } = options;
  const runc: Runc = createRunc(paths.runc, options.runcPath);
  const lockDir = paths.locks;
  const locked = <T>(id: string, work: () => Promise<T>): Promise<T> =>
    withLock(lockDir, `container-${id}`, work);
  const layoutOf = (id: string): ContainerLayout => containerLayout(paths, id);
  /** In this process, who waits for a container's next run to exist (attach before start). */
  const starting = new Map<string, Set<() => void>>();

  const event = (record: ContainerRecord, body: EventBody): void => {
    appendEvent(paths, {
      type: "container",
      id: record.id,
      attributes: { ...record.labels, name: record.name, image: record.image },
      time: new Date(),
      ...body,
    });
  };

  /** The record of a visible container, by id, name or unique id prefix. */
  const find = (nameOrId: string): ContainerRecord | undefined => {
    const visible = (record: ContainerRecord | undefined): ContainerRecord | undefined =>
      record && record.state !== "creating" ? record : undefined;
    if (ID_PATTERN.test(nameOrId)) return visible(readRecord(paths, nameOrId));
    const byName = nameOwner(paths, nameOrId.replace(/^\//, ""));
    if (byName !== undefined) {
      const record = visible(readRecord(paths, byName));
      if (record?.name === nameOrId.replace(/^\//, "")) return record;
    }
    if (/^[0-9a-f]{1,63}$/.test(nameOrId)) {
      const matches = listIds(paths).filter((id) => id.startsWith(nameOrId));
      if (matches.length === 1 && matches[0] !== undefined) return visible(readRecord(paths, matches[0]));
    }
    return undefined;
  };

  const mustFind = (nameOrId: string): ContainerRecord => {
    const record = find(nameOrId);
    if (!record) throw notFound(nameOrId);
    return record;
  };

  const update = (record: ContainerRecord, changes: Partial<ContainerRecord>): ContainerRecord => {
    const next = { ...record, ...changes } as ContainerRecord;
    writeRecord(paths, next);
    return next;
  };

  // --- the bundle and the rootfs -------------------------------------------------------------

  const ensureRootfs = async (record: ContainerRecord): Promise<void> => {
    const layout = layoutOf(record.id);
    if (mounted(layout.rootfs)) return;
    for (const dir of [layout.upper, layout.work, layout.rootfs])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    await deps.mountRootfs({
      layerDirs: record.layerDirs,
      upper: layout.upper,
      work: layout.work,
      target: layout.rootfs,
    });
  };

  const writeBundle = (record: ContainerRecord): void => {
    const layout = layoutOf(record.id);
    mkdirSync(layout.bundle, { recursive: true, mode: 0o700 });
    const hostFile = (file: string): string | undefined => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    };
    writeAtomic(layout.hosts, hostsFile(record.spec, record.hostname, hostFile("/etc/hosts")), 0o644);
    writeAtomic(layout.resolv, resolvFile(record.spec, hostFile("/etc/resolv.conf") ?? ""), 0o644);
    writeAtomic(layout.hostname, hostnameFile(record.hostname), 0o644);
    const config = deps.ociSpec({
      spec: record.spec,
      image: record.imageConfig,
      rootfs: layout.rootfs,
      user: record.user,
      hostsPath: layout.hosts,
      resolvPath: layout.resolv,
      hostnamePath: layout.hostname,
      hostname: record.hostname,
      initPath: record.spec.init ? deps.initPath : undefined,
      cgroupsPath: cgroupsPath(record.id),
      cgroupVersion: cgroupVersion(),
    });
    writeAtomic(layout.config, `${JSON.stringify(config, null, 1)}\n`);
  };

  /** Removes every trace of a container; each step tolerates what is already gone. */
  const teardown = async (record: ContainerRecord): Promise<void> => {
    const layout = layoutOf(record.id);
    const problems: string[] = [];
    const run = record.run;
    if (run?.monitorPid !== undefined && stillRuns({ pid: run.monitorPid, start: run.monitorStart })) {
      try {
        process.kill(run.monitorPid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    try {
      const state = existsSync(path.join(paths.runc, record.id)) ? await runc.state(record.id) : undefined;
      if (state && state.status !== "stopped") {
        // Left running by a remove or create killed half-way: its processes go first.
        await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
        for (let i = 0; i < 40 && (await runc.state(record.id))?.status !== "stopped"; i++) await sleep(25);
      }
      if (state) await runc.delete(record.id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) problems.push(errorMessage(error));
    }
    problems.push(...(await removeCgroups(record.id)).map((dir) => `cgroup ${dir} is busy`));
    if (mounted(layout.rootfs)) {
      try {
        await deps.unmountRootfs(layout.rootfs);
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
    removeFile(layout.exitFile);
    removeFile(layout.attachLink);
    rmSync(layout.bundle, { recursive: true, force: true });
    if (!mounted(layout.rootfs)) rmSync(layout.dir, { recursive: true, force: true });
    releaseName(paths, record.name, record.id);
    if (problems.length > 0) {
      throw new ApiError(`could not remove everything of container ${record.name}: ${problems.join("; ")}`);
    }
  };

  // --- collecting exits ----------------------------------------------------------------------

  /** Under the lock: records the end of the run (once) and cleans up runc's side of it. */
  const collectLocked = async (record: ContainerRecord): Promise<ContainerRecord> => {
    const layout = layoutOf(record.id);
    const observed = observe(record, layout);
    if (observed.kind !== "ended") return record;
    const oomKilled = existsSync(layout.oomFile) || oomKilledInCgroup(record.id);
    try {
      await runc.delete(record.id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) {
        // runc thinks it runs (its init is gone unseen): make sure, then delete.
        await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
        await runc.delete(record.id).catch(() => undefined);
      }
    }
    await removeCgroups(record.id);
    const next = update(record, {
      run: undefined,
      paused: false,
      exitCode: observed.exitCode ?? 255,
      finishedAt: observed.finishedAt.toISOString(),
      oomKilled,
      error:
        observed.exitCode === undefined
          ? "the container's monitor was gone when it exited: its exit code is unknown"
          : undefined,
    });
    if (oomKilled) event(next, { action: "oom" });
    event(next, { action: "die", exitCode: next.exitCode });
    if (record.spec.autoRemove) {
      await teardown(next);
      event(next, { action: "destroy" });
    }
    return next;
  };

  const collect = async (id: string): Promise<void> => {
    await locked(id, async () => {
      const record = readRecord(paths, id);
      if (record && record.state === "created") await collectLocked(record);
    });
  };

  const collectExits = async (): Promise<void> => {
    for (const id of listIds(paths)) {
      const record = readRecord(paths, id);
      if (record?.run && existsSync(layoutOf(id).exitFile)) await collect(id);
    }
  };

  /** Rotates the logs of running containers that reached their `max-size` (max-file > 1). */
  const rotateLogs = (): void => {
    for (const id of listIds(paths)) {
      const record = readRecord(paths, id);
      if (!record?.run || record.spec.logging?.options?.["max-file"] === undefined) continue;
      const layout = layoutOf(id);
      rotateIfDue(layout.log, ctlPath(layout.bundle), logLimits(record.spec.logging.options));
    }
  };

  /** Waits (bounded) until the run has ended; true when it did. */
  const waitEnded = async (record: ContainerRecord, ms: number): Promise<boolean> => {
    const layout = layoutOf(record.id);
    const deadline = Date.now() + ms;
    for (let i = 0; i < 100_000; i++) {
      const observed = observe(record, layout);
      if (observed.kind === "ended" || observed.kind === "idle") return true;
      if (Date.now() >= deadline) return false;
      await sleep(i < 20 ? 10 : 50);
    }
    return false;
  };

  // --- recovery --------------------------------------------------------------------------------

  const recover = async (): Promise<void> => {
    for (const id of listIds(paths)) {
      const record = readRecord(paths, id);
      if (record === undefined) {
        // A directory without a record: a create killed before its first write.
        const dir = layoutOf(id).dir;
        try {
          if (Date.now() - statSync(dir).mtimeMs > 60_000) rmSync(dir, { recursive: true, force: true });
        } catch {
          // Gone.
        }
        continue;
      }
      if (record.state === "created") continue;
      if (record.owner && stillRuns(record.owner)) continue;
      try {
        await locked(id, async () => {
          const current = readRecord(paths, id);
          if (!current || current.state === "created") return;
          if (current.owner && stillRuns(current.owner)) return;
          await teardown(current);
          if (current.state === "removing") event(current, { action: "destroy" });
        });
      } catch {
        // What cannot be cleaned up now (a busy mount) is tried again by the next command; it must
        // not fail this one.
      }
    }
  };

  // --- the state a caller sees -----------------------------------------------------------------

  const stateOf = (record: ContainerRecord, observed: Observed): ContainerState => {
    // What the supervisor (../supervise) says: this run's health, a restart waiting its delay.
    const supervised = supervisedView(paths, record);
    const waiting = observed.kind === "idle" || observed.kind === "unstarted";
    const status = waiting && supervised.restarting ? "restarting" : statusOf(observed);
    const exited = status === "exited" || status === "restarting";
    const exitCode = observed.kind === "ended" ? (observed.exitCode ?? 255) : record.exitCode;
    const finishedAt = observed.kind === "ended" ? observed.finishedAt : record.finishedAt;
    const monitorGone = observed.kind === "running" && !observed.monitor;
    return {
      id: record.id,
      name: record.name,
      image: record.image,
      imageId: record.imageId,
      labels: record.labels,
      created: new Date(record.created),
      status,
      running: status === "running" || status === "paused" || status === "restarting",
      exitCode: exited ? (exitCode ?? 0) : undefined,
      pid: observed.kind === "running" || observed.kind === "unstarted" ? observed.pid : undefined,
      startedAt: record.startedAt === undefined ? undefined : new Date(record.startedAt),
      finishedAt: finishedAt === undefined ? undefined : new Date(finishedAt),
      health: supervised.health,
      healthProbe: supervised.healthProbe,
      restartCount: record.restartCount,
      oomKilled: record.oomKilled,
      error: monitorGone ? "the container's monitor is gone: its output is no longer logged" : record.error,
      tty: record.spec.tty === true,
      stdinOpen: record.spec.stdinOpen === true,
      // `none` and `host` are what Docker lists as the container's network (no address of its own).
      networks: hostOrNone(record.spec)
        ? { [record.spec.networkMode ?? ""]: { networkId: "", ipAddress: "", aliases: [] } }
        : {},
      ports: record.spec.ports ?? [],
      mounts: (record.spec.mounts ?? []).map((m) => ({
        type: m.type,
        source: m.type === "tmpfs" ? "" : (m.source ?? ""),
        target: m.target,
        readOnly: m.readOnly === true,
      })),
    };
  };

  /** The state of a container, collecting its exit first when it ended unseen. */
  const current = async (
    record: ContainerRecord,
  ): Promise<{ record: ContainerRecord; observed: Observed }> => {
    let observed = observe(record, layoutOf(record.id));
    if (observed.kind === "ended") {
      await collect(record.id);
      const again = readRecord(paths, record.id);
      if (!again) return { record, observed };
      observed = observe(again, layoutOf(record.id));
      return { record: again, observed };
    }
    return { record, observed };
  };

  const commandOf = (record: ContainerRecord): string => {
    const entrypoint = record.spec.entrypoint ?? record.imageConfig.Entrypoint ?? [];
    const command = record.spec.command ?? (record.spec.entrypoint ? [] : (record.imageConfig.Cmd ?? []));
    return [...entrypoint, ...command].join(" ");
  };

  /** Polls the container's state until `condition` holds (bounded by the caller's signal). */
  const waitFor = async (
    first: ContainerRecord,
    nameOrId: string,
    waitOptions: WaitOptions,
  ): Promise<WaitResult> => {
    const condition = waitOptions.condition ?? "not-running";
    const signal = waitOptions.signal;
    const startFinished = first.finishedAt;
    let lastExit = first.exitCode ?? 0;
    for (let i = 0; ; i++) {
      signal?.throwIfAborted();
      const record = readRecord(paths, first.id);
      if (!record || record.state === "removing") {
        if (condition === "removed") {
          // Removed (perhaps auto-removed as it exited, unseen here): its last `die` says how it ended.
          return { exitCode: lastExitCode(paths, first.id) ?? lastExit };
        }
        if (!record) throw notFound(nameOrId);
      } else {
        const found = await current(record);
        const status = statusOf(found.observed);
        lastExit = found.record.exitCode ?? lastExit;
        const stopped = status !== "running" && status !== "paused";
        const finishedSince =
          found.record.finishedAt !== undefined && found.record.finishedAt !== startFinished;
        if (condition === "not-running" && stopped) {
          return { exitCode: status === "exited" ? (found.record.exitCode ?? 0) : 0 };
        }
        if (condition === "next-exit" && finishedSince && stopped)
          return { exitCode: found.record.exitCode ?? 0 };
      }
      await sleep(i < 20 ? 25 : 100, undefined, signal ? { signal } : undefined);
    }
  };

  /**
   * Attach to a container that does not run yet (Docker attaches before the start, so nothing the
   * process prints or reads is missed): a session at once, connected when the next run exists —
   * woken by a start in this process, or seen by polling when another process starts it. Input
   * written meanwhile is held and passed on; a never-started container's log is read from its start.
   */
  const attachToNextRun = (record: ContainerRecord, attachOptions: AttachOptions): StreamSession => {
    const stdin = attachOptions.stdin ? new PassThrough() : undefined;
    const signal = attachOptions.signal;
    let inner: StreamSession | undefined;
    let closed = false;
    const ready = (async (): Promise<StreamSession | undefined> => {
      let wake: (() => void) | undefined;
      const waiters = starting.get(record.id) ?? new Set<() => void>();
      starting.set(record.id, waiters);
      const waiter = (): void => wake?.();
      waiters.add(waiter);
      try {
        for (let i = 0; ; i++) {
          if (closed || signal?.aborted) return undefined;
          const now = readRecord(paths, record.id);
          if (!now || now.state !== "created") throw notFound(record.name);
          const observed = observe(now, layoutOf(now.id));
          if (now.run && observed.kind !== "idle") {
            inner = await processIo().attach(targetOf(now, observed), {
              ...attachOptions,
              logs: attachOptions.logs === true || record.startedAt === undefined,
            });
            if (closed) inner.close();
            if (stdin && inner.stdin) stdin.pipe(inner.stdin);
            return inner;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, i < 50 ? 20 : 200);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        waiters.delete(waiter);
        if (waiters.size === 0) starting.delete(record.id);
      }
    })();
    ready.catch(() => undefined);
    return {
      output: (async function* () {
        const session = await ready;
        if (session) yield* session.output;
      })(),
      stdin,
      resize: async (size) => {
        await (await ready)?.resize(size);
      },
      close: () => {
        closed = true;
        inner?.close();
      },
    };
  };

  // --- lifecycle -------------------------------------------------------------------------------

  /** A start by hand gives the restart policy a fresh count (Docker's ResetRestartManager(true)). */
  const freshCount = (record: ContainerRecord): ContainerRecord =>
    record.restartCount === 0 || observe(record, layoutOf(record.id)).kind === "running"
      ? record
      : update(record, { restartCount: 0 });

  /** A container with a restart policy or a healthcheck needs the supervisor (../supervise) running. */
  const superviseAfterStart = async (id: string): Promise<void> => {
    const record = readRecord(paths, id);
    // Not started, the supervisor is not there: the next command's list starts it (superviseIfNeeded).
    if (record && needsSupervision(record)) await ensureSupervisor(paths).catch(() => undefined);
  };

  const startLocked = async (record: ContainerRecord): Promise<void> => {
    const layout = layoutOf(record.id);
    let observed = observe(record, layout);
    if (observed.kind === "ended") {
      record = await collectLocked(record);
      observed = observe(record, layout);
    }
    if (observed.kind === "running") {
      if (observed.status === "paused") {
        throw new ConflictError(`cannot start a paused container ${record.name}, try unpause instead`);
      }
      return;
    }
    if (observed.kind === "unstarted" && record.run) {
      await runc.start(record.id);
      record = update(record, { startedAt: new Date().toISOString(), run: { ...record.run, started: true } });
      event(record, { action: "start" });
      return;
    }
    // A runc container left by a run nobody collected (its record lost the run): clear it. Its state
    // directory says so without spawning runc (a start must not pay ~10 ms to learn there is none).
    if (existsSync(path.join(paths.runc, record.id)) && (await runc.state(record.id))) {
      await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
      await runc.delete(record.id).catch(() => undefined);
    }
    await ensureRootfs(record);
    writeBundle(record);
    for (const file of [layout.exitFile, layout.oomFile, layout.pidFile, layout.monitorPidFile])
      removeFile(file);
    mkdirSync(paths.exits, { recursive: true });
    mkdirSync(layout.socketDir, { recursive: true });
    const logOptions = record.spec.logging?.options ?? {};
    const { pid } = await startMonitor({
      conmonPath: options.conmonPath,
      id: record.id,
      uuid: record.id.slice(0, 12),
      name: record.name,
      runcPath: runc.path,
      runcArgs: runc.globalArgs,
      bundle: layout.bundle,
      pidFile: layout.pidFile,
      logPath: layout.log,
      logSizeMax: monitorSizeMax(logLimits(logOptions)),
      exitDir: paths.exits,
      socketDir: layout.socketDir,
      conmonPidFile: layout.monitorPidFile,
      tty: record.spec.tty === true,
      stdin: record.spec.stdinOpen === true,
      leaveStdinOpen: record.spec.stdinOnce !== true,
    });
    const monitorPid = readPidFile(layout.monitorPidFile);
    record = update(record, {
      run: {
        pid,
        pidStart: processStart(pid),
        monitorPid,
        monitorStart: monitorPid === undefined ? undefined : processStart(monitorPid),
      },
      paused: false,
      stoppedByUser: false,
      error: undefined,
    });
    // Attaches waiting for this start connect now, before the process runs.
    for (const wake of starting.get(record.id) ?? []) wake();
    try {
      await runc.start(record.id);
    } catch (error) {
      await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
      await waitEnded(record, 5_000);
      await runc.delete(record.id).catch(() => undefined);
      removeFile(layout.exitFile);
      update(record, { run: undefined, error: errorMessage(error) });
      throw error;
    }
    record = update(record, {
      startedAt: new Date().toISOString(),
      run: record.run ? { ...record.run, started: true } : undefined,
    });
    event(record, { action: "start" });
  };

  const stopLocked = async (
    record: ContainerRecord,
    signalName: string,
    timeoutS: number,
  ): Promise<ContainerRecord> => {
    const observed = observe(record, layoutOf(record.id));
    if (observed.kind === "ended") return collectLocked(record);
    // A stop also cancels a restart the supervisor has waiting (Docker's stop of a restarting one).
    if (observed.kind === "idle")
      return record.startedAt === undefined ? record : update(record, { stoppedByUser: true });
    record = update(record, { stoppedByUser: true });
    const send = async (signal: string): Promise<void> => {
      event(record, { action: "kill", signal });
      try {
        await runc.kill(record.id, signal, { all: signal === "SIGKILL" });
      } catch (error) {
        // Exited meanwhile: what follows collects it.
        if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
      }
      // A frozen process gets its signal once thawed.
      if (record.paused) await runc.resume(record.id).catch(() => undefined);
    };
    if (signalName !== "SIGKILL") {
      await send(signalName);
      if (await waitEnded(record, timeoutS * 1000)) return collectLocked(record);
    }
    await send("SIGKILL");
    if (!(await waitEnded(record, KILL_WAIT_MS))) {
      throw new ApiError(`container ${record.name} did not exit within ${KILL_WAIT_MS / 1000}s of SIGKILL`);
    }
    return collectLocked(record);
  };

  const stopSignalOf = (record: ContainerRecord, given: string | undefined): string =>
    stopSignalName(given, record.spec.stopSignal, record.imageConfig.StopSignal);

  const targetOf = (record: ContainerRecord, observed: Observed): ProcessTarget => {
    const layout = layoutOf(record.id);
    return {
      runcRoot: paths.runc,
      id: record.id,
      rootfs: layout.rootfs,
      cgroupPaths: cgroupDirs(record.id),
      pid: observed.kind === "running" || observed.kind === "unstarted" ? observed.pid : undefined,
      bundle: layout.bundle,
      attachSocket: layout.attachSocket,
      logPath: layout.log,
      tty: record.spec.tty === true,
      running: observed.kind === "running",
    };
  };

  const processIo = (): ProcessIo => {
    if (!options.processIo)
      throw new ApiError("exec, attach, top, stats and copy are not available natively yet");
    return options.processIo;
  };

  const targetFor = async (nameOrId: string): Promise<ProcessTarget> => {
    const found = await current(mustFind(nameOrId));
    return targetOf(found.record, found.observed);
  };

  return {
    collectExits,
    rotateLogs,
    recover,
    target: targetFor,
    usesImage: (imageId) => listIds(paths).some((id) => readRecord(paths, id)?.imageId === imageId),

    async create(spec: ContainerSpec) {
      await recover();
      const id = newId();
      const name = spec.name === "" || spec.name === undefined ? `berth_${id.slice(0, 12)}` : spec.name;
      if (!NAME_PATTERN.test(name)) {
        throw new InvalidRequestError(
          `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
          { status: 400 },
        );
      }
      const image = await deps.resolveImage(spec.image).catch((error: unknown) => {
        if (error instanceof NotFoundError) {
          throw new NotFoundError(`No such image: ${spec.image}`, { status: 404, cause: error });
        }
        throw error;
      });
      const hostname = spec.hostname ?? (spec.networkMode === "host" ? os.hostname() : id.slice(0, 12));
      let record: ContainerRecord = {
        version: 1,
        id,
        name,
        state: "creating",
        owner: self,
        spec: { ...spec, name },
        image: spec.image,
        imageId: image.id,
        imageConfig: image.config,
        layerDirs: image.layerDirs,
        labels: { ...(image.config.Labels ?? {}), ...spec.labels },
        hostname,
        user: { uid: 0, gid: 0, additionalGids: [] },
        created: new Date().toISOString(),
        oomKilled: false,
        restartCount: 0,
      };
      writeRecord(paths, record);
      try {
        if (!claimName(paths, name, id)) {
          const holder = nameOwner(paths, name);
          const held = holder === undefined ? undefined : readRecord(paths, holder);
          const stale =
            !held ||
            held.name !== name ||
            (held.state !== "created" && !(held.owner && stillRuns(held.owner)));
          if (stale && holder !== undefined) releaseName(paths, name, holder);
          if (!stale || !claimName(paths, name, id)) {
            throw new ConflictError(
              `Conflict. The container name "/${name}" is already in use by container "${holder ?? "?"}". ` +
                "You have to remove (or rename) that container to be able to reuse that name.",
              { status: 409 },
            );
          }
        }
        await ensureRootfs(record);
        const layout = layoutOf(id);
        const user = await deps.resolveUser(spec.user ?? (image.config.User || undefined), layout.rootfs);
        record = { ...record, user };
        writeBundle(record);
        record = update(record, { state: "created", owner: undefined });
      } catch (error) {
        await teardown(record).catch(() => undefined);
        if (nameOwner(paths, name) === id) releaseName(paths, name, id);
        throw error;
      }
      event(record, { action: "create" });
      return { id, warnings: [] };
    },

    async start(nameOrId) {
      const { id } = mustFind(nameOrId);
      await locked(id, async () => {
        const record = readRecord(paths, id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        await startLocked(freshCount(record));
      });
      await superviseAfterStart(id);
    },

    async startByPolicy(id, finishedAt) {
      const started = await locked(id, async () => {
        const record = readRecord(paths, id);
        const due =
          record?.state === "created" &&
          record.run === undefined &&
          record.finishedAt === finishedAt &&
          record.stoppedByUser !== true;
        if (!due) return false;
        await startLocked(record);
        return true;
      });
      if (started) await superviseAfterStart(id);
      return started;
    },

    async stop(nameOrId, stopOptions = {}) {
      const found = mustFind(nameOrId);
      const signal = stopSignalOf(found, stopOptions.signal);
      const timeoutS = stopOptions.timeoutS ?? found.spec.stopTimeoutS ?? DEFAULT_STOP_TIMEOUT_S;
      await locked(found.id, async () => {
        const record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        const wasRunning = observe(record, layoutOf(record.id)).kind === "running";
        const next = await stopLocked(record, signal, Math.max(0, timeoutS));
        if (wasRunning) event(next, { action: "stop" });
      });
    },

    async kill(nameOrId, signal = "SIGKILL") {
      const found = mustFind(nameOrId);
      const name = normalizeSignal(signal);
      await locked(found.id, async () => {
        let record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        const observed = observe(record, layoutOf(record.id));
        if (observed.kind === "ended") {
          await collectLocked(record);
          return;
        }
        if (observed.kind !== "running") return;
        record = update(record, { stoppedByUser: true });
        event(record, { action: "kill", signal: name });
        try {
          await runc.kill(record.id, name, { all: name === "SIGKILL" });
        } catch (error) {
          if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
        }
      });
    },

    async restart(nameOrId, restartOptions = {}) {
      const found = mustFind(nameOrId);
      const signal = stopSignalOf(found, undefined);
      const timeoutS = restartOptions.timeoutS ?? found.spec.stopTimeoutS ?? DEFAULT_STOP_TIMEOUT_S;
      await locked(found.id, async () => {
        let record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        const wasRunning = observe(record, layoutOf(record.id)).kind === "running";
        record = await stopLocked(record, signal, Math.max(0, timeoutS));
        if (wasRunning) event(record, { action: "stop" });
        await startLocked(freshCount(record));
        const started = readRecord(paths, found.id);
        if (started) event(started, { action: "restart" });
      });
      await superviseAfterStart(found.id);
    },

    async pause(nameOrId) {
      const found = mustFind(nameOrId);
      await locked(found.id, async () => {
        const record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        const observed = observe(record, layoutOf(record.id));
        if (observed.kind !== "running") throw new ConflictError(`Container ${found.id} is not running`);
        if (observed.status === "paused") throw new ConflictError(`Container ${found.id} is already paused`);
        await runc.pause(record.id);
        event(update(record, { paused: true }), { action: "pause" });
      });
    },

    async unpause(nameOrId) {
      const found = mustFind(nameOrId);
      await locked(found.id, async () => {
        const record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        const observed = observe(record, layoutOf(record.id));
        if (observed.kind !== "running" || observed.status !== "paused") {
          throw new ConflictError(`Container ${found.id} is not paused`);
        }
        await runc.resume(record.id);
        event(update(record, { paused: false }), { action: "unpause" });
      });
    },

    async remove(nameOrId, removeOptions = {}) {
      const found = mustFind(nameOrId);
      await locked(found.id, async () => {
        let record = readRecord(paths, found.id);
        if (!record || record.state === "creating") throw notFound(nameOrId);
        const observed = observe(record, layoutOf(record.id));
        if (observed.kind === "running" || observed.kind === "unstarted") {
          // A run created but never started (its starter was killed) is `created` to the user: no force needed.
          if (observed.kind === "running" && !removeOptions.force) {
            throw new ConflictError(
              `You cannot remove a ${observed.status} container ${record.id}. ` +
                "Stop the container before attempting removal or force remove",
              { status: 409 },
            );
          }
          record = await stopLocked(record, "SIGKILL", 0);
        } else if (observed.kind === "ended") {
          record = await collectLocked(record);
        }
        record = update(record, { state: "removing", owner: self });
        await teardown(record);
        event(record, { action: "destroy" });
      });
    },

    async rename(nameOrId, newName) {
      const found = mustFind(nameOrId);
      if (!NAME_PATTERN.test(newName)) {
        throw new InvalidRequestError(
          `Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
          { status: 400 },
        );
      }
      await locked(found.id, async () => {
        const record = readRecord(paths, found.id);
        if (!record || record.state !== "created") throw notFound(nameOrId);
        if (record.name === newName) {
          throw new ConflictError(`Renaming a container with the same name as its current name`);
        }
        if (!claimName(paths, newName, record.id)) {
          throw new ConflictError(
            `Conflict. The container name "/${newName}" is already in use by container "${nameOwner(paths, newName) ?? "?"}". ` +
              "You have to remove (or rename) that container to be able to reuse that name.",
            { status: 409 },
          );
        }
        const next = update(record, { name: newName, spec: { ...record.spec, name: newName } });
        releaseName(paths, record.name, record.id);
        event(next, { action: "rename", oldName: record.name });
      });
    },

    async inspect(nameOrId) {
      const record = find(nameOrId);
      if (!record) return undefined;
      const found = await current(record);
      return stateOf(found.record, found.observed);
    },

    async list(filter = {}) {
      await recover();
      // A supervisor killed meanwhile is started again here: it picks up every container's state.
      await superviseIfNeeded(paths).catch(() => undefined);
      const now = new Date();
      const out: ContainerSummary[] = [];
      for (const id of listIds(paths)) {
        const record = readRecord(paths, id);
        if (!record || record.state !== "created") continue;
        if (filter.name !== undefined && record.name !== filter.name.replace(/^\//, "")) continue;
        if (!matchesLabels(record.labels, filter.labels)) continue;
        const found = await current(record);
        const state = stateOf(found.record, found.observed);
        if (!filter.all && !state.running) continue;
        out.push({
          id: state.id,
          name: state.name,
          image: state.image,
          imageId: state.imageId,
          labels: state.labels,
          status: state.status,
          statusText: statusText(state, now),
          health: state.running ? state.health : undefined,
          exitCode: state.status === "exited" ? state.exitCode : undefined,
          created: state.created,
          ports: state.ports,
          command: commandOf(found.record),
          networks: Object.keys(state.networks),
          mounts: (found.record.spec.mounts ?? []).flatMap((m) =>
            m.type === "bind" ? [{ source: m.source }] : [],
          ),
        });
      }
      out.sort((a, b) => b.created.getTime() - a.created.getTime());
      return out;
    },

    async wait(nameOrId, waitOptions = {}) {
      return waitFor(mustFind(nameOrId), nameOrId, waitOptions);
    },

    async armWait(nameOrId, waitOptions = {}) {
      // Armed at once: the record read now is what "next" and "removed" are measured against.
      const result = waitFor(mustFind(nameOrId), nameOrId, waitOptions);
      result.catch(() => undefined);
      return { result };
    },

    logs(nameOrId: string, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
      return (async function* () {
        const record = mustFind(nameOrId);
        const layout = layoutOf(record.id);
        yield* readLog(layout.log, logOptions, {
          running: async () => {
            const now = readRecord(paths, record.id);
            if (!now) return false;
            const kind = observe(now, layout).kind;
            return kind === "running" || kind === "unstarted";
          },
        });
      })();
    },

    async attach(nameOrId, attachOptions = {}) {
      const found = await current(mustFind(nameOrId));
      if (found.observed.kind === "running" || found.observed.kind === "unstarted") {
        return processIo().attach(targetOf(found.record, found.observed), attachOptions);
      }
      return attachToNextRun(found.record, attachOptions);
    },
    async exec(nameOrId, spec) {
      const target = await targetFor(nameOrId);
      if (!target.running) throw new ConflictError(`Container ${target.id} is not running`, { status: 409 });
      return processIo().exec(target, spec);
    },
    async resize(nameOrId, size) {
      const target = await targetFor(nameOrId);
      return processIo().resize(target, size);
    },
    async top(nameOrId, psArgs) {
      const target = await targetFor(nameOrId);
      if (!target.running) throw new ConflictError(`Container ${target.id} is not running`, { status: 409 });
      return processIo().top(target, psArgs);
    },
    stats(nameOrId, statsOptions = {}) {
      return (async function* () {
        const target = await targetFor(nameOrId);
        yield* processIo().stats(target, statsOptions);
      })();
    },
    async copyTo(nameOrId, where, tar) {
      const target = await targetFor(nameOrId);
      return processIo().copyTo(target, where, tar);
    },
    async copyFrom(nameOrId, where) {
      const target = await targetFor(nameOrId);
      return processIo().copyFrom(target, where);
    },
  };
}
