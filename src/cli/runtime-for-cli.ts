/**
 * The runtime a command talks to, from `--runtime` (the registry in src/runtime/backends.ts), and
 * the promise that it is closed whatever happens (its keep-alive sockets would otherwise hold the
 * process open).
 */
import { PROJECT_LABEL } from "../engine/labels.js";
import {
  choiceSharesHostNetwork,
  type Env,
  type ProjectRef,
  resolveEveryRuntime,
  resolveRuntime,
  type ResolvedRuntime,
} from "../runtime/backends.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GlobalOptions } from "./global-options.js";

const QUIET: ReadonlySet<GlobalOptions["progress"]> = new Set(["quiet", "json"]);

/** What picks the runtime: the flags, and the project the command acts on (when it has one). */
export type RuntimeTarget = Pick<GlobalOptions, "runtime"> & {
  /** The project's name: `auto` looks for its containers on both runtimes (backends.ts). */
  readonly project?: string | undefined;
};

function projectRef(name: string | undefined): ProjectRef | undefined {
  return name === undefined ? undefined : { name, labels: [`${PROJECT_LABEL}=${name}`] };
}

export function resolveRuntimeFromFlags(
  target: RuntimeTarget,
  env: Env = process.env,
): Promise<ResolvedRuntime> {
  return resolveRuntime(target.runtime, env, projectRef(target.project));
}

export async function createRuntimeFromFlags(
  target: RuntimeTarget,
  env: Env = process.env,
): Promise<Runtime> {
  return (await resolveRuntimeFromFlags(target, env)).runtime;
}

/**
 * Whether the runtime shares this host's network stack, so that berth binding a port tells what the
 * runtime would meet.
 */
export function engineIsLocal(globals: Pick<GlobalOptions, "runtime">, env: Env = process.env): boolean {
  return choiceSharesHostNetwork(globals.runtime, env);
}

/**
 * Runs `work` with a runtime from the flags and closes the runtime afterwards, even on error. When
 * `auto` chose, says which runtime and why first (on stderr, unless progress is quiet or JSON), so
 * nobody wonders where the containers went.
 */
export async function withRuntime<T>(
  target: RuntimeTarget & Pick<GlobalOptions, "progress">,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const { runtime, note } = await resolveRuntimeFromFlags(target);
  if (note !== undefined && !QUIET.has(target.progress)) process.stderr.write(`berth: ${note}\n`);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Runs `work` on every runtime that holds containers carrying `labels` (`auto`: native and the
 * Docker Engine both, where both do; `--runtime`: that one) and joins the answers, for commands over
 * every project (`ls`). Says which it read, as withRuntime does.
 */
export async function withEveryRuntime<T>(
  target: Pick<GlobalOptions, "runtime" | "progress">,
  labels: readonly string[],
  work: (runtime: Runtime) => Promise<readonly T[]>,
): Promise<T[]> {
  const resolved = await resolveEveryRuntime(target.runtime, process.env, labels);
  const note =
    resolved.length > 1
      ? `listing the ${resolved.map((r) => (r.runtime.kind === "docker" ? "Docker Engine" : `${r.runtime.kind} runtime`)).join(" and the ")}`
      : resolved[0]?.note;
  if (note !== undefined && !QUIET.has(target.progress)) process.stderr.write(`berth: ${note}\n`);
  try {
    const answers = await Promise.all(resolved.map(({ runtime }) => work(runtime)));
    return answers.flat();
  } finally {
    await Promise.all(resolved.map(({ runtime }) => runtime.close()));
  }
}
