/**
 * Unicity (compose-go override/uncity.go, `EnforceUnicity`): in the sequences this table names, an
 * entry whose key was seen before replaces the earlier one in its position. The one table serves
 * merge (after each file, on the raw tree, short syntax read to the key its long form has) and
 * normalize (on the canonical tree, where canonical forms reveal more duplicates: `/data/` and
 * `/data` are one mount target once cleaned).
 */
import { LoadError, type Location } from "../errors.js";
import { toInteger } from "./decoders.js";
import {
  compilePatterns,
  stateAt,
  step,
  walkPatterns,
  type PathPattern,
  type PatternState,
} from "./path-pattern.js";
import { parseVolumeSpec, VolumeSpecError } from "./paths.js";
import { parsePortSpec } from "./ports.js";
import {
  child,
  childProvenance,
  concat,
  locationOf,
  nodeProvenance,
  selfOf,
  sourcesOf,
  tracked,
} from "./provenance.js";
import type { Located, Provenance, Tracked } from "./provenance.js";
import type { SourceMap } from "./source-map.js";
import { formatPath, goString, isMapping, isSequence, typeName } from "./tree.js";
import type { Mapping, Node, Path } from "./tree.js";

/** An entry's key; `at` says where the entry is, for an error. */
type Indexer = (item: Node, at: ItemAt) => string;

/**
 * Where the entry an indexer reads is: one per sequence, its `index` moving along, so a valid
 * sequence costs no path or location per entry (they are made only for an error).
 */
abstract class ItemAt {
  index = 0;

  constructor(private readonly sequencePath: Path) {}

  get path(): Path {
    return [...this.sequencePath, this.index];
  }

  abstract location(): Location | undefined;
}

/** In a merged tree: the entry's location is its provenance's. */
class TrackedItemAt extends ItemAt {
  constructor(
    private readonly sequence: Tracked,
    sequencePath: Path,
  ) {
    super(sequencePath);
  }

  location(): Location | undefined {
    return locationOf(childProvenance(this.sequence.prov, this.index));
  }
}

/** In a tree whose locations are one SourceMap. */
class MappedItemAt extends ItemAt {
  constructor(
    private readonly sources: SourceMap,
    sequencePath: Path,
  ) {
    super(sequencePath);
  }

  location(): Location | undefined {
    return this.sources.valueAt(this.path);
  }
}

const UNIQUE_RULES: Readonly<Record<PathPattern, Indexer>> = {
  "networks.*.labels": keyValueKey,
  "networks.*.ipam.options": keyValueKey,
  "services.*.annotations": keyValueKey,
  "services.*.build.args": keyValueKey,
  "services.*.build.additional_contexts": keyValueKey,
  // compose-go names `build.platform` (not `platforms`); kept as it is there.
  "services.*.build.platform": keyValueKey,
  "services.*.build.tags": keyValueKey,
  "services.*.build.labels": keyValueKey,
  "services.*.cap_add": keyValueKey,
  "services.*.cap_drop": keyValueKey,
  "services.*.configs": mountKey(""),
  "services.*.deploy.labels": keyValueKey,
  "services.*.dns": keyValueKey,
  "services.*.dns_opt": keyValueKey,
  "services.*.dns_search": keyValueKey,
  "services.*.environment": keyValueKey,
  "services.*.env_file": envFileKey,
  "services.*.expose": exposeKey,
  "services.*.labels": keyValueKey,
  "services.*.links": keyValueKey,
  "services.*.networks.*.aliases": keyValueKey,
  "services.*.networks.*.link_local_ips": keyValueKey,
  "services.*.ports": portKey,
  "services.*.profiles": keyValueKey,
  "services.*.secrets": mountKey("/run/secrets"),
  "services.*.sysctls": keyValueKey,
  "services.*.tmpfs": keyValueKey,
  "services.*.volumes": volumeKey,
  "services.*.devices": deviceKey,
};

function unexpected(item: Node, at: ItemAt, what: string): LoadError {
  return new LoadError(`unexpected ${typeName(item)} in ${what}`, at.location(), formatPath(at.path));
}

/** An entry the key cannot be read from. */
function missing(message: string, at: ItemAt): LoadError {
  return new LoadError(message, at.location(), formatPath(at.path));
}

/** `KEY=value` → `KEY`; a string without `=` is its own key. */
function keyValueKey(item: Node, at: ItemAt): string {
  if (typeof item !== "string") throw unexpected(item, at, "a list of strings");
  const index = item.indexOf("=");
  return index < 0 ? item : item.slice(0, index);
}

function exposeKey(item: Node, at: ItemAt): string {
  if (typeof item === "string") return item;
  if (typeof item === "number" && Number.isInteger(item)) return String(item);
  throw unexpected(item, at, "expose");
}

/** Secrets and configs: the target, else `<default dir>/<source>`. */
function mountKey(defaultDir: string): Indexer {
  return (item, at) => {
    if (typeof item === "string") return `${defaultDir}/${item}`;
    if (isMapping(item)) {
      if (Object.hasOwn(item, "target")) return goString(item["target"] ?? null);
      return `${defaultDir}/${goString(item["source"] ?? null)}`;
    }
    const path = at.path;
    throw unexpected(item, at, path[path.length - 2] === "secrets" ? "secrets" : "configs");
  };
}

function envFileKey(item: Node, at: ItemAt): string {
  if (typeof item === "string") return item;
  if (isMapping(item)) {
    if (Object.hasOwn(item, "path")) return goString(item["path"] ?? null);
    throw missing("env_file entry is missing a path", at);
  }
  return "";
}

/** A long-syntax entry's `target`, which it must have (`missingMessage` when it has none). */
function targetOf(item: Mapping, at: ItemAt, missingMessage: string): string {
  const target = item["target"];
  if (typeof target !== "string") throw missing(missingMessage, at);
  return target;
}

function volumeKey(item: Node, at: ItemAt): string {
  if (isMapping(item)) return targetOf(item, at, "service volume is missing a mount target");
  if (typeof item === "string") {
    const target = volumeTarget(item);
    if (typeof target !== "string") {
      throw missing(`invalid volume spec ${JSON.stringify(item)}: ${target.error}`, at);
    }
    return target;
  }
  return "";
}

/**
 * The container path of a short-syntax volume (`[source:]target[:mode]`), as paths.ts's
 * `parseVolumeSpec` (compose-go's ParseVolume) reads it; the reason it cannot be read otherwise.
 */
export function volumeTarget(spec: string): string | { error: string } {
  try {
    return parseVolumeSpec(spec).target;
  } catch (error) {
    if (error instanceof VolumeSpecError) return { error: error.reason };
    throw error;
  }
}

function deviceKey(item: Node, at: ItemAt): string {
  if (isMapping(item)) return targetOf(item, at, "service device is missing a target");
  if (typeof item === "string") {
    const parts = item.split(":");
    return parts.length === 1 ? item : (parts[1] ?? item);
  }
  return "";
}

/**
 * Ports: `host_ip:published:target/protocol`, defaults `0.0.0.0` and `tcp`. Compose computes this
 * key after turning the short syntax into the long one, so short entries are parsed here to the
 * same key: `"8080:80"`, `"0.0.0.0:8080:80/tcp"` and `{target: 80, published: "8080"}` are one port.
 */
function portKey(item: Node, at: ItemAt): string {
  if (typeof item === "number") return portKeyOf({ target: String(item) });
  if (isMapping(item)) {
    const target = item["target"];
    // Text that is not a number has no key: only `--no-interpolate` lets one through (`${PORT}`).
    if (target === undefined || (typeof target === "string" && toInteger(target) === undefined)) {
      throw missing("service port is missing a target port", at);
    }
    const hostIp = item["host_ip"];
    const published = item["published"];
    const protocol = item["protocol"];
    return portKeyOf({
      target: goString(target),
      ...(published !== undefined && published !== null ? { published: goString(published) } : {}),
      ...(typeof hostIp === "string" ? { hostIp } : {}),
      ...(typeof protocol === "string" ? { protocol } : {}),
    });
  }
  if (typeof item === "string") return shortPortKey(item);
  return "";
}

interface PortParts {
  readonly target: string;
  readonly published?: string | undefined;
  readonly hostIp?: string | undefined;
  readonly protocol?: string | undefined;
}

function portKeyOf(parts: PortParts): string {
  return `${parts.hostIp ?? "0.0.0.0"}:${parts.published ?? ""}:${parts.target}/${parts.protocol ?? "tcp"}`;
}

/**
 * A short port as ports.ts reads it (what its long form will be): the keys of the ports it stands
 * for (a range of container ports is several). One that cannot be read (yet: `${PORT}:80` under
 * `--no-interpolate`) is its own key; normalize reports it.
 */
function shortPortKey(spec: string): string {
  let ports;
  try {
    ports = parsePortSpec(spec);
  } catch {
    return spec;
  }
  let key = "";
  for (let i = 0; i < ports.length; i++) {
    const port = ports[i] as (typeof ports)[number];
    if (i > 0) key += ",";
    key += portKeyOf({
      target: String(port.target),
      published: port.published,
      hostIp: port.host_ip,
      protocol: port.protocol,
    });
  }
  return key;
}

/** The unicity table compiled: the walk stops where no rule can match below. */
const UNIQUE = compilePatterns(UNIQUE_RULES);

/**
 * The index of the entry that ends up in each place of the sequence: an entry whose key was seen
 * before takes that earlier entry's place. Undefined when no key repeats.
 */
function uniqueOrder(items: readonly Node[], indexer: Indexer, at: ItemAt): number[] | undefined {
  const slots: number[] = []; // where each entry goes
  const positions = new Map<string, number>();
  let kept = 0;
  for (let index = 0; index < items.length; index++) {
    at.index = index;
    const key = indexer(items[index] as Node, at);
    const position = positions.get(key);
    if (position === undefined) {
      positions.set(key, kept);
      slots.push(kept++);
    } else {
      slots.push(position);
    }
  }
  if (kept === items.length) return undefined;
  const order: number[] = [];
  for (let index = 0; index < slots.length; index++) order[slots[index] as number] = index;
  return order;
}

/** EnforceUnicity over a tracked tree found at `path`. Sequences are not descended into, as in compose-go. */
export function uniqueTracked(side: Tracked, path: Path): Tracked {
  const state = stateAt(UNIQUE, path);
  return state ? uniqueAt(side, path, state) : side;
}

function uniqueAt(side: Tracked, path: Path, state: PatternState<Indexer>): Tracked {
  const { value } = side;
  if (isMapping(value)) {
    let changed: Map<string, Tracked> | undefined;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const below = step(state, key);
      if (!below) continue;
      const before = child(side, key);
      const after = uniqueAt(before, [...path, key], below);
      if (after !== before) {
        changed ??= new Map();
        changed.set(key, after);
      }
    }
    if (!changed) return side;
    const next: Mapping = {};
    const children = new Map<string | number, Provenance>();
    for (const key of Object.keys(value)) {
      const item = changed.get(key) ?? child(side, key);
      next[key] = item.value;
      children.set(key, item.prov);
    }
    return { value: next, prov: nodeProvenance(selfOf(side.prov), children) };
  }
  if (isSequence(value) && state.rule) {
    const order = uniqueOrder(value, state.rule, new TrackedItemAt(side, path));
    if (!order) return side;
    return concat(
      order.map((index) => child(side, index)),
      [],
      selfOf(side.prov),
    );
  }
  return side;
}

/** EnforceUnicity over a whole document (what Compose runs after each merge). */
export function enforceUnicity(doc: Located): Located {
  const root = uniqueTracked(tracked(doc.tree, doc.sources, []), []);
  return { tree: root.value as Mapping, sources: sourcesOf(root, [doc.sources]) };
}

/**
 * EnforceUnicity over a plain tree whose locations are `sources` (normalize's step 2): what
 * changes is copied, the rest shared.
 */
export function uniqueTree(tree: Mapping, sources: SourceMap): Mapping {
  const apply = (value: Node, indexer: Indexer, path: Path): Node => {
    if (!isSequence(value)) return value;
    const order = uniqueOrder(value, indexer, new MappedItemAt(sources, path));
    return order ? order.map((index) => value[index] as Node) : value;
  };
  return walkPatterns(tree, UNIQUE, apply, true) as Mapping;
}
