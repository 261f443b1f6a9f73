/**
 * The runtime a command talks to, from `--runtime` (the registry in src/runtime/backends.ts), and
 * the promise that it is closed whatever happens (its keep-alive sockets would otherwise hold the
 * process open).
 */
import { choiceSharesHostNetwork, createRuntime, type Env } from "../runtime/backends.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GlobalOptions } from "./global-options.js";

const QUIET: ReadonlySet<GlobalOptions["progress"]> = new Set(["quiet", "json"]);

export function createRuntimeFromFlags(
  globals: Pick<GlobalOptions, "runtime">,
  env: Env = process.env,
): Promise<Runtime> {
  return createRuntime(globals.runtime, env);
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
 * `auto` found no Docker Engine and chose the native runtime, says so first (on stderr, unless
 * progress is quiet or JSON), so nobody wonders where the containers went.
 */
export async function withRuntime<T>(
  globals: Pick<GlobalOptions, "runtime" | "progress">,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await createRuntimeFromFlags(globals);
  if (globals.runtime === "auto" && runtime.kind !== "docker" && !QUIET.has(globals.progress)) {
    process.stderr.write(
      `berth: no Docker Engine here, using the ${runtime.kind} runtime (--runtime docker insists on an engine)\n`,
    );
  }
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
