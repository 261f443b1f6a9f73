/**
 * The order Compose prints keys and lists in: go-yaml's map key order (`compareYamlKeys`) and Go's
 * `sort.Strings` (`compareBytes`), with the helpers normalize uses to put a mapping in that order.
 */
import { isMapping, isSequence, type Mapping, type Node } from "./tree.js";

/**
 * The order go-yaml prints map keys in (yaml.v3 `keyList.Less`): letters by code point, runs of
 * digits by numeric value, a digit/punctuation before a letter unless it follows digits.
 */
export function compareYamlKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ar = codePoints(a);
  const br = codePoints(b);
  // Both directions of `Less` walk the same equal prefix: walk it once, then ask both at the
  // first difference (they can both be false: the keys are then equal in this order).
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    if (ac === br[i]) {
      digits = isDigit(ac);
      continue;
    }
    return lessAt(ar, br, i, digits) ? -1 : lessAt(br, ar, i, digits) ? 1 : 0;
  }
  return ar.length < br.length ? -1 : br.length < ar.length ? 1 : 0;
}

/** yaml.v3 `keyList.Less(a, b)` when `a` and `b` first differ at `i` (`digits`: the char before is a digit). */
function lessAt(ar: ArrayLike<string>, br: ArrayLike<string>, i: number, digits: boolean): boolean {
  const ac = ar[i] as string;
  const bc = br[i] as string;
  const al = isLetter(ac);
  const bl = isLetter(bc);
  if (al && bl) return (ac.codePointAt(0) ?? 0) < (bc.codePointAt(0) ?? 0);
  if (al || bl) return digits ? al : bl;
  let an = 0;
  let bn = 0;
  if (ac === "0" || bc === "0") {
    for (let j = i - 1; j >= 0 && isDigit(ar[j] as string); j--) {
      if (ar[j] !== "0") {
        an = 1;
        bn = 1;
        break;
      }
    }
  }
  let ai = i;
  for (; ai < ar.length && isDigit(ar[ai] as string); ai++) an = an * 10 + Number(ar[ai]);
  let bi = i;
  for (; bi < br.length && isDigit(br[bi] as string); bi++) bn = bn * 10 + Number(br[bi]);
  if (an !== bn) return an < bn;
  if (ai !== bi) return ai < bi;
  return (ac.codePointAt(0) ?? 0) < (bc.codePointAt(0) ?? 0);
}

/** The characters of `s` by code point; the string itself when it has no surrogate pair (nearly always). */
function codePoints(s: string): ArrayLike<string> {
  return /[\uD800-\uDFFF]/.test(s) ? [...s] : s;
}

function isDigit(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) return code >= 0x30 && code <= 0x39; // ASCII answers without a Unicode lookup
  return /^\p{Nd}$/u.test(c);
}

function isLetter(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  return /^\p{L}$/u.test(c);
}

/** Go's `sort.Strings`: byte order of the UTF-8 encoding (= code point order). */
export function compareBytes(a: string, b: string): number {
  const ac = [...a];
  const bc = [...b];
  for (let i = 0; i < ac.length && i < bc.length; i++) {
    const d = (ac[i]?.codePointAt(0) ?? 0) - (bc[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return ac.length - bc.length;
}

/**
 * `keys.sort(compareYamlKeys)`, in place. Most mappings normalize sorts have one or two keys, and
 * `sort` allocates even then: those are done here, the way V8's sort does them (two keys swap
 * when the second sorts before the first).
 */
export function sortYamlKeys(keys: string[]): string[] {
  if (keys.length > 2) return keys.sort(compareYamlKeys);
  if (keys.length === 2 && compareYamlKeys(keys[1] as string, keys[0] as string) < 0) keys.reverse();
  return keys;
}

export function sortedKeys(m: Mapping): string[] {
  return sortYamlKeys(Object.keys(m));
}

/** The `x-*` keys of a mapping, in go-yaml order (picked before sorting: most mappings have none). */
export function extensionKeys(m: Mapping): string[] {
  return sortYamlKeys(Object.keys(m).filter((key) => key.startsWith("x-")));
}

/** A record of `values` with its keys in go-yaml order; undefined when empty. */
export function sortedRecord<T>(values: ReadonlyMap<string, T>): Record<string, T> | undefined {
  if (values.size === 0) return undefined;
  const out: Record<string, T> = {};
  for (const key of sortYamlKeys([...values.keys()])) out[key] = values.get(key) as T;
  return out;
}

/** A copy with every mapping's keys in go-yaml order (how Compose prints free-form values). */
export function sortDeep(v: Node): Node {
  if (isSequence(v)) return v.map(sortDeep);
  if (isMapping(v)) {
    const out: Mapping = {};
    for (const key of sortedKeys(v)) out[key] = sortDeep(v[key] as Node);
    return out;
  }
  return v;
}
