/**
 * The precise YAML reader: builds the tree together with the line and column of every key and
 * value, through the `yaml` library's document model. It is about five times slower than the fast
 * reader in parse.ts, so it runs only when a location is needed (an error) or the fast reader
 * fails (to give the best message). Anchors, aliases and `<<` merge keys, duplicate keys rejected,
 * alias expansion bounded, `!reset` / `!override` recorded.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Document, Scalar, Node as YamlNode } from "yaml";
import { LoadError, type Location } from "../errors.js";
import { SourceMap } from "./source-map.js";
import { formatPath, type Mapping, type Node, type Path } from "./tree.js";

/**
 * The `yaml` library costs ~40 ms to load, and a valid project never needs it: required on first
 * use (synchronously, since location lookups are synchronous).
 */
type YamlModule = typeof Yaml;
let yamlModule: YamlModule | undefined;
function yamlLib(): YamlModule {
  return (yamlModule ??= createRequire(import.meta.url)("yaml") as YamlModule);
}

/** A compose file larger than this is refused before parsing: real files are a few hundred KiB. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/**
 * Nodes visited while building the tree, aliases expanded. A 500-service file visits ~50k; a
 * "billion laughs" file would visit billions, so it stops here with a clear error instead.
 */
export const MAX_NODE_VISITS = 1_000_000;
/** Nesting deeper than this is refused (guards the recursive walk's stack). */
export const MAX_DEPTH = 500;

export interface ParsedDocument {
  /** The file as the user named it (for messages). */
  readonly file: string;
  readonly tree: Mapping;
  readonly sources: SourceMap;
  /**
   * Paths tagged `!reset` or `!override`: the merge stage drops what earlier files put there
   * before merging this document. `!reset` nodes are also removed from `tree`.
   */
  readonly resetPaths: readonly Path[];
}

/** Parse every YAML document of a file. An empty file (or one of only comments) yields none. */
export function parseYamlPrecise(text: string, file: string): ParsedDocument[] {
  const lineCounter = new (yamlLib().LineCounter)();
  const docs = yamlLib().parseAllDocuments(text, {
    version: "1.2",
    merge: true,
    uniqueKeys: false, // checked in the walk, where the message can name the key and both lines
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  const at = (offset: number): Location => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const out: ParsedDocument[] = [];
  for (const doc of list) {
    // An unclosed quote or bracket sets off later errors too; the unclosed one is the cause to name.
    const first = doc.errors.find((e) => e.code === "MISSING_CHAR") ?? doc.errors[0];
    if (first) throw new LoadError(syntaxMessage(first.code, first.message), at(first.pos[0]));
    // An empty document, or one that is only `~`: skipped, as the fast reader skips it.
    if (doc.contents === null || (yamlLib().isScalar(doc.contents) && doc.contents.value === null)) continue;
    out.push(buildDocument(doc, file, at));
  }
  return out;
}

function buildDocument(doc: Document, file: string, at: (offset: number) => Location): ParsedDocument {
  const sources = new SourceMap();
  const resetPaths: Path[] = [];
  let visits = 0;
  let sawAlias = false;

  const startOf = (node: YamlNode): Location => at(node.range?.[0] ?? 0);
  const resolveAlias = anchorResolver(doc);

  const walk = (node: YamlNode | null, path: Path, depth: number, viaAlias: boolean): Node | typeof RESET => {
    if (++visits > MAX_NODE_VISITS) {
      throw new LoadError(
        sawAlias
          ? `excessive aliasing: expanding anchors and aliases needs more than ${MAX_NODE_VISITS} nodes`
          : `document is too large: more than ${MAX_NODE_VISITS} nodes`,
        node ? startOf(node) : { file, line: 1, col: 1 },
      );
    }
    if (depth > MAX_DEPTH) {
      throw new LoadError(`nesting is deeper than ${MAX_DEPTH} levels`, node ? startOf(node) : undefined);
    }
    if (node === null) return null;
    if (yamlLib().isAlias(node)) {
      sawAlias = true;
      const target = resolveAlias(node.source, node.range?.[0] ?? 0);
      if (!target) throw new LoadError(`unknown alias *${node.source}`, startOf(node));
      return walk(target, path, depth + 1, true);
    }
    // Inside an alias's copy, locations fall back to the alias itself (its nearest recorded ancestor).
    if (!viaAlias) sources.set(path, startOf(node), undefined);

    const tag = node.tag;
    if (tag === "!reset" && !viaAlias) {
      resetPaths.push(path);
      return RESET;
    }
    if (tag === "!override" && !viaAlias) resetPaths.push(path);
    else if (tag !== undefined && tag.startsWith("!") && !tag.startsWith("tag:yaml.org,2002:")) {
      if (tag !== "!reset" && tag !== "!override") {
        throw new LoadError(`unknown YAML tag ${tag}`, startOf(node), formatPath(path));
      }
    }

    if (yamlLib().isScalar(node)) return scalarValue(node, path, startOf(node));
    if (yamlLib().isSeq(node)) {
      const items: Node[] = [];
      node.items.forEach((item, index) => {
        const value = walk(item as YamlNode | null, [...path, index], depth + 1, viaAlias);
        if (value !== RESET) items.push(value);
      });
      return items;
    }
    if (yamlLib().isMap(node)) {
      const result: Mapping = {};
      const explicitLines = new Map<string, number>();
      const merged: Mapping[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        if (keyNode && yamlLib().isScalar(keyNode) && typeof keyNode.value === "symbol") {
          // `<<: *anchor` or `<<: [*a, *b]`: keys already present win; earlier sources win over later.
          const source = walk(pair.value as YamlNode | null, path, depth + 1, true);
          const sourcesList = Array.isArray(source) ? source : [source];
          for (const item of sourcesList) {
            if (item === null || typeof item !== "object" || Array.isArray(item)) {
              throw new LoadError("a merge key (<<) needs a mapping or a list of mappings", startOf(keyNode));
            }
            merged.push(item);
          }
          continue;
        }
        const key = mappingKey(keyNode, path, keyNode ? startOf(keyNode) : startOf(node));
        const keyLocation = keyNode ? startOf(keyNode) : startOf(node);
        const firstLine = explicitLines.get(key);
        if (firstLine !== undefined) {
          throw new LoadError(
            `mapping key "${key}" already defined at line ${firstLine}`,
            keyLocation,
            formatPath(path),
          );
        }
        explicitLines.set(key, keyLocation.line);
        const childPath = [...path, key];
        const valueNode = pair.value as YamlNode | null;
        const value = walk(valueNode, childPath, depth + 1, viaAlias);
        if (!viaAlias) sources.set(childPath, valueNode ? startOf(valueNode) : keyLocation, keyLocation);
        if (value !== RESET) result[key] = value;
      }
      for (const source of merged) {
        for (const [key, value] of Object.entries(source)) {
          if (!Object.hasOwn(result, key) && !explicitLines.has(key)) result[key] = value;
        }
      }
      return result;
    }
    throw new LoadError("unsupported YAML node", startOf(node));
  };

  const root = walk(doc.contents as YamlNode, [], 0, false);
  if (root === null || root === RESET || typeof root !== "object" || Array.isArray(root)) {
    throw new LoadError(
      "top-level object must be a mapping",
      doc.contents ? startOf(doc.contents as YamlNode) : { file, line: 1, col: 1 },
    );
  }
  return { file, tree: root, sources, resetPaths };
}

const RESET = Symbol("reset");

/**
 * Alias → anchored node through one index built up front: the yaml library's own `resolve` searches
 * the whole document per alias, which turns an alias-heavy file quadratic. An alias refers to the
 * closest anchor of that name before it.
 */
function anchorResolver(doc: Document): (name: string, offset: number) => YamlNode | undefined {
  const anchors = new Map<string, { offset: number; node: YamlNode }[]>();
  yamlLib().visit(doc, (_key, node) => {
    const anchored = node as YamlNode & { anchor?: string };
    if (typeof anchored.anchor === "string" && anchored.anchor !== "") {
      const list = anchors.get(anchored.anchor) ?? [];
      list.push({ offset: anchored.range?.[0] ?? 0, node: anchored });
      anchors.set(anchored.anchor, list);
    }
  });
  return (name, offset) => {
    let found: YamlNode | undefined;
    for (const entry of anchors.get(name) ?? []) if (entry.offset < offset) found = entry.node;
    return found;
  };
}

/** go-yaml v3 reads plain integers with Go's base prefixes: `0440` is octal, `0b101` binary. */
const GO_OCTAL = /^[-+]?0[0-7]+$/;
const GO_BINARY = /^[-+]?0b[01]+$/;
/** go-yaml also drops `_` from digits before parsing: `1_000` is 1000. */
const GO_UNDERSCORED = /^[-+]?\d[\d_]*_[\d_]*$/;

function scalarValue(node: Scalar, path: Path, location: Location): Node {
  const value: unknown = node.value;
  if (node.type === "PLAIN" && typeof node.source === "string") {
    const source = node.source;
    if (GO_OCTAL.test(source)) return Number.parseInt(source, 8);
    if (GO_UNDERSCORED.test(source)) return Number.parseInt(source.replaceAll("_", ""), 10);
    if (GO_BINARY.test(source)) {
      const negative = source.startsWith("-");
      const magnitude = Number.parseInt(source.replace(/^[-+]?0b/, ""), 2);
      return negative ? -magnitude : magnitude;
    }
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new LoadError(`unsupported YAML value`, location, formatPath(path));
}

/** Compose keys are strings; a number or boolean as a key is an error, as go-yaml's decoder reports. */
function mappingKey(keyNode: YamlNode | null, path: Path, location: Location): string {
  if (keyNode && yamlLib().isScalar(keyNode) && typeof keyNode.value === "string") return keyNode.value;
  const shown = keyNode && yamlLib().isScalar(keyNode) ? String(keyNode.value) : "a collection";
  const where = path.length === 0 ? "at top level" : `in ${formatPath(path)}`;
  throw new LoadError(`non-string key ${where}: ${shown}`, location);
}

const SYNTAX_MESSAGES: Record<string, string> = {
  TAB_AS_INDENT: "found a tab character where indentation is expected (YAML allows only spaces)",
  MISSING_CHAR: "a quote or bracket is not closed",
  BLOCK_IN_FLOW: "block collection cannot be used inside a flow collection",
  MULTIPLE_DOCS: "more than one document in a stream where one was expected",
  BAD_ALIAS: "an alias names no anchor defined before it",
  DUPLICATE_KEY: "duplicate mapping key",
  UNEXPECTED_TOKEN: "unexpected token",
};

function syntaxMessage(code: string, message: string): string {
  const known = SYNTAX_MESSAGES[code];
  if (known) return `invalid YAML: ${known}`;
  const own = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  return `invalid YAML: ${own.charAt(0).toLowerCase()}${own.slice(1)}`;
}
