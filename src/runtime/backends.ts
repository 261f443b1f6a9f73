/**
 * The runtime backends, by the name `--runtime` and `BERTH_RUNTIME` take: the one list the CLI's
 * choices, its default and the runtime it makes are read from. A new backend is one entry here
 * (see docs/adding-a-runtime-backend.md). Each backend's code is imported only when it is made, so
 * commands that never touch a runtime (`config`, `--version`) load none.
 */
import { BerthError } from "../errors.js";
import { engineIsOnThisHost } from "./docker/endpoint.js";
import type { Runtime } from "./runtime.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface RuntimeBackend {
  /** Makes the runtime (connecting to nothing yet); rejects with a BerthError when it cannot serve here. */
  create(env: Env): Promise<Runtime>;
  /**
   * Whether the runtime's published ports are this host's, so that berth binding a port here tells
   * what the runtime would meet (a remote engine's ports are elsewhere).
   */
  sharesHostNetwork(env: Env): boolean;
}

const BACKENDS = {
  docker: {
    create: async (env) => (await import("./docker/docker-runtime.js")).createDockerRuntime({ env }),
    sharesHostNetwork: engineIsOnThisHost,
  },
  native: {
    create: () =>
      Promise.reject(
        new BerthError("the native runtime is not available yet", {
          hint: "use --runtime docker (the default), which talks to the Docker Engine",
        }),
      ),
    sharesHostNetwork: () => true,
  },
} as const satisfies Record<string, RuntimeBackend>;

export type RuntimeName = keyof typeof BACKENDS;

/** In the order `--help` lists them. */
export const RUNTIME_NAMES: readonly RuntimeName[] = Object.keys(BACKENDS) as RuntimeName[];

export const DEFAULT_RUNTIME: RuntimeName = "docker";

export function runtimeBackend(name: RuntimeName): RuntimeBackend {
  return BACKENDS[name];
}
