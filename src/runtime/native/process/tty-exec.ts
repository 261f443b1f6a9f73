/**
 * A TTY exec, run through conmon as Podman runs one. `runc exec -t` makes the PTY inside the
 * container (so `tty` answers /dev/pts/N and the process has it as its controlling terminal, which
 * is what makes a resize reach it as SIGWINCH) and sends the master over a console socket with
 * SCM_RIGHTS, which Node cannot receive; conmon receives it, and berth talks to the terminal
 * through conmon's attach socket (attach-socket.ts) and resizes it through its `ctl` FIFO.
 *
 * The protocol (conmon's src/conmon.c, `--exec --exec-attach --sync`): fds 3, 4, 5 are the sync,
 * start and attach pipes. conmon reads a first byte on the start pipe, sets up `<dir>/attach`,
 * writes `{"data": 0}` on the attach pipe, and waits for a second byte before running runc, so no
 * output is lost while berth connects. The sync pipe then carries `{"data": PID}` once the process
 * runs (or a negative number and a message when it could not start), and `{"data": EXIT}` at its end.
 * Measured on this host: ~40 ms from spawn to the process's pid.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { ApiError } from "../../errors.js";
import type { ExecSession } from "../../runtime.js";
import { CONMON_PATH } from "../containers/monitor.js";
import { createRunc, RUNC_PATH } from "../containers/runc.js";
import { connectAttach } from "./attach-socket.js";
import { ChunkQueue } from "./chunk-queue.js";
import { resizeTerminal } from "./ctl.js";
import { type ExecArgsInput, type OciProcess, startFailureExitCode, ttyExecProcess } from "./exec-args.js";
import type { ProcessHandle } from "./handle.js";
import { alive } from "./freezer.js";
import { execSession } from "./session.js";

/** How long an ended exec waits for conmon to leave and its directory to be removed. */
const DIR_REMOVAL_MS = 2_000;

/** How long conmon may take to set up the session (it answers in tens of milliseconds). */
const SETUP_TIMEOUT_MS = 15_000;

interface SyncMessage {
  readonly data: number;
  readonly message?: string | undefined;
}

/** conmon's pipe messages: one JSON object per line, possibly several in one read. */
class MessageReader {
  private buffer = "";
  private readonly waiting: ((message: SyncMessage | undefined) => void)[] = [];
  private readonly ready: (SyncMessage | undefined)[] = [];

  constructor(stream: Readable) {
    stream.setEncoding("utf8");
    stream.on("data", (text: string) => {
      this.buffer += text;
      for (let at = this.buffer.indexOf("\n"); at >= 0; at = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, at).trim();
        this.buffer = this.buffer.slice(at + 1);
        if (line !== "") this.deliver(parseMessage(line));
      }
    });
    const end = (): void => {
      const rest = this.buffer.trim();
      this.buffer = "";
      if (rest !== "") this.deliver(parseMessage(rest));
      this.deliver(undefined);
    };
    stream.on("end", end);
    stream.on("error", end);
  }

  private deliver(message: SyncMessage | undefined): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(message);
    else this.ready.push(message);
  }

  /** The next message; undefined once the pipe has closed. */
  next(): Promise<SyncMessage | undefined> {
    if (this.ready.length > 0) return Promise.resolve(this.ready.shift());
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

function parseMessage(line: string): SyncMessage | undefined {
  try {
    const value = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof value.data !== "number") return undefined;
    return { data: value.data, message: typeof value.message === "string" ? value.message : undefined };
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new ApiError(`${what} did not happen within ${SETUP_TIMEOUT_MS / 1000}s`)),
      SETUP_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The container's process as config.json describes it (the base a TTY exec is built on). */
async function containerProcess(handle: ProcessHandle): Promise<OciProcess> {
  let bundle = handle.bundle;
  if (bundle === undefined) {
    const state = await createRunc(handle.runcRoot, handle.runc ?? RUNC_PATH).state(handle.id);
    if (state === undefined) throw new ApiError(`runc knows no container ${handle.id}`);
    bundle = state.bundle;
  }
  const config = JSON.parse(await readFile(path.join(bundle, "config.json"), "utf8")) as {
    process?: OciProcess;
  };
  return config.process ?? {};
}

/** Where each TTY exec's conmon keeps its pipes' peers: the attach socket, ctl FIFO and exit file. */
const DIR_PREFIX = "berth-exec-";
/** conmon's pid, written by berth into the directory, for the sweep below. */
const CONMON_PID_FILE = "conmon.pid";

/**
 * Removes the directories of TTY execs whose conmon has gone while no berth waited for it (a
 * detached session's, or one whose berth was killed): each names its conmon's pid; one without
 * that file, or whose conmon still runs, is left alone.
 */
async function sweepStaleDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(tmpdir(), name);
    const pid = Number((await readFile(path.join(dir, CONMON_PID_FILE), "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid <= 0 || (await alive(pid))) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

export async function ttyExec(handle: ProcessHandle, input: ExecArgsInput): Promise<ExecSession> {
  const { spec } = input;
  const process = ttyExecProcess(await containerProcess(handle), input);
  await sweepStaleDirs();
  const dir = await mkdtemp(path.join(tmpdir(), DIR_PREFIX));
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  await writeFile(path.join(dir, "process.json"), JSON.stringify(process));

  const args = [
    "--api-version", "1",
    "-c", handle.id,
    "-u", path.basename(dir),
    "-r", handle.runc ?? RUNC_PATH,
    "-b", dir,
    "-p", path.join(dir, "pid"),
    "-l", "none:",
    "--exit-dir", dir,
    "--socket-dir-path", dir,
    "--full-attach",
    "--exec",
    "--exec-process-spec", path.join(dir, "process.json"),
    "--exec-attach",
    "--sync",
    "-t",
    ...(spec.stdin === true ? ["-i"] : []),
    "--runtime-arg", `--root=${handle.runcRoot}`,
  ]; // prettier-ignore
  const child = spawn(handle.conmon ?? CONMON_PATH, args, {
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe", "pipe"],
    env: { ...globalThis.process.env, _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4", _OCI_ATTACHPIPE: "5" },
  });
  const spawned = new Promise<void>((_resolve, reject) => {
    child.on("error", (error) => reject(new ApiError(`cannot run conmon: ${error.message}`)));
  });
  const conmonExited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const dirRemoved = conmonExited.then(removeDir);
  // (A conmon that failed at once may have taken the directory with it already.)
  if (child.pid !== undefined)
    await writeFile(path.join(dir, CONMON_PID_FILE), String(child.pid)).catch(() => undefined);
  const pipes: readonly unknown[] = child.stdio;
  const sync = new MessageReader(pipes[3] as Readable);
  const attachPipe = new MessageReader(pipes[5] as Readable);
  const start = pipes[4] as Writable;
  start.on("error", () => undefined);
  // The start pipe's read side too must see conmon's end, or the child's `close` (which removes
  // the directory) never comes.
  if (pipes[4] instanceof Socket) pipes[4].resume();

  const output = new ChunkQueue();
  const fail = async (error: Error): Promise<never> => {
    child.kill("SIGKILL");
    await conmonExited;
    throw error;
  };

  start.write("0");
  const ready = await withTimeout(Promise.race([attachPipe.next(), spawned]), "conmon's attach socket").catch(
    fail,
  );
  if (ready === undefined || ready.data < 0) {
    return fail(new ApiError(`conmon could not set up the exec: ${ready?.message ?? "it exited"}`));
  }
  const connection = await connectAttach(
    path.join(dir, "attach"),
    (chunk) => output.push(chunk.stream, chunk.data),
    (error) => (error !== undefined ? output.fail(error) : output.end()),
  ).catch(fail);
  start.write("0");
  start.end();

  const started = await withTimeout(sync.next(), "the exec's start").catch(fail);
  let exit: Promise<number>;
  if (started === undefined || started.data < 0) {
    // runc could not start the process: its reason on the terminal, Docker's exit code for it.
    const reason = started?.message ?? "conmon exited";
    output.push("stdout", Buffer.from(`OCI runtime exec failed: ${reason}\r\n`));
    connection.destroy();
    exit = Promise.resolve(startFailureExitCode(reason));
  } else {
    exit = sync.next().then((message) => message?.data ?? 255);
  }

  /** Whether conmon's pipes keep the event loop alive (while the exit is awaited). */
  const holdPipes = (hold: boolean): void => {
    for (const pipe of pipes.slice(3)) {
      if (pipe instanceof Socket) {
        if (hold) pipe.ref();
        else pipe.unref();
      }
    }
  };
  const session = execSession(
    {
      output,
      stdin: spec.stdin === true ? connection.stdin : undefined,
      resize: (size) => resizeTerminal(dir, size),
      release: () => {
        connection.destroy();
        // conmon stays until the process ends (it relays its exit); berth need not wait for it:
        // neither the child nor its pipes, left open, keep berth's loop alive (a
        // detached session's berth exits at once; closing the pipes would end conmon with SIGPIPE).
        child.unref();
        holdPipes(false);
      },
      signal: spec.signal,
    },
    exit,
  );
  return {
    ...session,
    exitCode: async () => {
      // Awaited: the child and its pipes hold the loop again, or berth could end before the
      // exit comes (its code lost: 0).
      child.ref();
      holdPipes(true);
      const code = await session.exitCode();
      // conmon leaves right after it relays the exit: its directory goes before berth does
      // (bounded; the timer holds the loop too while it runs).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        dirRemoved,
        new Promise((resolve) => (timer = setTimeout(resolve, DIR_REMOVAL_MS))),
      ]);
      clearTimeout(timer);
      return code;
    },
  };
}
