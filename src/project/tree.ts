/**
 * The raw compose tree as the loader stages see it: plain JSON-like values with string keys.
 * Stages before normalize work on this shape; normalize turns it into the typed model.
 */

export type Scalar = string | number | boolean | null;
export type Node = Scalar | Node[] | Mapping;
export interface Mapping {
  [key: string]: Node;
}

/** A path into the tree: mapping keys and sequence indices. */
export type Path = readonly (string | number)[];

export function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isSequence(value: unknown): value is Node[] {
  return Array.isArray(value);
}

/** `["services", "web", "ports", 1]` → `services.web.ports[1]`, the form every error message uses. */
export function formatPath(path: Path): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

/** Deep copy, so a stage never mutates the tree it was given (a plain walk: several times faster than structuredClone here). */
export function cloneNode<T extends Node>(node: T): T {
  return copy(node) as T;
}

function copy(node: Node): Node {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map(copy);
  const out: Mapping = {};
  const keys = Object.keys(node);
  for (let i = 0; i < keys.length; i++)
    setEntry(out, keys[i] as string, copy(node[keys[i] as string] as Node));
  return out;
}

/**
 * A new mapping with the first `count` of `keys` (the keys of `m`, in order) and their values. A
 * walk that finds its first change at `keys[count]` copies what came before, then adds the rest as
 * it goes. Not `{ ...m }` and overwrite: V8 spreads a large mapping (500 services) into an object
 * that is slow to write to.
 */
export function copyEntries(m: Mapping, keys: readonly string[], count: number): Mapping {
  const out: Mapping = {};
  for (let i = 0; i < count; i++) setEntry(out, keys[i] as string, m[keys[i] as string] as Node);
  return out;
}

/** A shallow copy of a mapping (see `copyEntries` for why not `{ ...m }`). */
export function shallowCopy(m: Mapping): Mapping {
  const keys = Object.keys(m);
  return copyEntries(m, keys, keys.length);
}

/** `out[key] = value`, also for a key spelled `__proto__` (which plain assignment would not add). */
export function setEntry(out: Mapping, key: string, value: Node): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/** Read a value at a path, or undefined when any step is missing. */
export function getAt(root: Node, path: Path): Node | undefined {
  let current: Node | undefined = root;
  for (const segment of path) {
    if (typeof segment === "number") {
      if (!isSequence(current)) return undefined;
      current = current[segment];
    } else {
      if (!isMapping(current)) return undefined;
      current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    }
  }
  return current;
}

/** A short, readable rendering of a value for error messages (`"80:80:80"`, `[a, b]`). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** The type name people read in errors, as Compose phrases it. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/**
 * A value as Go's `%v` prints it. Floats use the shortest `%g` form, which switches to an exponent
 * from 1e6 (`1.2345675e+06`). Integral numbers print as integers: the tree does not keep whether
 * YAML wrote `1e6` or `1000000`.
 */
export function goString(value: Node): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "<nil>";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    const [mantissa = "", exp = "0"] = value.toExponential().split("e");
    const exponent = Number(exp);
    if (exponent < -4 || exponent >= 6) {
      const digits = String(Math.abs(exponent)).padStart(2, "0");
      return `${mantissa}e${exponent < 0 ? "-" : "+"}${digits}`;
    }
    return String(value);
  }
  return JSON.stringify(value);
}
