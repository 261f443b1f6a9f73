/**
 * "Did you mean": the commands close to a mistyped one, as cobra (Docker Compose's CLI library)
 * finds them: a Levenshtein distance of at most 2, ignoring case, or a name the typed word begins.
 */

/** Edit distance (insertions, deletions, substitutions), one row at a time. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The names close to `typed`, closest first (ties in the order given). */
export function suggestionsFor(typed: string, names: readonly string[], maxDistance = 2): string[] {
  const word = typed.toLowerCase();
  return names
    .map((name, order) => ({ name, order, distance: levenshtein(word, name.toLowerCase()) }))
    .filter((c) => c.distance <= maxDistance || (word !== "" && c.name.toLowerCase().startsWith(word)))
    .sort((a, b) => a.distance - b.distance || a.order - b.order)
    .map((c) => c.name);
}

/** The one line berth prints for an unknown command. */
export function unknownCommandLine(typed: string, names: readonly string[]): string {
  const [closest] = suggestionsFor(typed, names);
  const hint = closest === undefined ? "" : `; did you mean '${closest}'?`;
  return `error: unknown command '${typed}'${hint} (see 'berth --help')\n`;
}
