/**
 * The variables a compose model uses, as compose-go's template.ExtractVariables finds them (what
 * `config --variables` prints): every `$NAME` / `${NAME…}` in the model's string values, with the
 * default (`:-`, `-`), the alternate value (`:+`, `+`) and whether it is required (`:?`, `?`);
 * variables inside a default or an alternate value count too. Pure; reads the raw model.
 */
import type { Node } from "./tree.js";

export interface ModelVariable {
  readonly name: string;
  readonly defaultValue: string;
  readonly presenceValue: string;
  readonly required: boolean;
}

/** compose-go's DefaultPattern (template.go): escaped `$$`, named, braced, or an invalid `${`. */
const PATTERN = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{(?:([_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|()))/gi;

/** Every variable of the model by name; a later use of a name replaces an earlier one, as in Go. */
export function extractVariables(model: Node): Map<string, ModelVariable> {
  const found = new Map<string, ModelVariable>();
  const walk = (value: Node): void => {
    if (typeof value === "string") for (const v of fromString(value, 0)) found.set(v.name, v);
    else if (Array.isArray(value)) for (const item of value) walk(item as Node);
    else if (value !== null && typeof value === "object")
      for (const item of Object.values(value)) walk(item as Node);
  };
  walk(model);
  return found;
}

/** Depth bounds the recursion into defaults, as the interpolator's nesting limit does. */
function fromString(text: string, depth: number): ModelVariable[] {
  if (depth > 200 || !text.includes("$")) return [];
  const values: ModelVariable[] = [];
  for (const match of text.matchAll(PATTERN)) {
    const [whole, escaped, named, braced] = match;
    if (escaped !== undefined) continue;
    let val = named ?? braced ?? "";
    if (named === undefined) {
      // The braced group runs to the last `}`: cut it at the first brace that closes, and read what
      // follows on its own (compose-go's getFirstBraceClosingIndex).
      const close = firstClosingBrace(whole);
      if (close > 0) {
        val = whole.slice(2, close);
        if (whole.length > close) values.push(...fromString(whole.slice(close + 1), depth + 1));
      }
    }
    const cut = val.search(/[^A-Za-z0-9_]/);
    let name = val;
    let defaultValue = "";
    let presenceValue = "";
    let required = false;
    if (cut > 0) {
      name = val.slice(0, cut);
      const rest = val.slice(cut);
      if (rest.startsWith(":?") || rest.startsWith("?")) required = true;
      else if (rest.startsWith(":-")) defaultValue = rest.slice(2);
      else if (rest.startsWith("-")) defaultValue = rest.slice(1);
      else if (rest.startsWith(":+")) presenceValue = rest.slice(2);
      else if (rest.startsWith("+")) presenceValue = rest.slice(1);
    }
    values.push({ name, defaultValue, presenceValue, required });
    if (defaultValue !== "") values.push(...fromString(defaultValue, depth + 1));
    if (presenceValue !== "") values.push(...fromString(presenceValue, depth + 1));
  }
  return values;
}

/** compose-go's brace counter, including its skip of the character after each `{`. */
function firstClosingBrace(text: string): number {
  let open = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "}") {
      open--;
      if (open === 0) return i;
    }
    if (text[i] === "{") {
      open++;
      i++;
    }
  }
  return -1;
}
