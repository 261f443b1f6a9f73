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
 * `--runtime auto` (the default): the Docker Engine when one is there, so stacks berth or Docker
 * Compose already run on it are found where they are; the native runtime where there is no engine
 * at all (no socket, or nobody listening on it) and native can serve. `DOCKER_HOST` names an engine
 * on purpose, so it means Docker; so does an engine that is there but slow or strange (its own
 * errors then say what is wrong, as they did before native existed).
 */
export type RuntimeChoice = RuntimeName | "auto";
export const DEFAULT_RUNTIME: RuntimeChoice = "auto";
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ["auto", ...RUNTIME_NAMES];

/** How long `auto` waits for the Docker Engine's answer before leaving the rest to its errors. */
const ENGINE_PROBE_MS = 2000;

export function runtimeBackend(name: RuntimeName): RuntimeBackend {
  return BACKENDS[name];
}

/** What `auto` weighs: whether DOCKER_HOST is set, the engine's answer, whether native can serve. */
export interface AutoFacts {
  readonly dockerHostSet: boolean;
  /** Resolves when the engine answers; rejects with its error otherwise. */
  probeEngine(): Promise<unknown>;
  readonly nativeCanServe: boolean;
}

/** The backend `auto` picks (see RuntimeChoice). */
export async function chooseAuto(facts: AutoFacts): Promise<RuntimeName> {
  if (facts.dockerHostSet) return "docker";
  try {
    await facts.probeEngine();
    return "docker";
  } catch (error) {
    return facts.nativeCanServe && noEngineThere(error) ? "native" : "docker";
  }
}

/** The engine's socket is missing or nobody listens on it (not: it is there but hung or foreign). */
function noEngineThere(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined;
  return code === "ENOENT" || code === "ECONNREFUSED";
}

/** Makes the runtime `choice` names, resolving `auto` as RuntimeChoice says. */
export async function createRuntime(choice: RuntimeChoice, env: Env): Promise<Runtime> {
  if (choice !== "auto") return BACKENDS[choice].create(env);
  const docker = await BACKENDS.docker.create(env);
  const picked = await chooseAuto({
    dockerHostSet: (env["DOCKER_HOST"] ?? "") !== "",
    probeEngine: () => docker.ping(AbortSignal.timeout(ENGINE_PROBE_MS)),
    nativeCanServe: nativeMissing(hostFacts()) === undefined,
  });
  if (picked === "docker") return docker;
  await docker.close();
  return BACKENDS.native.create(env);
}

/**
 * Whether the runtime `choice` names shares this host's network. For `auto`, the Docker Engine's
 * answer: native always does, and a remote engine that does not answer only skips a pre-check.
 */
export function choiceSharesHostNetwork(choice: RuntimeChoice, env: Env): boolean {
  return BACKENDS[choice === "auto" ? "docker" : choice].sharesHostNetwork(env);
}
