/**
 * Colour is decided once per stream (see select.ts) and then passed down as a chalk instance of a
 * fixed level, so nothing below depends on chalk's own detection of the terminal or argv.
 */
import { Chalk, type ChalkInstance } from "chalk";

export type { ChalkInstance };

/** Basic 16-colour ANSI when enabled (what Compose emits), plain text otherwise. */
export function painter(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}
