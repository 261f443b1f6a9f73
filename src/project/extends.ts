/**
 * Stage 5: `extends`. A service that names a base (`extends: base` or `{service, file}`) gets the
 * base's definition merged under its own, with the merge rules of `merge.ts` — as compose-go's
 * `loader/extends.go` (applyServiceExtends) and `override.ExtendService` do:
 *
 * - the base may itself extend another service, in the same or another file (resolved first);
 * - every attribute is inherited (Docker Compose 2.32.1 briefly dropped `depends_on`/`volumes_from`
 *   and reverted it; the spec's "Restrictions" only say referenced resources are not imported);
 * - `!reset` / `!override` paths of the extending file under `services.<name>` drop the inherited value;
 * - a base from another file is loaded once per file; its relative paths are made absolute against
 *   that file's directory, and its own `extends.file` resolves against that directory too;
 * - `extends.file` of the document itself resolves against `ctx.workingDir`;
 * - cycles are named, e.g. `circular reference: a in compose.yaml -> b in base.yaml -> a in compose.yaml`.
 *
 * Locations of inherited keys point into the file that wrote them.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { LoadError, type Location } from "../errors.js";
import { mergeTracked, withoutResetPaths } from "./merge.js";
import {
  childProvenance,
  nodeProvenance,
  sourcesOf,
  tracked,
  type Provenance,
  type Tracked,
} from "./provenance.js";
import { uniqueTracked } from "./unicity.js";
import { resolveRelativePaths } from "./paths.js";
import type { SourceMap } from "./source-map.js";
import { cloneNode, formatPath, isMapping, type Mapping, type Node, type Path } from "./tree.js";

export interface ExtendsDocument {
  /** The file as the user named it (for messages). */
  readonly file: string;
  readonly tree: Mapping;
  readonly sources: SourceMap;
  /** The document's `!reset` / `!override` paths: they also drop inherited values. */
  readonly resetPaths?: readonly Path[] | undefined;
}

export interface ExtendsContext {
  /** Where the document lives: `extends.file` of its services is relative to it. */
  readonly workingDir: string;
  /** Read, parse and interpolate another compose file (called once per file). */
  readonly loadFile: (absPath: string) => Promise<ExtendsDocument>;
}

/** One compose file whose services can be extended. */
interface FileContext {
  /** Absolute path: the identity used for cycles and the cache. */
  readonly abs: string;
  /** As named in messages. */
  readonly display: string;
  readonly services: Mapping;
  readonly sources: SourceMap;
  readonly resetPaths: readonly Path[];
  /** `extends.file` in this file resolves against this directory. */
  readonly workingDir: string;
  /** Resolved services (extends applied), by name. */
  readonly resolved: Map<string, Tracked>;
}

interface ChainLink {
  readonly file: FileContext;
  readonly service: string;
}

/** Apply every `extends` of the document; returns a new tree without `extends` keys. */
export async function applyExtends(
  doc: ExtendsDocument,
  ctx: ExtendsContext,
): Promise<{ tree: Mapping; sources: SourceMap }> {
  const services = doc.tree["services"];
  if (!isMapping(services) || !Object.values(services).some(hasExtends)) {
    return { tree: doc.tree, sources: doc.sources }; // nothing to extend: stages never mutate, so no copy
  }

  const main: FileContext = {
    abs: path.isAbsolute(doc.file)
      ? path.normalize(doc.file)
      : path.resolve(ctx.workingDir, path.basename(doc.file)),
    display: doc.file,
    services,
    sources: doc.sources,
    resetPaths: doc.resetPaths ?? [],
    workingDir: ctx.workingDir,
    resolved: new Map(),
  };
  const loaded = new Map<string, Promise<FileContext>>();
  const resolver = new Resolver(ctx.loadFile, loaded);

  const serviceValues: Mapping = {};
  const serviceProvs = new Map<string | number, Provenance>();
  for (const name of Object.keys(services)) {
    const result = await resolver.resolve(main, name, []);
    serviceValues[name] = cloneNode(result.value);
    serviceProvs.set(name, result.prov);
  }

  const tree: Mapping = {};
  const children = new Map<string | number, Provenance>();
  for (const key of Object.keys(doc.tree)) {
    if (key === "services") {
      tree[key] = serviceValues;
      children.set(key, nodeProvenance({ sources: doc.sources, path: ["services"] }, serviceProvs));
    } else {
      tree[key] = cloneNode(doc.tree[key] as Node);
      children.set(key, tracked(null, doc.sources, [key]).prov);
    }
  }
  const root: Tracked = { value: tree, prov: nodeProvenance({ sources: doc.sources, path: [] }, children) };
  return { tree, sources: sourcesOf(root, [doc.sources]) };
}

function hasExtends(service: Node): boolean {
  return isMapping(service) && Object.hasOwn(service, "extends");
}

class Resolver {
  constructor(
    private readonly loadFile: ExtendsContext["loadFile"],
    private readonly loaded: Map<string, Promise<FileContext>>,
  ) {}

  /** The service `name` of `file` with its extends applied (memoized per file). */
  async resolve(file: FileContext, name: string, chain: readonly ChainLink[]): Promise<Tracked> {
    const servicePath = ["services", name];
    const own = tracked(file.services[name] ?? null, file.sources, servicePath);
    const service = own.value;
    if (!isMapping(service) || !Object.hasOwn(service, "extends")) return own;
    const done = file.resolved.get(name);
    if (done) return done;

    const link: ChainLink = { file, service: name };
    const extendsPath = [...servicePath, "extends"];
    const { ref, refFile } = readExtends(service["extends"] ?? null, file, extendsPath);

    let target = file;
    if (refFile !== undefined) {
      target = await this.fileContext(file, name, refFile, [...extendsPath, "file"]);
      if (!isMapping(target.services) || !Object.hasOwn(target.services, ref)) {
        throw new LoadError(
          `cannot extend service "${name}" in ${file.display}: service "${ref}" not found in ${refFile}`,
          file.sources.valueAt([...extendsPath, "service"]),
          formatPath(extendsPath),
        );
      }
    } else if (!Object.hasOwn(file.services, ref)) {
      const where = typeof service["extends"] === "string" ? extendsPath : [...extendsPath, "service"];
      throw new LoadError(
        `cannot extend service "${name}" in ${file.display}: service "${ref}" not found`,
        file.sources.valueAt(where),
        formatPath(extendsPath),
      );
    }

    const seen = [...chain, link];
    if (seen.some((item) => item.file.abs === target.abs && item.service === ref)) {
      throw circular([...seen, { file: target, service: ref }]);
    }

    const base = await this.resolve(target, ref, seen);
    let result: Tracked;
    if (base.value === null) {
      result = withoutExtends(own);
    } else {
      // The extending file's `!reset` / `!override` paths apply to what it inherits.
      const scratch = withoutResetPaths({ services: { [name]: base.value } }, file.resetPaths) as Mapping;
      const inherited: Tracked = { value: (scratch["services"] as Mapping)[name] ?? null, prov: base.prov };
      const merged = mergeTracked(inherited, own, servicePath);
      result = uniqueTracked(withoutExtends(merged), servicePath);
    }
    file.resolved.set(name, result);
    return result;
  }

  /** The file an `extends.file` names, loaded once; its relative paths resolved against its directory. */
  private fileContext(from: FileContext, name: string, refFile: string, at: Path): Promise<FileContext> {
    const abs = path.resolve(from.workingDir, refFile);
    let pending = this.loaded.get(abs);
    if (!pending) {
      pending = this.load(from, name, refFile, abs, at);
      this.loaded.set(abs, pending);
    }
    return pending;
  }

  private async load(
    from: FileContext,
    name: string,
    refFile: string,
    abs: string,
    at: Path,
  ): Promise<FileContext> {
    const isFile = await stat(abs).then(
      (info) => info.isFile(),
      () => false,
    );
    if (!isFile) {
      throw new LoadError(
        `cannot extend service "${name}" in ${from.display}: file ${refFile} not found`,
        from.sources.valueAt(at),
        formatPath(at),
      );
    }
    const doc = await this.loadFile(abs);
    const dir = path.dirname(abs);
    // compose-go loads an extends base without default values: a build without context gets none here.
    const tree = resolveRelativePaths(doc.tree, dir, { defaultBuildContext: false });
    const services = tree["services"];
    if (!isMapping(services)) {
      throw new LoadError(
        `cannot extend service "${name}" in ${from.display}: ${refFile} has no services section`,
        from.sources.valueAt(at),
        formatPath(at),
      );
    }
    return {
      abs,
      display: doc.file,
      services,
      sources: doc.sources,
      resetPaths: doc.resetPaths ?? [],
      workingDir: dir,
      resolved: new Map(),
    };
  }
}

function readExtends(value: Node, file: FileContext, at: Path): { ref: string; refFile: string | undefined } {
  if (typeof value === "string") return { ref: value, refFile: undefined };
  if (isMapping(value)) {
    const service = value["service"];
    const refFile = value["file"];
    if (typeof service !== "string") {
      throw new LoadError("extends needs a service name", file.sources.valueAt(at), formatPath(at));
    }
    if (refFile !== undefined && refFile !== null && typeof refFile !== "string") {
      throw new LoadError(
        "extends.file must be a string",
        file.sources.valueAt([...at, "file"]),
        formatPath(at),
      );
    }
    return { ref: service, refFile: refFile ?? undefined };
  }
  throw new LoadError(
    "extends must be a service name or a mapping with service and file",
    file.sources.valueAt(at),
    formatPath(at),
  );
}

function withoutExtends(service: Tracked): Tracked {
  if (!isMapping(service.value) || !Object.hasOwn(service.value, "extends")) return service;
  const value: Mapping = {};
  const children = new Map<string | number, Provenance>();
  for (const [key, item] of Object.entries(service.value)) {
    if (key === "extends") continue;
    value[key] = item;
    children.set(key, childProvenance(service.prov, key));
  }
  const self = service.prov.kind === "copy" ? service.prov.origin : service.prov.self;
  return { value, prov: nodeProvenance(self, children) };
}

function circular(chain: readonly ChainLink[]): LoadError {
  const names = chain.map((link) => `${link.service} in ${link.file.display}`).join(" -> ");
  const first = chain[0];
  const at = first ? ["services", first.service, "extends"] : [];
  // Point at the name of the loop's first step: `extends: b`, or `service: b` under it.
  const written = first?.file.services[first.service];
  const form = isMapping(written ?? null) ? (written as Mapping)["extends"] : undefined;
  const where = form !== undefined && isMapping(form) ? [...at, "service"] : at;
  const location: Location | undefined = first?.file.sources.valueAt(where);
  return new LoadError(`circular reference: ${names}`, location, formatPath(at));
}
