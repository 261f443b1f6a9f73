/**
 * The runtime backends, by the name `--runtime` and `BERTH_RUNTIME` take: the one list the CLI's
 * choices, its default and the runtime it makes are read from. A new backend is one entry here
 * (see docs/adding-a-runtime-backend.md). Each backend's code is imported only when it is made, so
 * commands that never touch a runtime (`config`, `--version`) load none.
 */
import { existsSync } from "node:fs";
import { BerthError } from "../errors.js";
import { describeEndpoint, engineIsOnThisHost, resolveEndpoint } from "./docker/endpoint.js";
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
 * `--runtime auto` (the default): the native runtime wherever it can serve (Linux, root, runc and
 * conmon), Docker where it cannot. `DOCKER_HOST` names an engine on purpose, as it does for the
 * Docker CLI and Docker Compose (a remote or rootless engine, a CI service), so it means Docker.
 * Either way a project is found on the runtime that made it: when the command's project has
 * containers only on the other runtime, `auto` follows it there (and says so) rather than make a
 * second copy of the stack beside the first; `--runtime` or `BERTH_RUNTIME` decides alone.
 */
export type RuntimeChoice = RuntimeName | "auto";
export const DEFAULT_RUNTIME: RuntimeChoice = "auto";
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ["auto", ...RUNTIME_NAMES];

/**
 * How long `auto` waits for the Docker Engine's list of a project's containers (a hung socket
 * costs this, once per command; a missing one costs a stat).
 */
export const ENGINE_PROBE_MS = 2000;

export function runtimeBackend(name: RuntimeName): RuntimeBackend {
  return BACKENDS[name];
}

/** The project a command acts on, as `auto` looks for it: its name and its label filter. */
export interface ProjectRef {
  readonly name: string;
  /** `com.docker.compose.project=<name>`: what marks the project's containers on either runtime. */
  readonly labels: readonly string[];
}

/** Whether the Docker Engine holds a project's containers, as far as a bounded look can tell. */
export type EngineHolds = "yes" | "no" | "no-engine" | "no-answer";

/** What `auto` weighs. The looks are asked only when the answer can change the choice. */
export interface AutoFacts {
  readonly dockerHostSet: boolean;
  /** Why the native runtime cannot serve here (nativeMissing), or undefined when it can. */
  readonly nativeMissing: string | undefined;
  /** The engine's address when it is a unix socket that does not exist (no engine at all), else undefined. */
  readonly engineSocketMissing: string | undefined;
  readonly project?: ProjectRef | undefined;
  dockerHolds(project: ProjectRef): Promise<EngineHolds>;
  nativeHolds(project: ProjectRef): Promise<boolean>;
}

export interface AutoChoice {
  readonly name: RuntimeName;
  /** What berth says about the choice on stderr (without the `berth: ` prefix), if anything. */
  readonly note?: string | undefined;
}

const NATIVE_NOTE = "using the native runtime (--runtime docker for the Docker Engine)";

/** The backend `auto` picks, and what to say about it (see RuntimeChoice). */
export async function chooseAuto(facts: AutoFacts): Promise<AutoChoice> {
  if (facts.nativeMissing !== undefined) {
    if (facts.engineSocketMissing === undefined) return { name: "docker" };
    // Neither can serve: say why for both, rather than only that the engine is missing.
    throw new BerthError(
      `no container runtime here: no Docker Engine is at ${facts.engineSocketMissing}, and the native runtime cannot run here: ${facts.nativeMissing}`,
      { hint: "run berth as root with runc and conmon installed, or start dockerd (or set DOCKER_HOST)" },
    );
  }
  const { project } = facts;
  if (facts.dockerHostSet) {
    if (project === undefined || !(await facts.nativeHolds(project))) return { name: "docker" };
    if ((await facts.dockerHolds(project)) === "yes") {
      return {
        name: "docker",
        note: `project "${project.name}" also has containers on the native runtime (--runtime native reaches those)`,
      };
    }
    return {
      name: "native",
      note: `project "${project.name}" runs on the native runtime: using it (--runtime docker for the engine DOCKER_HOST names)`,
    };
  }
  if (project === undefined) return { name: "native", note: NATIVE_NOTE };
  const docker = await facts.dockerHolds(project);
  if (docker === "no-answer") {
    return {
      name: "native",
      note: `using the native runtime; the Docker Engine did not answer within ${ENGINE_PROBE_MS / 1000} s, so project "${project.name}" was not looked for there (--runtime docker waits for it)`,
    };
  }
  if (docker !== "yes") return { name: "native", note: NATIVE_NOTE };
  if (await facts.nativeHolds(project)) {
    return {
      name: "native",
      note: `using the native runtime; project "${project.name}" also has containers on the Docker Engine (--runtime docker reaches those)`,
    };
  }
  return {
    name: "docker",
    note: `project "${project.name}" runs on the Docker Engine: using it (--runtime native runs it natively instead)`,
  };
}

/** A runtime and what berth says about why it is the one. */
export interface ResolvedRuntime {
  readonly runtime: Runtime;
  readonly note?: string | undefined;
}

/** Makes the runtime `choice` names, resolving `auto` for `project` as RuntimeChoice says. */
export async function resolveRuntime(
  choice: RuntimeChoice,
  env: Env,
  project?: ProjectRef,
): Promise<ResolvedRuntime> {
  if (choice !== "auto") return { runtime: await BACKENDS[choice].create(env) };
  const picked = await chooseAuto({
    dockerHostSet: (env["DOCKER_HOST"] ?? "") !== "",
    nativeMissing: nativeMissing(hostFacts()),
    engineSocketMissing: missingEngineSocket(env),
    project,
    dockerHolds: async (ref) =>
      (await import("./auto-probes.js")).dockerHolds(env, ref.labels, ENGINE_PROBE_MS),
    nativeHolds: async (ref) => (await import("./auto-probes.js")).nativeHolds(env, ref.labels),
  });
  return { runtime: await BACKENDS[picked.name].create(env), note: picked.note };
}

/**
 * The runtimes a command over every project (`ls`) reads: with `auto`, the one `auto` picks for no
 * project, and the other too when it holds containers carrying `labels` (the engine asked within
 * ENGINE_PROBE_MS), so stacks are listed wherever they run; otherwise the one named.
 */
export async function resolveEveryRuntime(
  choice: RuntimeChoice,
  env: Env,
  labels: readonly string[],
): Promise<ResolvedRuntime[]> {
  const first = await resolveRuntime(choice, env);
  if (choice !== "auto") return [first];
  const other: RuntimeName = first.runtime.kind === "native" ? "docker" : "native";
  const probes = await import("./auto-probes.js");
  const holds =
    other === "docker"
      ? (await probes.dockerHolds(env, labels, ENGINE_PROBE_MS)) === "yes"
      : nativeMissing(hostFacts()) === undefined && (await probes.nativeHolds(env, labels));
  if (!holds) return [first];
  return [first, { runtime: await BACKENDS[other].create(env) }];
}

/** The engine's address when it is a unix socket that does not exist: a stat, no connection. */
function missingEngineSocket(env: Env): string | undefined {
  try {
    const endpoint = resolveEndpoint(env);
    return endpoint.kind === "unix" && !existsSync(endpoint.socketPath)
      ? describeEndpoint(endpoint)
      : undefined;
  } catch {
    return undefined; // an address berth cannot use: the Docker runtime's own error says so
  }
}

/** Makes the runtime `choice` names (the library's entry: no project, nothing said). */
export async function createRuntime(choice: RuntimeChoice, env: Env): Promise<Runtime> {
  return (await resolveRuntime(choice, env)).runtime;
}

/**
 * Whether the runtime `choice` names shares this host's network. For `auto`, the Docker Engine's
 * answer: native always does, and a remote engine (DOCKER_HOST) that does not answer only skips a
 * pre-check.
 */
export function choiceSharesHostNetwork(choice: RuntimeChoice, env: Env): boolean {
  return BACKENDS[choice === "auto" ? "docker" : choice].sharesHostNetwork(env);
}
