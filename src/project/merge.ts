/**
 * Stage 4: merge one document over the accumulated tree, as Compose (compose-go v2) does:
 * drop what `!reset` / `!override` name, merge with the per-path rules of `override/merge.go`,
 * then remove redefinitions from sequences with the per-path keys of `override/uncity.go`
 * (EnforceUnicity). Extends reuses the same rules to put a base service under the extending one.
 *
 * Locations travel with the values: every merged value carries a provenance (which source map,
 * which path it came from), and the result's SourceMap is written from it, so an item appended
 * to a sequence, or a map entry turned into a `KEY=value` item, points at where it was written.
 */
import { LoadError, type Location } from "../errors.js";
import {
  compilePatterns,
  findRule,
  stateAt,
  step,
  type PathPattern,
  type PatternState,
} from "./path-pattern.js";
import { SourceMap } from "./source-map.js";
import {
  cloneNode,
  formatPath,
  isMapping,
  isSequence,
  typeName,
  type Mapping,
  type Node,
  type Path,
} from "./tree.js";

/** A tree with the locations of its values. */
export interface Located {
  readonly tree: Mapping;
  readonly sources: SourceMap;
}

/** A later document: its tree, its locations and the paths it tagged `!reset` / `!override`. */
export interface Overlay extends Located {
  readonly resetPaths: readonly Path[];
}

/** Where a value was written: a source map and the path of the value in it. */
export interface Origin {
  readonly sources: SourceMap;
  readonly path: Path;
}

/**
 * Where a merged value and everything under it came from. `copy`: the whole subtree is the value
 * found at `origin` (children follow the same relative paths). `node`: the value itself was written
 * at `self` (if anywhere) and each child has its own provenance; children without one have no entry
 * of their own and report their nearest ancestor's location.
 */
export type Provenance =
  | { readonly kind: "copy"; readonly origin: Origin }
  | {
      readonly kind: "node";
      readonly self: Origin | undefined;
      readonly children: ReadonlyMap<string | number, Provenance>;
    };

/** A value with its provenance: what the merge rules work on. */
export interface Tracked {
  readonly value: Node;
  readonly prov: Provenance;
}

const NOWHERE: Provenance = { kind: "node", self: undefined, children: new Map() };

/** A value taken as it is at `path` in `sources`. */
export function tracked(value: Node, sources: SourceMap, path: Path): Tracked {
  return { value, prov: { kind: "copy", origin: { sources, path } } };
}

export function nodeProvenance(
  self: Origin | undefined,
  children: ReadonlyMap<string | number, Provenance>,
): Provenance {
  return { kind: "node", self, children };
}

export function childProvenance(prov: Provenance, key: string | number): Provenance {
  if (prov.kind === "copy") {
    return { kind: "copy", origin: { sources: prov.origin.sources, path: [...prov.origin.path, key] } };
  }
  return prov.children.get(key) ?? NOWHERE;
}

function selfOf(prov: Provenance): Origin | undefined {
  return prov.kind === "copy" ? prov.origin : prov.self;
}

/** Where the value of a tracked node was written, for error messages. */
export function locationOf(prov: Provenance): Location | undefined {
  const self = selfOf(prov);
  return self?.sources.valueAt(self.path);
}

function keyLocationOf(prov: Provenance): Location | undefined {
  const self = selfOf(prov);
  return self?.sources.keyAt(self.path);
}

/** The later side's own location when it has one, else the earlier side's. */
function pickSelf(over: Provenance, base: Provenance): Origin | undefined {
  const fromOver = selfOf(over);
  if (fromOver && fromOver.sources.has(fromOver.path)) return fromOver;
  return selfOf(base) ?? fromOver;
}

function child(side: Tracked, key: string | number): Tracked {
  const value = isMapping(side.value)
    ? side.value[key as string]
    : isSequence(side.value)
      ? side.value[key as number]
      : undefined;
  return { value: value ?? null, prov: childProvenance(side.prov, key) };
}

/**
 * The SourceMap of a tracked tree that sits at the root. `layers` are copied in first, later ones
 * winning (the maps the tree was made from: for a merge, the earlier tree's then the later file's);
 * then the value is walked and only what the layers do not already say right is written:
 * - a subtree copied at its own path from the last layer is already right;
 * - a subtree copied at its own path from an earlier layer only needs its own entry rewritten
 *   (the later layers have nothing under a path they did not contribute to, but a `null` there);
 * - anything else (items moved to another index, `KEY=value` items made from a mapping, values
 *   from maps that are not layers) is written entry by entry.
 * Entries the layers hold for paths the tree no longer has are left: nothing looks them up.
 */
export function sourcesOf(root: Tracked, layers: readonly SourceMap[] = []): SourceMap {
  const target = new SourceMap();
  for (const layer of layers) target.absorb(layer);
  new SourceWriter(target, layers).write(root.value, root.prov, []);
  return target;
}

class SourceWriter {
  private readonly top: SourceMap | undefined;

  constructor(
    private readonly target: SourceMap,
    private readonly layers: readonly SourceMap[],
  ) {
    this.top = layers[layers.length - 1];
  }

  write(value: Node, prov: Provenance, at: Path): void {
    if (prov.kind === "copy" && samePath(prov.origin.path, at)) {
      if (prov.origin.sources === this.top) return;
      if (this.layers.includes(prov.origin.sources)) {
        this.copyEntry(prov.origin, at);
        return;
      }
    }
    const self = selfOf(prov);
    if (self) this.copyEntry(self, at);
    if (isMapping(value)) {
      for (const key of Object.keys(value)) {
        this.write(value[key] as Node, childProvenance(prov, key), [...at, key]);
      }
    } else if (isSequence(value)) {
      value.forEach((item, index) => this.write(item, childProvenance(prov, index), [...at, index]));
    }
  }

  private copyEntry(origin: Origin, at: Path): void {
    // A reference, not a lookup: resolving it would parse the file for locations, which only an error needs.
    if (origin.sources.has(origin.path)) this.target.setFrom(at, origin.sources, origin.path);
  }
}

function samePath(a: Path, b: Path): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Merge rules (compose-go override/merge.go, `mergeSpecials`).

type Merger = (base: Tracked, over: Tracked, path: Path) => Tracked;

const MERGE_RULES: Readonly<Record<PathPattern, Merger>> = {
  "networks.*.ipam.config": mergeIpamConfig,
  "networks.*.labels": mergeToSequence,
  "volumes.*.labels": mergeToSequence,
  "services.*.annotations": mergeToSequence,
  "services.*.build": mergeBuild,
  "services.*.build.args": mergeToSequence,
  "services.*.build.additional_contexts": mergeToSequence,
  "services.*.build.extra_hosts": mergeExtraHosts,
  "services.*.build.labels": mergeToSequence,
  "services.*.command": replace,
  "services.*.depends_on": mergeDependsOn,
  "services.*.deploy.labels": mergeToSequence,
  "services.*.dns": mergeToSequence,
  "services.*.dns_opt": mergeToSequence,
  "services.*.dns_search": mergeToSequence,
  "services.*.entrypoint": replace,
  "services.*.env_file": mergeToSequence,
  "services.*.label_file": mergeToSequence,
  "services.*.environment": mergeToSequence,
  "services.*.extra_hosts": mergeExtraHosts,
  "services.*.healthcheck.test": replace,
  "services.*.labels": mergeToSequence,
  "services.*.logging": mergeLogging,
  "services.*.models": mergeToMapping,
  "services.*.networks": mergeToMapping,
  "services.*.sysctls": mergeToSequence,
  "services.*.tmpfs": mergeToSequence,
  "services.*.ulimits.*": replace,
};

/**
 * Merge `over` onto `base` at `path` (compose-go `mergeYaml`): a rule for the path if there is one;
 * otherwise a null override keeps the base, mappings merge key by key, sequences append, and
 * anything else is replaced.
 */
export function mergeTracked(base: Tracked, over: Tracked, path: Path): Tracked {
  const rule = findRule(MERGE_RULES, path);
  if (rule) return rule(base, over, path);
  if (over.value === null) return base;
  if (isMapping(base.value)) {
    if (!isMapping(over.value)) throw cannotOverride(base, over, path);
    return mergeMappings(base, over, path);
  }
  if (isSequence(base.value)) {
    if (!isSequence(over.value)) throw cannotOverride(base, over, path);
    return appendSequences(base, over);
  }
  return over;
}

function cannotOverride(base: Tracked, over: Tracked, path: Path): LoadError {
  return new LoadError(
    `cannot override ${describeType(base.value)} with ${describeType(over.value)}`,
    locationOf(over.prov),
    formatPath(path),
  );
}

function describeType(value: Node): string {
  const name = typeName(value);
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function mergeMappings(base: Tracked, over: Tracked, path: Path): Tracked {
  const left = isMapping(base.value) ? base.value : {};
  const right = isMapping(over.value) ? over.value : {};
  const value: Mapping = {};
  const children = new Map<string | number, Provenance>();
  for (const key of Object.keys(left)) {
    const baseChild = child(base, key);
    if (Object.hasOwn(right, key)) {
      const merged = mergeTracked(baseChild, child(over, key), [...path, key]);
      value[key] = merged.value;
      children.set(key, merged.prov);
    } else {
      value[key] = baseChild.value;
      children.set(key, baseChild.prov);
    }
  }
  for (const key of Object.keys(right)) {
    if (Object.hasOwn(left, key)) continue;
    const overChild = child(over, key);
    value[key] = overChild.value;
    children.set(key, overChild.prov);
  }
  return { value, prov: nodeProvenance(pickSelf(over.prov, base.prov), children) };
}

function appendSequences(base: Tracked, over: Tracked): Tracked {
  const left = isSequence(base.value) ? base.value : [];
  const right = isSequence(over.value) ? over.value : [];
  return concat(
    left.map((_, i) => child(base, i)),
    right.map((_, i) => child(over, i)),
    pickSelf(over.prov, base.prov),
  );
}

function concat(left: readonly Tracked[], right: readonly Tracked[], self: Origin | undefined): Tracked {
  const items = [...left, ...right];
  const children = new Map<string | number, Provenance>();
  items.forEach((item, index) => children.set(index, item.prov));
  return { value: items.map((item) => item.value), prov: nodeProvenance(self, children) };
}

/** `command`, `entrypoint`, `healthcheck.test`, each `ulimits` entry: the later value wins as is. */
function replace(_base: Tracked, over: Tracked): Tracked {
  return over;
}

/**
 * `environment`, `labels`, `build.args`, `sysctls`, `dns`, `tmpfs`, ...: both sides become
 * `KEY=value` sequences (a mapping's entries sorted) and are appended; the unicity pass then keeps
 * one entry per key, in the first position, with the last value.
 */
function mergeToSequence(base: Tracked, over: Tracked): Tracked {
  const left = toSequence(base);
  const right = toSequence(over);
  return sequenceResult(left, right ?? [], over, base);
}

/** `extra_hosts`: like mergeToSequence, but entries of the later side equal to an earlier one are dropped. */
function mergeExtraHosts(base: Tracked, over: Tracked): Tracked {
  const left = toSequence(base);
  const earlier = left ?? [];
  const right = (toSequence(over) ?? []).filter(
    (item) => !earlier.some((existing) => existing.value === item.value),
  );
  return sequenceResult(left, right, over, base);
}

/** Go's `append(left, right...)` keeps a nil left when nothing is appended: the result is then null. */
function sequenceResult(
  left: readonly Tracked[] | null,
  right: readonly Tracked[],
  over: Tracked,
  base: Tracked,
): Tracked {
  const self = pickSelf(over.prov, base.prov);
  if (left === null && right.length === 0) return { value: null, prov: nodeProvenance(self, new Map()) };
  return concat(left ?? [], right, self);
}

/** compose-go `convertIntoSequence`: a mapping becomes sorted `KEY=value` items, a string a one-item list. */
function toSequence(side: Tracked): Tracked[] | null {
  const { value } = side;
  if (isSequence(value)) return value.map((_, i) => child(side, i));
  if (typeof value === "string") {
    return [{ value, prov: nodeProvenance(selfOf(side.prov), new Map()) }];
  }
  if (!isMapping(value)) return null;
  const items: Tracked[] = [];
  for (const [key, entry] of Object.entries(value)) {
    const at = childProvenance(side.prov, key);
    if (entry === null) {
      items.push({ value: key, prov: nodeProvenance(selfOf(at), new Map()) });
    } else if (isSequence(entry)) {
      entry.forEach((item, index) => {
        const itemSelf = selfOf(childProvenance(at, index));
        items.push({ value: `${key}=${goString(item)}`, prov: nodeProvenance(itemSelf, new Map()) });
      });
    } else {
      items.push({ value: `${key}=${goString(entry)}`, prov: nodeProvenance(selfOf(at), new Map()) });
    }
  }
  if (items.length === 0) return null;
  items.sort((a, b) => compareStrings(a.value as string, b.value as string));
  return items;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A value as Go's `%v` prints it. Floats use the shortest `%g` form, which switches to an exponent
 * from 1e6 (`1.2345675e+06`). Integral numbers print as integers: the tree does not keep whether
 * YAML wrote `1e6` or `1000000`.
 */
function goString(value: Node): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "<nil>";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    const [mantissa = "", exp = "0"] = value.toExponential().split("e");
    const exponent = Number(exp);
    if (exponent < -4 || exponent >= 6) {
      const digits = String(Math.abs(exponent)).padStart(2, "0");
      return `${mantissa}e${exponent < 0 ? "-" : "+"}${digits}`;
    }
    return String(value);
  }
  return JSON.stringify(value);
}

/** compose-go `convertIntoMapping`: a list of names becomes `{name: default}`. */
function toMapping(side: Tracked, defaults: Mapping | null): Tracked | null {
  const { value } = side;
  if (isMapping(value)) return side;
  if (!isSequence(value)) return null;
  const mapping: Mapping = {};
  const children = new Map<string | number, Provenance>();
  value.forEach((item, index) => {
    const name = typeof item === "string" ? item : goString(item);
    mapping[name] = defaults === null ? null : cloneNode(defaults);
    children.set(name, nodeProvenance(selfOf(childProvenance(side.prov, index)), new Map()));
  });
  return { value: mapping, prov: nodeProvenance(selfOf(side.prov), children) };
}

function mergeConverted(base: Tracked | null, over: Tracked | null, path: Path, fallback: Tracked): Tracked {
  if (base === null && over === null) {
    return { value: null, prov: fallback.prov };
  }
  const empty: Tracked = { value: {}, prov: NOWHERE };
  return mergeMappings(base ?? empty, over ?? empty, path);
}

/** `depends_on`: lists become `{service: {condition: service_started, required: true}}`, then merge by key. */
function mergeDependsOn(base: Tracked, over: Tracked, path: Path): Tracked {
  const defaults: Mapping = { condition: "service_started", required: true };
  return mergeConverted(toMapping(base, defaults), toMapping(over, defaults), path, over);
}

/** Service `networks` and `models`: lists become `{name: null}`, then merge by key. */
function mergeToMapping(base: Tracked, over: Tracked, path: Path): Tracked {
  return mergeConverted(toMapping(base, null), toMapping(over, null), path, over);
}

/** `build`: a string is `{context: string}`, then merge by key. */
function mergeBuild(base: Tracked, over: Tracked, path: Path): Tracked {
  const asMapping = (side: Tracked): Tracked | null => {
    if (isMapping(side.value)) return side;
    if (typeof side.value !== "string") return null;
    const self = selfOf(side.prov);
    return {
      value: { context: side.value },
      prov: nodeProvenance(self, new Map([["context", nodeProvenance(self, new Map())]])),
    };
  };
  return mergeConverted(asMapping(base), asMapping(over), path, over);
}

/** `logging`: options merge only when both sides name the same driver (or either names none). */
function mergeLogging(base: Tracked, over: Tracked, path: Path): Tracked {
  if (!isMapping(base.value) || !isMapping(over.value)) return over.value === null ? base : over;
  const overDriver = Object.hasOwn(over.value, "driver") ? over.value["driver"] : undefined;
  const baseDriver = Object.hasOwn(base.value, "driver") ? base.value["driver"] : undefined;
  if (overDriver === baseDriver || overDriver === undefined || baseDriver === undefined) {
    return mergeMappings(base, over, path);
  }
  return over;
}

/**
 * `networks.*.ipam.config`, ported with compose-go's exact semantics (mergeIPAMConfig): entries
 * with the same subnet are merged, others appended. Go merges into the base entry in place, and
 * an entry appended earlier aliases it; the boxes below keep that aliasing.
 */
function mergeIpamConfig(base: Tracked, over: Tracked, path: Path): Tracked {
  if (!isSequence(base.value)) {
    throw new LoadError(
      "cannot merge ipam config: the earlier value is not a list",
      locationOf(base.prov),
      formatPath(path),
    );
  }
  if (!isSequence(over.value)) {
    throw new LoadError(
      "cannot merge ipam config: the later value is not a list",
      locationOf(over.prov),
      formatPath(path),
    );
  }
  interface Box {
    side: Tracked;
  }
  const subnet = (side: Tracked): Node => (isMapping(side.value) ? (side.value["subnet"] ?? null) : null);
  const asMapping = (side: Tracked): Tracked => toMapping(side, null) ?? { value: {}, prov: side.prov };
  const configs: Box[] = [];
  base.value.forEach((_, i) => {
    const right: Box = { side: asMapping(child(base, i)) };
    (over.value as Node[]).forEach((__, j) => {
      const left = asMapping(child(over, j));
      if (subnet(left) !== subnet(right.side)) {
        if (!configs.some((box) => subnet(box.side) === subnet(left))) {
          configs.push({ side: left });
          return;
        }
      }
      right.side = mergeMappings(right.side, left, path);
      const existing = configs.findIndex((box) => subnet(box.side) === subnet(right.side));
      if (existing >= 0) configs[existing] = right;
      else configs.push(right);
    });
  });
  if (configs.length === 0) {
    return { value: null, prov: nodeProvenance(pickSelf(over.prov, base.prov), new Map()) };
  }
  return concat(
    configs.map((box) => box.side),
    [],
    pickSelf(over.prov, base.prov),
  );
}

// ---------------------------------------------------------------------------------------------
// Unicity (compose-go override/uncity.go, `EnforceUnicity`): in these sequences, an entry whose
// key was seen before replaces the earlier one in its position.

/** An entry's key; `at` says where the entry is, for an error. */
type Indexer = (item: Node, at: ItemAt) => string;

/**
 * Where the entry an indexer reads is: one per sequence, its `index` moving along, so a valid
 * sequence costs no path or provenance per entry (they are made only for an error).
 */
class ItemAt {
  index = 0;

  constructor(
    private readonly sequence: Tracked,
    private readonly sequencePath: Path,
  ) {}

  get path(): Path {
    return [...this.sequencePath, this.index];
  }

  location(): Location | undefined {
    return locationOf(childProvenance(this.sequence.prov, this.index));
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

function volumeKey(item: Node, at: ItemAt): string {
  if (isMapping(item)) {
    const target = item["target"];
    if (typeof target !== "string") throw missing("service volume is missing a mount target", at);
    return target;
  }
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
 * The container path of a short-syntax volume (`[source:]target[:mode]`), split as compose-go's
 * ParseVolume does: a one-letter segment before `:` is a Windows drive, `${...}` is kept whole.
 */
export function volumeTarget(spec: string): string | { error: string } {
  if (spec.length === 0) return { error: "invalid empty volume spec" };
  if (spec.length <= 2) return spec;
  const parts: string[] = [];
  let start = 0; // the section being read is spec[start, i)
  let depth = 0;
  // By UTF-16 unit: the characters that matter are ASCII, and sections are slices of the spec.
  for (let i = 0; i <= spec.length; i++) {
    const atEnd = i === spec.length;
    const char = atEnd ? "" : spec[i];
    if (char === "$" && spec[i + 1] === "{") {
      depth++;
      continue;
    }
    if (char === "}" && depth > 0) {
      depth--;
      continue;
    }
    if (char === ":" && isDriveLetter(spec.slice(start, i))) continue; // `C:` stays in the section
    if ((char === ":" || atEnd) && depth === 0) {
      if (i === start) return { error: "empty section between colons" };
      if (parts.length >= 2 && !atEnd) return { error: "too many colons" };
      parts.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  if (start < spec.length) parts.push(spec.slice(start)); // an unclosed `${` ran to the end
  return parts.length === 1 ? (parts[0] ?? spec) : (parts[1] ?? spec);
}

/** One character, a letter: a Windows drive before its `:`. */
function isDriveLetter(section: string): boolean {
  return section.length <= 2 && [...section].length === 1 && /\p{L}/u.test(section);
}

function deviceKey(item: Node, at: ItemAt): string {
  if (isMapping(item)) {
    const target = item["target"];
    if (typeof target !== "string") throw missing("service device is missing a target", at);
    return target;
  }
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
    if (!Object.hasOwn(item, "target")) throw missing("service port is missing a target port", at);
    const hostIp = item["host_ip"];
    const published = item["published"];
    const protocol = item["protocol"];
    return portKeyOf({
      target: goString(item["target"] ?? null),
      ...(published !== undefined && published !== null ? { published: goString(published) } : {}),
      ...(typeof hostIp === "string" ? { hostIp } : {}),
      ...(typeof protocol === "string" ? { protocol } : {}),
    });
  }
  if (typeof item === "string") return portKeyOf(parseShortPort(item));
  return "";
}

interface PortParts {
  readonly target: string;
  readonly published?: string;
  readonly hostIp?: string;
  readonly protocol?: string;
}

function portKeyOf(parts: PortParts): string {
  return `${parts.hostIp ?? "0.0.0.0"}:${parts.published ?? ""}:${parts.target}/${parts.protocol ?? "tcp"}`;
}

/** `[[host_ip:]published:]target[/protocol]`, with an IPv6 host in brackets. */
function parseShortPort(spec: string): PortParts {
  let rest = spec;
  let protocol: string | undefined;
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close > 0) {
      hostIp = rest.slice(1, close);
      rest = rest.slice(close + 1).replace(/^:/, "");
    }
  }
  const parts = rest.split(":");
  let target = parts[parts.length - 1] ?? rest;
  let published: string | undefined;
  if (parts.length >= 2) published = parts[parts.length - 2];
  if (parts.length >= 3 && hostIp === undefined) hostIp = parts.slice(0, parts.length - 2).join(":");
  if (published === "") published = undefined;
  if (hostIp === "") hostIp = undefined;
  target = target.trim();
  return {
    target,
    ...(published !== undefined ? { published } : {}),
    ...(hostIp !== undefined ? { hostIp } : {}),
    ...(protocol !== undefined && protocol !== "" ? { protocol } : {}),
  };
}

/** The unicity table compiled: the walk stops where no rule can match below. */
const UNIQUE = compilePatterns(UNIQUE_RULES);

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
  if (isSequence(value)) {
    const indexer = state.rule;
    if (!indexer) return side;
    // Where each entry ends up: its own index, or the index of the first entry with its key.
    const slots: number[] = [];
    const positions = new Map<string, number>();
    let kept = 0;
    const at = new ItemAt(side, path);
    for (let index = 0; index < value.length; index++) {
      at.index = index;
      const key = indexer(value[index] as Node, at);
      const position = positions.get(key);
      if (position === undefined) {
        positions.set(key, kept);
        slots.push(kept++);
      } else {
        slots.push(position);
      }
    }
    if (kept === value.length) return side; // no duplicates
    const entries: Tracked[] = [];
    slots.forEach((slot, index) => (entries[slot] = child(side, index))); // a later entry replaces an earlier one
    return concat(entries, [], selfOf(side.prov));
  }
  return side;
}

/** EnforceUnicity over a whole document (what Compose runs after each merge). */
export function enforceUnicity(doc: Located): Located {
  const root = uniqueTracked(tracked(doc.tree, doc.sources, []), []);
  return { tree: root.value as Mapping, sources: sourcesOf(root, [doc.sources]) };
}

// ---------------------------------------------------------------------------------------------
// Reset (compose-go loader/reset.go, ResetProcessor.Apply).

/**
 * A copy of `tree` without the mapping entries named by `!reset` / `!override` paths (only the
 * mappings on those paths are copied). Like compose-go, entries of sequences are never removed:
 * a path through a sequence index matches nothing.
 */
export function withoutResetPaths(tree: Node, resetPaths: readonly Path[]): Node {
  let result = tree;
  for (const path of resetPaths) {
    if (path.length === 0 || path.some((segment) => typeof segment === "number")) continue;
    result = withoutPath(result, path as readonly string[]);
  }
  return result;
}

function withoutPath(node: Node, path: readonly string[]): Node {
  const [head, ...rest] = path;
  if (head === undefined || !isMapping(node) || !Object.hasOwn(node, head)) return node;
  const copy: Mapping = { ...node };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutPath(node[head] as Node, rest);
  return copy;
}

/**
 * Merge `next` over `base` as Compose merges one compose file over the files before it: drop the
 * paths `next` tagged `!reset` / `!override` from `base`, merge with the rules above, then keep
 * one entry per key in the sequences that have one. Neither input is modified; the result shares
 * the subtrees it takes unchanged from them (trees are never mutated after they are built).
 */
export function mergeDocuments(base: Located, next: Overlay): Located {
  const merged = mergeTracked(
    tracked(withoutResetPaths(base.tree, next.resetPaths), base.sources, []),
    tracked(next.tree, next.sources, []),
    [],
  );
  const root = uniqueTracked(merged, []);
  if (!isMapping(root.value)) {
    throw new LoadError("top-level object must be a mapping", keyLocationOf(root.prov));
  }
  return { tree: root.value, sources: sourcesOf(root, [base.sources, next.sources]) };
}
