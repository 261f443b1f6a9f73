/**
 * The runtime backends, by the name `--runtime` and `BERTH_RUNTIME` take: the one list the CLI's
 * choices, its default and the runtime it makes are read from. A new backend is one entry here
 * (see docs/adding-a-runtime-backend.md). Each backend's code is imported only when it is made, so
 * commands that never touch a runtime (`config`, `--version`) load none.
 */
import { existsSync } from "node:fs";
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
    create: async (env) => {
      const missing = nativeMissing(hostFacts());
      if (missing !== undefined) {
        throw new BerthError(`the native runtime cannot run here: ${missing}`, {
          hint: "use --runtime docker, which talks to the Docker Engine",
        });
      }
      return (await import("./native/native-runtime.js")).createNativeRuntime({ env });
    },
    sharesHostNetwork: () => true,
  },
} as const satisfies Record<string, RuntimeBackend>;

export type RuntimeName = keyof typeof BACKENDS;

/** What decides whether the native runtime can serve on this host. */
export interface HostFacts {
  readonly platform: string;
  readonly uid: number | undefined;
  exists(path: string): boolean;
}

/** The programs the native runtime runs (Debian's packages runc and conmon). */
export const NATIVE_PROGRAMS = { runc: "/usr/sbin/runc", conmon: "/usr/bin/conmon" } as const;

function hostFacts(): HostFacts {
  return { platform: process.platform, uid: process.getuid?.(), exists: existsSync };
}

/** Why the native runtime cannot serve on a host, or undefined when it can. */
export function nativeMissing(host: HostFacts): string | undefined {
  if (host.platform !== "linux") return `it runs on Linux only (this is ${host.platform})`;
  if (host.uid !== 0) return "it needs root (run berth as root)";
  for (const [name, path] of Object.entries(NATIVE_PROGRAMS)) {
    if (!host.exists(path)) return `${name} is not installed (${path}; Debian package ${name})`;
  }
  return undefined;
}

/** In the order `--help` lists them. */
export const RUNTIME_NAMES: readonly RuntimeName[] = Object.keys(BACKENDS) as RuntimeName[];

/**
 * `--runtime auto` (the default): the Docker Engine when one answers, so stacks berth or Docker
 * Compose already run there are found where they are; the native runtime otherwise, where it can
 * serve; and where neither can, Docker's own error (it names the socket it tried).
 */
export type RuntimeChoice = RuntimeName | "auto";
export const DEFAULT_RUNTIME: RuntimeChoice = "auto";
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ["auto", ...RUNTIME_NAMES];

/** How long `auto` waits for the Docker Engine to answer before trying the native runtime. */
const ENGINE_PROBE_MS = 2000;

export function runtimeBackend(name: RuntimeName): RuntimeBackend {
  return BACKENDS[name];
}

/** Makes the runtime `choice` names, resolving `auto` as DEFAULT_RUNTIME says. */
export async function createRuntime(choice: RuntimeChoice, env: Env): Promise<Runtime> {
  if (choice !== "auto") return BACKENDS[choice].create(env);
  const docker = await BACKENDS.docker.create(env);
  try {
    await docker.ping(AbortSignal.timeout(ENGINE_PROBE_MS));
    return docker;
  } catch (engineError) {
    await docker.close();
    if (nativeMissing(hostFacts()) !== undefined) throw engineError;
    return BACKENDS.native.create(env);
  }
}

/**
 * Whether the runtime `choice` names shares this host's network. For `auto`, the Docker Engine's
 * answer: native always does, and a remote engine that does not answer only skips a pre-check.
 */
export function choiceSharesHostNetwork(choice: RuntimeChoice, env: Env): boolean {
  return BACKENDS[choice === "auto" ? "docker" : choice].sharesHostNetwork(env);
}
