/**
 * Go's `path/filepath.Match` on Linux, which the classic builder uses to match COPY/ADD wildcards
 * against paths of the context (or of a `--from` image): `*` and `?` never match `/`, `[...]`
 * classes with ranges and `^` negation, `\` escapes. A malformed pattern matches nothing, as the
 * builder ignores Match's error. Pure; works on code points as Go works on runes.
 */

class BadPattern extends Error {}

/** Whether `name` has a wildcard the builder acts on (an escaped one does not count). */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

/** filepath.Match(pattern, name), a bad pattern counting as no match. */
export function goMatch(pattern: string, name: string): boolean {
  try {
    return match([...pattern], [...name]);
  } catch (err) {
    if (err instanceof BadPattern) return false;
    throw err;
  }
}

function match(pattern: string[], name: string[]): boolean {
  let p = pattern;
  let n = name;
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !n.includes("/");
    const first = matchChunk(chunk, n);
    if (first !== undefined && (first.length === 0 || p.length > 0)) {
      n = first;
      continue;
    }
    if (star) {
      for (let i = 0; i < n.length && n[i] !== "/"; i++) {
        const t = matchChunk(chunk, n.slice(i + 1));
        if (t !== undefined) {
          if (p.length === 0 && t.length > 0) continue;
          n = t;
          continue outer;
        }
      }
    }
    // The rest of the pattern must still be well formed (Go reports ErrBadPattern then).
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return n.length === 0;
}

function scanChunk(pattern: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let p = pattern;
  let star = false;
  while (p.length > 0 && p[0] === "*") {
    p = p.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: p.slice(0, i), rest: p.slice(i) };
}

/** The rest of `s` after `chunk` matched its start, or undefined when it did not. */
function matchChunk(chunkIn: string[], sIn: string[]): string[] | undefined {
  let chunk = chunkIn;
  let s = sIn;
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0]!;
    if (c === "[") {
      let r = "";
      if (!failed) {
        r = s[0]!;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === "^") {
        negated = true;
        chunk = chunk.slice(1);
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === "]" && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = getEsc(chunk);
        chunk = lo.rest;
        let hi = lo.ch;
        if (chunk[0] === "-") {
          const h = getEsc(chunk.slice(1));
          hi = h.ch;
          chunk = h.rest;
        }
        const code = r.codePointAt(0) ?? -1;
        if (lo.ch.codePointAt(0)! <= code && code <= hi.codePointAt(0)!) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
      continue;
    }
    if (c === "?") {
      if (!failed) {
        if (s[0] === "/") failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
      continue;
    }
    let literal = c;
    if (c === "\\") {
      chunk = chunk.slice(1);
      if (chunk.length === 0) throw new BadPattern();
      literal = chunk[0]!;
    }
    if (!failed) {
      if (literal !== s[0]) failed = true;
      s = s.slice(1);
    }
    chunk = chunk.slice(1);
  }
  return failed ? undefined : s;
}

function getEsc(chunkIn: string[]): { ch: string; rest: string[] } {
  let chunk = chunkIn;
  if (chunk.length === 0 || chunk[0] === "-" || chunk[0] === "]") throw new BadPattern();
  if (chunk[0] === "\\") {
    chunk = chunk.slice(1);
    if (chunk.length === 0) throw new BadPattern();
  }
  const ch = chunk[0]!;
  const rest = chunk.slice(1);
  if (rest.length === 0) throw new BadPattern();
  return { ch, rest };
}
