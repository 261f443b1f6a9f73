import type { Location } from "../errors.js";
import { formatPath, getAt, type Node, type Path } from "./tree.js";

interface Entry {
  /** Where the value starts. */
  readonly value: Location;
  /** Where the mapping key starts, for entries of a mapping. */
  readonly key?: Location;
}

/** An entry that says "look where `path` was written in `sources`" (resolved only when asked). */
interface Reference {
  readonly sources: SourceMap;
  readonly path: Path;
}

/**
 * Dotted path → where it was written. Read by every stage that reports an error.
 *
 * Locations cost a second, slower YAML parse, and a valid project never needs one, so a file's map
 * can be deferred: it answers `has` from the file's tree and parses for locations on the first
 * lookup. Maps made by merging keep references (`absorb`, `setFrom`) instead of copying entries, so
 * merging never forces a deferred map to parse.
 */
export class SourceMap {
  private readonly entries = new Map<string, Entry | Reference>();
  /** Maps absorbed earlier; later ones win, and own entries win over all of them. */
  private readonly layers: SourceMap[] = [];
  private pending: (() => SourceMap) | undefined;
  private readonly tree: Node | undefined;

  constructor(deferred?: { tree: Node; load: () => SourceMap }) {
    this.pending = deferred?.load;
    this.tree = deferred?.tree;
  }

  set(path: Path, value: Location, key?: Location): void {
    this.entries.set(formatPath(path), key ? { value, key } : { value });
  }

  /** `path` here was written where `originPath` in `origin` was. */
  setFrom(path: Path, origin: SourceMap, originPath: Path): void {
    this.entries.set(formatPath(path), { sources: origin, path: originPath });
  }

  /** Where the value at `path` (or its nearest recorded ancestor) was written. */
  valueAt(path: Path): Location | undefined {
    return this.nearest(path)?.value;
  }

  /** Where the key of `path` was written; falls back to the value, then to ancestors. */
  keyAt(path: Path): Location | undefined {
    const entry = this.nearest(path);
    return entry?.key ?? entry?.value;
  }

  /** Whether `path` itself was written in the files behind this map. */
  has(path: Path): boolean {
    if (this.pending) return this.tree !== undefined && getAt(this.tree, path) !== undefined;
    if (this.entries.has(formatPath(path))) return true;
    return this.layers.some((layer) => layer.has(path));
  }

  /** Take `other`'s entries as a base, overwriting what earlier layers said: a later file over earlier ones. */
  absorb(other: SourceMap): void {
    this.layers.push(other);
  }

  private exact(key: string): Entry | undefined {
    this.materialize();
    const own = this.entries.get(key);
    if (own) return "sources" in own ? own.sources.exact(formatPath(own.path)) : own;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const entry = this.layers[i]?.exact(key);
      if (entry) return entry;
    }
    return undefined;
  }

  private materialize(): void {
    const load = this.pending;
    if (!load) return;
    this.pending = undefined;
    const precise = load();
    for (const [key, entry] of precise.entries) if (!this.entries.has(key)) this.entries.set(key, entry);
  }

  private nearest(path: Path): Entry | undefined {
    for (let length = path.length; length >= 0; length--) {
      const entry = this.exact(formatPath(path.slice(0, length)));
      if (entry) return entry;
    }
    return undefined;
  }
}
