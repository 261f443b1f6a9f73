/** Turns the global flags into LoadOptions: the one place the CLI meets the loader. */
import { LoadError } from "../errors.js";
import { checkProjectName } from "../project/discover.js";
import type { Mapping } from "../project/tree.js";
import { readStreamBounded } from "../project/read-bounded.js";
import { loadModel, loadProject, type LoadedProject, type LoadOptions } from "../project/load.js";
import type { GlobalOptions } from "./global-options.js";
import { pauseOptimizer, resumeOptimizer } from "./optimizer.js";

/** `-f -`: standard input, bounded as every file the loader reads (read-bounded.ts). */
export function readStdin(): Promise<Uint8Array> {
  return readStreamBounded(process.stdin, "-");
}

const warned = new Set<string>();

/** Each distinct warning once, in Compose's log style (an unset variable used ten times warns once). */
export function warnToStderr(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`WARN[0000] ${message}\n`);
}

type LoadExtras = Partial<
  Pick<
    LoadOptions,
    "services" | "skipInterpolation" | "skipNormalization" | "skipPathResolution" | "skipConsistency"
  >
>;

export async function loadFromFlags(globals: GlobalOptions, extra: LoadExtras = {}): Promise<LoadedProject> {
  pauseOptimizer(); // for the load alone (optimizer.ts)
  try {
    return await loadProject(loadOptions(globals, extra));
  } finally {
    resumeOptimizer();
  }
}

/** The model `config --no-interpolate` prints (load.ts `loadModel`). */
export async function loadModelFromFlags(globals: GlobalOptions, extra: LoadExtras = {}): Promise<Mapping> {
  pauseOptimizer();
  try {
    return await loadModel(loadOptions(globals, extra));
  } finally {
    resumeOptimizer();
  }
}

/** The global flags (and a command's extras) as the loader's options. */
function loadOptions(globals: GlobalOptions, extra: LoadExtras = {}): LoadOptions {
  return {
    cwd: process.cwd(),
    files: globals.files,
    projectName: globals.projectName,
    projectDirectory: globals.projectDirectory,
    envFiles: globals.envFiles,
    profiles: globals.profiles,
    env: process.env,
    readStdin,
    onWarning: warnToStderr,
    ...extra,
  };
}

/** The project a command acts on: loaded from its files, or only named (`-p`) when there are none. */
export interface ProjectTarget {
  readonly name: string;
  readonly loaded: LoadedProject | undefined;
}

/**
 * The project as Compose v2's `projectOrName` finds it: `-p NAME` without `-f` names the project
 * and reads no file (even one in the current directory), so `down`, `ps`, `logs`... act on the
 * stack by its labels; otherwise the files are loaded, and when none is found but
 * COMPOSE_PROJECT_NAME names the project, it goes on with the name alone.
 */
export async function loadOrName(
  globals: GlobalOptions,
  services: readonly string[] = [],
): Promise<ProjectTarget> {
  if (globals.projectName !== undefined && globals.files.length === 0) {
    return { name: checkProjectName(globals.projectName, "--project-name"), loaded: undefined };
  }
  try {
    const loaded = await loadFromFlags(globals, { services });
    return { name: loaded.project.name, loaded };
  } catch (error) {
    const fromEnv = process.env["COMPOSE_PROJECT_NAME"];
    const name = globals.projectName ?? (fromEnv === "" ? undefined : fromEnv);
    if (name === undefined || globals.files.length > 0 || !isNoConfigFile(error)) throw error;
    const source = globals.projectName === undefined ? "COMPOSE_PROJECT_NAME" : "--project-name";
    return { name: checkProjectName(name, source), loaded: undefined };
  }
}

/** The loader's "nothing to load" error (discover.ts), as opposed to a file that is wrong. */
function isNoConfigFile(error: unknown): boolean {
  return error instanceof LoadError && error.message.startsWith("no configuration file provided");
}
