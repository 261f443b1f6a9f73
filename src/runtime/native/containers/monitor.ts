/**
 * The per-container monitor: Debian's `conmon` (2.1.6), as Podman uses it. It runs `runc create`,
 * holds the container's stdio (pipes, or the PTY master with `-t`), writes the k8s-file log, reaps
 * the container's init and writes its exit code to `<exits>/<id>`; it double-forks and `setsid`s,
 * so it outlives the berth command that started it and a SIGKILL of berth never reaches it.
 *
 * Why conmon rather than a monitor of our own (measured on this host, Debian 12, 2 cores shared
 * with other work, load 6–9; medians):
 * - memory per idle container: conmon 2.1 MB RSS, 0.36 MB PSS (/proc/PID/smaps_rollup, 50
 *   containers running); a Node process per container holds ~40 MB RSS, and one Node process per
 *   project would still need conmon's parts Node lacks: being the init's subreaper (its exit code)
 *   and receiving a PTY master over SCM_RIGHTS;
 * - latency: create 26 ms, start (conmon spawn → `{"data":PID}` → `runc start`) 61–92 ms, against
 *   36–49 ms for a bare `runc run -d` of the same bundle in the same runs (create+start ≈ 2× bare
 *   runc: two runc calls and conmon's fork instead of one runc call); a Node supervisor per
 *   container costs ~130 ms to start.
 * See bench/README.md for the figures measured through this module.
 *
 * The protocol (conmon's src/conmon.c): fds 3 and 4 are the sync and start pipes, named by
 * `_OCI_SYNCPIPE`/`_OCI_STARTPIPE`. conmon waits for a byte on the start pipe, forks (its first
 * process exits at once), runs `runc create`, then writes `{"data": PID}` on the sync pipe, or
 * `{"data": -1, "message": "…"}` when the create failed. If the spawner dies before that message
 * the monitor dies too and leaves a `created` container without a monitor: the next command
 * collects it (see lifecycle's recovery).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ApiError } from "../../errors.js";
import { runcMessages } from "./runc.js";
import { errnoCode } from "../../../errno.js";
import { isRecord } from "../../../json-shape.js";

export const CONMON_PATH = "/usr/bin/conmon";

export interface MonitorOptions {
  readonly conmonPath?: string | undefined;
  readonly id: string;
  /** A short id for the attach socket's symlink (socket paths are limited to 108 bytes). */
  readonly uuid: string;
  readonly name: string;
  readonly runcPath: string;
  readonly runcArgs: readonly string[];
  /** Absolute; conmon writes `attach`, `ctl`, `winsz` and (`--persist-dir`) `exit`, `oom` into it. */
  readonly bundle: string;
  readonly pidFile: string;
  readonly logPath: string;
  /** `--log-size-max`, bytes (conmon truncates in place). */
  readonly logSizeMax?: number | undefined;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly conmonPidFile: string;
  readonly tty: boolean;
  readonly stdin: boolean;
  /** Keep the container's stdin open when an attached client half-closes (not for `stdin_once`). */
  readonly leaveStdinOpen: boolean;
  /** Bound on the whole create, so a stuck runc does not hang the caller. */
  readonly timeoutMs?: number | undefined;
  /**
   * FIFO stdio (docs/native-monitor.md, ../monitor/fifos.ts): the container's ends of its stdout
   * and stderr FIFOs. conmon is started with them as its own stdout/stderr and `--log-path
   * passthrough`, so runc hands them to the container and conmon holds none of its output: it only
   * reaps the init and writes the exit (and OOM) files; the log drainer writes the log. Not with
   * `tty` or `stdin` (conmon refuses a terminal in passthrough mode and makes no attach socket).
   */
  readonly fifos?: { readonly stdout: number; readonly stderr: number } | undefined;
}

/** runc's own error output in FIFO mode (its stderr would be the container's): read when the create fails. */
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

/** conmon's argument array (pure). */
export function monitorArgs(options: MonitorOptions): string[] {
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
    options.fifos ? "passthrough" : `k8s-file:${options.logPath}`,
    "--exit-dir",
    options.exitDir,
    "--persist-dir",
    options.bundle,
    "--log-level",
    "error",
  ];
  if (options.fifos) {
    for (const arg of [...options.runcArgs, "--log", runcLogFile(options.bundle)]) {
      args.push("--runtime-arg", arg);
    }
    return args;
  }
  args.push("--socket-dir-path", options.socketDir);
  for (const arg of options.runcArgs) args.push("--runtime-arg", arg);
  if (options.logSizeMax !== undefined && options.logSizeMax > 0) {
    args.push("--log-size-max", String(options.logSizeMax));
  }
  if (options.tty) args.push("--terminal");
  if (options.stdin) args.push("--stdin");
  if (options.stdin && options.leaveStdinOpen) args.push("--leave-stdin-open");
  return args;
}

/** What conmon wrote on the sync pipe: the container's PID, or why the create failed. */
export function parseSyncMessage(text: string): { pid: number } | { error: string } | undefined {
  const line = text.split("\n")[0]?.trim();
  if (!line) return undefined;
  try {
    const message: unknown = JSON.parse(line);
    if (!isRecord(message) || typeof message.data !== "number")
      return { error: `unexpected answer from conmon: ${line}` };
    if (message.data > 0) return { pid: message.data };
    const said = typeof message.message === "string" ? runcMessages(message.message).at(-1) : undefined;
    return { error: said ?? `conmon reported ${message.data}` };
  } catch {
    return { error: `unexpected answer from conmon: ${line}` };
  }
}

/**
 * Starts the monitor, which runs `runc create`; resolves with the container's PID once the
 * container is `created`. Nothing of the monitor stays tied to this process afterwards.
 */
export function startMonitor(options: MonitorOptions): Promise<{ pid: number }> {
  const conmon = options.conmonPath ?? CONMON_PATH;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { fifos } = options;
  if (fifos && (options.tty || options.stdin)) {
    return Promise.reject(
      new ApiError(`container ${options.name}: FIFO stdio is for containers without tty or stdin`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(conmon, monitorArgs(options), {
      detached: true,
      cwd: options.bundle,
      // FIFO mode: conmon's stdin (/dev/null), stdout and stderr become the container's.
      stdio: fifos
        ? ["ignore", fifos.stdout, fifos.stderr, "pipe", "pipe"]
        : ["ignore", "ignore", "pipe", "pipe", "pipe"],
      env: { ...process.env, _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4" },
    });
    const [, , stderrPipe, syncPipe, startPipe] = child.stdio;
    let stderr = "";
    let sync = "";
    let settled = false;
    const finish = (result: { pid: number } | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const pipe of [stderrPipe, syncPipe, startPipe]) pipe?.destroy();
      child.unref();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish(
          new ApiError(`the monitor of container ${options.name} did not report within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    child.on("error", (error) => {
      finish(
        errnoCode(error) === "ENOENT"
          ? new ApiError(`conmon was not found at ${conmon}`, { hint: "install Debian's conmon package" })
          : error,
      );
    });
    stderrPipe?.on("data", (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString("utf8");
    });
    stderrPipe?.on("error", () => undefined);
    startPipe?.on("error", () => undefined);
    syncPipe?.on("error", () => undefined);
    syncPipe?.on("data", (chunk: Buffer) => {
      sync += chunk.toString("utf8");
      if (!sync.includes("\n")) return;
      const parsed = parseSyncMessage(sync);
      if (parsed === undefined) return;
      if ("pid" in parsed) finish(parsed);
      else {
        const said = fifos ? (runcFailure(options.bundle) ?? parsed.error) : parsed.error;
        finish(new ApiError(`cannot create container ${options.name}: ${said}`));
      }
    });
    syncPipe?.on("end", () => {
      // The pipe closed with nothing said: conmon failed before running runc; its stderr says why.
      setTimeout(() => {
        // In FIFO mode conmon's stderr is the container's: runc's log file is all there is to read.
        if (fifos) {
          const said = runcFailure(options.bundle) ?? "no reason given";
          finish(new ApiError(`cannot create container ${options.name}: ${said}`));
          return;
        }
        const said = stderr
          .split("\n")
          .map((l) => l.replace(/^\[conmon:.\]:\s*/, "").trim())
          .filter((l) => l !== "" && !l.includes("oom_score_adj"))
          .at(-1);
        finish(new ApiError(`the monitor of container ${options.name} failed: ${said ?? "no reason given"}`));
      }, 20);
    });
    // The start byte lets conmon go on (it waits so a caller may move it into a cgroup first).
    if (startPipe && "write" in startPipe) startPipe.write("0");
  });
}
