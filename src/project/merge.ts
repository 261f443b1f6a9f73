/**
 * Stage 6: merge one document over the accumulated tree, as Compose (compose-go v2) does:
 * drop what `!reset` / `!override` name, merge with the per-path rules of `override/merge.go`,
 * then remove redefinitions from sequences with the per-path keys of `override/uncity.go`
 * (EnforceUnicity, unicity.ts). Extends reuses the same rules to put a base service under the
 * extending one.
 *
 * Locations travel with the values: every merged value carries a provenance (provenance.ts: which
 * source map, which path it came from), and the result's SourceMap is written from it.
 */
import { LoadError } from "../errors.js";
import { findRule, type PathPattern } from "./path-pattern.js";
import {
  child,
  childProvenance,
  concat,
  keyLocationOf,
  locationOf,
  nodeProvenance,
  NOWHERE,
  pickSelf,
  selfOf,
  sourcesOf,
  tracked,
  type Located,
  type Provenance,
  type Tracked,
} from "./provenance.js";
import {
  cloneNode,
  formatPath,
  goString,
  isMapping,
  isSequence,
  typeName,
  type Mapping,
  type Node,
  type Path,
} from "./tree.js";
import { uniqueTracked } from "./unicity.js";

// Merge's tests read these from here.
export { type Located } from "./provenance.js";
export { enforceUnicity, volumeTarget } from "./unicity.js";

/** A later document: its tree, its locations and the paths it tagged `!reset` / `!override`. */
export interface Overlay extends Located {
  readonly resetPaths: readonly Path[];
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
