/** How the engine names and matches things: signals and label filters. */
import type { LabelTerms } from "../../src/runtime/runtime.js";

export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  USR1: 10,
  USR2: 12,
  TERM: 15,
};
/** `SIGKILL`, `KILL`, `9` → `KILL`. */
export function signalName(signal: string): string {
  const bare = signal.toUpperCase().replace(/^SIG/, "");
  const byNumber = Object.entries(SIGNALS).find(([, n]) => String(n) === bare);
  return byNumber ? byNumber[0] : bare;
}

export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  terms: LabelTerms | undefined,
): boolean {
  return (terms ?? []).every((term) => {
    const at = term.indexOf("=");
    return at < 0 ? term in labels : labels[term.slice(0, at)] === term.slice(at + 1);
  });
}
