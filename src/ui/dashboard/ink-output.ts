/**
 * Ink's Output (ink/build/output.js) with a fast path: scripts/bundle.mjs puts this module in its
 * place in the dashboard's bundle.
 *
 * Why: Ink composes every frame on a grid of styled cells: each line written is tokenized into
 * one object per character (ANSI codes parsed), placed, and the grid serialized back to ANSI
 * text. Under log load that was ~40% of the dashboard's CPU and most of each frame. The dashboard
 * writes rows of ready-made text side by side (one Text per pane, borders), which never overlap:
 * such a row is the same when its pieces are joined with spaces between them. So a row whose
 * writes do not overlap is joined as text; any other row (an overlay drawn over a pane, a write
 * starting left of the screen) goes through the grid exactly as Ink does it.
 *
 * Same contract as Ink's: `write` / `clip` / `unclip` record operations, `get` composes them.
 * Each write's styles end with it (Ink tokenizes every write on its own), so a joined piece that
 * holds an escape sequence is closed with a reset, and the row's trailing spaces are trimmed.
 */
import {
  styledCharsFromTokens,
  styledCharsToString,
  tokenize,
  type StyledChar,
} from "@alcalzone/ansi-tokenize";
import sliceAnsi from "slice-ansi";
import stringWidth from "string-width";

type Transformer = (line: string, index: number) => string;

interface Clip {
  readonly x1: number | undefined;
  readonly x2: number | undefined;
  readonly y1: number | undefined;
  readonly y2: number | undefined;
}

type Operation =
  | {
      readonly type: "write";
      readonly x: number;
      readonly y: number;
      readonly text: string;
      readonly transformers: readonly Transformer[];
    }
  | { readonly type: "clip"; readonly clip: Clip }
  | { readonly type: "unclip" };

/** One line of one write, placed on a row. */
interface Piece {
  readonly x: number;
  readonly line: string;
}

const RESET = "\u001B[0m";

/** Widths of lines seen recently: the same rows come back frame after frame. */
const widths = new Map<string, number>();
const WIDTHS_KEPT = 20_000;

function widthOf(text: string): number {
  let width = widths.get(text);
  if (width === undefined) {
    width = stringWidth(text);
    if (widths.size >= WIDTHS_KEPT) widths.clear();
    widths.set(text, width);
  }
  return width;
}

export default class Output {
  readonly width: number;
  readonly height: number;
  private readonly operations: Operation[] = [];

  constructor(options: { width: number; height: number }) {
    this.width = options.width;
    this.height = options.height;
  }

  write(x: number, y: number, text: string, options: { transformers: readonly Transformer[] }): void {
    if (!text) return;
    this.operations.push({ type: "write", x, y, text, transformers: options.transformers });
  }

  clip(clip: Clip): void {
    this.operations.push({ type: "clip", clip });
  }

  unclip(): void {
    this.operations.push({ type: "unclip" });
  }

  get(): { output: string; height: number } {
    const rows: Piece[][] = [];
    for (let y = 0; y < this.height; y++) rows.push([]);
    const clips: Clip[] = [];
    for (const operation of this.operations) {
      if (operation.type === "clip") clips.push(operation.clip);
      else if (operation.type === "unclip") clips.pop();
      else placeWrite(operation, clips.at(-1), rows);
    }
    const out: string[] = [];
    for (const row of rows) out.push(composeRow(row, this.width));
    return { output: out.join("\n"), height: rows.length };
  }
}

/** A write's lines, clipped as Ink clips them, onto their rows (transformers applied). */
function placeWrite(
  operation: Extract<Operation, { type: "write" }>,
  clip: Clip | undefined,
  rows: Piece[][],
): void {
  const { text, transformers } = operation;
  let { x, y } = operation;
  let lines = text.split("\n");
  if (clip) {
    const clipHorizontally = typeof clip.x1 === "number" && typeof clip.x2 === "number";
    const clipVertically = typeof clip.y1 === "number" && typeof clip.y2 === "number";
    if (clipHorizontally) {
      const widest = Math.max(...lines.map(widthOf));
      if (x + widest < (clip.x1 as number) || x > (clip.x2 as number)) return;
    }
    if (clipVertically) {
      if (y + lines.length < (clip.y1 as number) || y > (clip.y2 as number)) return;
    }
    if (clipHorizontally) {
      const x1 = clip.x1 as number;
      const x2 = clip.x2 as number;
      lines = lines.map((line) => {
        const from = x < x1 ? x1 - x : 0;
        const width = widthOf(line);
        const to = x + width > x2 ? x2 - x : width;
        return sliceAnsi(line, from, to);
      });
      if (x < x1) x = x1;
    }
    if (clipVertically) {
      const y1 = clip.y1 as number;
      const y2 = clip.y2 as number;
      const from = y < y1 ? y1 - y : 0;
      const to = y + lines.length > y2 ? y2 - y : lines.length;
      lines = lines.slice(from, to);
      if (y < y1) y = y1;
    }
  }
  for (let index = 0; index < lines.length; index++) {
    const row = rows[y + index];
    if (!row) continue;
    let line = lines[index] as string;
    for (const transformer of transformers) line = transformer(line, index);
    row.push({ x, line });
  }
}

/** A row's pieces as text: joined when none overlaps another, else through Ink's cell grid. */
export function composeRow(pieces: readonly Piece[], width: number): string {
  if (pieces.length === 0) return "";
  const sorted = pieces.length === 1 ? pieces : [...pieces].sort((a, b) => a.x - b.x);
  let text = "";
  let column = 0;
  for (const piece of sorted) {
    if (piece.x < column || piece.x < 0) return composeOnGrid(pieces, width); // overlap, or off-screen left
    text += " ".repeat(piece.x - column);
    text += piece.line.includes("\u001B") ? piece.line + RESET : piece.line;
    column = piece.x + widthOf(piece.line);
  }
  return text.trimEnd();
}

/** Ink's own composition of a row (output.js `get`), for rows whose pieces overlap. */
function composeOnGrid(pieces: readonly Piece[], width: number): string {
  const row: (StyledChar | undefined)[] = [];
  for (let x = 0; x < width; x++) row.push({ type: "char", value: " ", fullWidth: false, styles: [] });
  for (const piece of pieces) {
    let offsetX = piece.x;
    for (const character of styledCharsFromTokens(tokenize(piece.line))) {
      row[offsetX] = character;
      const characterWidth = Math.max(1, widthOf(character.value));
      for (let index = 1; index < characterWidth; index++) {
        row[offsetX + index] = { type: "char", value: "", fullWidth: false, styles: character.styles };
      }
      offsetX += characterWidth;
    }
  }
  return styledCharsToString(row.filter((cell): cell is StyledChar => cell !== undefined)).trimEnd();
}
