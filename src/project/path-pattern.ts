/**
 * Path patterns shared by the per-path rule tables of interpolate (type casts), merge and normalize.
 * A pattern is dot-separated: a literal key, `*` for any mapping key, `[]` for any sequence index.
 * Example: `services.*.ports.[]` matches ["services", "web", "ports", 0].
 */
import type { Path } from "./tree.js";

export type PathPattern = string;

const cache = new Map<PathPattern, readonly string[]>();

function segmentsOf(pattern: PathPattern): readonly string[] {
  let segments = cache.get(pattern);
  if (!segments) {
    segments = pattern === "" ? [] : pattern.split(".");
    cache.set(pattern, segments);
  }
  return segments;
}

export function matches(path: Path, pattern: PathPattern): boolean {
  const segments = segmentsOf(pattern);
  if (segments.length !== path.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const want = segments[i];
    const got = path[i];
    if (want === "[]") {
      if (typeof got !== "number") return false;
    } else if (want === "*") {
      if (typeof got !== "string") return false;
    } else if (want !== got) return false;
  }
  return true;
}

/** The first rule whose pattern matches `path`, from a table of `pattern → rule`. */
export function findRule<T>(table: Readonly<Record<PathPattern, T>>, path: Path): T | undefined {
  for (const pattern in table) {
    if (matches(path, pattern)) return table[pattern];
  }
  return undefined;
}
