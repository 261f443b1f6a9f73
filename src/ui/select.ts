/**
 * Chooses, once per command, how progress is shown and whether anything is coloured.
 *
 * Progress (`--progress`, written to stderr):
 * - `auto`: the live view when stderr is a terminal (and `--ansi never` was not asked), plain lines otherwise
 * - `tty`: the live view even when stderr is not a terminal
 * - `plain`: one line per event; `json`: one JSON object per event; `quiet`: nothing
 *
 * Colour (`--ansi`, per stream): `always` colours, `never` does not, `auto` colours a terminal unless
 * `NO_COLOR` is set to anything non-empty (https://no-color.org). An explicit `--ansi always` wins
 * over `NO_COLOR`, as an explicit flag should.
 */
import { jsonProgress } from "./json-progress.js";
import { plainProgress } from "./plain/progress.js";
import { ttyProgress } from "./plain/progress-tty.js";
import { quietProgress, type ProgressRenderer, type TextOut } from "./progress.js";

export const PROGRESS_MODES = ["auto", "tty", "plain", "quiet", "json"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
export const ANSI_MODES = ["never", "always", "auto"] as const;
export type AnsiMode = (typeof ANSI_MODES)[number];

export type Env = Readonly<Record<string, string | undefined>>;

/** Whether to colour a stream that is (or is not) a terminal. */
export function useColor(ansi: AnsiMode, isTTY: boolean, env: Env): boolean {
  switch (ansi) {
    case "always":
      return true;
    case "never":
      return false;
    case "auto":
      return isTTY && !noColor(env);
  }
}

function noColor(env: Env): boolean {
  const value = env["NO_COLOR"];
  return value !== undefined && value !== "";
}

export type ProgressKind = "tty" | "plain" | "json" | "quiet";

/** The renderer `--progress` and `--ansi` ask for on a stream that is (or is not) a terminal. */
export function progressKind(progress: ProgressMode, ansi: AnsiMode, isTTY: boolean): ProgressKind {
  if (progress !== "auto") return progress;
  return isTTY && ansi !== "never" ? "tty" : "plain";
}

export interface ProgressChoice {
  readonly progress: ProgressMode;
  readonly ansi: AnsiMode;
  /** Where progress goes: stderr. */
  readonly out: TextOut;
  readonly env: Env;
  /** The live view's header verb (`Running`, `Stopping`, …). */
  readonly title?: string | undefined;
}

export function selectProgress(choice: ProgressChoice): ProgressRenderer {
  const isTTY = choice.out.isTTY === true;
  switch (progressKind(choice.progress, choice.ansi, isTTY)) {
    case "tty":
      return ttyProgress({
        out: choice.out,
        color: useColor(choice.ansi, isTTY, choice.env),
        title: choice.title,
      });
    case "plain":
      return plainProgress(choice.out);
    case "json":
      return jsonProgress(choice.out);
    case "quiet":
      return quietProgress();
  }
}
