/**
 * A fast reader for the plain block-style YAML that nearly every compose file is written in:
 * block mappings and sequences, plain and one-line quoted scalars, one-line flow collections,
 * `|`/`|-` literals, comments, anchors, aliases and `<<` merge keys, one document.
 *
 * Why: berth reads the file in a fresh process each run, where js-yaml's character-by-character
 * scanner runs in V8's interpreter before the JIT warms up: ~80 ms for a 500-service file. Here
 * one regular expression (native code from the first line) splits every line into indent, dash,
 * key and value, and little JavaScript runs per line: ~50 ms for the same file, cold. (Hence also
 * no pairs returned and no for-of in the hot paths: both cost an iterator each in cold code.)
 *
 * It returns exactly what js-yaml's `loadAll` with COMPOSE_SCHEMA returns (same values, same key
 * order, aliases as shared objects), or `undefined` the moment the text uses anything outside that
 * subset (tabs, CR, tags, multi-line or folded scalars, complex keys, several documents, anything
 * in error), and then js-yaml reads the file as before. It never reports an error itself: the full
 * readers do, with file:line:col. Plain scalars resolve through the schema's own code.
 */
import { MAX_DEPTH, MAX_NODE_VISITS } from "./yaml-precise.js";
import { looksNonString, resolvePlain } from "./yaml-schema.js";

/** Thrown to give up; caught at the top, where the full reader takes over. */
class OutsideSubset extends Error {}
const giveUp = (): never => {
  throw new OutsideSubset();
};

type PlainMapping = Record<string, unknown>;

/** Deeper nesting is left to js-yaml, which has its own limit (100) and its own error. */
const MAX_FAST_DEPTH = 40;
/**
 * The tree a fast read returns is used as it is (no second walk), so the reader keeps the bounds
 * that walk enforces: nodes counted with every alias expanded, and depth through aliases. Files
 * near them go to js-yaml and that walk, which decides and reports.
 */
const MAX_FAST_NODES = MAX_NODE_VISITS / 2;

/** A scalar's weight (counted as one level, to err on the side of the bound). */
const LEAF = { nodes: 1, height: 1 } as const;

const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;

/**
 * One line: (1) indent, (2) a sequence dash and the spaces after it, a key followed by `:` and
 * spaces or the line's end — (3) plain, (4) double-quoted without escapes, (5) single-quoted —
 * and (6) the rest, the value with any comment. A plain key starts like a plain scalar and holds
 * no flow indicator, quote, anchor or tag character, no ` #` and no `: `. Lines that fit none of
 * this still match, with everything in (6), and the reader refuses them where they stand.
 */
const LINE =
  /^( *)(-(?: +|$))?(?:(?:((?:[^\s\-?:,[\]{}#&*!|>'"%@`]|-(?=\S))(?:[^:[\]{},"'&*!|>%@`#\n]|:(?=\S)|(?<! )#)*?)|"([^"\\\n]*)"|'((?:[^'\n]|'')*)'):(?: +|$))?(.*)$/gm;

/** The documents of `text` as js-yaml reads them, or undefined to let js-yaml read them. */
export function readFast(text: string): unknown[] | undefined {
  if (text.includes("\t") || text.includes("\r") || text.includes("\0") || text.includes("\uFEFF")) {
    return undefined;
  }
  try {
    return new FastReader(text).document();
  } catch {
    // Outside the subset (or deeper than the stack allows): the full reader decides.
    return undefined;
  }
}

class FastReader {
  private readonly rows: RegExpExecArray[];
  /** The row the reader stands on. */
  private at = 0;
  private readonly anchors = new Map<string, unknown>();
  private depth = 0;
  /** Nodes read so far, an alias counting as the whole tree it stands for. */
  private nodes = 0;
  /** Node count and height of each anchored container, as its aliases expand it. */
  private readonly weights = new Map<object, { readonly nodes: number; readonly height: number }>();

  constructor(text: string) {
    const rows: RegExpExecArray[] = [];
    LINE.lastIndex = 0;
    for (let row = LINE.exec(text); row !== null; row = LINE.exec(text)) {
      rows.push(row);
      // An empty line matches empty: step over its newline, as matchAll would.
      if (row[0] === "") LINE.lastIndex++;
      if (LINE.lastIndex > text.length) break;
    }
    this.rows = rows;
  }

  document(): unknown[] | undefined {
    let first = this.nextContent();
    if (first < 0) return undefined; // empty: js-yaml's answer is cheap
    let row = this.rows[first] as RegExpExecArray;
    if ((row[0] as string).startsWith("---")) {
      if (!/^---(?: +(?:#.*)?)?$/.test(row[0] as string)) giveUp();
      this.at = first + 1;
      first = this.nextContent();
      if (first < 0) return undefined;
      row = this.rows[first] as RegExpExecArray;
    }
    if ((row[1] as string).length !== 0) giveUp();
    const root = this.mapping(0, false);
    if (this.nextContent() >= 0) giveUp(); // a second document, `...`, or a line the mapping refused
    if (this.nodes > MAX_FAST_NODES) giveUp();
    return [root];
  }

  /** The next row holding something but a comment (from `at`, which moves there); -1 at the end. */
  private nextContent(): number {
    const rows = this.rows;
    while (this.at < rows.length) {
      const row = rows[this.at] as RegExpExecArray;
      if (row[2] !== undefined || hasKey(row)) return this.at;
      const rest = row[6] as string;
      if (rest.length > 0 && rest.charCodeAt(0) !== HASH) return this.at;
      this.at++;
    }
    return -1;
  }

  /**
   * A block mapping whose keys stand at column `indent`. `compact`: its first key is on the current
   * row after a sequence dash (`- key: value`).
   */
  private mapping(indent: number, compact: boolean): PlainMapping {
    if (++this.depth > MAX_FAST_DEPTH) giveUp();
    this.nodes++;
    const result: PlainMapping = {};
    let overridable: Set<string> | undefined;
    let first = compact;
    for (;;) {
      let row: RegExpExecArray;
      if (first) {
        row = this.rows[this.at] as RegExpExecArray;
        first = false;
      } else {
        const index = this.nextContent();
        if (index < 0) break;
        row = this.rows[index] as RegExpExecArray;
        const rowIndent = (row[1] as string).length;
        if (rowIndent < indent) break;
        // Deeper, or a dash at a mapping's column (a same-column sequence is read by `nested`).
        if (rowIndent > indent || row[2] !== undefined) giveUp();
      }
      const name = keyOf(row);
      if (row[3] === "<<") {
        const source = this.value(row, indent, true);
        overridable ??= new Set();
        const sources = Array.isArray(source) ? source : [source];
        for (let s = 0; s < sources.length; s++) {
          const item: unknown = sources[s];
          if (!isPlainMapping(item)) giveUp();
          const keys = Object.keys(item as PlainMapping);
          for (let k = 0; k < keys.length; k++) {
            const key = keys[k] as string;
            if (!Object.hasOwn(result, key)) {
              const merged = (item as PlainMapping)[key];
              result[key] = merged;
              overridable.add(key);
              this.countShared(merged);
            }
          }
        }
      } else {
        if (Object.hasOwn(result, name) && !overridable?.has(name)) giveUp(); // duplicate key
        result[name] = this.value(row, indent, true);
        overridable?.delete(name);
      }
    }
    this.depth--;
    return result;
  }

  /** A block sequence whose dashes stand at column `indent`. */
  private sequence(indent: number): unknown[] {
    if (++this.depth > MAX_FAST_DEPTH) giveUp();
    this.nodes++;
    const result: unknown[] = [];
    for (;;) {
      const index = this.nextContent();
      if (index < 0) break;
      const row = this.rows[index] as RegExpExecArray;
      const rowIndent = (row[1] as string).length;
      if (rowIndent < indent) break;
      if (rowIndent > indent) giveUp();
      if (row[2] === undefined) break; // the parent mapping's next key (or an error it reports)
      if (hasKey(row)) result.push(this.mapping(indent + (row[2] as string).length, true));
      else result.push(this.value(row, indent, false));
    }
    this.depth--;
    return result;
  }

  /**
   * The value in `row`'s rest (after `key:` or `- `), owned by a node at column `owner`; leaves
   * `at` on the row after it. An empty value is a block on the following rows, or null.
   */
  private value(row: RegExpExecArray, owner: number, inMapping: boolean): unknown {
    let rest = row[6] as string;
    let anchor: string | undefined;
    if (rest.charCodeAt(0) === 0x26 /* & */) {
      const end = nameEnd(rest, 1);
      anchor = rest.slice(1, end);
      rest = rest.slice(skipSpaces(rest, end));
    }
    let value: unknown;
    const first = rest.charCodeAt(0);
    if (rest.length === 0 || first === HASH) {
      this.at++;
      value = this.nested(owner, inMapping);
    } else if (first === 0x7c /* | */) {
      this.nodes++;
      value = this.literal(rest, owner);
    } else {
      if (first === 0x2a /* * */) {
        if (anchor !== undefined) giveUp();
        scanEnd = nameEnd(rest, 1);
        value = this.aliasAt(rest.slice(1, scanEnd), this.depth);
      } else if (first === 0x22 /* " */) {
        value = doubleQuoted(rest, 0);
      } else if (first === 0x27 /* ' */) {
        value = singleQuoted(rest, 0);
      } else if (first === 0x5b /* [ */ || first === 0x7b /* { */) {
        value = new FlowReader(rest, this).collection(0);
      } else {
        value = blockPlain(rest);
      }
      this.nodes++;
      if (!isBlankOrComment(rest, scanEnd)) giveUp();
      this.at++;
      // A more-indented row after a one-line value would continue it (a multi-line scalar).
      const next = this.nextContent();
      if (next >= 0 && ((this.rows[next] as RegExpExecArray)[1] as string).length > owner) giveUp();
    }
    if (anchor !== undefined) this.anchors.set(anchor, value);
    return value;
  }

  get depthNow(): number {
    return this.depth;
  }

  /** Nodes a flow collection read (it counts its own). */
  addNodes(count: number): void {
    this.nodes += count;
  }

  /** The anchored value `name` (at nesting `depth`), counted as the tree it expands to. */
  aliasAt(name: string, depth: number): unknown {
    if (!this.anchors.has(name)) giveUp();
    const value = this.anchors.get(name);
    this.countShared(value, depth);
    return value;
  }

  /** Count a value that appears again (an alias, a merged entry) as the tree it expands to. */
  private countShared(value: unknown, depth = this.depth): void {
    const weight = this.weigh(value);
    this.nodes += weight.nodes;
    if (this.nodes > MAX_FAST_NODES || depth + weight.height > MAX_DEPTH) giveUp();
  }

  private weigh(value: unknown): { readonly nodes: number; readonly height: number } {
    if (typeof value !== "object" || value === null) return LEAF;
    const known = this.weights.get(value);
    if (known) return known;
    let nodes = 1;
    let height = 0;
    const items = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
    for (let i = 0; i < items.length; i++) {
      const weight = this.weigh(items[i]);
      nodes += weight.nodes;
      if (weight.height > height) height = weight.height;
      if (nodes > MAX_FAST_NODES) giveUp();
    }
    const weight = { nodes, height: height + 1 };
    this.weights.set(value, weight);
    return weight;
  }

  /** The block on the rows after an empty value: deeper than its owner, or a same-column sequence under a key. */
  private nested(owner: number, inMapping: boolean): unknown {
    const index = this.nextContent();
    if (index >= 0) {
      const row = this.rows[index] as RegExpExecArray;
      const indent = (row[1] as string).length;
      const dash = row[2] !== undefined;
      if (indent > owner) return dash ? this.sequence(indent) : this.mapping(indent, false);
      if (indent === owner && inMapping && dash) return this.sequence(indent);
    }
    this.nodes++;
    return null;
  }

  /** `|` or `|-` and the lines under it, more indented than `owner`. */
  private literal(header: string, owner: number): string {
    if (!/^\|-?(?: +(?:#.*)?)?$/.test(header)) giveUp(); // `|+`, `|2`, or text after the header
    const strip = header.charCodeAt(1) === 0x2d;
    const rows = this.rows;
    let index = this.at + 1;
    let contentIndent = -1;
    const body: string[] = [];
    for (; index < rows.length; index++) {
      const line = (rows[index] as RegExpExecArray)[0] as string;
      if (line === "") {
        body.push("");
        continue;
      }
      const indent = skipSpaces(line, 0);
      if (indent === line.length) giveUp(); // a line of spaces: its meaning depends on the indentation
      if (contentIndent < 0) {
        if (indent <= owner) break;
        contentIndent = indent;
      } else if (indent < contentIndent) break;
      body.push(line.slice(contentIndent));
    }
    if (contentIndent < 0) giveUp(); // no content: rare, and the full reader knows the edge cases
    this.at = index;
    let last = body.length;
    while (last > 0 && body[last - 1] === "") last--;
    const content = body.slice(0, last).join("\n");
    // The following row must not sit between the owner and the content's column.
    const next = this.nextContent();
    if (next >= 0 && ((rows[next] as RegExpExecArray)[1] as string).length > owner) giveUp();
    return strip ? content : `${content}\n`;
  }
}

function hasKey(row: RegExpExecArray): boolean {
  return row[3] !== undefined || row[4] !== undefined || row[5] !== undefined;
}

/** The key of a mapping row as js-yaml reads it; gives up where js-yaml would read another value. */
function keyOf(row: RegExpExecArray): string {
  let name: string;
  if (row[3] !== undefined) {
    name = row[3];
    if (name.charCodeAt(name.length - 1) === SPACE) giveUp(); // `key :`
    // A number, boolean or null key (js-yaml would make it a different string), `<<` aside.
    if (name !== "<<" && (looksNonString(name) || resolvePlain(name) !== name)) giveUp();
  } else if (row[4] !== undefined) {
    name = row[4];
  } else if (row[5] !== undefined) {
    name = row[5].replaceAll("''", "'");
  } else {
    return giveUp();
  }
  // The loader refuses keys that read as numbers, booleans or null; only the precise reader tells
  // a quoted one (fine) from a plain one, so such keys go that way.
  if (row[3] === undefined && looksNonString(name)) giveUp();
  if (name === "__proto__") giveUp();
  return name;
}

/**
 * Where the scalar or flow collection read last ended. The readers return the value and leave the
 * end here: returning a pair costs an array and an iterator per scalar in cold code.
 */
let scanEnd = 0;

/** A plain scalar in block context: `text` up to a comment, trailing spaces dropped. */
function blockPlain(text: string): unknown {
  const first = text.charCodeAt(0);
  if (
    PLAIN_REFUSED_START.has(first) ||
    (first === 0x2d && (text.length === 1 || text.charCodeAt(1) === SPACE))
  ) {
    giveUp();
  }
  const comment = text.indexOf(" #");
  let last = comment < 0 ? text.length : comment;
  while (last > 0 && text.charCodeAt(last - 1) === SPACE) last--;
  const plain = last === text.length ? text : text.slice(0, last);
  // `a: b` in a value is an error, `a:` a mapping: the full reader says which.
  if (plain.includes(": ") || plain.charCodeAt(plain.length - 1) === COLON || plain === "<<") giveUp();
  scanEnd = last;
  return resolvePlain(plain);
}

/** First characters that make a scalar something other than a plain one (or one this reader leaves alone). */
const PLAIN_REFUSED_START = new Set([..."[]{},#&*!|>'\"%@`?:"].map((c) => c.charCodeAt(0)));

/** `"…"` closed on the same line; escapes beyond the common ones are left to the full reader. */
function doubleQuoted(line: string, position: number): string {
  const close = line.indexOf('"', position + 1);
  if (close < 0) giveUp(); // closes on a later line
  const escape = line.indexOf("\\", position + 1);
  if (escape < 0 || escape > close) {
    scanEnd = close + 1;
    return line.slice(position + 1, close);
  }
  let out = "";
  let from = position + 1;
  for (let i = from; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 0x22) {
      scanEnd = i + 1;
      return out + line.slice(from, i);
    }
    if (code !== 0x5c /* \ */) continue;
    const escaped = ESCAPES.get(line.charAt(i + 1));
    if (escaped === undefined) giveUp();
    out += line.slice(from, i) + escaped;
    i++;
    from = i + 1;
  }
  return giveUp();
}

const ESCAPES = new Map([
  ["\\", "\\"],
  ['"', '"'],
  ["/", "/"],
  ["n", "\n"],
  ["t", "\t"],
  ["r", "\r"],
  ["0", "\0"],
]);

/** `'…'` closed on the same line, `''` standing for one quote. */
function singleQuoted(line: string, position: number): string {
  const close = line.indexOf("'", position + 1);
  if (close < 0) giveUp();
  if (line.charCodeAt(close + 1) !== 0x27) {
    scanEnd = close + 1;
    return line.slice(position + 1, close);
  }
  let out = "";
  let from = position + 1;
  for (let i = from; i < line.length; i++) {
    if (line.charCodeAt(i) !== 0x27) continue;
    if (line.charCodeAt(i + 1) === 0x27) {
      out += line.slice(from, i + 1);
      i++;
      from = i + 1;
      continue;
    }
    scanEnd = i + 1;
    return out + line.slice(from, i);
  }
  return giveUp();
}

/** One-line flow collections: `[a, "b", *c]`, `{k: v}`, nested. Each read leaves its end in `scanEnd`. */
class FlowReader {
  private depth: number;

  constructor(
    private readonly line: string,
    private readonly reader: FastReader,
  ) {
    this.depth = reader.depthNow;
  }

  collection(position: number): unknown {
    if (++this.depth > MAX_FAST_DEPTH) giveUp();
    this.reader.addNodes(1);
    const read = this.line.charCodeAt(position) === 0x5b ? this.sequence(position) : this.mapping(position);
    this.depth--;
    return read;
  }

  private sequence(position: number): unknown[] {
    const line = this.line;
    const items: unknown[] = [];
    let at = skipSpaces(line, position + 1);
    if (line.charCodeAt(at) === 0x5d /* ] */) {
      scanEnd = at + 1;
      return items;
    }
    for (;;) {
      items.push(this.item(at, false));
      at = skipSpaces(line, scanEnd);
      const code = line.charCodeAt(at);
      if (code === 0x5d) {
        scanEnd = at + 1;
        return items;
      }
      if (code !== 0x2c /* , */) giveUp();
      at = skipSpaces(line, at + 1);
      if (line.charCodeAt(at) === 0x5d) giveUp(); // a trailing comma
    }
  }

  private mapping(position: number): PlainMapping {
    const line = this.line;
    const result: PlainMapping = {};
    let at = skipSpaces(line, position + 1);
    if (line.charCodeAt(at) === 0x7d /* } */) {
      scanEnd = at + 1;
      return result;
    }
    for (;;) {
      const key = this.item(at, true);
      if (typeof key !== "string" || key === "__proto__" || Object.hasOwn(result, key)) giveUp();
      if (line.charCodeAt(scanEnd) !== COLON || line.charCodeAt(scanEnd + 1) !== SPACE) giveUp();
      result[key as string] = this.item(skipSpaces(line, scanEnd + 1), false);
      at = skipSpaces(line, scanEnd);
      const code = line.charCodeAt(at);
      if (code === 0x7d) {
        scanEnd = at + 1;
        return result;
      }
      if (code !== 0x2c) giveUp();
      at = skipSpaces(line, at + 1);
      if (line.charCodeAt(at) === 0x7d) giveUp();
    }
  }

  private item(position: number, isKey: boolean): unknown {
    const line = this.line;
    const code = line.charCodeAt(position);
    if (code === 0x22 || code === 0x27) {
      this.reader.addNodes(1);
      return code === 0x22 ? doubleQuoted(line, position) : singleQuoted(line, position);
    }
    if (code === 0x5b || code === 0x7b) {
      if (isKey) giveUp();
      return this.collection(position);
    }
    if (code === 0x2a && !isKey) {
      const end = flowNameEnd(line, position + 1);
      const value = this.reader.aliasAt(line.slice(position + 1, end), this.depth);
      scanEnd = end;
      return value;
    }
    if (
      position >= line.length ||
      PLAIN_REFUSED_START.has(code) ||
      (code === 0x2d && line.charCodeAt(position + 1) === SPACE)
    ) {
      giveUp();
    }
    let end = position;
    for (; end < line.length; end++) {
      const c = line.charCodeAt(end);
      if (c === 0x2c || c === 0x5d || c === 0x7d) break;
      if (c === COLON) {
        if (isKey) break;
        giveUp(); // `a: b` inside a sequence is a one-pair mapping; `a:b` is left to the full reader
      }
      if (c === HASH || c === 0x5b || c === 0x7b || c === 0x22 || c === 0x27) giveUp();
    }
    let last = end;
    while (last > position && line.charCodeAt(last - 1) === SPACE) last--;
    const text = line.slice(position, last);
    if (text === "<<") giveUp();
    scanEnd = end;
    this.reader.addNodes(1);
    if (isKey) {
      if (looksNonString(text) || resolvePlain(text) !== text) giveUp();
      return text;
    }
    return resolvePlain(text);
  }
}

/** Sticky, and run with `test`: no match object is made. */
const SPACES = / */y;

function skipSpaces(line: string, position: number): number {
  SPACES.lastIndex = position;
  SPACES.test(line);
  return SPACES.lastIndex;
}

/** Whether only spaces, or spaces and a comment, follow `position`. */
function isBlankOrComment(line: string, position: number): boolean {
  const at = skipSpaces(line, position);
  if (at >= line.length) return true;
  return line.charCodeAt(at) === HASH && at > position;
}

/** The end of an anchor or alias name in block context (the next space or the line's end). */
function nameEnd(line: string, position: number): number {
  let i = position;
  while (i < line.length && line.charCodeAt(i) !== SPACE) {
    if (FLOW_INDICATORS.has(line.charCodeAt(i))) giveUp();
    i++;
  }
  if (i === position) giveUp();
  return i;
}

/** The end of an alias name inside a flow collection. */
function flowNameEnd(line: string, position: number): number {
  let i = position;
  while (i < line.length && line.charCodeAt(i) !== SPACE && !FLOW_INDICATORS.has(line.charCodeAt(i))) i++;
  if (i === position) giveUp();
  return i;
}

const FLOW_INDICATORS = new Set([..."[]{},"].map((c) => c.charCodeAt(0)));

function isPlainMapping(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
