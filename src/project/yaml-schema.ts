/**
 * How YAML scalars read in a compose file: the js-yaml schema that resolves plain scalars as
 * go-yaml v3 does (YAML 1.2 core, Go's integer syntax, `<<` merge keys), the `!reset`/`!override`
 * tags, and the same resolution as one function for the fast reader (yaml-fast.ts), so both
 * readers turn a plain scalar into the same value by the same code.
 */
import { FAILSAFE_SCHEMA, Type, types } from "js-yaml";

/** `!reset` and `!override` as js-yaml constructs them, on any kind of node. */
export class ResetMark {}
export class OverrideMark {
  constructor(readonly value: unknown) {}
}
export const RESET = new ResetMark();

/** Integers as go-yaml v3 reads them: `_` dropped, then Go's base prefixes (`0x`, `0o`, `0b`, and `0` for octal). */
function parseGoInt(text: string): number | undefined {
  const plain = text.replaceAll("_", "");
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain);
  if (!match) return undefined;
  const sign = match[1] === "-" ? -1 : 1;
  const digits = match[2] ?? "";
  const prefix = digits.slice(0, 2).toLowerCase();
  let magnitude: number;
  if (prefix === "0x") magnitude = Number.parseInt(digits.slice(2), 16);
  else if (prefix === "0o") magnitude = Number.parseInt(digits.slice(2), 8);
  else if (prefix === "0b") magnitude = Number.parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith("0")) magnitude = Number.parseInt(digits, 8);
  else magnitude = Number.parseInt(digits, 10);
  return sign * magnitude;
}

/** Whether a plain scalar can be a number: it starts with a digit, or a sign and a digit. */
function startsLikeNumber(text: string): boolean {
  let code = text.charCodeAt(0);
  if (code === 0x2b || code === 0x2d) code = text.charCodeAt(1);
  return code >= 0x30 && code <= 0x39;
}

/** js-yaml asks `resolve` and then `construct` about the same text: parse it once. */
let lastInt: { text: string; value: number | undefined } = { text: "", value: undefined };
function goIntOf(text: string): number | undefined {
  if (lastInt.text !== text) lastInt = { text, value: parseGoInt(text) };
  return lastInt.value;
}

const goInt = new Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data: unknown) =>
    typeof data === "string" && startsLikeNumber(data) && goIntOf(data) !== undefined,
  construct: (data: string) => goIntOf(data),
  predicate: (value: unknown) => typeof value === "number" && Number.isInteger(value),
});

const tagTypes = (["scalar", "sequence", "mapping"] as const).flatMap((kind) => [
  new Type("!reset", { kind, construct: () => RESET }),
  new Type("!override", { kind, construct: (data: unknown) => new OverrideMark(data) }),
]);

/** js-yaml's float, asked only about scalars that can be numbers (its pattern is tried on every plain scalar). */
const goFloat = new Type("tag:yaml.org,2002:float", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && mayBeFloat(data) && types.float.resolve(data),
  construct: (data: string): unknown => types.float.construct(data),
});

/** The first character of every YAML 1.2 float: a sign, a dot or a digit. */
function mayBeFloat(text: string): boolean {
  const code = text.charCodeAt(0);
  return code === 0x2b || code === 0x2d || code === 0x2e || (code >= 0x30 && code <= 0x39);
}

/** YAML 1.2 core as go-yaml v3 resolves it (no YAML 1.1 `yes`/`no`), with `<<` merge keys. */
export const COMPOSE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [types.null, types.bool, goInt, goFloat, types.merge],
  explicit: tagTypes,
});

/**
 * Keys go-yaml would read as numbers, booleans or null, had they been plain: Compose rejects those,
 * and js-yaml has made them strings (quoted or not). Exactly the plain scalars that resolve to
 * something else than a string, so `..` or `1.2.3` stay keys.
 */
export function looksNonString(key: string): boolean {
  return key === "" || typeof resolvePlain(key) !== "string"; // an empty plain key is null
}

/** The implicit types in the schema's order, without `<<` (a merge key is only ever a key). */
const PLAIN_TYPES = [types.null, types.bool, goInt, goFloat];

/** A plain scalar's value as js-yaml with COMPOSE_SCHEMA constructs it. */
export function resolvePlain(text: string): unknown {
  // Every null, boolean and number starts with one of these: most scalars skip the four resolvers.
  if (!MAY_RESOLVE_START.has(text.charCodeAt(0))) return text;
  for (const type of PLAIN_TYPES) if (type.resolve(text)) return type.construct(text);
  return text;
}

/** `~`, n/N (null), t/T/f/F (booleans), a sign, a dot or a digit (numbers). */
const MAY_RESOLVE_START = new Set([..."~nNtTfF+-.0123456789"].map((c) => c.charCodeAt(0)));
