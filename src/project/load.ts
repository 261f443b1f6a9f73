/**
 * The loader: runs the stages in a fixed order and hands on one typed Project.
 *
 *   discover → read + parse → interpolate → include → extends → merge   (per document, in -f order)
 *   → validate → resolve paths → normalize → profiles → consistency → graph
 *
 * Pure apart from reading files: no engine is contacted here.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { LoadError } from "../errors.js";
import { buildGraph, type ServiceGraph } from "../graph/graph.js";
import { checkConsistency } from "./consistency.js";
import {
  discoverFiles,
  normalizeProjectName,
  resolveProjectName,
  STDIN,
  type ComposeFileRef,
} from "./discover.js";
import { makeLookup, readEnvFiles } from "./env.js";
import { interpolate } from "./interpolate.js";
import { mergeDocuments } from "./merge.js";
import type { Project } from "./model.js";
import { canonicalize, normalize } from "./normalize.js";
import { decodeSource, parseYaml, type ParsedDocument } from "./parse.js";
import { readBounded } from "./read-bounded.js";
import { resolveRelativePaths } from "./paths.js";
import { dependencyAt, locateReference } from "./references.js";
import { activeServices, requestedProfiles } from "./profiles.js";
import { SourceMap } from "./source-map.js";
import { isMapping, type Mapping, type Path } from "./tree.js";
import { validate } from "./validate.js";

export interface LoadOptions {
  readonly cwd: string;
  /** `-f` flags as given; empty means COMPOSE_FILE or the default names. */
  readonly files?: readonly string[] | undefined;
  readonly projectName?: string | undefined;
  readonly projectDirectory?: string | undefined;
  /** `--env-file` flags as given (relative to cwd); empty means `.env` in the project directory. */
  readonly envFiles?: readonly string[] | undefined;
  /** `--profile` flags; empty means COMPOSE_PROFILES. */
  readonly profiles?: readonly string[] | undefined;
  /** Services named on the command line: they must exist, and they enable their profiles. */
  readonly services?: readonly string[] | undefined;
  /** The shell environment; it wins over `.env` values. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin?: (() => Promise<Uint8Array>) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly skipInterpolation?: boolean | undefined;
  readonly skipPathResolution?: boolean | undefined;
  readonly skipNormalization?: boolean | undefined;
  readonly skipConsistency?: boolean | undefined;
}

export interface LoadedProject {
  /** The active services only; profile-disabled ones are in `disabledServices`. */
  readonly project: Project;
  readonly disabledServices: Project["services"];
  readonly graph: ServiceGraph;
  readonly sources: SourceMap;
  readonly files: readonly ComposeFileRef[];
  /** The merged tree before normalization (what `config --no-normalize` prints). */
  readonly merged: Mapping;
}

interface TreeWithSources {
  readonly tree: Mapping;
  readonly sources: SourceMap;
}

type Lookup = (name: string) => string | undefined;

export async function loadProject(options: LoadOptions): Promise<LoadedProject> {
  const { context, merged, projectName, projectDirectory, environment, discovered, resolved } =
    await loadMerged(options);
  const { lookup } = context;
  const full = await normalize(resolved, {
    projectName,
    workingDir: projectDirectory,
    sources: merged.sources,
    lookup,
    environment,
    onWarning: context.onWarning,
    displayPath: context.display,
    readEnvFiles: (paths, envLookup) => readEnvFiles(paths, envLookup, context.onWarning, context.display),
  });

  for (const name of options.services ?? []) {
    if (!Object.hasOwn(full.services, name)) throw new LoadError(`no such service: ${name}`);
  }
  const active = activeServices(full.services, {
    profiles: requestedProfiles(options.profiles ?? [], lookup),
    services: options.services ?? [],
  });
  const services: Record<string, Project["services"][string]> = {};
  const disabledServices: Record<string, Project["services"][string]> = {};
  for (const [name, service] of Object.entries(full.services)) {
    (active.has(name) ? services : disabledServices)[name] = service;
  }
  const project: Project = { ...full, services };
  if (!options.skipConsistency) checkConsistency(project, merged);

  const graph = buildGraph(options.skipConsistency ? {} : services, {
    disabled: new Set(Object.keys(disabledServices)),
    locate: (service, dependency) => {
      const reference = dependencyAt(merged.tree, service)(dependency);
      return reference
        ? locateReference(merged.sources, reference)
        : merged.sources.keyAt(["services", service]);
    },
    onWarning: context.onWarning,
  });

  return {
    project,
    disabledServices,
    graph,
    sources: merged.sources,
    files: discovered.files,
    merged: merged.tree,
  };
}

/**
 * What `config --no-interpolate` prints, as compose-go's `LoadModel` returns it: the merged,
 * validated tree in canonical syntax with defaults, `name` set, not decoded into the model's types
 * (so `${VAR}` left in `mem_limit` or a port stays as written). Values that a canonical step cannot
 * parse because they hold a variable are kept raw, as Compose keeps them.
 */
export async function loadModel(options: LoadOptions): Promise<Mapping> {
  const { context, merged, projectName, resolved } = await loadMerged(options);
  const model = canonicalize(resolved, {
    projectName,
    sources: merged.sources,
    lookup: context.lookup,
    onWarning: context.onWarning,
    keepUnparsed: options.skipInterpolation === true,
  });
  return { ...model, name: projectName };
}

/** Steps shared by the project and the model: env, discovery, every file merged, validated, paths. */
async function loadMerged(options: LoadOptions) {
  const shell = options.env;
  const shellLookup: Lookup = (name) => shell[name];

  // COMPOSE_* variables may come from .env too, so read it before looking for files.
  const earlyDir = options.projectDirectory
    ? path.resolve(options.cwd, options.projectDirectory)
    : options.cwd;
  const earlyEnv = await readProjectEnv(options, earlyDir, shellLookup);
  const early = makeLookup(shell, earlyEnv);

  const discovered = discoverFiles({
    cwd: options.cwd,
    files: options.files ?? [],
    projectDirectory: options.projectDirectory,
    env: early,
    onWarning: options.onWarning,
  });
  const projectDirectory = discovered.projectDirectory;
  const dotenv =
    projectDirectory === earlyDir ? earlyEnv : await readProjectEnv(options, projectDirectory, shellLookup);
  const fileLookup = makeLookup(shell, dotenv);
  const reading: ReadContext = { readStdin: options.readStdin };
  const documents: ParsedDocument[][] = [];
  for (const file of discovered.files) documents.push(await readDocuments(file, reading));

  // The name is known before any file is interpolated: files see it as COMPOSE_PROJECT_NAME.
  const projectName = resolveProjectName({
    flag: options.projectName,
    env: fileLookup,
    fromFile: nameFromFiles(documents, fileLookup, options.skipInterpolation === true),
    projectDirectory,
  });
  const lookup = withProjectName(fileLookup, projectName);
  // The variables the project sees (shell over .env): secrets and configs with `environment:` read them.
  const environment: Record<string, string> = Object.fromEntries(dotenv);
  for (const [name, value] of Object.entries(shell)) if (value !== undefined) environment[name] = value;
  environment[PROJECT_NAME_VARIABLE] = projectName;

  const context: PipelineContext = {
    options,
    display: displayPath(options.cwd),
    lookup,
    projectName,
    onWarning: options.onWarning ?? (() => undefined),
  };
  const loaded = await loadFiles(discovered.files, projectDirectory, context, [], documents);
  if (Object.keys(loaded.tree).length === 0) {
    const first = discovered.files[0];
    throw new LoadError("empty compose file", first && { file: first.display, line: 1, col: 1 }, "", {
      hint: `add a services: section to ${discovered.files[0]?.display ?? "compose.yaml"}`,
    });
  }
  validate(loaded.tree, loaded.sources, { variablesLeft: options.skipInterpolation === true });
  // `name:` as written only suggests the name: the tree carries the one decided above.
  const merged: TreeWithSources = Object.hasOwn(loaded.tree, "name")
    ? { tree: { ...loaded.tree, name: projectName }, sources: loaded.sources }
    : loaded;

  const resolved = options.skipPathResolution
    ? merged.tree
    : resolveRelativePaths(merged.tree, projectDirectory);
  return { context, merged, projectName, projectDirectory, environment, discovered, resolved };
}

const PROJECT_NAME_VARIABLE = "COMPOSE_PROJECT_NAME";

/** Variables as the files see them: COMPOSE_PROJECT_NAME is the project's name, as compose-go sets it. */
function withProjectName(lookup: Lookup, projectName: string): Lookup {
  return (name) => (name === PROJECT_NAME_VARIABLE ? projectName : lookup(name));
}

/**
 * The top-level `name` of the files given (the last one set wins), interpolated and normalized the
 * way Compose normalizes a directory name (compose-go `projectName`); undefined when that leaves
 * nothing, so the directory names the project.
 */
function nameFromFiles(
  documents: readonly (readonly ParsedDocument[])[],
  lookup: Lookup,
  skipInterpolation: boolean,
): string | undefined {
  let found: ParsedDocument | undefined;
  for (const docs of documents) {
    for (const doc of docs) {
      const name = doc.tree["name"];
      if (typeof name === "string" && name !== "") found = doc;
    }
  }
  if (!found) return undefined;
  const raw = found.tree["name"] as string;
  // Warnings about unset variables come from the main pass over the same value.
  const text = skipInterpolation
    ? raw
    : interpolate({ name: raw }, found.sources, lookup, () => undefined)["name"];
  const normalized = normalizeProjectName(typeof text === "string" ? text : raw);
  return normalized === "" ? undefined : normalized;
}

interface ReadContext {
  readonly readStdin?: (() => Promise<Uint8Array>) | undefined;
}

interface PipelineContext {
  readonly options: LoadOptions;
  readonly projectName: string;
  /** A path as messages show it: relative to the working directory when inside it. */
  readonly display: (absPath: string) => string;
  readonly lookup: Lookup;
  readonly onWarning: (message: string) => void;
}

/** `--env-file` flags (relative to cwd), else `.env` in `dir` when present. */
async function readProjectEnv(
  options: LoadOptions,
  dir: string,
  lookup: Lookup,
): Promise<Map<string, string>> {
  const display = displayPath(options.cwd);
  const flags = options.envFiles ?? [];
  if (flags.length > 0) {
    const paths = flags.map((f) => path.resolve(options.cwd, f));
    return readEnvFiles(paths, lookup, undefined, display);
  }
  const candidate = path.join(dir, ".env");
  return existsSync(candidate) ? readEnvFiles([candidate], lookup, undefined, display) : new Map();
}

function displayPath(cwd: string): (absPath: string) => string {
  return (absPath) => {
    const relative = path.relative(cwd, absPath);
    return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? absPath : relative;
  };
}

/** Read, parse, interpolate, extend, include and merge a list of files, in order. */
async function loadFiles(
  files: readonly ComposeFileRef[],
  workingDir: string,
  context: PipelineContext,
  chain: readonly string[],
  /** The files' documents when already read, in the order of `files`. */
  documents?: readonly (readonly ParsedDocument[])[],
): Promise<TreeWithSources> {
  let accumulated: TreeWithSources = { tree: {}, sources: new SourceMap() };
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as ComposeFileRef;
    for (const doc of documents?.[i] ?? (await readDocuments(file, context.options))) {
      const processed = await processDocument(doc, file, workingDir, context, chain);
      accumulated = mergeDocuments(accumulated, { ...processed, resetPaths: doc.resetPaths });
    }
  }
  return accumulated;
}

async function readDocuments(file: ComposeFileRef, context: ReadContext): Promise<ParsedDocument[]> {
  let bytes: Uint8Array;
  if (file.path === STDIN) {
    if (!context.readStdin) throw new LoadError("reading a compose file from stdin is not possible here");
    bytes = await context.readStdin();
  } else {
    bytes = await readBounded(file.path, file.display, file.display);
  }
  return parseYaml(decodeSource(bytes, file.display), file.display);
}

async function processDocument(
  doc: ParsedDocument,
  file: ComposeFileRef,
  workingDir: string,
  context: PipelineContext,
  chain: readonly string[],
): Promise<TreeWithSources> {
  const interpolated = context.options.skipInterpolation
    ? doc.tree
    : interpolate(doc.tree, doc.sources, context.lookup, context.onWarning);

  // Include first, so a service may extend one that an included file defines (as compose-go does).
  // include.ts and extends.ts are loaded only for a file that uses them (most do not).
  const included = Object.hasOwn(interpolated, "include")
    ? await includeFiles(
        { file: doc.file, tree: interpolated, sources: doc.sources },
        file,
        workingDir,
        context,
        chain,
      )
    : { tree: interpolated, sources: doc.sources };
  if (!usesExtends(included.tree)) return included;
  return extendServices({ ...included, file: doc.file, resetPaths: doc.resetPaths }, workingDir, context);
}

/** Relative paths in every file of a project resolve against the project directory. */
async function includeFiles(
  doc: { file: string; tree: Mapping; sources: SourceMap },
  file: ComposeFileRef,
  workingDir: string,
  context: PipelineContext,
  chain: readonly string[],
): Promise<TreeWithSources> {
  const { applyInclude } = await import("./include.js");
  return applyInclude(doc, {
    workingDir,
    chain: [...chain, file.path],
    loadProject: async ({ paths, projectDirectory, envFiles, chain: nextChain }) => {
      const shell: Lookup = (name) => context.options.env[name];
      const defaultEnv = path.join(projectDirectory, ".env");
      const env =
        envFiles.length > 0
          ? await readEnvFiles(envFiles, shell, context.onWarning, context.display)
          : existsSync(defaultEnv)
            ? await readEnvFiles([defaultEnv], shell, context.onWarning, context.display)
            : new Map<string, string>();
      const sub: PipelineContext = {
        ...context,
        lookup: withProjectName(makeLookup(context.options.env, env), context.projectName),
      };
      const loaded = await loadFiles(paths.map(fileRef(context)), projectDirectory, sub, nextChain);
      return { tree: resolveRelativePaths(loaded.tree, projectDirectory), sources: loaded.sources };
    },
  });
}

async function extendServices(
  doc: { file: string; tree: Mapping; sources: SourceMap; resetPaths: readonly Path[] },
  workingDir: string,
  context: PipelineContext,
): Promise<TreeWithSources> {
  const { applyExtends } = await import("./extends.js");
  return applyExtends(doc, {
    workingDir,
    loadFile: async (absPath) => {
      const [first] = await readDocuments(fileRef(context)(absPath), context.options);
      if (!first) throw new LoadError(`${fileRef(context)(absPath).display} is empty`);
      const tree = context.options.skipInterpolation
        ? first.tree
        : interpolate(first.tree, first.sources, context.lookup, context.onWarning);
      return { file: first.file, tree, sources: first.sources, resetPaths: first.resetPaths };
    },
  });
}

function usesExtends(tree: Mapping): boolean {
  const services = tree["services"];
  return (
    isMapping(services) && Object.values(services).some((s) => isMapping(s) && Object.hasOwn(s, "extends"))
  );
}

/** A file found through include or extends, named relative to where the user stands. */
function fileRef(context: PipelineContext): (absPath: string) => ComposeFileRef {
  return (absPath) => ({ display: context.display(absPath), path: absPath });
}
