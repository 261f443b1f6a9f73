/**
 * The CLI edge, where every error becomes one clear message on stderr and an exit code. A stack trace only
 * with --debug (or BERTH_DEBUG=1): people read sentences, not frames.
 */
import { BerthError } from "../errors.js";

export function reportError(error: unknown, debug: boolean, write: (text: string) => void): number {
  if (error instanceof BerthError) {
    write(`${error.describe()}\n`);
    if (error.hint) write(`hint: ${error.hint}\n`);
    if (debug && error.stack) write(`${error.stack}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`internal error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) write(`${error.stack}\n`);
  else write("run again with --debug for details\n");
  return 1;
}
