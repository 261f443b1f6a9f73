/**
 * runc, called with argument arrays and `--root <paths.runc>`: thin, no state logic. runc writes its
 * errors as JSON log lines on stderr (`--log-format json`); they are turned into one sentence, and
 * "does not exist" into NotFoundError.
 *
 * There is no `delete --force` here: on a running container runc polls every 100 ms (107 ms
 * measured against ~20 for kill, wait, delete), so callers kill, wait for the exit, then delete.
 */
import { execFile } from "node:child_process";
import { ApiError, ConflictError, NotFoundError } from "../../errors.js";
import { fieldsOf } from "../../../json-shape.js";

export const RUNC_PATH = "/usr/sbin/runc";

export type RuncStatus = "creating" | "created" | "running" | "paused" | "stopped";

export interface RuncState {
  readonly id: string;
  readonly pid: number;
  readonly status: RuncStatus;
  readonly bundle: string;
  readonly created: string;
}

export interface Runc {
  readonly path: string;
  /** The global arguments every call starts with (conmon passes them on to its own `runc create`). */
  readonly globalArgs: readonly string[];
  /** undefined when runc knows no container of that id. */
  state(id: string): Promise<RuncState | undefined>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string, options?: { readonly all?: boolean }): Promise<void>;
  delete(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** PIDs of the container's processes, as the host sees them. */
  ps(id: string): Promise<number[]>;
}

const CALL_TIMEOUT_MS = 30_000;

/** The sentences in runc's JSON log lines on stderr (non-JSON lines kept as they are). */
export function runcMessages(stderr: string): string[] {
  const messages: string[] = [];
  for (const line of stderr.split("\n")) {
    const text = line.trim();
    if (text === "") continue;
    try {
      const entry = JSON.parse(text) as { level?: unknown; msg?: unknown };
      if (typeof entry.msg === "string" && entry.level !== "debug" && entry.level !== "info") {
        messages.push(entry.msg);
      }
    } catch {
      messages.push(text);
    }
  }
  return messages;
}

/** One error for a failed runc call, of the kind the message says. */
export function runcError(command: string, id: string, stderr: string, fallback: string): Error {
  const messages = runcMessages(stderr);
  const said = messages.at(-1) ?? fallback;
  const message = `runc ${command} of container ${id} failed: ${said}`;
  if (/does not exist|not exist|no such file/i.test(said) && /container/i.test(said)) {
    return new NotFoundError(message, { status: 404 });
  }
  if (/not running|not paused|is paused|already/i.test(said)) return new ConflictError(message);
  return new ApiError(message);
}

function run(
  path: string,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      path,
      [...args],
      { timeout: CALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          if (error.code === "ENOENT") {
            reject(new ApiError(`runc was not found at ${path}`, { hint: "install Debian's runc package" }));
            return;
          }
          if (error.killed) {
            reject(new ApiError(`runc ${args.join(" ")} did not answer within ${CALL_TIMEOUT_MS / 1000}s`));
            return;
          }
          reject(error);
          return;
        }
        resolve({ stdout, stderr, code: typeof error?.code === "number" ? error.code : 0 });
      },
    );
  });
}

export function createRunc(root: string, path: string = RUNC_PATH): Runc {
  const globalArgs = ["--root", root, "--log-format", "json"];
  const call = async (command: string, id: string, extra: readonly string[] = []): Promise<string> => {
    const result = await run(path, [...globalArgs, command, ...extra, id]);
    if (result.code !== 0) throw runcError(command, id, result.stderr, `exit status ${result.code}`);
    return result.stdout;
  };
  return {
    path,
    globalArgs,
    async state(id) {
      const result = await run(path, [...globalArgs, "state", id]);
      if (result.code !== 0) {
        const error = runcError("state", id, result.stderr, `exit status ${result.code}`);
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
      return parseRuncState(result.stdout, id);
    },
    async start(id) {
      await call("start", id);
    },
    async kill(id, signal, options = {}) {
      const result = await run(path, [...globalArgs, "kill", ...(options.all ? ["--all"] : []), id, signal]);
      if (result.code !== 0) throw runcError("kill", id, result.stderr, `exit status ${result.code}`);
    },
    async delete(id) {
      await call("delete", id);
    },
    async pause(id) {
      await call("pause", id);
    },
    async resume(id) {
      await call("resume", id);
    },
    async ps(id) {
      const stdout = await call("ps", id, ["--format", "json"]);
      const pids: unknown = JSON.parse(stdout);
      return Array.isArray(pids) ? pids.filter((p): p is number => typeof p === "number") : [];
    },
  };
}

const RUNC_STATUSES: readonly string[] = ["creating", "created", "running", "paused", "stopped"];

/** `runc state`'s answer, checked: a runc that answers something else is named, not trusted. */
export function parseRuncState(stdout: string, id: string): RuncState {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    value = undefined;
  }
  const { pid, status, bundle, created } = fieldsOf(value);
  const isStatus = (text: unknown): text is RuncStatus =>
    typeof text === "string" && RUNC_STATUSES.includes(text);
  if (
    typeof pid !== "number" ||
    !isStatus(status) ||
    typeof bundle !== "string" ||
    typeof created !== "string"
  )
    throw new ApiError(`runc state ${id} answered what is not a container's state: ${stdout.slice(0, 200)}`);
  return { id, pid, status, bundle, created };
}
