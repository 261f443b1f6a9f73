/**
 * Stage 2: YAML text → raw tree, fast. Most compose files are plain block-style YAML, which the
 * fast reader (yaml-fast.ts) reads ~1.6× faster than js-yaml in a cold process; anything
 * else goes to js-yaml (about five times faster than the `yaml` library on a large file), with a
 * schema that reads scalars as Compose's go-yaml v3 does (yaml-schema.ts). Both give the same tree.
 * Locations are deferred: each document's SourceMap runs the precise reader (yaml-precise.ts) on
 * the first lookup, which only an error makes. Whenever js-yaml fails or meets something the
 * precise reader judges better (a non-string key, alias expansion past the cap, a non-mapping
 * document), the precise reader runs and its error, with file:line:col, is the one reported.
 */
import { loadAll, YAMLException } from "js-yaml";
import { LoadError, type Location } from "../errors.js";
import { SourceMap } from "./source-map.js";
import { copyEntries, setEntry, type Mapping, type Node, type Path } from "./tree.js";
import { readFast } from "./yaml-fast.js";
import { COMPOSE_SCHEMA, looksNonString, OverrideMark, RESET, ResetMark } from "./yaml-schema.js";
import {
  MAX_DEPTH,
  MAX_FILE_BYTES,
  MAX_NODE_VISITS,
  parseYamlPrecise,
  type ParsedDocument,
} from "./yaml-precise.js";

export { MAX_DEPTH, MAX_FILE_BYTES, MAX_NODE_VISITS, type ParsedDocument } from "./yaml-precise.js";

/** Bytes of a file → text: UTF-8 (a BOM is dropped), or UTF-16 with a BOM, as go-yaml accepts. */
export function decodeSource(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_FILE_BYTES) {
    throw new LoadError(`file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`, { file, line: 1, col: 1 });
  }
  let encoding = "utf-8";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    throw new LoadError("file is not valid UTF-8", locate(bytes, offset, file));
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // YAML allows no C0 control character but tab, LF and CR (go-yaml: "control characters are not allowed").
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(body);
  if (control) {
    const before = body.slice(0, control.index);
    const line = before.split("\n").length;
    const col = control.index - before.lastIndexOf("\n");
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0");
    throw new LoadError(`control character U+00${code.toUpperCase()} is not allowed in YAML`, {
      file,
      line,
      col,
    });
  }
  return body;
}

/** Parse every YAML document of a file. An empty file (or one of only comments) yields none. */
export function parseYaml(text: string, file: string): ParsedDocument[] {
  let precise: ParsedDocument[] | undefined;
  const parsePrecisely = (): ParsedDocument[] => (precise ??= parseYamlPrecise(text, file));
  /** The precise reader's error; if it finds none, `fallback` (the two readers disagree). */
  const failPrecisely = (fallback: LoadError): never => {
    parsePrecisely();
    throw fallback;
  };

  // The fast reader's tree is final: it keeps the bounds and key checks of `toTree` itself.
  const fast = readFast(text);
  if (fast) {
    const tree = fast[0] as Mapping;
    const sources = new SourceMap({ tree, load: () => parsePrecisely()[0]?.sources ?? new SourceMap() });
    return [{ file, tree, sources, resetPaths: [] }];
  }

  let raw: unknown[];
  try {
    raw = loadAll(text, undefined, { filename: file, schema: COMPOSE_SCHEMA });
  } catch (error) {
    if (error instanceof YAMLException) {
      const at: Location = { file, line: error.mark.line + 1, col: error.mark.column + 1 };
      return failPrecisely(new LoadError(`invalid YAML: ${error.reason}`, at));
    }
    // js-yaml recurses per level: nesting a few thousand deep overflows the stack. The precise
    // reader bounds nesting as it parses: its located error, or its tree.
    if (error instanceof RangeError) return parsePrecisely();
    throw error;
  }

  const out: ParsedDocument[] = [];
  try {
    for (const value of raw) {
      if (value === null || value === undefined) continue; // empty document, as the precise reader skips it
      const index = out.length;
      const resetPaths: Path[] = [];
      const tree = toTree(value, resetPaths);
      if (tree === null || typeof tree !== "object" || Array.isArray(tree)) throw new Doubt();
      const sources = new SourceMap({
        tree,
        load: () => parsePrecisely()[index]?.sources ?? new SourceMap(),
      });
      out.push({ file, tree, sources, resetPaths });
    }
  } catch (error) {
    // The precise reader decides, and says where: an error of its own, or its tree when the doubt
    // was unfounded (a quoted key such as "123" is a string; js-yaml no longer tells it from 123).
    if (error instanceof Doubt) return parsePrecisely();
    throw error;
  }
  return out;
}

/** Something js-yaml's tree cannot settle (a key that may not be a string, a bound, a top-level value). */
class Doubt extends Error {}
const doubt = (): never => {
  throw new Doubt();
};

/**
 * js-yaml's value → our tree, bounded in nodes and depth, with `!reset` values dropped and
 * `!override` values unwrapped, their paths recorded. Containers are copied only where something
 * changes (aliases stay shared objects, which is safe: no stage mutates a tree), but every alias is
 * walked, so the node bound still stops "billion laughs" files.
 */
function toTree(root: unknown, resetPaths: Path[]): Node {
  let visits = 0;
  const path: (string | number)[] = [];
  const walk = (value: unknown, depth: number): Node | ResetMark => {
    if (++visits > MAX_NODE_VISITS || depth > MAX_DEPTH) doubt();
    if (value === null || value === undefined) return null;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    if (value === RESET) {
      resetPaths.push([...path]);
      return RESET;
    }
    if (value instanceof OverrideMark) {
      resetPaths.push([...path]);
      return walk(value.value, depth);
    }
    if (Array.isArray(value)) return walkSequence(value, depth);
    if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return walkMapping(value as Record<string, unknown>, depth);
    }
    return doubt();
  };
  /** The sequence itself, or a copy from the first item that changed. */
  const walkSequence = (value: unknown[], depth: number): Node[] => {
    let out: Node[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      path.push(i);
      const converted = walk(item, depth + 1);
      path.pop();
      if (converted === item && converted !== RESET && out === undefined) continue;
      out ??= value.slice(0, i) as Node[];
      if (!(converted instanceof ResetMark)) out.push(converted);
    }
    return out ?? (value as Node[]);
  };
  const walkMapping = (value: Record<string, unknown>, depth: number): Mapping => {
    let out: Mapping | undefined;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (looksNonString(key)) doubt(); // the precise reader tells quoted from plain
      const item = value[key];
      path.push(key);
      const converted = walk(item, depth + 1);
      path.pop();
      if (converted === item && converted !== RESET && out === undefined) continue;
      out ??= copyEntries(value as Mapping, keys, i);
      if (!(converted instanceof ResetMark)) setEntry(out, key, converted);
    }
    return out ?? (value as Mapping);
  };
  const tree = walk(root, 0);
  return tree instanceof ResetMark ? null : tree;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    try {
      // A fresh decoder each probe: streaming state must not carry between prefixes.
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      low = mid + 1;
    } catch {
      high = mid;
    }
  }
  // Report the start of the broken sequence, not the byte where decoding noticed it.
  if (low > 0 && ((bytes[low - 1] ?? 0) & 0xc0) === 0xc0) return low - 1;
  return low;
}

function locate(bytes: Uint8Array, offset: number, file: string): Location {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { file, line, col: offset - lineStart + 1 };
}
