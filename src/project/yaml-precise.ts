/**
 * The precise YAML reader: builds the tree together with the line and column of every key and
 * value, through the `yaml` library's document model. It is about five times slower than the fast
 * reader in parse.ts, so it runs only when a location is needed (an error) or the fast reader
 * fails (to give the best message). Anchors, aliases and `<<` merge keys, duplicate keys rejected,
 * alias expansion bounded, `!reset` / `!override` recorded.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { CST, Document, Scalar, Node as YamlNode, YAMLError } from "yaml";
import { LoadError, type Location } from "../errors.js";
import { SourceMap } from "./source-map.js";
import { formatPath, type Mapping, type Node, type Path } from "./tree.js";
import { resolvePlain } from "./yaml-schema.js";

/**
 * The `yaml` library costs ~40 ms to load, and a valid project never needs it: required on first
 * use (synchronously, since location lookups are synchronous).
 */
type YamlModule = typeof Yaml;
let yamlModule: YamlModule | undefined;
function yamlLib(): YamlModule {
  return (yamlModule ??= createRequire(import.meta.url)("yaml") as YamlModule);
}

/** The bound on any file the loader reads (read-bounded.ts), checked again on the text. */
export { MAX_FILE_BYTES } from "./read-bounded.js";
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

/**
 * Collections the parser may hold open at once (about one per nesting level). The composer and the
 * walk below recurse per level and overflow the stack near 900 levels, so the parse stops here, a
 * little past MAX_DEPTH (which the walk reports exactly), with a located error.
 */
const MAX_OPEN_COLLECTIONS = MAX_DEPTH + 10;

/** Parse every YAML document of a file. An empty file (or one of only comments) yields none. */
export function parseYamlPrecise(text: string, file: string): ParsedDocument[] {
  const yaml = yamlLib();
  const lineCounter = new yaml.LineCounter();
  const at = (offset: number): Location => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const tokens: CST.Token[] = [];
  const parser = new yaml.Parser(lineCounter.addNewLine);
  /** `parser.parse(text)`, one lexeme at a time, so that nesting is bounded while it is read. */
  function* parse(): Generator<CST.Token> {
    lineCounter.addNewLine(0);
    for (const lexeme of new yaml.Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) yield keep(token);
      const open = parser.stack;
      if (open.length > MAX_OPEN_COLLECTIONS) {
        // The collection at about MAX_DEPTH + 1 levels, where the walk would have stopped.
        const deep = open[MAX_DEPTH + 2] ?? open[open.length - 1];
        throw new LoadError(`nesting is deeper than ${MAX_DEPTH} levels`, at(deep?.offset ?? parser.offset));
      }
    }
    for (const token of parser.end()) yield keep(token);
  }
  const keep = (token: CST.Token): CST.Token => {
    tokens.push(token);
    return token;
  };
  const composer = new yaml.Composer({
    version: "1.2",
    merge: true,
    uniqueKeys: false, // checked in the walk, where the message can name the key and both lines
  });
  const docs = Array.from(composer.compose(parse()));
  const out: ParsedDocument[] = [];
  for (const doc of docs) {
    const error = syntaxError(doc.errors, tokens, text, at);
    if (error) throw error;
    // An empty document, or one that is only `~`: skipped, as the fast reader skips it.
    if (doc.contents === null || (yaml.isScalar(doc.contents) && doc.contents.value === null)) continue;
    out.push(buildDocument(doc, file, at));
  }
  return out;
}

function buildDocument(doc: Document, file: string, at: (offset: number) => Location): ParsedDocument {
  const builder = new DocumentBuilder(doc, file, at);
  const root = builder.walk(doc.contents as YamlNode, [], 0, false);
  if (root === null || root === RESET || typeof root !== "object" || Array.isArray(root)) {
    throw new LoadError(
      "top-level object must be a mapping",
      doc.contents ? builder.startOf(doc.contents as YamlNode) : { file, line: 1, col: 1 },
    );
  }
  return { file, tree: root, sources: builder.sources, resetPaths: builder.resetPaths };
}

type YamlSeq = Yaml.YAMLSeq<unknown>;
type YamlMap = Yaml.YAMLMap<unknown, unknown>;

/**
 * One document's tree, with the location of every key and value (`sources`) and the paths tagged
 * `!reset` / `!override`. The walk goes down the document's nodes, `viaAlias` inside an alias's
 * copy (whose locations are the alias's own, and whose tags were recorded where it was anchored).
 */
class DocumentBuilder {
  readonly sources = new SourceMap();
  readonly resetPaths: Path[] = [];
  private visits = 0;
  private sawAlias = false;
  private readonly resolveAlias: ReturnType<typeof anchorResolver>;

  constructor(
    doc: Document,
    private readonly file: string,
    private readonly at: (offset: number) => Location,
  ) {
    this.resolveAlias = anchorResolver(doc);
  }

  startOf(node: YamlNode): Location {
    return this.at(node.range?.[0] ?? 0);
  }

  walk(node: YamlNode | null, path: Path, depth: number, viaAlias: boolean): Node | typeof RESET {
    this.bound(node, depth);
    if (node === null) return null;
    if (yamlLib().isAlias(node)) {
      this.sawAlias = true;
      const target = this.resolveAlias(node.source, node.range?.[0] ?? 0);
      if (!target) throw new LoadError(`unknown alias *${node.source}`, this.startOf(node));
      return this.walk(target, path, depth + 1, true);
    }
    // Inside an alias's copy, locations fall back to the alias itself (its nearest recorded ancestor).
    if (!viaAlias) this.sources.set(path, this.startOf(node), undefined);
    if (this.isReset(node, path, viaAlias)) return RESET;

    if (yamlLib().isScalar(node)) return scalarValue(node, path, this.startOf(node));
    if (yamlLib().isSeq(node)) return this.sequence(node, path, depth, viaAlias);
    if (yamlLib().isMap(node)) return this.mapping(node, path, depth, viaAlias);
    throw new LoadError("unsupported YAML node", this.startOf(node));
  }

  /** Stops a walk that visits too many nodes (aliases expanded) or goes too deep. */
  private bound(node: YamlNode | null, depth: number): void {
    if (++this.visits > MAX_NODE_VISITS) {
      throw new LoadError(
        this.sawAlias
          ? `excessive aliasing: expanding anchors and aliases needs more than ${MAX_NODE_VISITS} nodes`
          : `document is too large: more than ${MAX_NODE_VISITS} nodes`,
        node ? this.startOf(node) : { file: this.file, line: 1, col: 1 },
      );
    }
    if (depth > MAX_DEPTH) {
      throw new LoadError(
        `nesting is deeper than ${MAX_DEPTH} levels`,
        node ? this.startOf(node) : undefined,
      );
    }
  }

  /** Records `!reset` / `!override` (outside an alias's copy); true for `!reset`, whose node is dropped. */
  private isReset(node: YamlNode, path: Path, viaAlias: boolean): boolean {
    const tag = node.tag;
    if (tag === "!reset" && !viaAlias) {
      this.resetPaths.push(path);
      return true;
    }
    if (tag === "!override" && !viaAlias) this.resetPaths.push(path);
    else if (tag !== undefined && tag.startsWith("!") && !tag.startsWith("tag:yaml.org,2002:")) {
      if (tag !== "!reset" && tag !== "!override") {
        throw new LoadError(`unknown YAML tag ${tag}`, this.startOf(node), formatPath(path));
      }
    }
    return false;
  }

  private sequence(node: YamlSeq, path: Path, depth: number, viaAlias: boolean): Node[] {
    const items: Node[] = [];
    node.items.forEach((item, index) => {
      const value = this.walk(item as YamlNode | null, [...path, index], depth + 1, viaAlias);
      if (value !== RESET) items.push(value);
    });
    return items;
  }

  private mapping(node: YamlMap, path: Path, depth: number, viaAlias: boolean): Mapping {
    const result: Mapping = {};
    const explicitLines = new Map<string, number>();
    const merged: Mapping[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (keyNode && yamlLib().isScalar(keyNode) && typeof keyNode.value === "symbol") {
        // `<<: *anchor` or `<<: [*a, *b]`: keys already present win; earlier sources win over later.
        merged.push(...this.mergeSources(pair.value as YamlNode | null, keyNode, path, depth));
        continue;
      }
      const key = mappingKey(keyNode, path, keyNode ? this.startOf(keyNode) : this.startOf(node));
      const keyLocation = keyNode ? this.startOf(keyNode) : this.startOf(node);
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
      const value = this.walk(valueNode, childPath, depth + 1, viaAlias);
      if (!viaAlias)
        this.sources.set(childPath, valueNode ? this.startOf(valueNode) : keyLocation, keyLocation);
      if (value !== RESET) result[key] = value;
    }
    for (const source of merged) {
      for (const [key, value] of Object.entries(source)) {
        if (!Object.hasOwn(result, key) && !explicitLines.has(key)) result[key] = value;
      }
    }
    return result;
  }

  /** The mappings a `<<` merge key names: one, or a list of them. */
  private mergeSources(value: YamlNode | null, keyNode: YamlNode, path: Path, depth: number): Mapping[] {
    const source = this.walk(value, path, depth + 1, true);
    const sourcesList = Array.isArray(source) ? source : [source];
    const out: Mapping[] = [];
    for (const item of sourcesList) {
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        throw new LoadError("a merge key (<<) needs a mapping or a list of mappings", this.startOf(keyNode));
      }
      out.push(item);
    }
    return out;
  }
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

/**
 * Compose keys are strings; a number, boolean or null as a key is an error, as go-yaml's decoder
 * reports. A plain key resolves as every plain scalar does (yaml-schema.ts), so this reader and
 * js-yaml's path agree on which keys those are (`..` is a string, `1_0` a number).
 */
function mappingKey(keyNode: YamlNode | null, path: Path, location: Location): string {
  if (keyNode && yamlLib().isScalar(keyNode)) {
    const plain = keyNode.type === "PLAIN" && keyNode.tag === undefined && typeof keyNode.source === "string";
    // An empty plain key (`: x`) is null, as go-yaml reads it.
    const value: unknown = plain
      ? keyNode.source === ""
        ? null
        : resolvePlain(keyNode.source as string)
      : keyNode.value;
    if (typeof value === "string") return value;
  }
  const shown =
    keyNode && yamlLib().isScalar(keyNode) ? String(keyNode.source ?? keyNode.value) : "a collection";
  const where = path.length === 0 ? "at top level" : `in ${formatPath(path)}`;
  throw new LoadError(`non-string key ${where}: ${shown}`, location);
}

/**
 * How a syntax error of the `yaml` library is told, in order of preference when a document has
 * several: an unclosed quote or bracket sets off later errors, so it is the cause to name, and at
 * the opening character (go-yaml names that line too: "while scanning a quoted scalar"), not at
 * the end of the file where the library notices it.
 */
interface SyntaxRule {
  readonly match: RegExp;
  /** The sentence (after "invalid YAML: "); `$1`… are the match's groups. */
  readonly say: string;
  /** Report at the quote or bracket that opened what the error is about, not where it was noticed. */
  readonly atOpener?: true;
  /** The sentence when the error is at a `- item` (one that lines up with nothing above it). */
  readonly atListItem?: string;
  /**
   * Report at the `: ` inside the value the error is at (where go-yaml says "mapping values are
   * not allowed in this context"), with this sentence when that `: ` is on a later line.
   */
  readonly atColonOnLaterLine?: string;
}

const SYNTAX_RULES: readonly SyntaxRule[] = [
  {
    match: /^Missing closing (["'])quote/,
    say: "unclosed quote: the string starting here has no closing $1",
    atOpener: true,
  },
  {
    match: /^Flow (?:sequence|map) must end with a ([\]}])/,
    say: "unclosed bracket: the collection starting here has no closing $1",
    atOpener: true,
  },
  {
    match: /^Flow (?:sequence|map) in block collection must be sufficiently indented and end with a ([\]}])/,
    say: "unclosed bracket: the collection starting here has no closing $1 (or a line in it is indented less than its key)",
    atOpener: true,
  },
  {
    match: /^Tabs are not allowed as indentation/,
    say: "found a tab character where indentation is expected (YAML allows only spaces)",
  },
  {
    match: /^All mapping items must start at the same column/,
    say: "bad indentation: all keys of a mapping must start at the same column",
  },
  {
    match: /^All sequence items must start at the same column/,
    say: "bad indentation: all items of a list must start at the same column",
  },
  {
    match: /^Sequence item without - indicator/,
    say: "bad indentation: this line is inside a list but is not a - item",
  },
  {
    match: /^Implicit map keys need to be followed by map values/,
    say: "could not find the expected ':' after this key (or the line is indented wrongly)",
    // A `- item` indented less than the list or mapping it is meant for reads as a key without `:`.
    atListItem: "bad indentation: this list item lines up with no mapping or list above it",
  },
  {
    match: /^Nested mappings are not allowed in compact mappings/,
    say: "mapping values are not allowed here: quote a value that holds ': '",
    atColonOnLaterLine:
      "bad indentation: this line is indented deeper than the key above it, so it continues that key's value, which cannot hold a mapping",
  },
  {
    match: /^A block sequence may not be used as an implicit map key/,
    say: "bad indentation: this list lines up with no mapping or list above it",
  },
];

/** The document's error to report, if any, as a LoadError at its place. */
function syntaxError(
  errors: readonly YAMLError[],
  tokens: readonly CST.Token[],
  text: string,
  at: (offset: number) => Location,
): LoadError | undefined {
  let chosen: { error: YAMLError; rule: number; match: RegExpExecArray | null } | undefined;
  for (const error of errors) {
    let rule = SYNTAX_RULES.length;
    let match: RegExpExecArray | null = null;
    for (let i = 0; i < SYNTAX_RULES.length && match === null; i++) {
      match = (SYNTAX_RULES[i] as SyntaxRule).match.exec(error.message);
      if (match) rule = i;
    }
    if (chosen === undefined || rule < chosen.rule) chosen = { error, rule, match };
  }
  if (chosen === undefined) return undefined;
  const { error, match } = chosen;
  const rule = SYNTAX_RULES[chosen.rule];
  let offset = error.pos[0];
  let sentence: string;
  if (rule && match) {
    sentence = rule.say.replace(/\$(\d)/g, (_all, n: string) => match[Number(n)] ?? "");
    if (rule.atOpener) offset = openerBefore(tokens, offset) ?? offset;
    if (rule.atListItem !== undefined && isListItem(text, offset)) sentence = rule.atListItem;
    if (rule.atColonOnLaterLine !== undefined) {
      const colon = /:(?=[ \n]|$)/g;
      colon.lastIndex = offset;
      const found = colon.exec(text);
      if (found) {
        if (text.lastIndexOf("\n", found.index) >= offset) sentence = rule.atColonOnLaterLine;
        offset = found.index;
      }
    }
  } else {
    const own = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
    sentence = `${own.charAt(0).toLowerCase()}${own.slice(1)}`;
  }
  return new LoadError(`invalid YAML: ${sentence}`, at(offset));
}

function isListItem(text: string, offset: number): boolean {
  return text.charCodeAt(offset) === 0x2d && /^-(?:[ \n]|$)/.test(text.slice(offset, offset + 2));
}

/**
 * The start of the innermost quoted scalar or flow collection that opens before `offset` and never
 * closes: what an "unclosed" error is about. The tokens form a tree as deep as the document (which
 * the parse bounds), walked with a stack.
 */
function openerBefore(tokens: readonly CST.Token[], offset: number): number | undefined {
  let found: number | undefined;
  const stack: unknown[] = [...tokens];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== "object") continue;
    if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
      continue;
    }
    const token = item as LooseToken;
    if (
      typeof token.offset === "number" &&
      token.offset <= offset &&
      (found === undefined || token.offset > found)
    ) {
      if (isUnclosed(token)) found = token.offset;
    }
    for (const key of ["value", "items", "key", "sep", "start", "end", "props"]) {
      const child = token[key];
      if (child !== undefined) stack.push(child);
    }
  }
  return found;
}

/** Any CST token, seen through the fields an "unclosed" check reads. */
interface LooseToken {
  readonly [field: string]: unknown;
  readonly type?: string;
  readonly offset?: number;
  readonly source?: string;
  readonly start?: { readonly source?: string };
  readonly end?: readonly { readonly source?: string }[];
}

function isUnclosed(token: LooseToken): boolean {
  if (token.type === "double-quoted-scalar" || token.type === "single-quoted-scalar") {
    const source = token.source ?? "";
    const quote = source.charAt(0);
    // `"a\"` ends with an escaped quote: count the backslashes before the last character.
    if (source.length < 2 || !source.endsWith(quote)) return true;
    if (quote === "'") return false;
    let slashes = 0;
    for (let i = source.length - 2; i > 0 && source.charCodeAt(i) === 0x5c; i--) slashes++;
    return slashes % 2 === 1;
  }
  if (token.type === "flow-collection" && token.start !== undefined && Array.isArray(token.end)) {
    const close = token.start.source === "[" ? "]" : "}";
    return token.end[0]?.source !== close;
  }
  return false;
}
