/**
 * The runtime a command talks to, from `--runtime` (the registry in src/runtime/backends.ts), and
 * the promise that it is closed whatever happens (its keep-alive sockets would otherwise hold the
 * process open).
 */
import { choiceSharesHostNetwork, createRuntime, type Env } from "../runtime/backends.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GlobalOptions } from "./global-options.js";

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

/** Runs `work` with a runtime from the flags and closes the runtime afterwards, even on error. */
export async function withRuntime<T>(
  globals: Pick<GlobalOptions, "runtime">,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await createRuntimeFromFlags(globals);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
