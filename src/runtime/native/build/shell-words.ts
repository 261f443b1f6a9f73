/**
 * The classic builder's word processing (moby/buildkit `frontend/dockerfile/shell/lex.go`): quotes
 * removed, the escape character honoured, `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`,
 * `${VAR+x}`, `${VAR:?x}` and `${VAR?x}` expanded from the build's ARGs and ENVs. No command
 * substitution, no globbing: nothing here runs a shell.
 */
import { InvalidRequestError } from "../../errors.js";

/** A variable's value, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** The whole text as one word (spaces kept), as ENV and LABEL values and WORKDIR are expanded. */
export function expandWord(text: string, lookup: Lookup, escape = "\\"): string {
  return new Lexer(text, lookup, escape).words(false).join("");
}

/** The text split into words at unquoted whitespace, as COPY's and EXPOSE's arguments are. */
export function expandWords(text: string, lookup: Lookup, escape = "\\"): string[] {
  return new Lexer(text, lookup, escape).words(true);
}

const nameChar = /[A-Za-z0-9_]/;

class Lexer {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
  ) {}

  words(split: boolean): string[] {
    const words: string[] = [];
    let word = "";
    // A quoted empty string ("") is a word of its own.
    let inWord = false;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) words.push(word);
        word = "";
        inWord = false;
        continue;
      }
      inWord = true;
      if (split && ch === "$") {
        // An unquoted variable's value is split into words too (lex.go's addString).
        const [head = "", ...tail] = this.dollar().split(/\s+/);
        word += head;
        for (const part of tail) {
          words.push(word);
          word = part;
        }
        continue;
      }
      word += this.unit(ch);
    }
    if (inWord || (!split && words.length === 0)) words.push(word);
    return words;
  }

  /** One unit of unquoted text starting at `ch`: an escape, a quoted part, a `$`, or a char. */
  private unit(ch: string): string {
    if (ch === this.escape) {
      this.pos++;
      // A trailing escape character is dropped, as lex.go does.
      if (this.pos >= this.text.length) return "";
      return this.text[this.pos++]!;
    }
    if (ch === "'") return this.single();
    if (ch === '"') return this.double();
    if (ch === "$") return this.dollar();
    this.pos++;
    return ch;
  }

  private single(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    if (end < 0)
      throw new InvalidRequestError("unexpected end of statement while looking for matching single-quote");
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  private double(): string {
    this.pos++;
    let value = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return value;
      }
      if (ch === "$") {
        value += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const next = this.text[this.pos + 1];
        if (next === '"' || next === "$" || next === this.escape) {
          value += next;
          this.pos += 2;
          continue;
        }
      }
      value += ch;
      this.pos++;
    }
    throw new InvalidRequestError("unexpected end of statement while looking for matching double-quote");
  }

  private dollar(): string {
    this.pos++;
    const next = this.text[this.pos];
    if (next === "{") return this.braced();
    const name = this.name();
    if (name === "") return "$";
    return this.lookup(name) ?? "";
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.text.length && nameChar.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private braced(): string {
    this.pos++;
    const name = this.name();
    if (name === "") throw new InvalidRequestError(`bad substitution: ${this.text}`);
    let op = this.text[this.pos];
    if (op === undefined) throw new InvalidRequestError(`missing '}' in substitution: ${this.text}`);
    if (op === "}") {
      this.pos++;
      return this.lookup(name) ?? "";
    }
    let colon = false;
    if (op === ":") {
      colon = true;
      this.pos++;
      op = this.text[this.pos];
    }
    if (op !== "-" && op !== "+" && op !== "?")
      throw new InvalidRequestError(`unsupported modifier (${op ?? "end"}) in substitution: ${this.text}`);
    this.pos++;
    const word = this.until("}");
    const value = this.lookup(name);
    const set = colon ? value !== undefined && value !== "" : value !== undefined;
    if (op === "-") return set ? value! : word;
    if (op === "+") return set ? word : "";
    if (!set) throw new InvalidRequestError(`${name}: ${word === "" ? "is not allowed to be unset" : word}`);
    return value!;
  }

  /** The word of a `${name:-word}`, itself expanded, up to the closing brace. */
  private until(stop: string): string {
    let word = "";
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === stop) {
        this.pos++;
        return word;
      }
      word += this.unit(ch);
    }
    throw new InvalidRequestError(`missing '}' in substitution: ${this.text}`);
  }
}
