/**
 * Stage 1: which files make the project, where its directory is, and what it is called.
 * Mirrors Compose: `-f` flags, else COMPOSE_FILE, else the default names searched upward from
 * the working directory plus the matching override file.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { LoadError } from "../errors.js";
import { errnoCode } from "../errno.js";

export const DEFAULT_FILE_NAMES = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yml",
  "docker-compose.yaml",
];
export const DEFAULT_OVERRIDE_NAMES = [
  "compose.override.yml",
  "compose.override.yaml",
  "docker-compose.override.yml",
  "docker-compose.override.yaml",
];

/** `-` as a file name: the compose file comes from standard input. */
export const STDIN = "-";

export interface ComposeFileRef {
  /** As the user named it (shown in messages); `-` for stdin. */
  readonly display: string;
  /** Absolute path, or `-` for stdin. */
  readonly path: string;
}

export interface DiscoverOptions {
  readonly cwd: string;
  readonly files: readonly string[];
  readonly projectDirectory?: string | undefined;
  /** Variables that may name the files (COMPOSE_FILE, COMPOSE_PATH_SEPARATOR). */
  readonly env: (name: string) => string | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

export interface Discovered {
  readonly files: readonly ComposeFileRef[];
  /** Absolute project directory: `--project-directory`, else the first file's directory. */
  readonly projectDirectory: string;
}

export function discoverFiles(options: DiscoverOptions): Discovered {
  const { cwd } = options;
  const explicitDir = options.projectDirectory ? path.resolve(cwd, options.projectDirectory) : undefined;
  if (explicitDir && !isDirectory(explicitDir)) {
    throw new LoadError(`project directory ${options.projectDirectory} does not exist or is not a directory`);
  }

  let named = options.files;
  if (named.length === 0) {
    const fromEnv = options.env("COMPOSE_FILE");
    if (fromEnv) {
      const separator = options.env("COMPOSE_PATH_SEPARATOR") || path.delimiter;
      named = fromEnv.split(separator).filter((entry) => entry !== "");
    }
  }

  if (named.length > 0) {
    const base = options.files.length > 0 ? cwd : (explicitDir ?? cwd);
    const files = named.map((display) => {
      if (display === STDIN) return { display, path: STDIN };
      const absolute = path.resolve(base, display);
      const kind = entryKind(absolute);
      if (kind === "missing") throw new LoadError(`open ${display}: no such file or directory`);
      if (kind === "loop") throw new LoadError(`${display} is a symlink loop`);
      if (kind === "directory") throw new LoadError(`${display} is a directory, not a compose file`);
      // Anything else is read, as Compose reads it (a pipe from `<(...)`, /dev/stdin), up to a bound.
      return { display, path: absolute };
    });
    const first = files[0];
    const projectDirectory =
      explicitDir ?? (first && first.path !== STDIN ? path.dirname(first.path) : path.resolve(cwd));
    return { files, projectDirectory };
  }

  // No file named: search the default names upward from the project directory (or cwd).
  let dir = explicitDir ?? path.resolve(cwd);
  for (;;) {
    const winner = firstPresent(dir, DEFAULT_FILE_NAMES, "config", options.onWarning);
    if (winner) {
      const files: ComposeFileRef[] = [{ display: displayName(cwd, winner), path: winner }];
      const override = firstPresent(dir, DEFAULT_OVERRIDE_NAMES, "override", options.onWarning);
      if (override) files.push({ display: displayName(cwd, override), path: override });
      return { files, projectDirectory: explicitDir ?? dir };
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new LoadError("no configuration file provided: not found", undefined, "", {
        hint: `create compose.yaml in ${explicitDir ?? cwd} or name one with -f`,
      });
    }
    dir = parent;
  }
}

/** Paths in messages are shown relative to where the user stands, as they would type them. */
/**
 * The first of `names` present in `dir`, as a path; when several are, Compose's two warnings name
 * them all and the one it uses.
 */
function firstPresent(
  dir: string,
  names: readonly string[],
  kind: "config" | "override",
  onWarning: ((message: string) => void) | undefined,
): string | undefined {
  const found = names.filter((name) => isPresent(path.join(dir, name)));
  const winner = found[0];
  if (winner === undefined) return undefined;
  if (found.length > 1) {
    onWarning?.(
      `Found multiple ${kind} files with supported names: ${found.map((c) => path.join(dir, c)).join(", ")}`,
    );
    onWarning?.(`Using ${path.join(dir, winner)}`);
  }
  return path.join(dir, winner);
}

function displayName(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  return relative === "" || relative.startsWith("..") ? absolute : relative;
}

function isDirectory(p: string): boolean {
  return entryKind(p) === "directory";
}

/** What a path names, following symlinks; "loop" for a symlink that leads back to itself. */
function entryKind(p: string): "missing" | "loop" | "directory" | "other" {
  try {
    const stat = statSync(p, { throwIfNoEntry: false });
    if (stat === undefined) return "missing";
    return stat.isDirectory() ? "directory" : "other";
  } catch (error) {
    // Not ENOENT or ENOTDIR (those return undefined): ELOOP, or EACCES and the like, which the read reports.
    return errnoCode(error) === "ELOOP" ? "loop" : "other";
  }
}

/** A default file name that is there: a symlink loop counts, so that it is reported, not skipped. */
function isPresent(p: string): boolean {
  return entryKind(p) !== "missing";
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Compose's rule for a name it derives itself: lowercase, keep `[a-z0-9_-]`, drop leading `_`/`-`. */
export function normalizeProjectName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[_-]+/, "");
}

export function checkProjectName(name: string, source: string): string {
  if (name === "") throw new LoadError(`project name must not be empty (from ${source})`);
  if (!PROJECT_NAME.test(name)) {
    throw new LoadError(
      `invalid project name "${name}" (from ${source}): must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  }
  return name;
}

export interface NameSources {
  readonly flag?: string | undefined;
  readonly env: (name: string) => string | undefined;
  /** Top-level `name:` of the merged files, already interpolated. */
  readonly fromFile?: string | undefined;
  readonly projectDirectory: string;
}

/** `-p`, then COMPOSE_PROJECT_NAME, then `name:`, then the project directory's base name (normalized). */
export function resolveProjectName(sources: NameSources): string {
  if (sources.flag !== undefined && sources.flag !== "")
    return checkProjectName(sources.flag, "-p/--project-name");
  const fromEnv = sources.env("COMPOSE_PROJECT_NAME");
  if (fromEnv) return checkProjectName(fromEnv, "COMPOSE_PROJECT_NAME");
  if (sources.fromFile) return checkProjectName(sources.fromFile, "the top-level name");
  const derived = normalizeProjectName(path.basename(sources.projectDirectory));
  return checkProjectName(derived, `the directory name ${path.basename(sources.projectDirectory)}`);
}
