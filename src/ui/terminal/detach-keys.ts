/**
 * Detach keys (`--detach-keys ctrl-p,ctrl-q`), as Docker reads them: a comma-separated list of
 * keys, each one character or `ctrl-<key>`. The matcher watches the keys typed into a TTY session
 * and holds back a partial sequence until it is either complete (detach) or broken (pass it on),
 * so a lone ctrl-p still reaches the process.
 */
import { UsageError } from "../../errors.js";

/** Docker's default, used by `attach` when none is given. */
export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

/** `ctrl-a`…`ctrl-z` and the five control keys after them (`ctrl-@` is NUL, `ctrl-_` is 0x1f). */
const CTRL_KEYS = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

export function parseDetachKeys(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const key of text.split(",")) {
    const lower = key.toLowerCase();
    if (key.length === 1) {
      bytes.push(key.charCodeAt(0));
    } else if (lower.startsWith("ctrl-") && lower.length === 6 && CTRL_KEYS.includes(lower.charAt(5))) {
      bytes.push(CTRL_KEYS.indexOf(lower.charAt(5)));
    } else {
      throw new UsageError(`invalid detach keys (${text}) provided`);
    }
  }
  return Uint8Array.from(bytes);
}

export interface DetachMatcher {
  /** What to pass on of `chunk`, and whether the sequence is now complete. */
  feed(chunk: Uint8Array): { readonly pass: Uint8Array; readonly detach: boolean };
}

export function detachMatcher(keys: Uint8Array): DetachMatcher {
  let matched = 0;
  return {
    feed(chunk) {
      const pass: number[] = [];
      for (const byte of chunk) {
        if (byte === keys[matched]) {
          matched += 1;
          if (matched === keys.length) return { pass: Uint8Array.from(pass), detach: true };
          continue;
        }
        // Broken: the held-back keys were meant for the process after all.
        for (let i = 0; i < matched; i++) pass.push(keys[i] ?? 0);
        matched = byte === keys[0] ? 1 : 0;
        if (matched === 0) pass.push(byte);
      }
      return { pass: Uint8Array.from(pass), detach: false };
    },
  };
}
