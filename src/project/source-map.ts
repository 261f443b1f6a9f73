import type { Location } from "../errors.js";
import { formatPath, type Path } from "./tree.js";

interface Entry {
  /** Where the value starts. */
  readonly value: Location;
  /** Where the mapping key starts, for entries of a mapping. */
  readonly key?: Location;
}

/**
 * Dotted path → where it was written. Filled by parse, carried through merge and extends,
 * read by every stage that reports an error. Later files overwrite earlier ones.
 */
export class SourceMap {
  private readonly entries = new Map<string, Entry>();

  set(path: Path, value: Location, key?: Location): void {
    this.entries.set(formatPath(path), key ? { value, key } : { value });
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

  has(path: Path): boolean {
    return this.entries.has(formatPath(path));
  }

  /** Copy every entry of `other` in, overwriting: used when a later file is merged over earlier ones. */
  absorb(other: SourceMap): void {
    for (const [key, entry] of other.entries) this.entries.set(key, entry);
  }

  /**
   * Copy the entries under `from` (in `source`) to sit under `to` here, without overwriting
   * entries already present: extends copies a base service under the extending service's name.
   */
  graft(source: SourceMap, from: Path, to: Path): void {
    const fromKey = formatPath(from);
    const toKey = formatPath(to);
    for (const [key, entry] of source.entries) {
      if (key !== fromKey && !key.startsWith(`${fromKey}.`) && !key.startsWith(`${fromKey}[`)) continue;
      const target = toKey + key.slice(fromKey.length);
      if (!this.entries.has(target)) this.entries.set(target, entry);
    }
  }

  private nearest(path: Path): Entry | undefined {
    for (let length = path.length; length >= 0; length--) {
      const entry = this.entries.get(formatPath(path.slice(0, length)));
      if (entry) return entry;
    }
    return undefined;
  }
}
