/**
 * Stage 4: `include`. Each entry names one compose application (one file, or several merged) that
 * is loaded on its own — own project directory, own `.env` / `env_file` for interpolation — and
 * whose services, networks, volumes, secrets, configs and models are copied into this document,
 * as compose-go's `loader/include.go` (ApplyInclude, importResources) does in Docker Compose v2:
 *
 * - `include: [a.yaml]` or `include: [{path: a.yaml | [a.yaml, b.yaml], project_directory, env_file}]`;
 * - paths, `project_directory` and `env_file` are relative to `ctx.workingDir`;
 * - `project_directory` defaults to the directory of the first path; relative paths of the included
 *   application are made absolute against it;
 * - a resource defined both here and in an included application must be identical, otherwise
 *   `services.web: conflicts with imported resource`;
 * - a file that includes itself, directly or not, is refused: `include cycle detected: a.yaml -> b.yaml -> a.yaml`.
 *
 * The `include` key is removed from the result.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { LoadError } from "../errors.js";
import { nodeProvenance, sourcesOf, tracked, type Provenance, type Tracked } from "./provenance.js";
import { resolveRelativePaths } from "./paths.js";
import type { SourceMap } from "./source-map.js";
import { cloneNode, formatPath, isMapping, isSequence, type Mapping, type Node, type Path } from "./tree.js";

export interface IncludeDocument {
  /** The file as the user named it (for messages). */
  readonly file: string;
  readonly tree: Mapping;
  readonly sources: SourceMap;
}

export interface LoadProjectOptions {
  /** Absolute paths of the files to load and merge, in order. */
  readonly paths: string[];
  /** Absolute project directory of the included application. */
  readonly projectDirectory: string;
  /**
   * Absolute env files given by `env_file` (`/dev/null` left out). Empty when the entry has none:
   * the included application then reads `.env` in its project directory, if there is one.
   */
  readonly envFiles: string[];
  /** Absolute paths of the files being loaded, outermost first, this document's file last. */
  readonly chain: readonly string[];
}

export interface IncludeContext {
  /** The including project's working directory: include paths are relative to it. */
  readonly workingDir: string;
  /** Absolute paths of the files being loaded, outermost first (this document's file may be last). */
  readonly chain: readonly string[];
  /** Load a whole application (the full pipeline: parse, interpolate, extends, include, merge). */
  readonly loadProject: (options: LoadProjectOptions) => Promise<{ tree: Mapping; sources: SourceMap }>;
}

/** The top-level sections an included application contributes, in compose-go's order. */
const IMPORTED_SECTIONS = ["services", "volumes", "networks", "secrets", "configs", "models"] as const;

interface Written<T> {
  readonly value: T;
  /** Where it was written, for error locations. */
  readonly at: Path;
}

interface IncludeEntry {
  readonly at: Path;
  readonly paths: readonly Written<string>[];
  readonly projectDirectory: Written<string> | undefined;
  readonly envFiles: readonly Written<string>[] | undefined;
}

/** Load every included application and add its resources to the document. */
export async function applyInclude(
  doc: IncludeDocument,
  ctx: IncludeContext,
): Promise<{ tree: Mapping; sources: SourceMap }> {
  if (!Object.hasOwn(doc.tree, "include")) return { tree: doc.tree, sources: doc.sources }; // stages never mutate
  const entries = readEntries(doc);

  const current = path.isAbsolute(doc.file)
    ? path.normalize(doc.file)
    : path.resolve(ctx.workingDir, path.basename(doc.file));
  const chain = ctx.chain.map((file) => path.resolve(file));
  if (chain[chain.length - 1] !== current) chain.push(current);

  const tree = cloneNode(doc.tree);
  delete tree["include"];
  /** Imported resources by section and name, with their locations. */
  const imported = new Map<string, Map<string, Tracked>>();
  /** The included applications' source maps, in order: layers under the document's own. */
  const layers: SourceMap[] = [];

  for (const entry of entries) {
    const paths = entry.paths.map((p) => resolveIn(ctx.workingDir, p.value));
    const first = paths[0];
    const firstWritten = entry.paths[0];
    if (first === undefined || firstWritten === undefined) continue;

    const projectDirectory = entry.projectDirectory
      ? resolveIn(ctx.workingDir, entry.projectDirectory.value)
      : path.dirname(first);

    if (chain.includes(first)) {
      const names = [...chain, first].map((file) => display(file, chain[0] ?? file)).join(" -> ");
      throw new LoadError(
        `include cycle detected: ${names}`,
        doc.sources.valueAt(firstWritten.at),
        formatPath(firstWritten.at),
      );
    }
    for (const [index, file] of paths.entries()) {
      if (!(await isFile(file))) {
        const written = entry.paths[index] ?? firstWritten;
        throw new LoadError(
          `included file ${written.value} not found`,
          doc.sources.valueAt(written.at),
          formatPath(written.at),
        );
      }
    }
    const envFiles = await envFilesOf(entry, ctx.workingDir, doc.sources);

    const loaded = await ctx.loadProject({ paths, projectDirectory, envFiles, chain: [...chain] });
    const model = resolveRelativePaths(loaded.tree, projectDirectory);
    layers.push(loaded.sources);

    for (const section of IMPORTED_SECTIONS) {
      const from = model[section];
      if (!isMapping(from)) continue;
      let target = tree[section];
      if (!isMapping(target)) {
        target = {};
        tree[section] = target;
      }
      let added = imported.get(section);
      if (!added) {
        added = new Map();
        imported.set(section, added);
      }
      for (const [name, resource] of Object.entries(from)) {
        if (Object.hasOwn(target, name)) {
          if (deepEqual(target[name] as Node, resource)) continue;
          const here = [section, name];
          const location = doc.sources.has(here) ? doc.sources.keyAt(here) : doc.sources.valueAt(entry.at);
          throw new LoadError("conflicts with imported resource", location, formatPath(here), {
            hint: `a ${singular(section)} defined both here and in ${firstWritten.value} must be identical in both`,
          });
        }
        target[name] = resource;
        added.set(name, tracked(resource, loaded.sources, [section, name]));
      }
    }
  }

  const children = new Map<string | number, Provenance>();
  for (const key of Object.keys(tree)) {
    const added = imported.get(key);
    if (!added || added.size === 0) {
      children.set(key, tracked(null, doc.sources, [key]).prov);
      continue;
    }
    const section = tree[key] as Mapping;
    const own = new Map<string | number, Provenance>();
    for (const name of Object.keys(section)) {
      own.set(name, added.get(name)?.prov ?? tracked(null, doc.sources, [key, name]).prov);
    }
    children.set(key, nodeProvenance({ sources: doc.sources, path: [key] }, own));
  }
  const root: Tracked = { value: tree, prov: nodeProvenance({ sources: doc.sources, path: [] }, children) };
  return { tree, sources: sourcesOf(root, [...layers, doc.sources]) };
}

function readEntries(doc: IncludeDocument): IncludeEntry[] {
  const include = doc.tree["include"];
  if (include === null || include === undefined) return [];
  if (!isSequence(include)) {
    throw new LoadError("include must be a list", doc.sources.valueAt(["include"]), "include");
  }
  return include.map((item, index): IncludeEntry => {
    const at: Path = ["include", index];
    const bad = (message: string, where: Path = at): LoadError =>
      new LoadError(message, doc.sources.valueAt(where), formatPath(where));
    if (typeof item === "string")
      return { at, paths: [{ value: item, at }], projectDirectory: undefined, envFiles: undefined };
    if (!isMapping(item)) throw bad("an include entry must be a path or a mapping with a path");
    const paths = stringList(item["path"], [...at, "path"], bad);
    if (!paths || paths.length === 0)
      throw bad("an include entry needs a path", Object.hasOwn(item, "path") ? [...at, "path"] : at);
    const dir = item["project_directory"];
    if (dir !== undefined && dir !== null && typeof dir !== "string") {
      throw bad("project_directory must be a string", [...at, "project_directory"]);
    }
    return {
      at,
      paths,
      projectDirectory:
        typeof dir === "string" ? { value: dir, at: [...at, "project_directory"] } : undefined,
      envFiles: stringList(item["env_file"], [...at, "env_file"], bad),
    };
  });
}

/** A string or a list of strings, with where each was written; undefined when absent. */
function stringList(
  value: Node | undefined,
  at: Path,
  bad: (message: string, where: Path) => LoadError,
): Written<string>[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [{ value, at }];
  if (isSequence(value)) {
    return value.map((item, index) => {
      if (typeof item !== "string") throw bad("must be a string", [...at, index]);
      return { value: item, at: [...at, index] };
    });
  }
  throw bad(`${String(at[at.length - 1])} must be a string or a list of strings`, at);
}

/** compose-go: relative env files are joined to the working directory and must be files; `/dev/null` is skipped. */
async function envFilesOf(entry: IncludeEntry, workingDir: string, sources: SourceMap): Promise<string[]> {
  const files: string[] = [];
  for (const written of entry.envFiles ?? []) {
    if (written.value === "/dev/null") continue;
    if (path.isAbsolute(written.value)) {
      files.push(written.value);
      continue;
    }
    const file = path.join(workingDir, written.value);
    const info = await stat(file).catch(() => undefined);
    if (!info) {
      throw new LoadError(
        `env file ${written.value} not found`,
        sources.valueAt(written.at),
        formatPath(written.at),
      );
    }
    if (info.isDirectory()) {
      throw new LoadError(
        `${written.value} is not a file`,
        sources.valueAt(written.at),
        formatPath(written.at),
      );
    }
    files.push(file);
  }
  return files;
}

function resolveIn(dir: string, file: string): string {
  return path.isAbsolute(file) ? path.normalize(file) : path.join(dir, file);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** A chain member as people read it: relative to the outermost file's directory when inside it. */
function display(file: string, outermost: string): string {
  const relative = path.relative(path.dirname(outermost), file);
  return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

function singular(section: string): string {
  return section.endsWith("s") ? section.slice(0, -1) : section;
}

/** Equality of two raw values, key order aside (Go's reflect.DeepEqual on decoded YAML). */
function deepEqual(a: Node, b: Node): boolean {
  if (a === b) return true;
  if (isSequence(a)) {
    return isSequence(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as Node));
  }
  if (isMapping(a)) {
    if (!isMapping(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key] as Node, b[key] as Node));
  }
  return false;
}
