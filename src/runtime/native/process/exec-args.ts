/**
 * The pure half of exec: the `runc exec` arguments for a non-TTY exec, the process.json of a TTY
 * exec (built on the container's own process, as runc's flags are), and what a failed start means.
 */
import type { ExecSpec } from "../../runtime.js";

/** A user resolved in the container's rootfs (the oci part's `resolveUser`). */
export interface ExecUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
}

export interface ExecArgsInput {
  readonly id: string;
  readonly spec: ExecSpec;
  /** undefined: the container's own user. */
  readonly user: ExecUser | undefined;
  /** Added to the process's sets when privileged (every capability the kernel has). */
  readonly privilegedCaps: readonly string[];
}

/** `KEY=value` pairs in the order given (runc keeps the last of a repeated key). */
export function envPairs(env: ExecSpec["env"]): string[] {
  return Object.entries(env ?? {}).map(([key, value]) => `${key}=${value}`);
}

/** `exec …` arguments (after runc's global ones) for runc in the foreground, or `-d`. */
export function runcExecArgs(input: ExecArgsInput): string[] {
  const { spec } = input;
  const args = ["exec"];
  if (spec.detach === true) args.push("--detach");
  for (const pair of envPairs(spec.env)) args.push("--env", pair);
  if (input.user !== undefined) {
    args.push("--user", `${input.user.uid}:${input.user.gid}`);
    for (const gid of input.user.additionalGids) args.push("--additional-gids", String(gid));
  }
  if (spec.workingDir !== undefined && spec.workingDir !== "") args.push("--cwd", spec.workingDir);
  if (spec.privileged === true) for (const cap of input.privilegedCaps) args.push("--cap", cap);
  args.push(input.id, ...spec.command);
  return args;
}

/** The OCI process of the container (config.json's `process`), as far as exec reads it. */
export interface OciProcess {
  readonly terminal?: boolean;
  readonly user?: {
    readonly uid: number;
    readonly gid: number;
    readonly additionalGids?: readonly number[];
    readonly umask?: number;
  };
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly cwd?: string;
  readonly capabilities?: Readonly<Record<string, readonly string[] | undefined>>;
  readonly [key: string]: unknown;
}

/** `env` with `extra` applied: a key given again replaces the old pair in place. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = [...base];
  for (const pair of extra) {
    const key = pair.slice(0, pair.indexOf("=") >>> 0);
    const at = out.findIndex((existing) => existing.slice(0, existing.indexOf("=") >>> 0) === key);
    if (at >= 0) out[at] = pair;
    else out.push(pair);
  }
  return out;
}

/**
 * The process.json of a TTY exec: the container's process with the exec's command, env, user and
 * cwd. Docker gives a TTY exec `TERM=xterm` unless the exec's env sets TERM.
 */
export function ttyExecProcess(base: OciProcess, input: ExecArgsInput): OciProcess {
  const { spec } = input;
  const extra = envPairs(spec.env);
  const env = mergeEnv(base.env ?? [], spec.env?.["TERM"] === undefined ? ["TERM=xterm", ...extra] : extra);
  const user =
    input.user === undefined
      ? base.user
      : {
          ...(base.user?.umask !== undefined ? { umask: base.user.umask } : {}),
          uid: input.user.uid,
          gid: input.user.gid,
          additionalGids: [...input.user.additionalGids],
        };
  const capabilities =
    spec.privileged === true
      ? {
          ...base.capabilities,
          bounding: [...input.privilegedCaps],
          effective: [...input.privilegedCaps],
          permitted: [...input.privilegedCaps],
        }
      : base.capabilities;
  return {
    ...base,
    terminal: true,
    // The exec's own size, never the container's (its main process may have been made at another).
    consoleSize:
      spec.consoleSize !== undefined
        ? { height: spec.consoleSize.rows, width: spec.consoleSize.cols }
        : undefined,
    args: [...spec.command],
    env,
    cwd: spec.workingDir !== undefined && spec.workingDir !== "" ? spec.workingDir : (base.cwd ?? "/"),
    ...(user !== undefined ? { user } : {}),
    ...(capabilities !== undefined ? { capabilities } : {}),
  };
}

/**
 * The exit code Docker gives an exec whose process could not be started (moby's
 * translateContainerdStartErr): 127 when the command is not found, 126 otherwise.
 */
export function startFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory|not a directory|is a directory/i.test(message)) {
    return 127;
  }
  return 126;
}
