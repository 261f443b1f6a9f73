/**
 * A container started under conmon in `passthrough` mode with FIFO stdio (docs/native-monitor.md):
 * conmon stays the init's subreaper and writes the exit code (and the OOM file) as today, but holds
 * none of the container's output. Its stdout/stderr are FIFOs the container holds read-write
 * (./fifos.ts), drained into the k8s-file log by the log drainer (./log-drainer.ts), which can be
 * SIGKILLed and started again without losing the container or its output.
 *
 * conmon (src/conmon.c, 2.1.6) with `--log-path passthrough` gives runc its own fds 0–2 (so runc
 * hands them to the container, `terminal: false`), then points its own at /dev/null; it makes no
 * attach socket or ctl FIFO and refuses a TTY. So this monitor is for containers without `tty` and
 * without `stdin_open`; those keep the pipe-holding monitor (../containers/monitor.ts).
 *
 * runc's own error output would go to the container's stderr FIFO: runc is given `--log` to a file
 * in the bundle, read when the create fails (conmon has no message then: it did not hold stderr).
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ApiError } from "../../errors.js";
import { CONMON_PATH, parseSyncMessage } from "../containers/monitor.js";
import { runcMessages } from "../containers/runc.js";
import { clearDrain, writeDrainSpec } from "./drain-spec.js";
import { makeStdioFifos, openContainerEnds, removeStdioFifos } from "./fifos.js";

export interface FifoMonitorOptions {
  readonly conmonPath?: string | undefined;
  readonly id: string;
  readonly uuid: string;
  readonly name: string;
  readonly runcPath: string;
  /** runc's global arguments (`--root …`); `--log` to the bundle is added. */
  readonly runcArgs: readonly string[];
  /** Absolute; holds config.json, the FIFOs, the drain spec and (`--persist-dir`) `oom`. */
  readonly bundle: string;
  readonly pidFile: string;
  readonly conmonPidFile: string;
  readonly exitDir: string;
  /** The k8s-file log the drainer appends to. */
  readonly logPath: string;
  /** `max-size` (bytes) and `max-file` of the service's logging options, applied by the drainer. */
  readonly logMaxSize?: number | undefined;
  readonly logMaxFiles?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/** conmon's argument array (pure). */
export function fifoMonitorArgs(options: FifoMonitorOptions): string[] {
  const args = [
    "--api-version",
    "1",
    "--cid",
    options.id,
    "--cuuid",
    options.uuid,
    "--name",
    options.name,
    "--runtime",
    options.runcPath,
    "--bundle",
    options.bundle,
    "--container-pidfile",
    options.pidFile,
    "--conmon-pidfile",
    options.conmonPidFile,
    "--log-path",
    "passthrough",
    "--exit-dir",
    options.exitDir,
    "--persist-dir",
    options.bundle,
    "--log-level",
    "error",
  ];
  for (const arg of [...options.runcArgs, "--log", runcLogFile(options.bundle)])
    args.push("--runtime-arg", arg);
  return args;
}

export function runcLogFile(bundle: string): string {
  return path.join(bundle, "runc-create.log");
}

function runcFailure(bundle: string): string | undefined {
  try {
    return runcMessages(readFileSync(runcLogFile(bundle), "utf8")).at(-1);
  } catch {
    return undefined;
  }
}

/**
 * Creates the container (`runc create` under conmon); resolves with its PID once it is `created`,
 * with the drain spec written so the log drainer picks its FIFOs up. The caller then runs
 * `runc start` and makes sure a drainer runs (`ensureLogDrainer`).
 */
export async function startFifoMonitor(options: FifoMonitorOptions): Promise<{ pid: number }> {
  clearDrain(options.bundle);
  rmSync(runcLogFile(options.bundle), { force: true });
  const fifos = await makeStdioFifos(options.bundle);
  const ends = openContainerEnds(fifos);
  let devNull: number | undefined;
  try {
    devNull = openSync("/dev/null", "r");
    const { pid } = await spawnConmon(options, [devNull, ends.stdout, ends.stderr]);
    writeDrainSpec(options.bundle, {
      logPath: options.logPath,
      pid,
      maxSize: options.logMaxSize,
      maxFiles: options.logMaxFiles,
    });
    return { pid };
  } catch (error) {
    // Nothing ran: the FIFOs go with whatever runc said into them.
    removeStdioFifos(options.bundle);
    throw error;
  } finally {
    ends.close();
    if (devNull !== undefined) closeSync(devNull);
  }
}

function spawnConmon(
  options: FifoMonitorOptions,
  stdio: readonly [number, number, number],
): Promise<{ pid: number }> {
  const conmon = options.conmonPath ?? CONMON_PATH;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(conmon, fifoMonitorArgs(options), {
      detached: true,
      cwd: options.bundle,
      stdio: [...stdio, "pipe", "pipe"],
      env: { ...process.env, _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4" },
    });
    const [, , , syncPipe, startPipe] = child.stdio;
    let sync = "";
    let settled = false;
    const finish = (result: { pid: number } | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const pipe of [syncPipe, startPipe]) pipe?.destroy();
      child.unref();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const failed = (said: string | undefined): Error =>
      new ApiError(
        `cannot create container ${options.name}: ${runcFailure(options.bundle) ?? said ?? "no reason given"}`,
      );
    const timer = setTimeout(
      () =>
        finish(
          new ApiError(`the monitor of container ${options.name} did not report within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish(
        error.code === "ENOENT"
          ? new ApiError(`conmon was not found at ${conmon}`, { hint: "install Debian's conmon package" })
          : error,
      );
    });
    startPipe?.on("error", () => undefined);
    syncPipe?.on("error", () => undefined);
    syncPipe?.on("data", (chunk: Buffer) => {
      sync += chunk.toString("utf8");
      if (!sync.includes("\n")) return;
      const parsed = parseSyncMessage(sync);
      if (parsed === undefined) return;
      finish("pid" in parsed ? parsed : failed(parsed.error));
    });
    // Closed with nothing said: conmon failed before runc ran (its stderr is the FIFO: nothing to read).
    syncPipe?.on("end", () => setTimeout(() => finish(failed(undefined)), 20));
    if (startPipe && "write" in startPipe) startPipe.write("0");
  });
}
