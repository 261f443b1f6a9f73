/** The global output flags (`--progress`, `--ansi`, NO_COLOR) turned into renderers for a command. */
import { LogPrinter } from "../ui/plain/log-printer.js";
import type { ProgressRenderer } from "../ui/progress.js";
import { selectProgress, useColor } from "../ui/select.js";
import type { GlobalOptions } from "./global-options.js";

/** Progress on stderr; `title` is the live view's header verb (`Running`, `Stopping`, …). */
export function progressFor(
  globals: Pick<GlobalOptions, "progress" | "ansi">,
  title: string,
): ProgressRenderer {
  return selectProgress({
    progress: globals.progress,
    ansi: globals.ansi,
    out: process.stderr,
    env: process.env,
    title,
  });
}

/** Runs `work` with a progress renderer and ends the renderer however `work` ends. */
export async function withProgress<T>(
  globals: Pick<GlobalOptions, "progress" | "ansi">,
  title: string,
  work: (progress: ProgressRenderer) => Promise<T>,
): Promise<T> {
  const progress = progressFor(globals, title);
  try {
    return await work(progress);
  } finally {
    progress.done();
  }
}

/** The flags `up` and `logs` both declare (src/cli/options/). */
export interface LogFlags {
  /** `--no-color`: false. */
  readonly color: boolean;
  /** `--no-log-prefix`: false. */
  readonly logPrefix: boolean;
  readonly timestamps: true | undefined;
}

/** The container log printer on stdout (container stderr on stderr), as `up` and `logs` print. */
export function logPrinterFor(
  globals: Pick<GlobalOptions, "ansi">,
  flags: LogFlags,
  services: readonly string[],
): LogPrinter {
  const color = flags.color !== false && useColor(globals.ansi, process.stdout.isTTY === true, process.env);
  return new LogPrinter({
    out: process.stdout,
    err: process.stderr,
    color,
    prefix: flags.logPrefix !== false,
    timestamps: flags.timestamps === true,
    services,
  });
}
