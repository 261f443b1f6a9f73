/**
 * Container output on a screen that berth owns: what a line may carry and how wide it is.
 *
 * A container can print any bytes. Cursor moves, screen clears or window titles inside a log line
 * would wreck the dashboard's frame, so `sanitize` keeps only SGR sequences (colours, bold) and
 * only when asked; every other escape sequence and control character goes, and tabs become spaces.
 * Widths count terminal columns (wide CJK and emoji take two, combining marks none), and slicing
 * carries the SGR state across the cut so a coloured line stays coloured after wrapping.
 */

const ESC = "\x1b";
/** CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other two-byte escapes, and 8-bit CSI. */
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const SGR = /^\x1b\[[0-9;:]*m$/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const TAB_STOP = 8;
const RESET = `${ESC}[0m`;

/**
 * What may reach the screen from a container line: SGR colours when `keepColour`, nothing else
 * that moves or clears; tabs expanded to the next multiple of eight columns.
 */
export function sanitize(text: string, keepColour: boolean): string {
  let out = "";
  for (const token of tokens(text)) {
    if (token.escape) {
      if (keepColour && SGR.test(token.text)) out += token.text;
      continue;
    }
    // A lone or truncated ESC must not start an escape on screen; it goes with the other controls.
    out += token.text.replace(CONTROLS, "");
  }
  return out.includes("\t") ? expandTabs(out) : out;
}

/** Text without any escape sequence (for searching and measuring). */
export function stripAnsi(text: string): string {
  return text.includes(ESC) || text.includes("\x9b") ? text.replace(ESCAPES, "") : text;
}

function expandTabs(text: string): string {
  let column = 0;
  let out = "";
  for (const token of tokens(text)) {
    if (token.escape) {
      out += token.text;
      continue;
    }
    for (const char of token.text) {
      if (char === "\t") {
        const pad = TAB_STOP - (column % TAB_STOP);
        out += " ".repeat(pad);
        column += pad;
      } else {
        out += char;
        column += charWidth(char.codePointAt(0) ?? 0);
      }
    }
  }
  return out;
}

interface Token {
  readonly text: string;
  readonly escape: boolean;
}

/** Splits text into escape sequences and runs of printable text. */
function* tokens(text: string): Generator<Token> {
  if (!text.includes(ESC) && !text.includes("\x9b")) {
    if (text !== "") yield { text, escape: false };
    return;
  }
  let last = 0;
  for (const match of text.matchAll(ESCAPES)) {
    if (match.index > last) yield { text: text.slice(last, match.index), escape: false };
    yield { text: match[0], escape: true };
    last = match.index + match[0].length;
  }
  if (last < text.length) yield { text: text.slice(last), escape: false };
}

/**
 * Columns a code point takes: 0 for combining marks and zero-width joiners, 2 for East Asian wide
 * and fullwidth forms and emoji, else 1. (A table of the main ranges, not all of Unicode's: log
 * lines are mostly ASCII, and a rare miscount only shifts the end of that one line.)
 */
export function charWidth(code: number): number {
  if (code < 0x300) return 1;
  if (
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x1ab0 && code <= 0x1aff) ||
    (code >= 0x20d0 && code <= 0x20ff)
  ) {
    return 0;
  }
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Terminal columns the text takes (escape sequences take none). */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const token of tokens(text)) {
    if (token.escape) continue;
    // ASCII is the common case: one column per character.
    if (/^[\x20-\x7e]*$/.test(token.text)) width += token.text.length;
    else for (const char of token.text) width += charWidth(char.codePointAt(0) ?? 0);
  }
  return width;
}

/**
 * Cuts text into rows of at most `width` columns. SGR state open at a cut is closed at the end of
 * the row and opened again at the start of the next, so each row renders on its own.
 */
export function wrapRows(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const rows: string[] = [];
  let row = "";
  let column = 0;
  let active = "";
  for (const token of tokens(text)) {
    if (token.escape) {
      row += token.text;
      active = isReset(token.text) ? "" : active + token.text;
      continue;
    }
    for (const char of token.text) {
      const w = charWidth(char.codePointAt(0) ?? 0);
      if (column + w > max && column > 0) {
        rows.push(active !== "" ? `${row}${RESET}` : row);
        row = active;
        column = 0;
      }
      row += char;
      column += w;
    }
  }
  rows.push(active !== "" ? `${row}${RESET}` : row);
  return rows;
}

/** The text cut to `width` columns, ending in `…` when anything was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (visibleWidth(text) <= width) return text;
  const rows = wrapRows(text, Math.max(1, width - 1));
  const first = rows[0] ?? "";
  return `${first}…`;
}

/** Pads with spaces (after the text) to `width` columns, or truncates to it. */
export function fit(text: string, width: number): string {
  const w = visibleWidth(text);
  if (w > width) return truncate(text, width);
  return text + " ".repeat(width - w);
}

function isReset(sequence: string): boolean {
  return sequence === RESET || sequence === `${ESC}[m`;
}
