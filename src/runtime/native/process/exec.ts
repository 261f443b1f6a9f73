/**
 * exec in a running container. Without a TTY, `runc exec` runs in the foreground as berth's child
 * with piped stdio: runc hands those pipes to the process, so stdout and stderr arrive apart,
 * `stdin.end()` closes the pipe and the process sees EOF, and runc's exit status is the process's
 * (128+n after signal n). runc's own messages go to a log file of the exec's own (`--log`; Node's
 * stdio "pipes" are socketpairs, which runc cannot reopen through /proc/self/fd), so they never mix
 * with the process's stderr, and a failed start is told apart from an exit 255.
 * `detach` runs `runc exec -d` with /dev/null for stdio (pipes would be held by the process and
 * never reach EOF). A TTY exec goes through conmon (tty-exec.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { ApiError, ConflictError, NotFoundError } from "../../errors.js";
import { hostCapabilities } from "../oci/host-capabilities.js";
import { resolveUser } from "../oci/user.js";
import { RUNC_PATH } from "../containers/runc.js";
import type { ExecSession, ExecSpec, OutputChunk } from "../../runtime.js";
import { ChunkQueue } from "./chunk-queue.js";
import { execSession } from "./session.js";
import { type ExecArgsInput, type ExecUser, runcExecArgs, startFailureExitCode } from "./exec-args.js";
import { isFrozen, running } from "./freezer.js";
import type { ProcessHandle } from "./handle.js";
import { runcErrorMessages } from "./runc-log.js";
import { ttyExec } from "./tty-exec.js";
import { markExecUse } from "../exec-marker.js";

/** Refuses, as Docker does, an exec in a container that is not running or is paused. */
export async function ensureRunning(handle: ProcessHandle): Promise<void> {
  if (!(await running(handle))) throw new ConflictError(`container ${handle.id} is not running`);
  if (await isFrozen(handle.cgroupPaths)) {
    throw new ConflictError(`container ${handle.id} is paused, unpause the container before exec`);
  }
}

export async function exec(handle: ProcessHandle, spec: ExecSpec): Promise<ExecSession> {
  if (spec.command.length === 0) throw new ApiError("exec needs a command");
  await ensureRunning(handle);
  // As Docker: names (and a uid's groups) come from the container's own /etc/passwd and /etc/group.
  const user: ExecUser | undefined =
    spec.user !== undefined && spec.user !== "" ? await resolveUser(spec.user, handle.rootfs) : undefined;
  const input: ExecArgsInput = {
    id: handle.id,
    spec,
    user,
    // A privileged exec gets every capability (that the host has), as a privileged container does.
    privilegedCaps: spec.privileged === true ? hostCapabilities() : [],
  };
  markExecUse(handle.bundle);
  if (spec.tty === true && spec.detach !== true) return ttyExec(handle, input);
  const logFile = path.join(tmpdir(), `berth-exec-${randomBytes(8).toString("hex")}.log`);
  const args = ["--root", handle.runcRoot, "--log", logFile, "--log-format", "json", ...runcExecArgs(input)];
  return spec.detach === true ? detachedExec(handle, args, logFile) : pipedExec(handle, args, spec, logFile);
}

/** runc's log of one exec, read once runc has exited, then removed. */
async function takeLog(logFile: string): Promise<string> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  await rm(logFile, { force: true });
  return text;
}

/** The error of a runc that could not exec at all (the container stopped in the meantime, …). */
function execError(handle: ProcessHandle, message: string): Error {
  const text = `exec in container ${handle.id} failed: ${message}`;
  if (/does not exist/i.test(message)) return new NotFoundError(text);
  if (/stopped|not running|paused/i.test(message)) return new ConflictError(text);
  return new ApiError(text);
}

async function detachedExec(
  handle: ProcessHandle,
  args: readonly string[],
  logFile: string,
): Promise<ExecSession> {
  const child = spawn(handle.runc ?? RUNC_PATH, args, { stdio: "ignore" });
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", (error) => reject(new ApiError(`cannot run runc: ${error.message}`)));
    child.on("close", (status) => resolve(status ?? 255));
  });
  const log = await takeLog(logFile);
  if (code !== 0) throw execError(handle, runcErrorMessages(log).at(-1) ?? `runc exited with status ${code}`);
  return emptySession();
}

function pipedExec(
  handle: ProcessHandle,
  args: readonly string[],
  spec: ExecSpec,
  logFile: string,
): ExecSession {
  const child = spawn(handle.runc ?? RUNC_PATH, args, {
    stdio: [spec.stdin === true ? "pipe" : "ignore", "pipe", "pipe"],
  });
  const { stdout, stderr } = child;
  const output = new ChunkQueue({
    onFull: () => {
      stdout?.pause();
      stderr?.pause();
    },
    onDrained: () => {
      stdout?.resume();
      stderr?.resume();
    },
  });
  stdout?.on("data", (data: Buffer) => output.push("stdout", data));
  stderr?.on("data", (data: Buffer) => output.push("stderr", data));
  // A process that stops reading its stdin makes our writes fail with EPIPE: not the session's end.
  child.stdin?.on("error", () => undefined);

  const exit = new Promise<number>((resolve) => {
    child.on("error", (error) => {
      output.fail(new ApiError(`cannot run runc: ${error.message}`));
      resolve(126);
    });
    child.on("close", (status, signal) => {
      void takeLog(logFile).then((text) => {
        const failure = runcErrorMessages(text).at(-1);
        if (failure !== undefined) {
          // The process never ran (runc said why on stderr): Docker's exit code for that.
          output.end();
          resolve(startFailureExitCode(failure));
          return;
        }
        output.end();
        resolve(status ?? (signal !== null ? 128 + constants.signals[signal] : 255));
      });
    });
  });

  return execSession(
    {
      output,
      stdin: child.stdin ?? undefined,
      resize: () => Promise.resolve(), // no terminal: nothing to resize
      release: () => {
        child.stdin?.destroy();
        stdout?.destroy();
        stderr?.destroy();
        // runc stays until the process ends (it relays its exit); berth need not wait for it.
        child.unref();
      },
      signal: spec.signal,
    },
    exit,
  );
}

/** A detached exec's session: no output, no stdin, exit code 0 (as Compose reports it). */
function emptySession(): ExecSession {
  return {
    output: (async function* (): AsyncGenerator<OutputChunk> {})(),
    stdin: undefined,
    resize: () => Promise.resolve(),
    close: () => undefined,
    exitCode: () => Promise.resolve(0),
  };
}
