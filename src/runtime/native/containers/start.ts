/**
 * Starting a container's run: its rootfs mounted and bundle written anew, a conmon monitor spawned
 * (which runs `runc create`), then `runc start`. A failed start leaves no run behind.
 *
 * A container without `tty` and `stdin_open` gets FIFO stdio (docs/native-monitor.md): its output
 * goes through FIFOs it holds itself to the log drainer (../monitor/), so a SIGKILL of whoever
 * drains it loses nothing; the others keep conmon's pipes (a PTY, the attach socket for stdin).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError } from "../../errors.js";
import { markDnsRunning } from "../dns/index.js";
import { startFifoMonitor } from "../monitor/fifo-monitor.js";
import { makeStdioFifos } from "../monitor/fifos.js";
import { awaitPreviousDrain, reattachDrainer } from "../monitor/drained.js";
import { holdForDrainer } from "../monitor/hold.js";
import { ensureSupervisor } from "../supervise/ensure.js";
import { needsSupervision } from "../supervise/state-files.js";
import { type ContainerContext, errorMessage } from "./context.js";
import { collectLocked, waitEnded } from "./exits.js";
import { type ProcessIdentity, processStart } from "./lock.js";
import { logLimits, monitorSizeMax } from "./log-rotation.js";
import { markRunStart } from "./logs.js";
import { publishPorts, unpublishPorts } from "./networking.js";
import { startMonitor } from "./monitor.js";
import { observe } from "./observe.js";
import { type ContainerRecord, readRecord } from "./records.js";
import { ensureRootfs, writeBundle } from "./rootfs.js";
import { startCreated } from "./start-created.js";
import { removeFile } from "./teardown.js";

/** The longest a start waits for the attaches made before it to connect. */
const ATTACH_WAIT_MS = 2_000;

function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A start by hand gives the restart policy a fresh count (Docker's ResetRestartManager(true)). */
export function freshCount(ctx: ContainerContext, record: ContainerRecord): ContainerRecord {
  return record.restartCount === 0 || observe(record, ctx.layoutOf(record.id)).kind === "running"
    ? record
    : ctx.update(record, { restartCount: 0 });
}

/** A container with a restart policy or a healthcheck needs the supervisor (../supervise) running. */
export async function superviseAfterStart(ctx: ContainerContext, id: string): Promise<void> {
  const record = readRecord(ctx.paths, id);
  // Not started, the supervisor is not there: the next command's list starts it (superviseIfNeeded).
  if (record && needsSupervision(record)) await ensureSupervisor(ctx.paths).catch(() => undefined);
}

export async function startLocked(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const { paths, runc } = ctx;
  const layout = ctx.layoutOf(record.id);
  let observed = observe(record, layout);
  if (observed.kind === "ended") {
    record = await collectLocked(ctx, record);
    observed = observe(record, layout);
  }
  if (observed.kind === "running") {
    if (observed.status === "paused") {
      throw new ConflictError(`cannot start a paused container ${record.name}, try unpause instead`);
    }
    // A start of a running container is a command's re-attach too.
    reattachDrainer(paths);
    return;
  }
  if (observed.kind === "unstarted" && record.run) {
    markDnsRunning(paths, record.id, true);
    await startRun(ctx, record.id, { pid: record.run.pid, start: record.run.pidStart });
    record = ctx.update(record, {
      startedAt: new Date().toISOString(),
      run: { ...record.run, started: true },
    });
    ctx.event(record, { action: "start" });
    reattachDrainer(paths);
    return;
  }
  // A runc container left by a run nobody collected (its record lost the run): clear it. Its state
  // directory says so without spawning runc (a start must not pay ~10 ms to learn there is none).
  if (existsSync(path.join(paths.runc, record.id)) && (await runc.state(record.id))) {
    await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
    await runc.delete(record.id).catch(() => undefined);
  }
  // Its host ports are bound before its process exists, as Docker's are; a port taken meanwhile
  // fails the start with nothing run.
  await publishPorts(ctx, record);
  try {
    await startRunFresh(ctx, record);
  } catch (error) {
    await unpublishPorts(ctx, record).catch(() => undefined);
    throw error;
  }
}

/** A new run of a container with none: bundle, monitor, `runc start`; nothing of it left on failure. */
async function startRunFresh(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const { paths, runc } = ctx;
  const layout = ctx.layoutOf(record.id);
  const fifo = record.spec.tty !== true && record.spec.stdinOpen !== true;
  // The previous run's last output goes to the log before this run's start mark.
  if (fifo) await awaitPreviousDrain(paths, layout.bundle);
  // A first run's FIFOs: spares from the pool, or one `mkfifo` beside the rootfs mount and bundle.
  if (fifo) mkdirSync(layout.bundle, { recursive: true, mode: 0o700 });
  const fifos = fifo ? makeStdioFifos(layout.bundle, path.join(paths.run, "fifo-pool")) : undefined;
  fifos?.catch(() => undefined);
  await ensureRootfs(ctx, record);
  await writeBundle(ctx, record);
  for (const file of [layout.exitFile, layout.oomFile, layout.pidFile, layout.monitorPidFile])
    removeFile(file);
  mkdirSync(paths.exits, { recursive: true });
  const logOptions = record.spec.logging?.options ?? {};
  const limits = logLimits(logOptions);
  markRunStart(layout.log);
  const common = {
    conmonPath: ctx.conmonPath,
    id: record.id,
    uuid: record.id.slice(0, 12),
    name: record.name,
    runcPath: runc.path,
    runcArgs: runc.globalArgs,
    bundle: layout.bundle,
    pidFile: layout.pidFile,
    logPath: layout.log,
    exitDir: paths.exits,
    conmonPidFile: layout.monitorPidFile,
  };
  if (!fifo) mkdirSync(layout.socketDir, { recursive: true });
  const { pid } = fifo
    ? await startFifoMonitor({
        ...common,
        logMaxSize: limits.maxSize,
        logMaxFiles: limits.maxFiles,
        made: fifos,
      })
    : await startMonitor({
        ...common,
        logSizeMax: monitorSizeMax(limits),
        socketDir: layout.socketDir,
        tty: record.spec.tty === true,
        stdin: record.spec.stdinOpen === true,
        leaveStdinOpen: record.spec.stdinOnce !== true,
      });
  const monitorPid = readPidFile(layout.monitorPidFile);
  record = ctx.update(record, {
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
  // Attaches waiting for this start connect now, before the process runs (as Docker's attach
  // before a start): awaited, bounded, since a stuck one must not hold the start.
  const attaching = [...(ctx.starting.get(record.id) ?? [])].map((wake) => wake());
  if (attaching.length > 0)
    await Promise.race([Promise.allSettled(attaching), sleep(ATTACH_WAIT_MS, undefined, { ref: false })]);
  // The FIFOs hold the output until a drainer has them: this process keeps them open till then
  // (../monitor/hold.ts), and a drainer is told (or spawned) once the container runs.
  const release = fifo ? holdForDrainer(layout.bundle, pid) : undefined;
  // Its names answer from before its process runs, so a peer started with it finds it at once.
  markDnsRunning(paths, record.id, true);
  try {
    await startRun(ctx, record.id, { pid, start: record.run?.pidStart });
  } catch (error) {
    markDnsRunning(paths, record.id, false);
    release?.();
    await runc.kill(record.id, "SIGKILL", { all: true }).catch(() => undefined);
    await waitEnded(ctx, record, 5_000);
    await runc.delete(record.id).catch(() => undefined);
    removeFile(layout.exitFile);
    ctx.update(record, { run: undefined, error: errorMessage(error) });
    throw error;
  }
  record = ctx.update(record, {
    startedAt: new Date().toISOString(),
    run: record.run ? { ...record.run, started: true } : undefined,
  });
  ctx.event(record, { action: "start" });
  if (fifo && reattachDrainer(paths) === undefined) release?.();
}

/** `runc start`, done in this process when runc's exec FIFO is there (./start-created.ts). */
async function startRun(ctx: ContainerContext, id: string, init: ProcessIdentity): Promise<void> {
  if (!(await startCreated(ctx.paths.runc, id, init))) await ctx.runc.start(id);
}
