/**
 * Where a service names another object: the place an error about that reference points at. The
 * model is normalized (a `depends_on` list is a mapping there, a volume a long-syntax entry), so
 * the reference is looked up in the merged tree, whose shape is what the files say.
 */
import type { Location } from "../errors.js";
import type { SourceMap } from "./source-map.js";
import { isMapping, isSequence, type Mapping, type Node, type Path } from "./tree.js";

/** The service keys whose values name another service (compose-go's implicit dependencies). */
const NAMESPACE_KEYS = ["network_mode", "ipc", "pid", "uts", "cgroup"] as const;

/**
 * Where `service` depends on `dependency`: its `depends_on` entry, else a link, a `service:`
 * namespace, or a `volumes_from` entry, in the order Compose reads them. Undefined when the tree
 * has none (the caller falls back to the service).
 */
export function dependencyAt(tree: Mapping, service: string): (dependency: string) => Reference | undefined {
  const base = ["services", service];
  const body = serviceOf(tree, service);
  return (dependency) => {
    if (!body) return undefined;
    const explicit = entryNaming(body["depends_on"], [...base, "depends_on"], (item) => item === dependency);
    if (explicit) return explicit;
    const linked = entryNaming(body["links"], [...base, "links"], (item) => before(item, ":") === dependency);
    if (linked) return linked;
    for (const key of NAMESPACE_KEYS) {
      if (body[key] === `service:${dependency}`) return { path: [...base, key], key: false };
    }
    return entryNaming(
      body["volumes_from"],
      [...base, "volumes_from"],
      (item) => !item.startsWith("container:") && before(item, ":") === dependency,
    );
  };
}

/**
 * Where `service` names `name` in one of its lists of references (`networks`, `secrets`,
 * `configs`, `volumes`): the list item, or its `source` in the long syntax, or the mapping key.
 */
export function referenceAt(
  tree: Mapping,
  service: string,
  key: "networks" | "secrets" | "configs" | "volumes",
  name: string,
): Reference | undefined {
  const body = serviceOf(tree, service);
  if (!body) return undefined;
  const at = ["services", service, key];
  const matches =
    key === "volumes" ? (item: string) => before(item, ":") === name : (item: string) => item === name;
  return entryNaming(body[key], at, matches, name);
}

/** A reference: the path of the list item or value that names something, or of the mapping key. */
export interface Reference {
  readonly path: Path;
  readonly key: boolean;
}

/** Where a reference was written: the key for a mapping key, else the value. */
export function locateReference(sources: SourceMap, reference: Reference): Location | undefined {
  return reference.key ? sources.keyAt(reference.path) : sources.valueAt(reference.path);
}

function serviceOf(tree: Mapping, service: string): Mapping | undefined {
  const services = tree["services"];
  if (!isMapping(services)) return undefined;
  const body = services[service];
  return isMapping(body) ? body : undefined;
}

/** The item of list `value` that `matches` (its `source` when long syntax), or key `name` of a mapping. */
function entryNaming(
  value: Node | undefined,
  at: Path,
  matches: (item: string) => boolean,
  name?: string,
): Reference | undefined {
  if (isSequence(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "string" && matches(item)) return { path: [...at, i], key: false };
      if (isMapping(item) && typeof item["source"] === "string" && matches(item["source"])) {
        return { path: [...at, i, "source"], key: false };
      }
    }
    return undefined;
  }
  if (isMapping(value)) {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (name === undefined ? matches(key) : key === name) return { path: [...at, key], key: true };
    }
  }
  return undefined;
}

function before(text: string, separator: string): string {
  const index = text.indexOf(separator);
  return index < 0 ? text : text.slice(0, index);
}
