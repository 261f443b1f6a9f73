/**
 * Path patterns shared by the per-path rule tables of interpolate (type casts), merge, paths,
 * validate and normalize. A pattern is dot-separated: a literal key, `*` for any mapping key, `[]`
 * for any sequence index. Example: `services.*.ports.[]` matches ["services", "web", "ports", 0].
 *
 * A table of `pattern → rule` is compiled once into a small automaton (`PatternState`): walking a
 * tree, each step to a child is one map lookup, and the rule at a node is read off the state. That
 * replaces testing every pattern at every node, which a 500-service file turns into millions of
 * comparisons. When several patterns match a path, the first one in table order wins.
 */
import { copyEntries, isMapping, isSequence, setEntry, type Mapping, type Node, type Path } from "./tree.js";

export type PathPattern = string;

/** Where a walk stands in a table: the rule for this exact path and the states one step further. */
export interface PatternState<T> {
  /** The rule of the first pattern (in table order) that matches the path walked so far. */
  readonly rule: T | undefined;
  /** The state after a mapping key with a literal in some pattern here. */
  readonly keys: ReadonlyMap<string, PatternState<T>>;
  /** The state after any other mapping key (`*`). */
  readonly anyKey: PatternState<T> | undefined;
  /** The state after a sequence index (`[]`). */
  readonly item: PatternState<T> | undefined;
  /** Whether any pattern goes deeper than here: if not, a walk can stop. */
  readonly deeper: boolean;
}

/** One step of a walk; undefined when no pattern of the table can match below. */
export function step<T>(state: PatternState<T>, segment: string | number): PatternState<T> | undefined {
  if (typeof segment === "number") return state.item;
  return state.keys.get(segment) ?? state.anyKey;
}

/** The state at `path` from `root`, or undefined when no pattern reaches it. */
export function stateAt<T>(root: PatternState<T>, path: Path): PatternState<T> | undefined {
  let state: PatternState<T> | undefined = root;
  for (let i = 0; i < path.length && state; i++) state = step(state, path[i] as string | number);
  return state;
}

/** A table as a trie of patterns, before two patterns that can match the same path are combined. */
interface TrieNode<T> {
  readonly id: number;
  rule?: { readonly order: number; readonly value: T };
  readonly keys: Map<string, TrieNode<T>>;
  any?: TrieNode<T>;
  item?: TrieNode<T>;
}

/**
 * Compile `table` (path-pattern syntax) into its start state. A state stands for the set of trie
 * nodes a path can be at (a literal key and `*` may both match), so every step is a single lookup.
 */
export function compilePatterns<T>(table: Readonly<Record<PathPattern, T>>): PatternState<T> {
  let ids = 0;
  const fresh = (): TrieNode<T> => ({ id: ids++, keys: new Map() });
  const root = fresh();
  let order = 0;
  for (const [pattern, value] of Object.entries(table)) {
    let node = root;
    for (const segment of pattern === "" ? [] : pattern.split(".")) {
      if (segment === "*") node = node.any ??= fresh();
      else if (segment === "[]") node = node.item ??= fresh();
      else {
        let next = node.keys.get(segment);
        if (!next) node.keys.set(segment, (next = fresh()));
        node = next;
      }
    }
    node.rule ??= { order, value };
    order++;
  }

  const states = new Map<string, PatternState<T>>();
  const stateOf = (nodes: readonly TrieNode<T>[]): PatternState<T> | undefined => {
    if (nodes.length === 0) return undefined;
    const id = nodes
      .map((n) => n.id)
      .sort((a, b) => a - b)
      .join(",");
    const known = states.get(id);
    if (known) return known;
    let best: TrieNode<T>["rule"];
    for (const n of nodes) if (n.rule && (!best || n.rule.order < best.order)) best = n.rule;
    const anyNodes = nodes.flatMap((n) => (n.any ? [n.any] : []));
    const itemNodes = nodes.flatMap((n) => (n.item ? [n.item] : []));
    const keys = new Map<string, PatternState<T>>();
    const state: PatternState<T> = {
      rule: best?.value,
      keys,
      anyKey: undefined,
      item: undefined,
      deeper: nodes.some((n) => n.any !== undefined || n.item !== undefined || n.keys.size > 0),
    };
    states.set(id, state); // before the children: patterns are finite, but keep it cycle-safe
    const mutable = state as { anyKey: PatternState<T> | undefined; item: PatternState<T> | undefined };
    mutable.anyKey = stateOf(anyNodes);
    mutable.item = stateOf(itemNodes);
    const literals = new Set(nodes.flatMap((n) => [...n.keys.keys()]));
    for (const key of literals) {
      const next = stateOf([...nodes.flatMap((n) => n.keys.get(key) ?? []), ...anyNodes]);
      if (next) keys.set(key, next);
    }
    return state;
  };
  return stateOf([root]) as PatternState<T>;
}

const compiled = new WeakMap<object, PatternState<unknown>>();

/** The compiled form of a table, made on first use. */
function compiledTable<T>(table: Readonly<Record<PathPattern, T>>): PatternState<T> {
  let state = compiled.get(table) as PatternState<T> | undefined;
  if (!state) {
    state = compilePatterns(table);
    compiled.set(table, state as PatternState<unknown>);
  }
  return state;
}

export function matches(path: Path, pattern: PathPattern): boolean {
  const segments = pattern === "" ? [] : pattern.split(".");
  if (segments.length !== path.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const want = segments[i];
    const got = path[i];
    if (want === "[]") {
      if (typeof got !== "number") return false;
    } else if (want === "*") {
      if (typeof got !== "string") return false;
    } else if (want !== got) return false;
  }
  return true;
}

/** The first rule whose pattern matches `path`, from a table of `pattern → rule`. */
export function findRule<T>(table: Readonly<Record<PathPattern, T>>, path: Path): T | undefined {
  return stateAt(compiledTable(table), path)?.rule;
}

/**
 * (The walks over whole trees here and in other stages use indexed loops: they run once per
 * process, mostly before the JIT optimizes them, and `for...of` allocates at every step then.)
 *
 * Walk `node`, applying `apply(value, rule, path)` at each path (but the root) some pattern
 * matches. The walk only goes where a pattern can reach. With `descend`, it goes on inside what a
 * rule returned; otherwise a rule's result is final.
 *
 * `node` is never modified. A rule must not modify the value it is given either: it returns a new
 * value when it changes something, else the value itself. Only the containers on the way to a
 * changed value are copied; everything else in the result is shared with `node`. `path` is the
 * walk's own array: copy it to keep it.
 */
export function walkPatterns<T>(
  node: Node,
  start: PatternState<T>,
  apply: (value: Node, rule: T, path: Path) => Node,
  descend: boolean,
): Node {
  const path: (string | number)[] = [];
  const visit = (value: Node, state: PatternState<T>): Node => {
    let result = value;
    if (state.rule !== undefined && path.length > 0) {
      result = apply(value, state.rule, path);
      if (!descend) return result;
    }
    if (!state.deeper) return result;
    if (isSequence(result)) {
      const next = state.item;
      if (!next) return result;
      let out: Node[] | undefined;
      for (let i = 0; i < result.length; i++) {
        const item = result[i] as Node;
        path.push(i);
        const changed = visit(item, next);
        path.pop();
        if (changed !== item) (out ??= result.slice())[i] = changed;
      }
      return out ?? result;
    }
    if (isMapping(result)) {
      let out: Mapping | undefined; // made at the first change
      const keys = Object.keys(result);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const item = result[key] as Node;
        const next = state.keys.get(key) ?? state.anyKey;
        let changed = item;
        if (next) {
          path.push(key);
          changed = visit(item, next);
          path.pop();
        }
        if (changed !== item && !out) out = copyEntries(result, keys, i);
        if (out) setEntry(out, key, changed);
      }
      return out ?? result;
    }
    return result;
  };
  return visit(node, start);
}
