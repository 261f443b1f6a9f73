/**
 * Stage 7: check the merged, interpolated tree against the Compose schema (schemas/compose-spec.json,
 * compiled ahead of time by scripts/build-validator.mjs), then run the few checks Compose makes
 * next to its schema (compose-go's `validation` package). Throws one LoadError, the most specific
 * problem, as Compose picks it: the deepest path wins, an unknown key counting one level deeper.
 */
import { LoadError, type Location } from "../errors.js";
import { findRule, type PathPattern } from "./path-pattern.js";
import {
  validate as schemaValidate,
  schemaJson,
  type SchemaError,
} from "./schema/compose-validator.generated.js";
import type { SourceMap } from "./source-map.js";
import {
  describeValue,
  formatPath,
  getAt,
  isMapping,
  isSequence,
  type Mapping,
  type Node,
  type Path,
} from "./tree.js";

/** Throws a LoadError for the most specific problem in `tree`; returns when it is valid. */
export interface ValidateOptions {
  /**
   * Interpolation was skipped (`config --no-interpolate`): a port, exposed port or byte size that
   * holds a `$` is not checked, as compose-go does not check them in its schema (it parses them later,
   * and keeps them raw when they hold a variable).
   */
  readonly variablesLeft?: boolean;
}

export function validate(tree: Mapping, sources: SourceMap, options: ValidateOptions = {}): void {
  if (!schemaValidate(tree)) {
    let errors = schemaValidate.errors ?? [];
    if (options.variablesLeft === true) {
      // Drop, with the format error, every error about that same value (the other branches of its oneOf).
      const lenient = new Set(
        errors.filter((e) => isUninterpolatedFormat(tree, e)).map((e) => e.instancePath),
      );
      errors = errors.filter((e) => !lenient.has(e.instancePath));
    }
    if (errors.length > 0) throw explain(tree, sources, errors);
  }
  const problems: Problem[] = [];
  for (const [pattern, rule] of Object.entries(RULES)) {
    for (const { path, value } of expand(tree, pattern)) {
      const found = rule(value, path, tree);
      if (found) problems.push(found);
    }
  }
  // These checks are independent of each other: report the one written first.
  const first = pickProblem(problems, sources, false);
  if (first) throw toLoadError(first, sources);
}

const LENIENT_FORMATS = new Set(["ports", "expose", "bytes"]);

function isUninterpolatedFormat(tree: Mapping, error: SchemaError): boolean {
  if (error.keyword !== "format" || !LENIENT_FORMATS.has(String(error.params["format"]))) return false;
  const value = getAt(tree, toPath(tree, error.instancePath));
  return typeof value === "string" && value.includes("$");
}

// ---------------------------------------------------------------------------------------------
// Problems: what went wrong, where, how specific.

interface Problem {
  /** The path the message is about (for an unknown key: the mapping that holds it). */
  readonly path: Path;
  /** Where to point: the key or the value at `at`. */
  readonly at: Path;
  readonly atKey: boolean;
  readonly message: string;
  readonly hint?: string | undefined;
  /** Compose's specificity: path depth, plus one for an unknown key. */
  readonly depth: number;
}

function toLoadError(problem: Problem, sources: SourceMap): LoadError {
  const location = locate(problem, sources);
  return new LoadError(problem.message, location, formatPath(problem.path), { hint: problem.hint });
}

function locate(problem: Problem, sources: SourceMap): Location | undefined {
  return problem.atKey ? sources.keyAt(problem.at) : sources.valueAt(problem.at);
}

/** The deepest problem (unless `byDepth` is false); among equals, the one written first. */
function pickProblem(problems: readonly Problem[], sources: SourceMap, byDepth = true): Problem | undefined {
  let best: Problem | undefined;
  let bestLocation: Location | undefined;
  for (const problem of problems) {
    const location = locate(problem, sources);
    const depth = byDepth ? problem.depth : 0;
    const bestDepth = best === undefined || !byDepth ? 0 : best.depth;
    if (best === undefined || depth > bestDepth || (depth === bestDepth && before(location, bestLocation))) {
      best = problem;
      bestLocation = location;
    }
  }
  return best;
}

function before(a: Location | undefined, b: Location | undefined): boolean {
  if (!a || !b) return false;
  return a.line < b.line || (a.line === b.line && a.col < b.col);
}

// ---------------------------------------------------------------------------------------------
// Schema errors → problems.

function explain(tree: Mapping, sources: SourceMap, errors: readonly SchemaError[]): LoadError {
  const located = errors.map((error) => ({ error, path: toPath(tree, error.instancePath) }));
  const dropped = new Set<SchemaError>();
  /** Type problems made for a `oneOf` no branch of which takes the value's type, by instance path. */
  const typeProblems = new Map<string, Problem>();
  const extra: Problem[] = [];

  for (const { error, path } of located) {
    if (error.keyword !== "oneOf" && error.keyword !== "anyOf") continue;
    if (error.keyword === "oneOf" && error.params["passingSchemas"] !== null) continue; // several matched
    const branches = alternativesAt(tree, path, error.keyword);
    if (!branches) continue; // described generically below
    dropped.add(error);
    const value = getAt(tree, path) ?? null;
    const type = jsonType(value);
    const compatible = branches.map((branch) => accepts(typesOf(branch), type));
    const samePlace = located.filter((other) => other.error.instancePath === error.instancePath);
    const inBranch = (other: SchemaError, index: number): boolean =>
      other.schemaPath.startsWith(`${error.schemaPath}/${index}/`);

    if (!compatible.includes(true)) {
      for (const other of samePlace) {
        if (other.error.keyword === "type" || other.error.schemaPath.startsWith(`${error.schemaPath}/`)) {
          dropped.add(other.error);
        }
      }
      const wanted = branches.flatMap((branch) => typesOf(branch) ?? []);
      typeProblems.set(error.instancePath, typeProblem(path, wanted));
      continue;
    }
    // Errors of branches that do not take this type of value are noise: drop them.
    for (const other of samePlace) {
      if (other.error.keyword === "type") dropped.add(other.error);
      compatible.forEach((ok, index) => {
        if (!ok && inBranch(other.error, index)) dropped.add(other.error);
      });
    }
    // `anyOf: [{required: [a]}, {required: [b]}]`: say "a or b", not just "a".
    const requiredOnly = samePlace.filter(
      (other) => !dropped.has(other.error) && other.error.schemaPath.startsWith(`${error.schemaPath}/`),
    );
    if (
      requiredOnly.length > 1 &&
      requiredOnly.every((other) => other.error.keyword === "required") &&
      compatible.filter(Boolean).length > 1
    ) {
      const names = requiredOnly.map((other) => `"${String(other.error.params["missingProperty"])}"`);
      for (const other of requiredOnly) dropped.add(other.error);
      extra.push({
        path,
        at: path,
        atKey: false,
        message: `must set one of ${joinOr(names)}`,
        depth: path.length,
      });
    }
  }

  const problems: Problem[] = [...extra, ...typeProblems.values()];
  for (const { error, path } of located) {
    if (!dropped.has(error)) problems.push(describe(tree, error, path));
  }
  const best = pickProblem(problems, sources);
  if (best) return toLoadError(best, sources);
  return new LoadError("does not match the compose file schema", sources.valueAt([]));
}

function describe(tree: Mapping, error: SchemaError, path: Path): Problem {
  const params = error.params;
  const value = getAt(tree, path);
  const atValue = (message: string, hint?: string): Problem => ({
    path,
    at: path,
    atKey: false,
    message,
    hint,
    depth: path.length,
  });
  switch (error.keyword) {
    case "type": {
      const wanted = params["type"];
      return typeProblem(path, Array.isArray(wanted) ? wanted.map(String) : String(wanted).split(","));
    }
    case "additionalProperties": {
      const key = String(params["additionalProperty"]);
      return {
        path,
        at: [...path, key],
        atKey: true,
        message: unknownKeyMessage(tree, path, key),
        depth: path.length + 1,
      };
    }
    case "enum": {
      const allowed = Array.isArray(params["allowedValues"]) ? params["allowedValues"].map(String) : [];
      return atValue(
        allowed.length === 1
          ? `must be ${JSON.stringify(allowed[0])}`
          : `must be one of: ${allowed.join(", ")}`,
      );
    }
    case "format": {
      const format = FORMATS[String(params["format"])];
      const shown = describeValue(value);
      if (format) return atValue(`${shown} is not a valid ${format.noun}`, format.hint);
      return atValue(`${shown} is not a valid ${String(params["format"])}`);
    }
    case "pattern": {
      const message = findRule(PATTERN_MESSAGES, path);
      const shown = describeValue(value);
      return atValue(message ? message(shown) : `${shown} does not match ${String(params["pattern"])}`);
    }
    case "required":
      return atValue(`missing required property "${String(params["missingProperty"])}"`);
    case "minimum":
      return atValue(`must be greater than or equal to ${String(params["limit"])}`);
    case "maximum":
      return atValue(`must be less than or equal to ${String(params["limit"])}`);
    case "uniqueItems": {
      // ajv reports the pair as {i, j} in either order, depending on the item types.
      const first = Math.min(Number(params["i"]), Number(params["j"]));
      const second = Math.max(Number(params["i"]), Number(params["j"]));
      const item = isSequence(value) ? value[second] : undefined;
      const what =
        item !== undefined && (item === null || typeof item !== "object")
          ? `${describeValue(item)} is`
          : "the same entry is";
      return {
        path,
        at: [...path, second],
        atKey: false,
        message: `${what} listed twice (at [${first}] and [${second}])`,
        depth: path.length,
      };
    }
    case "oneOf":
    case "anyOf":
      return atValue(
        Array.isArray(params["passingSchemas"])
          ? "matches more than one of the allowed forms"
          : "does not match any of the allowed forms",
      );
    default:
      return atValue(`is not valid (${error.keyword})`);
  }
}

/** `must be a string`, `must be a boolean, null, number or string`, `must be an integer or string`. */
function typeProblem(path: Path, types: readonly string[]): Problem {
  const names = new Set(types.map(humanType));
  if (names.has("number")) names.delete("integer");
  const sorted = [...names].sort();
  const phrase = joinOr(sorted);
  const article = /^[aeiou]/.test(phrase) ? "an" : "a";
  return { path, at: path, atKey: false, message: `must be ${article} ${phrase}`, depth: path.length };
}

function humanType(type: string): string {
  if (type === "object") return "mapping";
  if (type === "array") return "list";
  return type;
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Messages that depend on where the error is: tables keyed by path pattern.

/** Mappings whose keys are names (an unknown key there is a bad name, not a misspelt keyword). */
const NAME_KINDS: Readonly<Record<PathPattern, string>> = {
  services: "service",
  networks: "network",
  volumes: "volume",
  secrets: "secret",
  configs: "config",
  models: "model",
  "services.*.depends_on": "service",
  "services.*.networks": "network",
  "services.*.models": "model",
};

const PATTERN_MESSAGES: Readonly<Record<PathPattern, (shown: string) => string>> = {
  "services.*.container_name": (shown) =>
    `${shown} is not a valid container name: use at least two of letters, digits, "_", "." and "-", starting with a letter or digit`,
  "services.*.pull_policy": (shown) =>
    `${shown} is not a valid pull policy: use always, never, missing, build, if_not_present, refresh, daily, weekly or every_<interval>`,
};

const FORMATS: Readonly<Record<string, { readonly noun: string; readonly hint: string }>> = {
  duration: { noun: "duration", hint: 'a duration needs a unit, e.g. "10s", "1m30s", "500ms" or "1.5h"' },
  bytes: {
    noun: "byte size",
    hint: 'use a number of bytes, optionally with a unit, e.g. "512m", "1g" or "100kb"',
  },
  ports: {
    noun: "port",
    hint: 'use [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL], e.g. "8080:80" or "127.0.0.1:53:53/udp"',
  },
  expose: { noun: "port", hint: 'use PORT[-END][/PROTOCOL], e.g. "3000" or "8000-8010/udp"' },
};

function unknownKeyMessage(tree: Mapping, path: Path, key: string): string {
  const kind = findRule(NAME_KINDS, path);
  if (kind) {
    return `${JSON.stringify(key)} is not a valid ${kind} name: use only letters, digits, ".", "_" and "-"`;
  }
  const base = `additional property ${JSON.stringify(key)} is not allowed`;
  if (key.startsWith("x-")) return `${base} (extension fields are not allowed here)`;
  const suggestion = closest(key, allowedKeys(tree, path));
  return suggestion ? `${base} (did you mean ${JSON.stringify(suggestion)}?)` : base;
}

/** The known key nearest to `key`, if it is a plausible typo of it. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of [...candidates].sort()) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edit distance (insertions, deletions, substitutions), two rows at a time. */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// The schema itself, read only to explain an error: allowed keys, the types a `oneOf` takes.

interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly oneOf?: readonly SchemaNode[];
  readonly anyOf?: readonly SchemaNode[];
}

interface RootSchema extends SchemaNode {
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

let rootSchema: RootSchema | undefined;
const patternCache = new Map<string, RegExp>();

function schema(): RootSchema {
  rootSchema ??= JSON.parse(schemaJson) as RootSchema;
  return rootSchema;
}

function resolve(node: SchemaNode): SchemaNode {
  let current = node;
  for (let hops = 0; current.$ref !== undefined && hops < 32; hops++) {
    const name = current.$ref.replace(/^#\/definitions\//, "");
    const target = schema().definitions?.[name];
    if (!target) break;
    current = target;
  }
  return current;
}

/** The JSON types a schema takes, through `$ref` and `oneOf`/`anyOf`; undefined for "any". */
function typesOf(node: SchemaNode): readonly string[] | undefined {
  const resolved = resolve(node);
  if (resolved.type !== undefined) return typeof resolved.type === "string" ? [resolved.type] : resolved.type;
  const branches = resolved.oneOf ?? resolved.anyOf;
  if (!branches) return undefined;
  const out: string[] = [];
  for (const branch of branches) {
    const types = typesOf(branch);
    if (types === undefined) return undefined;
    out.push(...types);
  }
  return out;
}

function jsonType(value: Node): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function accepts(types: readonly string[] | undefined, type: string): boolean {
  if (types === undefined) return true;
  return types.includes(type) || (type === "integer" && types.includes("number"));
}

/** The schema describing the value at `path`, following the value's own type through `oneOf`s. */
function schemaAt(tree: Mapping, path: Path): SchemaNode | undefined {
  let node: SchemaNode = schema();
  let value: Node | undefined = tree;
  for (const segment of path) {
    const next = childSchema(node, segment, value ?? null);
    if (!next) return undefined;
    node = next;
    value =
      isSequence(value) && typeof segment === "number"
        ? value[segment]
        : isMapping(value) && typeof segment === "string"
          ? value[segment]
          : undefined;
  }
  return node;
}

function childSchema(node: SchemaNode, segment: string | number, value: Node): SchemaNode | undefined {
  const resolved = resolve(node);
  if (typeof segment === "number") {
    if (resolved.items) return resolved.items;
  } else {
    const direct = resolved.properties?.[segment];
    if (direct) return direct;
    for (const [pattern, sub] of Object.entries(resolved.patternProperties ?? {})) {
      if (regex(pattern).test(segment)) return sub;
    }
  }
  const type = jsonType(value);
  for (const branch of resolved.oneOf ?? resolved.anyOf ?? []) {
    if (!accepts(typesOf(branch), type)) continue;
    const found = childSchema(branch, segment, value);
    if (found) return found;
  }
  return undefined;
}

function regex(pattern: string): RegExp {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    compiled = new RegExp(pattern, "u");
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

/** The alternatives of the `oneOf`/`anyOf` that failed at `path`. */
function alternativesAt(
  tree: Mapping,
  path: Path,
  keyword: "oneOf" | "anyOf",
): readonly SchemaNode[] | undefined {
  const node = schemaAt(tree, path);
  return node ? resolve(node)[keyword] : undefined;
}

/** The keys the schema names for the mapping at `path` (for "did you mean"). */
function allowedKeys(tree: Mapping, path: Path): readonly string[] {
  const node = schemaAt(tree, path);
  if (!node) return [];
  const keys = new Set<string>();
  const collect = (current: SchemaNode): void => {
    const resolved = resolve(current);
    for (const key of Object.keys(resolved.properties ?? {})) keys.add(key);
    for (const branch of resolved.oneOf ?? resolved.anyOf ?? []) {
      if (accepts(typesOf(branch), "object")) collect(branch);
    }
  };
  collect(node);
  return [...keys];
}

/** `/services/web/ports/1` → ["services", "web", "ports", 1], indices where the tree has lists. */
function toPath(tree: Mapping, pointer: string): Path {
  if (pointer === "") return [];
  const path: (string | number)[] = [];
  let node: Node | undefined = tree;
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (isSequence(node) && /^\d+$/.test(segment)) {
      const index = Number(segment);
      path.push(index);
      node = node[index];
    } else {
      path.push(segment);
      node = isMapping(node) ? node[segment] : undefined;
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Checks Compose makes next to its schema (compose-go `validation`), keyed by path pattern.

type Rule = (value: Node, path: Path, tree: Mapping) => Problem | undefined;

const RULES: Readonly<Record<PathPattern, Rule>> = {
  "volumes.*": externalOnly,
  "networks.*": externalOnly,
  "configs.*": exactlyOneSource(["file", "environment", "content"]),
  "secrets.*": exactlyOneSource(["file", "environment"]),
  "services.*": networkModeAndNetworks,
  "services.*.healthcheck.test": healthcheckTest,
  "services.*.develop.watch.[].path": notBlank,
  // Values Compose hands to the engine unchecked, which then refuses the container: said here, at load.
  "services.*.restart": restartPolicy,
  "services.*.container_name": uniqueContainerName,
  "services.*.scale": atLeastZero,
  "services.*.deploy.replicas": atLeastZero,
  "services.*.cpus": atLeastZero,
  "services.*.deploy.resources.limits.cpus": atLeastZero,
  "services.*.deploy.resources.reservations.cpus": atLeastZero,
  "services.*.ports.[].published": publishedPort,
  "services.*.environment": environmentNames,
};

/** `external: true` leaves nothing to configure but the name. */
function externalOnly(value: Node, path: Path): Problem | undefined {
  if (!isMapping(value)) return undefined;
  const external = value["external"];
  if (external !== true && !isMapping(external)) return undefined;
  for (const key of Object.keys(value)) {
    if (key === "name" || key === "external" || key.startsWith("x-")) continue;
    return {
      path,
      at: [...path, key],
      atKey: true,
      message: `conflicting parameters "external" and ${JSON.stringify(key)} specified`,
      depth: path.length + 1,
    };
  }
  return undefined;
}

/** A config/secret takes its content from exactly one place, unless external or from a driver. */
function exactlyOneSource(keys: readonly string[]): Rule {
  return (value, path) => {
    if (!isMapping(value)) return undefined;
    const present = keys.filter((key) => Object.hasOwn(value, key));
    if (present.length > 1) {
      const second = present[1] ?? "";
      return {
        path,
        at: [...path, second],
        atKey: true,
        message: `${joinAnd(present.map((key) => JSON.stringify(key)))} are mutually exclusive`,
        depth: path.length + 1,
      };
    }
    if (present.length === 0 && !Object.hasOwn(value, "external") && !Object.hasOwn(value, "driver")) {
      return {
        path,
        at: path,
        atKey: true,
        message: `one of ${joinOr(keys.map((key) => JSON.stringify(key)))} must be set`,
        depth: path.length,
      };
    }
    return undefined;
  };
}

function networkModeAndNetworks(value: Node, path: Path): Problem | undefined {
  if (!isMapping(value)) return undefined;
  const mode = value["network_mode"];
  const networks = value["networks"];
  const joins = isSequence(networks)
    ? networks.length > 0
    : isMapping(networks) && Object.keys(networks).length > 0;
  if (typeof mode !== "string" || mode === "" || !joins) return undefined;
  return {
    path,
    at: [...path, "networks"],
    atKey: true,
    message: `"network_mode" and "networks" are mutually exclusive`,
    depth: path.length + 1,
  };
}

function healthcheckTest(value: Node, path: Path): Problem | undefined {
  if (!isSequence(value) || value.length === 0) return undefined;
  const first = value[0];
  if (first === "CMD" || first === "CMD-SHELL" || first === "NONE") return undefined;
  return {
    path,
    at: [...path, 0],
    atKey: false,
    message: `must start with "CMD", "CMD-SHELL" or "NONE"`,
    depth: path.length,
  };
}

function notBlank(value: Node, path: Path): Problem | undefined {
  if (value !== "") return undefined;
  return { path, at: path, atKey: false, message: "must not be empty", depth: path.length };
}

/** What the engine takes (moby `ParseRestartPolicy`), with Compose's `none` and `any` for `no` and `always`. */
const RESTART_NAMES = new Set(["no", "none", "always", "any", "on-failure", "unless-stopped"]);

function restartPolicy(value: Node, path: Path): Problem | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  const count = colon < 0 ? undefined : value.slice(colon + 1);
  // A retry count only for on-failure (the engine refuses one elsewhere), and only a number.
  const countOk =
    count === undefined || (/^\d+$/.test(count) && (name === "on-failure" || Number(count) === 0));
  if (RESTART_NAMES.has(name) && countOk) return undefined;
  return atValue(
    path,
    `${describeValue(value)} is not a valid restart policy: use no, always, on-failure[:N] or unless-stopped`,
  );
}

/** compose-go: a container name is one container's, so not with scale or deploy.replicas above 1. */
function uniqueContainerName(value: Node, path: Path, tree: Mapping): Problem | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const service = getAt(tree, path.slice(0, -1));
  if (!isMapping(service)) return undefined;
  const deploy = service["deploy"];
  const scale = wholeNumber(service["scale"]);
  const replicas = isMapping(deploy) ? wholeNumber(deploy["replicas"]) : undefined;
  const [key, count] = scale !== undefined ? ["scale", scale] : ["deploy.replicas", replicas];
  if (count === undefined || count <= 1) return undefined;
  return atValue(
    path,
    `${describeValue(value)} cannot be used with ${key} ${count}: a container name must be unique`,
  );
}

function atLeastZero(value: Node, path: Path): Problem | undefined {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)
        ? Number(value)
        : undefined;
  if (n === undefined || n >= 0) return undefined;
  return atValue(path, `must be greater than or equal to 0, not ${describeValue(value)}`);
}

/** A published port in the long syntax: 0 to 65535 (0: any free port), or a range of them. */
function publishedPort(value: Node, path: Path): Problem | undefined {
  if (value === null || value === "") return undefined;
  const text = String(value);
  if (typeof value === "string" && text.includes("$")) return undefined; // left by --no-interpolate
  const range = /^(\d+)(?:-(\d+))?$/.exec(text);
  const start = range ? Number(range[1]) : NaN;
  const end = range?.[2] !== undefined ? Number(range[2]) : start;
  if (start <= end && end <= 65535) return undefined;
  return atValue(
    path,
    `${describeValue(value)} is not a valid published port: use a port from 0 to 65535, or a range such as 8000-8010`,
  );
}

/** Variable names the engine can set: not empty, no `=` (which would end the name early). */
function environmentNames(value: Node, path: Path): Problem | undefined {
  if (isSequence(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "string" && (item === "" || item.startsWith("="))) {
        return atValue([...path, i], `${describeValue(item)} has no variable name`);
      }
    }
  } else if (isMapping(value)) {
    for (const key of Object.keys(value)) {
      if (!key.includes("=")) continue;
      return {
        path,
        at: [...path, key],
        atKey: true,
        message: `${JSON.stringify(key)} is not a valid variable name: it must not contain "="`,
        depth: path.length + 1,
      };
    }
  }
  return undefined;
}

function wholeNumber(value: Node | undefined): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  return typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : undefined;
}

function atValue(path: Path, message: string): Problem {
  return { path, at: path, atKey: false, message, depth: path.length };
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Every path in `tree` that `pattern` matches, in file order, with the value there. */
function expand(tree: Mapping, pattern: PathPattern): { path: Path; value: Node }[] {
  const segments = pattern === "" ? [] : pattern.split(".");
  const found: { path: Path; value: Node }[] = [];
  const path: (string | number)[] = []; // the walk's own: copied for each match
  const visit = (node: Node, depth: number): void => {
    const segment = segments[depth];
    if (segment === undefined) {
      found.push({ path: [...path], value: node });
    } else if (segment === "[]") {
      if (!isSequence(node)) return;
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        visit(node[i] as Node, depth + 1);
        path.pop();
      }
    } else if (segment === "*") {
      if (!isMapping(node)) return;
      const keys = Object.keys(node);
      for (let i = 0; i < keys.length; i++) {
        path.push(keys[i] as string);
        visit(node[keys[i] as string] as Node, depth + 1);
        path.pop();
      }
    } else if (isMapping(node) && Object.hasOwn(node, segment)) {
      path.push(segment);
      visit(node[segment] ?? null, depth + 1);
      path.pop();
    }
  };
  visit(tree, 0);
  return found;
}
