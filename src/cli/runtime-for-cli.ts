/**
 * The runtime a command talks to, from `--runtime`, and the promise that it is closed whatever
 * happens (its keep-alive sockets would otherwise hold the process open).
 */
import { BerthError } from "../errors.js";
import { createDockerRuntime } from "../runtime/docker/docker-runtime.js";
import { resolveEndpoint } from "../runtime/docker/transport.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GlobalOptions } from "./global-options.js";

export function createRuntimeFromFlags(globals: Pick<GlobalOptions, "runtime">): Runtime {
  switch (globals.runtime) {
    case "docker":
      return createDockerRuntime();
    case "native":
      throw new BerthError("the native runtime is not available yet", {
        hint: "use --runtime docker (the default), which talks to the Docker Engine",
      });
  }
}

/**
 * Whether the engine shares this host's network stack, so that berth binding a port tells what the
 * engine would meet: a unix socket is on this host; a TCP address may be a tunnel to anywhere.
 */
export function engineIsLocal(
  globals: Pick<GlobalOptions, "runtime">,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (globals.runtime === "native") return true;
  try {
    return resolveEndpoint(env).kind === "unix";
  } catch {
    return false; // an address berth cannot use: the runtime reports that itself
  }
}

/** Runs `work` with a runtime from the flags and closes the runtime afterwards, even on error. */
export async function withRuntime<T>(
  globals: Pick<GlobalOptions, "runtime">,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = createRuntimeFromFlags(globals);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
