/**
 * Provenance: where each value of a tree built by merging came from, so that the result's SourceMap
 * can be written from it. Merge, unicity, include and extends build `Tracked` values; `sourcesOf`
 * turns one into a SourceMap, so an item appended to a sequence, or a map entry turned into a
 * `KEY=value` item, points at where it was written.
 */
import type { Location } from "../errors.js";
import { SourceMap } from "./source-map.js";
import { isMapping, isSequence, type Mapping, type Node, type Path } from "./tree.js";

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

/** No location of its own, and none below. */
export const NOWHERE: Provenance = { kind: "node", self: undefined, children: new Map() };

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

export function selfOf(prov: Provenance): Origin | undefined {
  return prov.kind === "copy" ? prov.origin : prov.self;
}

/** Where the value of a tracked node was written, for error messages. */
export function locationOf(prov: Provenance): Location | undefined {
  const self = selfOf(prov);
  return self?.sources.valueAt(self.path);
}

export function keyLocationOf(prov: Provenance): Location | undefined {
  const self = selfOf(prov);
  return self?.sources.keyAt(self.path);
}

/** The later side's own location when it has one, else the earlier side's. */
export function pickSelf(over: Provenance, base: Provenance): Origin | undefined {
  const fromOver = selfOf(over);
  if (fromOver && fromOver.sources.has(fromOver.path)) return fromOver;
  return selfOf(base) ?? fromOver;
}

export function child(side: Tracked, key: string | number): Tracked {
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

/** `left` then `right` as one sequence, each item keeping its provenance. */
export function concat(
  left: readonly Tracked[],
  right: readonly Tracked[],
  self: Origin | undefined,
): Tracked {
  const items = [...left, ...right];
  const children = new Map<string | number, Provenance>();
  items.forEach((item, index) => children.set(index, item.prov));
  return { value: items.map((item) => item.value), prov: nodeProvenance(self, children) };
}
