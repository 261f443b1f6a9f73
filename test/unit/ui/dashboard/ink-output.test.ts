/**
 * berth's Output (the one the bundle gives Ink) must put the same characters with the same styles
 * on the screen as Ink's own, for any sequence of writes and clips. Both outputs are read back
 * into cells (character + active styles) and compared row by row; the bytes may differ (joined
 * rows close their styles with a reset, Ink's grid with each style's own end code).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { styledCharsFromTokens, tokenize } from "@alcalzone/ansi-tokenize";
import { describe, expect, it } from "vitest";
import Output from "../../../../src/ui/dashboard/ink-output.js";

type Transformer = (line: string, index: number) => string;
interface Clip {
  x1: number | undefined;
  x2: number | undefined;
  y1: number | undefined;
  y2: number | undefined;
}
interface OutputLike {
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  clip(clip: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type Step =
  { write: [number, number, string]; transformers?: Transformer[] } | { clip: Clip } | { unclip: true };

const root = path.resolve(import.meta.dirname, "../../../..");
const InkOutput = (
  (await import(pathToFileURL(path.join(root, "node_modules/ink/build/output.js")).href)) as {
    default: new (options: { width: number; height: number }) => OutputLike;
  }
).default;

function run(make: (size: { width: number; height: number }) => OutputLike, steps: readonly Step[]) {
  const output = make({ width: 40, height: 6 });
  for (const step of steps) {
    if ("write" in step) output.write(...step.write, { transformers: step.transformers ?? [] });
    else if ("clip" in step) output.clip(step.clip);
    else output.unclip();
  }
  return output.get();
}

/** What a terminal shows: each row's cells (character and active styles), trailing blank cells dropped. */
function cells(text: string): string[][] {
  return text.split("\n").map((row) => {
    const chars = styledCharsFromTokens(tokenize(row)).map(
      (c) =>
        `${c.value}|${c.styles
          .map((s) => s.code)
          .sort()
          .join(",")}`,
    );
    while (chars.length > 0 && chars.at(-1) === " |") chars.pop();
    return chars;
  });
}

function sameScreen(steps: readonly Step[]): void {
  const ours = run((size) => new Output(size), steps);
  const ink = run((size) => new InkOutput(size), steps);
  expect(ours.height).toBe(ink.height);
  expect(cells(ours.output)).toEqual(cells(ink.output));
}

const red = (s: string): string => `\u001B[31m${s}\u001B[39m`;
const bold = (s: string): string => `\u001B[1m${s}\u001B[22m`;
const onBlue = (s: string): string => `\u001B[44m${s}\u001B[49m`;

describe("the dashboard's Ink output", () => {
  it("joins panes side by side as Ink's grid composes them", () => {
    sameScreen([
      { write: [0, 0, "NAME   STATE\nweb    running\ndb     exited"] },
      { write: [20, 0, `${red("web-1")} | GET /\n${red("db-1")}  | ready`] },
      { write: [0, 4, "footer: q quit"] },
    ]);
  });

  it("keeps styles to their piece, also when a piece leaves one open", () => {
    sameScreen([
      { write: [0, 0, `${bold(red("x"))} plain`] },
      { write: [2, 1, "\u001B[32mgreen never closed"] },
      { write: [30, 1, "after"] },
      { write: [0, 2, onBlue("  background  ")] },
    ]);
  });

  it("overlays a write on another as Ink does (later cells win)", () => {
    sameScreen([
      { write: [0, 0, `${red("aaaaaaaaaaaaaaaaaaaa")}\nbbbbbbbbbbbbbbbbbbbb`] },
      { write: [5, 0, bold("HELP")] },
      { write: [3, 1, "overlay\ntwo"] },
    ]);
  });

  it("places wide characters and emoji", () => {
    sameScreen([
      { write: [0, 0, "日本語テキスト"] },
      { write: [16, 0, "after"] },
      { write: [0, 1, "🚀 rocket"] },
      { write: [2, 2, "日本"] },
      { write: [3, 2, "x"] },
    ]);
  });

  it("clips as Ink clips", () => {
    sameScreen([
      { clip: { x1: 2, x2: 10, y1: 1, y2: 3 } },
      { write: [0, 0, `${red("0123456789abcdef")}\nline two is long\n${bold("third")}\nfourth`] },
      { unclip: true },
      { clip: { x1: undefined, x2: undefined, y1: 0, y2: 2 } },
      { write: [20, 1, "kept\ncut"] },
      { unclip: true },
      { clip: { x1: 30, x2: 35, y1: undefined, y2: undefined } },
      { write: [0, 4, "entirely outside"] },
      { unclip: true },
    ]);
  });

  it("applies transformers per line", () => {
    sameScreen([
      { write: [1, 0, "one\ntwo"], transformers: [(line, index) => `${index}:${line.toUpperCase()}`] },
    ]);
  });

  it("handles writes off the screen", () => {
    sameScreen([
      { write: [-2, 0, "starts left of the screen"] },
      { write: [0, 5, "last row\nbelow the screen"] },
      { write: [35, 3, "past the right edge"] },
      { write: [0, 3, ""] },
    ]);
  });

  it("agrees with Ink on 500 seeded random screens", () => {
    let state = 7;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const words = ["web", "db-1", "GET /", "日本", "🚀", "x", "  ", "ready", "|", "a b c"];
    const styles = [(s: string) => s, red, bold, onBlue, (s: string) => bold(red(s))];
    const text = (): string =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
          styles[Math.floor(random() * styles.length)]!(words[Math.floor(random() * words.length)]!),
        ).join(" "),
      ).join("\n");
    for (let round = 0; round < 500; round++) {
      const steps: Step[] = [];
      for (let n = Math.floor(random() * 6); n >= 0; n--) {
        const roll = random();
        if (roll < 0.1)
          steps.push({
            clip: {
              x1: Math.floor(random() * 10),
              x2: 10 + Math.floor(random() * 30),
              y1: 0,
              y2: 1 + Math.floor(random() * 5),
            },
          });
        else if (roll < 0.15) steps.push({ unclip: true });
        else steps.push({ write: [Math.floor(random() * 38), Math.floor(random() * 6), text()] });
      }
      sameScreen(steps);
    }
  });
});
