/**
 * `.env` files, read the way compose-go's `dotenv` package reads them:
 * - `KEY=VALUE`, `KEY: VALUE`, `export KEY=VALUE`; spaces around the separator are ignored.
 * - Keys are letters, digits (any script), `_`, `.`, `-`, `[`, `]`.
 * - `#` starts a comment at the beginning of a statement; after an unquoted value only ` #`
 *   (a space, then `#`) does (`A=1#2` is `1#2`).
 * - Unquoted values run to the end of the line and are trimmed; `\` has no meaning in them.
 * - Single quotes are literal except that `\'` is a quote; double quotes may span lines and know
 *   `\n \t \r \a \b \f \v \\ \" \$` and octal `\0NNN`; other backslashes stay as written.
 * - Unquoted and double-quoted values are interpolated (`$VAR`, `${VAR:-default}`, `$$`, ...).
 *   A reference looks at the lookup first (the shell, then earlier files), then at variables
 *   defined earlier in the same file.
 * - `KEY` alone on a line takes the variable from the lookup, and is skipped when it is not set.
 * - A UTF-8 BOM is ignored; CRLF line ends are fine (a `\r` only survives inside a quoted value
 *   that spans lines, as in Compose).
 * Error messages never quote a value: values are often secrets.
 */
import { LoadError, type Location } from "../errors.js";
import {
  missingVariableMessage,
  substitute,
  TemplateError,
  type Lookup,
  type WarningSink,
} from "./interpolate.js";
import { decodeSource } from "./parse.js";
import { readBounded } from "./read-bounded.js";

export type { Lookup, LoadWarning, WarningSink } from "./interpolate.js";

/** Go's `unicode.IsSpace`. */
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const TRAILING_UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;
/** compose-go's `isSpace`: blanks that are not a line break. */
const BLANK = /[\t\v\f\r \u0085\u00a0]/;
const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;
/** Go's regexp `\s`, which is what may follow `export`. */
const EXPORT_SEPARATOR = /[\t\n\f\r ]/;

/** Escapes of double-quoted values (compose-go's `escapeSeqRegex`). */
const ESCAPE_SEQUENCE = /\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})/g;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
};

/**
 * Parse the text of one `.env` file. `lookup` answers for variables defined outside the file (the
 * shell, then earlier `.env` files); it wins over the file's own earlier definitions when a value
 * references a variable, as in compose-go. Throws LoadError with the file, line and column.
 */
export function parseDotEnv(
  text: string,
  file: string,
  lookup: Lookup,
  onWarning?: WarningSink,
): Map<string, string> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out = new Map<string, string>();
  const at = (offset: number): Location => locate(source, offset, file);
  const length = source.length;
  let position = 0;

  const expandValue = (value: string, key: string, offset: number): string => {
    try {
      return substitute(
        value,
        (name) => lookup(name) ?? out.get(name),
        (name) => {
          const message = missingVariableMessage(name);
          onWarning?.(message, { message, location: at(offset), path: "" });
        },
      );
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const message =
        error.kind === "invalid"
          ? `invalid interpolation format for ${key === "" ? '""' : key}; you may need to escape any $ with another $`
          : error.message;
      throw new LoadError(message, at(offset), "", { cause: error });
    }
  };

  for (;;) {
    position = nextStatement(source, position);
    if (position >= length) break;

    if (source.startsWith("export", position) && EXPORT_SEPARATOR.test(source[position + 6] ?? "")) {
      position += 6;
      while (position < length && BLANK.test(source[position] ?? "")) position++;
    }

    // A key alone (no `=` or `:` after it) is inherited from the lookup.
    const { key, end: cursor, separator } = readKey(source, position, at);
    if (separator === "\n" || separator === "") {
      position = cursor;
      if (key === "") continue;
      const inherited = lookup(key);
      if (inherited !== undefined) out.set(key, inherited);
      continue;
    }

    position = cursor + 1;
    while (position < length && BLANK.test(source[position] ?? "")) position++;
    const valueStart = position;
    const quote = source[position];

    if (quote === '"' || quote === "'") {
      const closing = findClosingQuote(source, position, quote);
      if (closing === undefined) throw new LoadError("unterminated quoted value", at(valueStart));
      out.set(key, quote === '"' ? expandValue(expandEscapes(closing.raw), key, valueStart) : closing.raw);
      position = closing.end;
      continue;
    }

    const newline = source.indexOf("\n", position);
    const lineEnd = newline === -1 ? length : newline;
    let raw = source.slice(position, lineEnd);
    const comment = raw.indexOf(" #");
    if (comment !== -1) raw = raw.slice(0, comment);
    raw = raw.replace(TRAILING_UNICODE_SPACE, "");
    out.set(key, expandValue(raw, key, valueStart));
    position = lineEnd;
  }
  return out;
}

/** The start of the next statement from `position`: blank space and comment lines skipped. */
function nextStatement(source: string, position: number): number {
  const length = source.length;
  while (position < length) {
    const char = source[position] ?? "";
    if (UNICODE_SPACE.test(char)) {
      position++;
    } else if (char === "#") {
      const newline = source.indexOf("\n", position);
      position = newline === -1 ? length : newline;
    } else {
      break;
    }
  }
  return position;
}

/** The key starting at `start`: it runs to `=`, `:` or the end of the line (`separator`, at `end`). */
function readKey(
  source: string,
  start: number,
  at: (offset: number) => Location,
): { key: string; end: number; separator: string } {
  let cursor = start;
  let separator = "";
  while (cursor < source.length) {
    const char = String.fromCodePoint(source.codePointAt(cursor) ?? 0);
    if (char === "=" || char === ":" || char === "\n") {
      separator = char;
      break;
    }
    if (!BLANK.test(char) && !KEY_CHAR.test(char)) {
      throw new LoadError(`unexpected character ${JSON.stringify(char)} in variable name`, at(cursor));
    }
    cursor += char.length;
  }
  const key = source.slice(start, cursor).replace(TRAILING_UNICODE_SPACE, "");
  const space = key.search(BLANK);
  if (space !== -1) throw new LoadError("key cannot contain a space", at(start + space));
  return { key, end: cursor, separator };
}

/**
 * The quoted value opening at `start`: its text with `\<quote>` unescaped (other backslash pairs
 * kept as written), and the index after the closing quote; undefined when it never closes.
 */
function findClosingQuote(
  source: string,
  start: number,
  quote: string,
): { raw: string; end: number } | undefined {
  const parts: string[] = [];
  let from = start + 1;
  for (let i = start + 1; i < source.length; i++) {
    const char = source[i];
    if (char === "\\") {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      if (next === quote) {
        parts.push(source.slice(from, i));
        from = i + 1; // drop the backslash, keep the quote
      }
      i++;
    } else if (char === quote) {
      parts.push(source.slice(from, i));
      return { raw: parts.join(""), end: i + 1 };
    }
  }
  return undefined;
}

/** compose-go's `expandEscapes`: shell-echo escapes; `\$` becomes `$$` (a literal `$` to the expander). */
function expandEscapes(value: string): string {
  return value.replace(ESCAPE_SEQUENCE, (match) => {
    const letter = match.slice(1);
    if (letter === "$") return "$$";
    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) return simple;
    if (letter.startsWith("0")) {
      // `\0NNN` is Go's `\NNN`: exactly three octal digits up to 0377, else left as `\NNN`.
      const digits = letter.slice(1);
      if (/^[0-7]{3}$/.test(digits) && Number.parseInt(digits, 8) <= 0o377) {
        return String.fromCodePoint(Number.parseInt(digits, 8));
      }
      return `\\${digits}`;
    }
    return match; // `\c`: matched by compose-go's pattern, but not an escape Go knows
  });
}

function locate(text: string, offset: number, file: string): Location {
  let line = 1;
  let lineStart = 0;
  for (
    let newline = text.indexOf("\n");
    newline !== -1 && newline < offset;
    newline = text.indexOf("\n", newline + 1)
  ) {
    line++;
    lineStart = newline + 1;
  }
  return { file, line, col: offset - lineStart + 1 };
}

/**
 * Read `.env` files in order: each later file overrides the earlier ones, and its values may
 * reference their variables (through `lookup` first, as Compose does). A missing file is an error.
 */
export async function readEnvFiles(
  paths: readonly string[],
  lookup: Lookup,
  onWarning?: WarningSink,
  /** How a file is named in messages (e.g. relative to where the user stands); default: as given. */
  display: (path: string) => string = (path) => path,
): Promise<Map<string, string>> {
  const merged = new Map<string, string>();
  for (const absolute of paths) {
    const path = display(absolute);
    const bytes = await readBounded(absolute, path, `env file ${path}`);
    const parsed = parseDotEnv(
      decodeSource(bytes, path),
      path,
      (name) => lookup(name) ?? merged.get(name),
      onWarning,
    );
    for (const [key, value] of parsed) merged.set(key, value);
  }
  return merged;
}

/**
 * The lookup compose files are interpolated with: the shell environment wins over `.env` values
 * (a variable set to the empty string in the shell counts as set).
 */
export function makeLookup(
  shell: Readonly<Record<string, string | undefined>>,
  dotenv: ReadonlyMap<string, string>,
): Lookup {
  return (name) => {
    // `__proto__` would read the prototype of a plain object; other inherited members are not strings.
    const value = name === "__proto__" && !Object.hasOwn(shell, name) ? undefined : shell[name];
    return typeof value === "string" ? value : dotenv.get(name);
  };
}
