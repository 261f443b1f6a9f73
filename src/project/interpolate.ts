/**
 * Stage 3: `${VAR}` interpolation of every string value of a parsed compose file, then the
 * type casts compose-go applies right after it (`privileged: "${PRIV}"` becomes a boolean).
 *
 * The template syntax and its corner cases follow compose-go's `template` package:
 * - `$$` is a literal `$`; `$NAME` and `${NAME}` look a variable up; a `$` followed by anything
 *   else (`$1`, `$(cmd)`, `$ `, a trailing `$`) stays as written.
 * - `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`, `${NAME+alt}`, `${NAME:?reason}`,
 *   `${NAME?reason}`; the default, alternative and reason are templates themselves, expanded only
 *   when they are used.
 * - A `${` that does not form one of those is an error, never left as text.
 * - Names are `[_a-zA-Z][_a-zA-Z0-9]*` (plus the two letters Go's case folding adds, `ſ` and the
 *   Kelvin sign `K`).
 * - An operator's argument runs to the last `}` on its line and is then cut at the first brace
 *   that balances the opening one, counted the way compose-go counts (every `{` opens, and the
 *   character after it is skipped).
 * Values that come out of a lookup are inserted as plain text: never expanded again, never
 * parsed as YAML.
 */
import { LoadError, type Location } from "../errors.js";
import type { CastKind } from "./decoders.js";
import { INTERPOLATION_CASTS } from "./fields.js";
import { compilePatterns, step, type PatternState } from "./path-pattern.js";
import type { SourceMap } from "./source-map.js";
import {
  copyEntries,
  describeValue,
  formatPath,
  isMapping,
  isSequence,
  setEntry,
  type Mapping,
  type Node,
} from "./tree.js";

/** A variable lookup: the value, or `undefined` when the variable is not set (empty is set). */
export type Lookup = (name: string) => string | undefined;

/** Something worth telling the user that does not stop the load. */
export interface LoadWarning {
  readonly message: string;
  readonly location: Location | undefined;
  /** Dotted path of the value the warning is about; empty for `.env` files. */
  readonly path: string;
}

/**
 * Receives warnings: the sentence Compose prints, and the same with where it comes from. A plain
 * `(message: string) => void` fits.
 */
export type WarningSink = (message: string, detail: LoadWarning) => void;

/** Nested defaults (`${A:-${B:-${C}}}`) deeper than this are refused instead of exhausting the stack. */
export const MAX_TEMPLATE_NESTING = 200;

/**
 * A template that cannot be expanded. It is a LoadError without a location, so a caller that does
 * not add one still reports something sensible; `interpolate` and the `.env` reader rethrow it
 * with the place and path of the value.
 */
export class TemplateError extends LoadError {
  constructor(
    /**
     * `invalid`: malformed `${...}`; `required`: a `${X:?reason}` whose variable has no value;
     * `nesting`: defaults nested deeper than MAX_TEMPLATE_NESTING.
     */
    readonly kind: "invalid" | "required" | "nesting",
    message: string,
    /** The variable a `required` error is about. */
    readonly variable?: string,
  ) {
    super(message);
  }
}

/** The sentence Compose prints (as a warning) for a variable that is referenced but not set. */
export function missingVariableMessage(name: string): string {
  return `The ${JSON.stringify(name)} variable is not set. Defaulting to a blank string.`;
}

/**
 * Expand `template` with `lookup`. A variable referenced without a default that is not set
 * becomes the empty string and is reported to `onMissing`. Throws TemplateError.
 */
export function substitute(template: string, lookup: Lookup, onMissing?: (name: string) => void): string {
  return expand(template, lookup, onMissing, 0);
}

type Operator = ":-" | "-" | ":+" | "+" | ":?" | "?";

function isNameStart(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    code === 0x5f || // _
    code === 0x17f || // ſ (Go's (?i) folds it to s)
    code === 0x212a // Kelvin sign (folds to k)
  );
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 0x30 && code <= 0x39);
}

function expand(
  template: string,
  lookup: Lookup,
  onMissing: ((name: string) => void) | undefined,
  depth: number,
): string {
  if (depth > MAX_TEMPLATE_NESTING) {
    throw new TemplateError(
      "nesting",
      `interpolation is nested more than ${MAX_TEMPLATE_NESTING} levels deep`,
    );
  }
  if (!template.includes("$")) return template;

  const resolve = (name: string): string => {
    const value = lookup(name);
    if (value === undefined) {
      onMissing?.(name);
      return "";
    }
    return value;
  };

  let out = "";
  let copied = 0; // template[copied, position) is literal text not yet copied to out
  let position = template.indexOf("$");
  while (position !== -1 && position < template.length) {
    const next = template.charCodeAt(position + 1);
    let consumed = 0; // length of the template text this `$` replaces; 0 = literal `$`
    let replacement = "";

    if (next === 0x24 /* $ */) {
      replacement = "$";
      consumed = 2;
    } else if (isNameStart(next)) {
      let end = position + 2;
      while (end < template.length && isNameChar(template.charCodeAt(end))) end++;
      replacement = resolve(template.slice(position + 1, end));
      consumed = end - position;
    } else if (next === 0x7b /* { */) {
      const braced = matchBraced(template, position);
      if (!braced) throw new TemplateError("invalid", "invalid interpolation format");
      if (braced.operator === undefined) {
        replacement = resolve(braced.name);
      } else {
        replacement = applyOperator(braced.operator, braced.name, braced.argument, lookup, onMissing, depth);
      }
      consumed = braced.end - position;
    }

    if (consumed > 0) {
      out += template.slice(copied, position) + replacement;
      copied = position + consumed;
      position = template.indexOf("$", copied);
    } else {
      position = template.indexOf("$", position + 1);
    }
  }
  return out + template.slice(copied);
}

interface BracedMatch {
  readonly name: string;
  readonly operator: Operator | undefined;
  readonly argument: string;
  /** Index just past the closing brace. */
  readonly end: number;
}

/** `${` at `start`: the expression it opens, or undefined when it is malformed. */
function matchBraced(template: string, start: number): BracedMatch | undefined {
  let cursor = start + 2;
  if (!isNameStart(template.charCodeAt(cursor))) return undefined;
  while (cursor < template.length && isNameChar(template.charCodeAt(cursor))) cursor++;
  const name = template.slice(start + 2, cursor);
  if (template[cursor] === "}") return { name, operator: undefined, argument: "", end: cursor + 1 };

  let operator: Operator;
  const first = template[cursor];
  const second = template[cursor + 1];
  if (first === ":" && (second === "-" || second === "+" || second === "?")) operator = `:${second}`;
  else if (first === "-" || first === "+" || first === "?") operator = first;
  else return undefined;

  // The operator's argument reaches the last `}` on this line at most...
  const lineEnd = template.indexOf("\n", cursor);
  const searchFrom = lineEnd === -1 ? template.length - 1 : lineEnd - 1;
  const lastBrace = template.lastIndexOf("}", searchFrom);
  const argumentStart = cursor + operator.length;
  if (lastBrace < argumentStart) return undefined;
  // ...and is cut at the first brace balancing the opening one, when there is one before it.
  const close = balancingBrace(template, start, lastBrace);
  const end = close === -1 ? lastBrace : close;
  return { name, operator, argument: template.slice(argumentStart, end), end: end + 1 };
}

/**
 * compose-go's `getFirstBraceClosingIndex` over `template[start..last]`: every `{` opens a level
 * and skips the character after it; the first `}` that brings the count back to zero closes.
 */
function balancingBrace(template: string, start: number, last: number): number {
  let open = 0;
  for (let i = start; i <= last; i++) {
    const char = template[i];
    if (char === "}") {
      open--;
      if (open === 0) return i;
    }
    if (char === "{") {
      open++;
      i++;
    }
  }
  return -1;
}

function applyOperator(
  operator: Operator,
  name: string,
  argument: string,
  lookup: Lookup,
  onMissing: ((name: string) => void) | undefined,
  depth: number,
): string {
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  const nested = (): string => expand(argument, lookup, onMissing, depth + 1);
  switch (operator) {
    case ":-":
      return nonEmpty ? value : nested();
    case "-":
      return set ? value : nested();
    case ":+":
      return nonEmpty ? nested() : (value ?? "");
    case "+":
      return set ? nested() : "";
    case ":?":
    case "?": {
      if (operator === ":?" ? nonEmpty : set) return value ?? "";
      const reason = nested();
      const message =
        reason === ""
          ? `required variable ${name} is missing a value`
          : `required variable ${name} is missing a value: ${reason}`;
      throw new TemplateError("required", message, name);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Type casts: which paths get one is the field table's `INTERPOLATION_CASTS` (fields.ts)

class CastFailure extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi / ParseInt(s, 10, 64): optional sign, decimal digits, 64-bit range. */
function toInteger(value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw new CastFailure(`invalid integer: ${JSON.stringify(value)}`);
  const big = BigInt(value);
  if (big < INT64_MIN || big > INT64_MAX) {
    throw new CastFailure(`integer out of range: ${JSON.stringify(value)}`);
  }
  return Number(big);
}

/** Go's strconv.ParseFloat: decimal and hexadecimal (`0x1p-2`) forms, `inf`, `infinity`, `nan`. */
function toFloat(value: string, bits: 32 | 64): number {
  const special = /^([+-]?)inf(?:inity)?$/i.exec(value);
  if (special) return special[1] === "-" ? -Infinity : Infinity;
  if (/^nan$/i.test(value)) return NaN;
  let result: number | undefined;
  if (/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value)) {
    result = Number(value);
  } else {
    const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(value);
    const whole = hex?.[2] ?? "";
    const fraction = hex?.[3] ?? "";
    if (hex && whole + fraction !== "") {
      const magnitude = Number(BigInt(`0x${whole}${fraction}`)) * 2 ** (Number(hex[4]) - 4 * fraction.length);
      result = hex[1] === "-" ? -magnitude : magnitude;
    }
  }
  if (result === undefined) throw new CastFailure(`invalid number: ${JSON.stringify(value)}`);
  if (!Number.isFinite(result) || (bits === 32 && !Number.isFinite(Math.fround(result)))) {
    throw new CastFailure(`number out of range: ${JSON.stringify(value)}`);
  }
  return result;
}

/** compose-go's toBoolean: YAML 1.1 words, case-insensitive; the non-1.2 ones earn a warning. */
function toBoolean(value: string, warn: (message: string) => void): boolean {
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "y" || lower === "yes" || lower === "on") {
    warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`true\``);
    return true;
  }
  if (lower === "n" || lower === "no" || lower === "off") {
    warn(`${JSON.stringify(value)} for boolean is not supported by YAML 1.2, please use \`false\``);
    return false;
  }
  throw new CastFailure(`invalid boolean: ${JSON.stringify(value)}`);
}

function castValue(kind: CastKind, value: string, warn: (message: string) => void): Node {
  switch (kind) {
    case "int":
    case "int64":
      return toInteger(value);
    case "float":
      return toFloat(value, 64);
    case "float32":
      return toFloat(value, 32);
    case "boolean":
      return toBoolean(value, warn);
  }
}

// ---------------------------------------------------------------------------------------------
// The stage

const CASTS = compilePatterns(INTERPOLATION_CASTS);

/**
 * Interpolate every string value of `tree` (never keys), at any depth, then apply the type casts.
 * `tree` is not modified: the result is a new tree where something changed, and shares the
 * subtrees where nothing did. Warnings (unset variables, YAML 1.1 booleans) go to `onWarning`.
 * Errors are LoadErrors at the offending value.
 */
export function interpolate(
  tree: Mapping,
  sources: SourceMap,
  lookup: Lookup,
  onWarning?: WarningSink,
): Mapping {
  const at: ValueAt = { path: [], sources, lookup, onWarning };
  const path = at.path;
  // `state` is where the walk stands in the cast table; undefined once no cast can apply below.
  const walk = (node: Node, state: PatternState<CastKind> | undefined): Node => {
    if (typeof node === "string") return interpolateString(node, state?.rule, at);
    if (isSequence(node)) {
      const next = state?.item;
      let out: Node[] | undefined;
      for (let i = 0; i < node.length; i++) {
        const item = node[i] as Node;
        path.push(i);
        const result = walk(item, next);
        path.pop();
        if (result !== item) (out ??= node.slice())[i] = result;
      }
      return out ?? node;
    }
    if (isMapping(node)) {
      let out: Mapping | undefined; // made at the first change
      const keys = Object.keys(node);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const item = node[key] as Node;
        path.push(key);
        const result = walk(item, state && step(state, key));
        path.pop();
        if (result !== item && !out) out = copyEntries(node, keys, i);
        if (out) setEntry(out, key, result);
      }
      return out ?? node;
    }
    return node;
  };
  return walk(tree, CASTS) as Mapping;
}

/** The walk's context: the path of the current value (the walk's own array) and what it needs. */
interface ValueAt {
  readonly path: (string | number)[];
  readonly sources: SourceMap;
  readonly lookup: Lookup;
  readonly onWarning: WarningSink | undefined;
}

function interpolateString(value: string, cast: CastKind | undefined, at: ValueAt): Node {
  // Most values hold no `$`: `substitute` would return them as they are.
  const text = value.includes("$") ? expandValue(value, at) : value;
  if (cast === undefined) return text;
  try {
    return castValue(cast, text, warnerAt(at));
  } catch (error) {
    if (!(error instanceof CastFailure)) throw error;
    throw new LoadError(error.message, at.sources.valueAt(at.path), formatPath(at.path));
  }
}

function expandValue(value: string, at: ValueAt): string {
  let warn: ((message: string) => void) | undefined;
  try {
    return substitute(value, at.lookup, (name) => (warn ??= warnerAt(at))(missingVariableMessage(name)));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    const message =
      error.kind === "invalid"
        ? `invalid interpolation format: ${describeValue(value)}; you may need to escape any $ with another $`
        : error.message;
    throw new LoadError(message, at.sources.valueAt(at.path), formatPath(at.path), { cause: error });
  }
}

/** A warning sink for the value at `at.path` as it is now (the walk's array moves on). */
function warnerAt(at: ValueAt): (message: string) => void {
  const path = [...at.path];
  const { sources, onWarning } = at;
  return (message) => {
    // The location is computed only if the sink reads it: it costs a precise parse of the file.
    onWarning?.(message, {
      message,
      get location() {
        return sources.valueAt(path);
      },
      path: formatPath(path),
    });
  };
}
