/**
 * `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
 * `Basic realm="…"`, possibly several in one header value, parameters as tokens or quoted strings.
 * Scheme and parameter names are case-insensitive and come back lower-cased.
 */

export interface Challenge {
  /** Lower-case: `bearer`, `basic`, … */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? "";
  }

  skipSpace(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  /** Skips spaces and commas (empty list elements are allowed). */
  skipSeparators(): void {
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === ",") this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (TOKEN_CHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  quoted(): string {
    this.pos++; // opening quote
    let out = "";
    while (!this.done && this.peek() !== '"') {
      if (this.peek() === "\\") this.pos++;
      out += this.peek();
      this.pos++;
    }
    this.pos++; // closing quote (or past the end)
    return out;
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.pos++;
    return true;
  }

  mark(): number {
    return this.pos;
  }

  reset(mark: number): void {
    this.pos = mark;
  }
}

/** Every challenge in one or more header values, in order; unparsable tails are dropped. */
export function parseChallenges(values: string | readonly string[] | undefined): Challenge[] {
  if (values === undefined) return [];
  const out: Challenge[] = [];
  for (const value of typeof values === "string" ? [values] : values) out.push(...parseOne(value));
  return out;
}

function parseOne(value: string): Challenge[] {
  const s = new Scanner(value);
  const out: Challenge[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    s.skipSeparators();
    if (s.done) break;
    const scheme = s.token().toLowerCase();
    if (scheme === "") break;
    const params: Record<string, string> = {};
    s.skipSpace();
    // Parameters: `name=value` separated by commas, until a token not followed by `=` (the next scheme).
    for (let inner = 0; inner < 1000; inner++) {
      const mark = s.mark();
      s.skipSeparators();
      const name = s.token();
      s.skipSpace();
      if (name === "" || !s.eat("=")) {
        s.reset(mark);
        break;
      }
      s.skipSpace();
      params[name.toLowerCase()] = s.peek() === '"' ? s.quoted() : s.token();
    }
    out.push({ scheme, params });
  }
  return out;
}

/** The challenge berth answers, in order of preference: Bearer, then Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
}
