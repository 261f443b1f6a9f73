/**
 * Stage 8: the validated tree (short syntax still allowed) → the typed Project (`model.ts`), in the
 * canonical form `docker compose config` prints. It follows compose-go v2 step by step:
 *
 * 1. canonical syntax (`transform/canonical.go` and the per-key transforms next to it): short forms of
 *    ports, volumes, build, depends_on, env_file, secrets/configs, networks, devices, gpus, ssh, … become
 *    their long forms; ranges of ports become one entry per port
 * 2. empty `dns` entries dropped (`loader/omitEmpty.go`); duplicates that canonical forms reveal
 *    removed, the later entry winning in place (`override/uncity.go`)
 * 3. default values (`transform/defaults.go`): build context `.`, secret target `/run/secrets/<name>`,
 *    port `mode: ingress` / `protocol: tcp`, device request `count: all`, `bind.create_host_path: true`
 * 4. `loader/normalize.go`: the implicit `default` network, `pull_policy: if_not_present` → `missing`,
 *    `build.dockerfile: Dockerfile`, `environment` / `build.args` entries without a value looked up,
 *    implicit `depends_on` from links, `service:` namespaces and volumes_from, resource names
 *    `<project>_<key>`
 * 5. decoding into the model's types (compose-go's mapstructure hooks): list/map forms of labels,
 *    environment, extra_hosts, sysctls …; `command` strings split as shell words; durations, byte
 *    sizes, octal modes, cpus parsed; `omitempty` fields dropped
 * 6. `env_file` and `label_file` read into `environment` and `labels` (`types/project.go`); `scale`
 *    copied to `deploy.replicas` (`loader/validate.go`)
 *
 * Relative paths are not resolved here: the loader runs `resolveRelativePaths` (paths.ts) first, so
 * that `--no-path-resolution` can skip it. Values that cannot be read (`interval: 1x`,
 * `mem_limit: 12q`, a bad port) are a LoadError at the value's location.
 */
import { isIPv6 } from "node:net";
import { stat } from "node:fs/promises";
import { LoadError } from "../errors.js";
import { readEnvFiles } from "./env.js";
import type { Lookup } from "./interpolate.js";
import type { FileObject, Model, Network, Project, Service, Volume } from "./model.js";
import { findRule, type PathPattern } from "./path-pattern.js";
import {
  compilePatterns,
  goClean,
  parseVolumeSpec,
  walkPatterns,
  type PatternTrie,
  type VolumeSpec,
} from "./paths.js";
import type { SourceMap } from "./source-map.js";
import {
  cloneNode,
  formatPath,
  isMapping,
  isSequence,
  typeName,
  type Mapping,
  type Node,
  type Path,
  type Scalar,
} from "./tree.js";

export interface NormalizeContext {
  readonly projectName: string;
  /** Absolute project directory. */
  readonly workingDir: string;
  readonly sources: SourceMap;
  /** The interpolation environment (shell, then `.env`): fills `environment`/`args` entries without a value. */
  readonly lookup: Lookup;
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * Keep `env_file` and `label_file` in the model after reading them. `docker compose config` drops
   * them (its `WithDiscardEnvFile`), so by default they are dropped.
   */
  readonly keepEnvFiles?: boolean | undefined;
  /** Recorded on the Project as `environment` (not printed). */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  /** How a file path appears in messages (e.g. relative to where the user stands); default: as is. */
  readonly displayPath?: ((path: string) => string) | undefined;
  /** Reads env/label files; defaults to env.ts's `readEnvFiles`. */
  readonly readEnvFiles?:
    ((paths: readonly string[], lookup: Lookup) => Promise<Map<string, string>>) | undefined;
}

export async function normalize(tree: Mapping, ctx: NormalizeContext): Promise<Project> {
  const canonical = canonicalize(tree, ctx);
  const cx = new Cx(ctx.sources);
  const project = decodeProject(canonical, ctx, cx);
  await resolveServiceFiles(project, ctx, cx);
  return project;
}

/**
 * Steps 1–4: the tree in compose-go's canonical form, still as a plain tree (what compose-go's
 * `LoadModel` returns). Useful on its own for tests and for `config --no-interpolate`-like output.
 */
export function canonicalize(
  tree: Mapping,
  ctx: Pick<NormalizeContext, "projectName" | "sources" | "lookup" | "onWarning">,
): Mapping {
  const cx = new Cx(ctx.sources, ctx.onWarning);
  let result = walkTable(cloneNode(tree), TABLES.canonical, cx) as Mapping;
  result = walkTable(result, TABLES.omitEmpty, cx) as Mapping;
  result = walkTable(result, TABLES.unique, cx) as Mapping;
  result = walkTable(result, TABLES.defaults, cx) as Mapping;
  normalizeModel(result, ctx);
  return result;
}

// =====================================================================================================
// Errors and locations
// =====================================================================================================

class Cx {
  constructor(
    readonly sources: SourceMap,
    readonly onWarning?: ((message: string) => void) | undefined,
  ) {}

  error(path: Path, message: string): LoadError {
    return new LoadError(message, this.sources.valueAt(path), formatPath(path));
  }

  warn(message: string): void {
    this.onWarning?.(message);
  }
}

/** Apply the first matching rule of `table` at each node (then look inside what it returned). */
function walkTable(node: Node, table: PatternTrie<Transform>, cx: Cx): Node {
  return walkPatterns(node, table, (value, rule, path) => rule(value, [...path], cx), true);
}

type Transform = (value: Node, path: Path, cx: Cx) => Node;

// =====================================================================================================
// Step 1: canonical syntax (compose-go transform/*.go)
// =====================================================================================================

const CANONICAL: Readonly<Record<PathPattern, Transform>> = {
  // transform/build.go
  "services.*.build": (v) => (typeof v === "string" ? { context: v } : v),
  "services.*.build.secrets.[]": fileMount,
  "services.*.build.additional_contexts": keyValue,
  "services.*.build.ssh": ssh,
  // transform/dependson.go
  "services.*.depends_on": dependsOn,
  // transform/envfile.go
  "services.*.env_file": envFile,
  "services.*.label_file": stringOrList,
  // transform/extends.go
  "services.*.extends": (v) => (typeof v === "string" ? { service: v } : v),
  // transform/gpus.go
  "services.*.gpus": (v) => (typeof v === "string" ? [{ count: "all" }] : v),
  // transform/services.go
  "services.*.networks": stringSliceToMap,
  "services.*.models": stringSliceToMap,
  // transform/volume.go
  "services.*.volumes.[]": volumeMount,
  "services.*.dns": stringOrList,
  // transform/canonical.go transformWatch
  "services.*.develop.watch": watch,
  // transform/device.go
  "services.*.devices.[]": deviceMapping,
  // transform/secrets.go
  "services.*.secrets.[]": fileMount,
  "services.*.configs.[]": fileMount,
  // transform/ports.go
  "services.*.ports": ports,
  // transform/external.go
  "volumes.*": maybeExternal,
  "networks.*": maybeExternal,
  "secrets.*": maybeExternal,
  "configs.*": maybeExternal,
  // transform/include.go
  "include.[]": (v) => (typeof v === "string" ? { path: v } : v),
};

function stringOrList(v: Node): Node {
  return typeof v === "string" ? [v] : v;
}

function stringSliceToMap(v: Node): Node {
  if (!isSequence(v)) return v;
  const out: Mapping = {};
  for (const item of v) out[scalarText(item)] = null;
  return out;
}

function fileMount(v: Node): Node {
  return typeof v === "string" ? { source: v } : v;
}

function keyValue(v: Node, path: Path, cx: Cx): Node {
  if (!isSequence(v)) return v;
  const out: Mapping = {};
  v.forEach((item, i) => {
    const text = scalarText(item);
    const eq = text.indexOf("=");
    if (eq < 0) throw cx.error([...path, i], `invalid value ${text}, expected key=value`);
    out[text.slice(0, eq)] = text.slice(eq + 1);
  });
  return out;
}

function ssh(v: Node, path: Path, cx: Cx): Node {
  if (!isSequence(v)) return v;
  const out: Mapping = {};
  v.forEach((item, i) => {
    if (typeof item !== "string") throw cx.error([...path, i], `invalid ssh key type ${typeName(item)}`);
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (item !== "default") throw cx.error([...path, i], `invalid ssh key ${JSON.stringify(item)}`);
      out[item] = null;
    } else {
      out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  });
  return out;
}

function dependsOn(v: Node, path: Path, cx: Cx): Node {
  if (isSequence(v)) {
    const out: Mapping = {};
    for (const item of v) out[scalarText(item)] = { condition: "service_started", required: true };
    return out;
  }
  if (isMapping(v)) {
    for (const [name, dep] of Object.entries(v)) {
      if (!isMapping(dep)) throw cx.error([...path, name], `unsupported value ${describe(dep)}`);
      if (dep.condition === undefined) dep.condition = "service_started";
      if (dep.required === undefined) dep.required = true;
    }
  }
  return v;
}

function envFile(v: Node): Node {
  const entry = (item: Node): Node => {
    if (typeof item === "string") return { path: item, required: true };
    if (isMapping(item) && item.required === undefined) item.required = true;
    return item;
  };
  if (typeof v === "string") return [entry(v)];
  return isSequence(v) ? v.map(entry) : v;
}

function volumeMount(v: Node, path: Path, cx: Cx): Node {
  if (typeof v !== "string") return v;
  let spec: VolumeSpec;
  try {
    spec = parseVolumeSpec(v);
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
  const out: Mapping = { type: spec.type };
  if (spec.source !== undefined) out.source = spec.source;
  out.target = spec.target === "" ? "" : goClean(spec.target);
  if (spec.read_only) out.read_only = true;
  if (spec.bind) out.bind = { ...spec.bind };
  if (spec.volume) out.volume = { ...spec.volume };
  return out;
}

function watch(v: Node): Node {
  if (!isSequence(v)) return v;
  const kept: Node[] = [];
  const expanded: Node[] = [];
  for (const trigger of v) {
    if (isMapping(trigger) && isSequence(trigger.path)) {
      for (const p of trigger.path) expanded.push({ ...trigger, path: p });
    } else {
      kept.push(trigger);
    }
  }
  return [...kept, ...expanded];
}

function deviceMapping(v: Node, path: Path, cx: Cx): Node {
  if (typeof v !== "string") return v;
  const parts = v.split(":");
  if (parts.length > 3) throw cx.error(path, `confusing device mapping, please use long syntax: ${v}`);
  const source = parts[0] ?? "";
  const target = parts[1] ?? "";
  return { source, target: target === "" ? source : target, permissions: parts[2] ?? "rwm" };
}

function ports(v: Node, path: Path, cx: Cx): Node {
  if (!isSequence(v)) throw cx.error(path, `invalid type ${typeName(v)} for port`);
  const out: Node[] = [];
  v.forEach((entry, i) => {
    if (typeof entry === "number") {
      out.push({ target: entry });
    } else if (typeof entry === "string") {
      let parsed: ParsedPort[];
      try {
        parsed = parsePortSpec(entry);
      } catch (error) {
        throw cx.error([...path, i], `invalid port ${JSON.stringify(entry)}: ${(error as Error).message}`);
      }
      for (const port of parsed) {
        const m: Mapping = { mode: port.mode };
        if (port.host_ip !== undefined) m.host_ip = port.host_ip;
        m.target = port.target;
        if (port.published !== undefined) m.published = port.published;
        m.protocol = port.protocol;
        out.push(m);
      }
    } else if (isMapping(entry)) {
      out.push(entry);
    } else {
      throw cx.error([...path, i], `invalid type ${typeName(entry)} for port`);
    }
  });
  return out;
}

function maybeExternal(v: Node, path: Path, cx: Cx): Node {
  if (!isMapping(v)) return v;
  const ext = v.external;
  if (isMapping(ext)) {
    v.external = true;
    if (Object.hasOwn(ext, "name")) {
      cx.warn(`${formatPath(path)}: external.name is deprecated. Please set name and external: true`);
      if (v.name !== undefined && ext.name !== v.name) {
        throw cx.error(path, "name and external.name conflict; only use name");
      }
      if (v.name === undefined) v.name = ext.name ?? null;
    }
  }
  return v;
}

// =====================================================================================================
// Step 2: empty dns entries, unicity (loader/omitEmpty.go, override/uncity.go)
// =====================================================================================================

const OMIT_EMPTY: Readonly<Record<PathPattern, Transform>> = {
  "services.*.dns": (v) => (isSequence(v) ? v.filter((item) => item !== null && item !== "") : v),
};

function uniqueBy(key: (entry: Node, path: Path, cx: Cx) => string): Transform {
  return (v, path, cx) => {
    if (!isSequence(v)) return v;
    const out: Node[] = [];
    const seen = new Map<string, number>();
    v.forEach((entry, i) => {
      const k = key(entry, [...path, i], cx);
      const at = seen.get(k);
      if (at === undefined) {
        seen.set(k, out.length);
        out.push(entry);
      } else {
        out[at] = entry;
      }
    });
    return out;
  };
}

const UNIQUE: Readonly<Record<PathPattern, Transform>> = {
  "services.*.environment": uniqueBy((e) => {
    const text = scalarText(e);
    const eq = text.indexOf("=");
    return eq < 0 ? text : text.slice(0, eq);
  }),
  "services.*.volumes": uniqueBy((e, path, cx) => {
    if (isMapping(e)) {
      if (typeof e.target !== "string") throw cx.error(path, "service volume is missing a mount target");
      return e.target;
    }
    return "";
  }),
  "services.*.expose": uniqueBy((e) => scalarText(e)),
  "services.*.secrets": uniqueBy((e) => mountKey(e, "/run/secrets")),
  "services.*.configs": uniqueBy((e) => mountKey(e, "")),
  "services.*.ports": uniqueBy((e, path, cx) => {
    if (!isMapping(e)) return scalarText(e);
    const target = toInteger(e.target ?? null);
    if (target === undefined) throw cx.error(path, "service port is missing a target port");
    const published = e.published === undefined || e.published === null ? "" : scalarText(e.published);
    const host = typeof e.host_ip === "string" ? e.host_ip : "0.0.0.0";
    const protocol = typeof e.protocol === "string" ? e.protocol : "tcp";
    return `${host}:${published}:${target}/${protocol}`;
  }),
};

function mountKey(e: Node, defaultDir: string): string {
  if (isMapping(e)) {
    if (typeof e.target === "string") return e.target;
    return `${defaultDir}/${scalarText(e.source ?? "")}`;
  }
  return `${defaultDir}/${scalarText(e)}`;
}

// =====================================================================================================
// Step 3: default values (transform/defaults.go)
// =====================================================================================================

const DEFAULTS: Readonly<Record<PathPattern, Transform>> = {
  "services.*.build": (v) => {
    if (isMapping(v) && v.context === undefined) v.context = ".";
    return v;
  },
  "services.*.secrets.[]": (v) => {
    if (isMapping(v) && v.target === undefined) v.target = `/run/secrets/${scalarText(v.source ?? "")}`;
    return v;
  },
  "services.*.ports.[]": (v) => {
    if (isMapping(v)) {
      if (v.protocol === undefined) v.protocol = "tcp";
      if (v.mode === undefined) v.mode = "ingress";
    }
    return v;
  },
  "services.*.deploy.resources.reservations.devices.[]": deviceRequestDefaults,
  "services.*.gpus.[]": deviceRequestDefaults,
  "services.*.volumes.[]": (v, path, cx) => {
    if (!isMapping(v)) return v;
    if (v.type === "bind" && (typeof v.source !== "string" || v.source === "")) {
      throw cx.error(path, 'invalid mount config for type "bind": field Source must not be empty');
    }
    if (isMapping(v.bind) && v.bind.create_host_path === undefined) v.bind.create_host_path = true;
    return v;
  },
};

function deviceRequestDefaults(v: Node): Node {
  if (isMapping(v) && v.count === undefined && v.device_ids === undefined) v.count = "all";
  return v;
}

const TABLES = {
  canonical: compilePatterns(CANONICAL),
  omitEmpty: compilePatterns(OMIT_EMPTY),
  unique: compilePatterns(UNIQUE),
  defaults: compilePatterns(DEFAULTS),
};

// =====================================================================================================
// Step 4: loader/normalize.go
// =====================================================================================================

function normalizeModel(dict: Mapping, ctx: Pick<NormalizeContext, "projectName" | "lookup">): void {
  normalizeNetworks(dict);
  const services = isMapping(dict.services) ? dict.services : undefined;
  for (const service of Object.values(services ?? {})) {
    if (!isMapping(service)) continue;
    if (service.pull_policy === "if_not_present") service.pull_policy = "missing";

    if (isMapping(service.build)) {
      const build = service.build;
      if (build.context === undefined || build.context === null) build.context = ".";
      if (
        (build.dockerfile === undefined || build.dockerfile === null) &&
        (build.dockerfile_inline === undefined || build.dockerfile_inline === null)
      ) {
        build.dockerfile = "Dockerfile";
      }
      if (build.args !== undefined) build.args = resolveEntries(build.args, ctx.lookup, false);
    }
    if (service.environment !== undefined) {
      service.environment = resolveEntries(service.environment, ctx.lookup, true);
    }

    const dependsOn: Mapping = isMapping(service.depends_on) ? service.depends_on : {};
    const implicit = (name: string, restart: boolean): void => {
      if (!Object.hasOwn(dependsOn, name)) {
        dependsOn[name] = { condition: "service_started", restart, required: true };
      }
    };
    if (isSequence(service.links)) {
      for (const link of service.links) {
        const parts = scalarText(link).split(":");
        implicit(parts.length === 2 ? (parts[0] ?? "") : scalarText(link), true);
      }
    }
    for (const namespace of ["network_mode", "ipc", "pid", "uts", "cgroup"]) {
      const ref = service[namespace];
      if (typeof ref === "string" && ref.startsWith("service:")) implicit(ref.slice("service:".length), true);
    }
    if (isSequence(service.volumes_from)) {
      for (const entry of service.volumes_from) {
        const text = scalarText(entry);
        if (!text.startsWith("container:")) implicit(text.split(":")[0] ?? "", false);
      }
    }
    if (Object.keys(dependsOn).length > 0) service.depends_on = dependsOn;
  }

  // setNameFromKey
  for (const kind of ["networks", "volumes", "configs", "secrets"]) {
    const resources = dict[kind];
    if (!isMapping(resources)) continue;
    for (const [key, value] of Object.entries(resources)) {
      const resource: Mapping = isMapping(value) ? value : {};
      if (resource.name === undefined || resource.name === null) {
        resource.name = isTrue(resource.external) ? key : `${ctx.projectName}_${key}`;
      }
      resources[key] = resource;
    }
  }
}

function normalizeNetworks(dict: Mapping): void {
  const networks: Mapping = isMapping(dict.networks) ? dict.networks : {};
  let usesDefault = false;
  const services = isMapping(dict.services) ? dict.services : {};
  for (const service of Object.values(services)) {
    if (!isMapping(service)) continue;
    if (service.provider !== undefined || service.network_mode !== undefined) continue;
    const nets = service.networks;
    if (nets === undefined || (isMapping(nets) && Object.keys(nets).length === 0)) {
      service.networks = { default: null };
      usesDefault = true;
    } else if (isMapping(nets) && Object.hasOwn(nets, "default")) {
      usesDefault = true;
    }
  }
  if (!Object.hasOwn(networks, "default") && usesDefault) networks.default = null;
  if (Object.keys(networks).length > 0) dict.networks = networks;
}

/** `resolve` of loader/normalize.go: entries without a value are looked up; `keepEmpty` keeps the misses. */
function resolveEntries(value: Node, lookup: Lookup, keepEmpty: boolean): Node {
  if (isSequence(value)) {
    const out: Node[] = [];
    for (const item of value) {
      if (typeof item !== "string") continue;
      if (item.includes("=")) {
        out.push(item);
        continue;
      }
      const found = lookup(item);
      if (found !== undefined) out.push(`${item}=${found}`);
      else if (keepEmpty) out.push(item);
    }
    return out;
  }
  if (isMapping(value)) {
    const out: Mapping = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== null) {
        out[key] = v;
        continue;
      }
      const found = lookup(key);
      if (found !== undefined) out[key] = found;
      else if (keepEmpty) out[key] = null;
    }
    return out;
  }
  return value;
}

function isTrue(v: Node | undefined): boolean {
  return (
    v === true || (typeof v === "string" && ["1", "t", "T", "TRUE", "true", "True"].includes(v)) || v === 1
  );
}

// =====================================================================================================
// Step 5: decoding into the model (compose-go types, mapstructure hooks, yaml `omitempty`)
// =====================================================================================================

/** Decodes a value at `path`; `undefined` means "omitted" (Go's zero value under `omitempty`). */
type Decoder = (value: Node, path: Path, cx: Cx) => unknown;
type Fields = readonly (readonly [string, Decoder])[];

interface StructOptions {
  /** Keep `x-*` keys (structs with compose-go's `Extensions`). Default true. */
  readonly ext?: boolean;
  /** Omit when nothing is left (a non-pointer struct under `omitempty`). Default false. */
  readonly omitEmpty?: boolean;
}

function struct(fields: () => Fields, options: StructOptions = {}): Decoder {
  let resolved: Fields | undefined;
  return (value, path, cx) => {
    if (value === null) return undefined;
    if (!isMapping(value)) throw cx.error(path, `must be a mapping, not ${typeName(value)}`);
    resolved ??= fields();
    const out: Record<string, unknown> = {};
    for (const [key, decode] of resolved) {
      if (!Object.hasOwn(value, key)) continue;
      const decoded = decode(value[key] as Node, [...path, key], cx);
      if (decoded !== undefined) out[key] = decoded;
    }
    if (options.ext !== false) {
      for (const key of sortedKeys(value)) {
        if (key.startsWith("x-")) out[key] = sortDeep(value[key] as Node);
      }
    }
    if (options.omitEmpty && Object.keys(out).length === 0) return undefined;
    return out;
  };
}

/** A pointer field: present (even as `null` for a map value) rather than omitted. */
function nullable(decode: Decoder): Decoder {
  return (value, path, cx) => (value === null ? null : decode(value, path, cx));
}

function fail(cx: Cx, path: Path, expected: string, value: Node): never {
  throw cx.error(path, `must be ${expected}, not ${describe(value)}`);
}

const str: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const s = scalarOrFail(v, path, cx);
  return s === "" ? undefined : s;
};
/** A string without `omitempty`. */
const strKeep: Decoder = (v, path, cx) => (v === null ? "" : scalarOrFail(v, path, cx));

const bool: Decoder = (v, path, cx) => (toBool(v, path, cx) ? true : undefined);
const boolPtr: Decoder = (v, path, cx) => (v === null ? undefined : toBool(v, path, cx));

const int: Decoder = (v, path, cx) => {
  const n = intValue(v, path, cx);
  return n === 0 ? undefined : n;
};
const intKeep: Decoder = (v, path, cx) => intValue(v, path, cx) ?? 0;
const intPtr: Decoder = (v, path, cx) => intValue(v, path, cx);

const float: Decoder = (v, path, cx) => {
  const n = floatValue(v, path, cx);
  return n === 0 ? undefined : n;
};

const duration: Decoder = (v, path, cx) => {
  const ns = durationValue(v, path, cx);
  return ns === 0 ? undefined : ns;
};
const durationPtr: Decoder = (v, path, cx) => durationValue(v, path, cx);

const bytes: Decoder = (v, path, cx) => {
  const n = bytesValue(v, path, cx);
  return n === 0 ? undefined : n;
};
const bytesKeep: Decoder = (v, path, cx) => bytesValue(v, path, cx) ?? 0;

/** compose-go FileMode: a number as written (the YAML reader handles `0440`), a string as octal. */
const fileMode: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^[+-]?[0-7]+$/.test(v)) return parseInt(v, 8);
  fail(cx, path, "an octal file mode", v);
};

/** compose-go NanoCPUs (float32, omitempty): a number or a numeric string. */
const cpus: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? goParseFloat(v) : undefined;
  if (n === undefined) fail(cx, path, "a number", v);
  return n === 0 ? undefined : n;
};

/** DeviceCount: a number, or `all` (-1). */
const deviceCount: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string" && v.toLowerCase() === "all") return -1;
  const n = toInteger(v);
  if (n === undefined)
    throw cx.error(
      path,
      `invalid value ${JSON.stringify(scalarText(v))}, the only value allowed is 'all' or a number`,
    );
  return n === 0 ? undefined : n;
};

/** `[]string` (numbers written unquoted are read as their text). Omitted when empty. */
const stringSlice: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (!isSequence(v)) fail(cx, path, "a list", v);
  const out = v.map((item, i) => scalarOrFail(item, [...path, i], cx));
  return out.length === 0 ? undefined : out;
};
/** StringList / StringOrNumberList: a string or a list. Omitted when empty. */
const stringList: Decoder = (v, path, cx) => (typeof v === "string" ? [v] : stringSlice(v, path, cx));

function listOf(decode: Decoder): Decoder {
  return (v, path, cx) => {
    if (v === null) return undefined;
    if (!isSequence(v)) fail(cx, path, "a list", v);
    const out = v.map((item, i) => decode(item, [...path, i], cx) ?? null);
    return out.length === 0 ? undefined : out;
  };
}

function mapOf(decode: Decoder): Decoder {
  return (v, path, cx) => {
    if (v === null) return undefined;
    if (!isMapping(v)) fail(cx, path, "a mapping", v);
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(v)) out[key] = decode(v[key] as Node, [...path, key], cx) ?? null;
    return Object.keys(out).length === 0 ? undefined : out;
  };
}

/** Labels / Mapping / Options: `k=v` list or mapping; a missing value is the empty string. */
const stringMap: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const entries: [string, string][] = [];
  if (isSequence(v)) {
    v.forEach((item, i) => {
      const text = scalarOrFail(item, [...path, i], cx);
      const eq = text.indexOf("=");
      entries.push(eq < 0 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)]);
    });
  } else if (isMapping(v)) {
    for (const [key, value] of Object.entries(v)) {
      entries.push([key, value === null ? "" : scalarOrFail(value, [...path, key], cx)]);
    }
  } else {
    fail(cx, path, "a mapping or a list", v);
  }
  return sortedRecord(entries);
};

/** MappingWithEquals (environment, build args): `KEY` alone, or a `null` value, stays `null`. */
const mappingWithEquals: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const entries: [string, string | null][] = [];
  if (isSequence(v)) {
    v.forEach((item, i) => {
      const text = scalarOrFail(item, [...path, i], cx);
      const eq = text.indexOf("=");
      entries.push(eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)]);
    });
  } else if (isMapping(v)) {
    for (const [key, value] of Object.entries(v)) {
      entries.push([key, value === null ? null : scalarOrFail(value, [...path, key], cx)]);
    }
  } else {
    fail(cx, path, "a mapping or a list", v);
  }
  return sortedRecord(entries);
};

/** MultiOptions: each option a value or a list of values. */
const multiOptions: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (!isMapping(v)) fail(cx, path, "a mapping", v);
  const entries: [string, string[]][] = Object.entries(v).map(([key, value]) => [
    key,
    isSequence(value)
      ? value.map((item, i) => scalarOrFail(item, [...path, key, i], cx))
      : [scalarOrFail(value, [...path, key], cx)],
  ]);
  return sortedRecord(entries);
};

/** ShellCommand: a string is split as shell words (go-shellwords); `[]` and `""` clear the image's. */
const shellCommand: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string") {
    try {
      return shellSplit(v);
    } catch (error) {
      throw cx.error(path, `${(error as Error).message}: ${JSON.stringify(v)}`);
    }
  }
  if (!isSequence(v)) fail(cx, path, "a string or a list", v);
  return v.map((item, i) => scalarOrFail(item, [...path, i], cx));
};

const healthTest: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string") return ["CMD-SHELL", v];
  if (!isSequence(v)) fail(cx, path, "a string or a list", v);
  const out = v.map((item, i) => scalarOrFail(item, [...path, i], cx));
  return out.length === 0 ? undefined : out;
};

/** HostsList: `host=ip` / `host:ip` entries (`ip` may be comma-separated) or a mapping. */
const hostsList: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const hosts = new Map<string, string[]>();
  if (isSequence(v)) {
    v.forEach((item, i) => {
      const text = scalarOrFail(item, [...path, i], cx);
      const sep = text.includes("=") ? "=" : text.includes(":") ? ":" : undefined;
      if (!sep) throw cx.error([...path, i], `invalid additional host, missing IP: ${text}`);
      const at = text.indexOf(sep);
      const host = text.slice(0, at);
      hosts.set(host, [...(hosts.get(host) ?? []), ...text.slice(at + 1).split(",")]);
    });
  } else if (isMapping(v)) {
    for (const [host, value] of Object.entries(v)) {
      if (value === null) hosts.set(host, [""]);
      else if (isSequence(value))
        hosts.set(
          host,
          value.map((item, i) => scalarOrFail(item, [...path, host, i], cx)),
        );
      else hosts.set(host, [scalarOrFail(value, [...path, host], cx)]);
    }
  } else {
    fail(cx, path, "a mapping or a list", v);
  }
  const entries: [string, string[]][] = [];
  for (const [host, ips] of hosts) {
    if (host === "" || host.includes(":") || host.includes("="))
      throw cx.error(path, `bad host name '${host}'`);
    entries.push([
      host,
      ips.map((ip) => (ip.length > 2 && ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip)),
    ]);
  }
  return sortedRecord(entries);
};

/** UlimitsConfig: a single number, or soft/hard (missing ones are 0). */
const ulimit: Decoder = (v, path, cx) => {
  if (isMapping(v)) {
    return {
      soft: v.soft === undefined ? 0 : (intValue(v.soft, [...path, "soft"], cx) ?? 0),
      hard: v.hard === undefined ? 0 : (intValue(v.hard, [...path, "hard"], cx) ?? 0),
    };
  }
  const single = intValue(v, path, cx) ?? 0;
  return single === 0 ? { soft: 0, hard: 0 } : single;
};

/** SSHConfig: the canonical `{id: path|null}` mapping → `[{id, path?}]`. */
const sshConfig: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (!isMapping(v)) fail(cx, path, "a mapping", v);
  const out = sortedKeys(v).map((id) => {
    const p = v[id];
    return p === null || p === undefined || p === ""
      ? { id }
      : { id, path: scalarOrFail(p, [...path, id], cx) };
  });
  return out.length === 0 ? undefined : out;
};

// --- the structs, in compose-go's field order --------------------------------------------------------

const fileReference = struct(() => [
  ["source", str],
  ["target", str],
  ["uid", str],
  ["gid", str],
  ["mode", fileMode],
]);

const deviceRequest = struct(
  () => [
    ["capabilities", stringSlice],
    ["driver", str],
    ["count", deviceCount],
    ["device_ids", stringSlice],
    ["options", stringMap],
  ],
  { ext: false },
);

const serviceHook = struct(() => [
  ["command", shellCommand],
  ["user", str],
  ["privileged", bool],
  ["working_dir", str],
  ["environment", mappingWithEquals],
]);

const updateConfig = struct(() => [
  ["parallelism", intPtr],
  ["delay", duration],
  ["failure_action", str],
  ["monitor", duration],
  ["max_failure_ratio", float],
  ["order", str],
]);

const resource = struct(() => [
  ["cpus", cpus],
  ["memory", bytes],
  ["pids", int],
  ["devices", listOf(deviceRequest)],
  [
    "generic_resources",
    listOf(
      struct(() => [
        [
          "discrete_resource_spec",
          struct(() => [
            ["kind", strKeep],
            ["value", intKeep],
          ]),
        ],
      ]),
    ),
  ],
]);

const throttleDevice = struct(() => [
  ["path", strKeep],
  ["rate", bytesKeep],
]);

const buildSpec = struct(() => [
  ["context", str],
  ["dockerfile", str],
  ["dockerfile_inline", str],
  ["entitlements", stringSlice],
  ["args", mappingWithEquals],
  ["provenance", str],
  ["sbom", str],
  ["ssh", sshConfig],
  ["labels", stringMap],
  ["cache_from", stringList],
  ["cache_to", stringList],
  ["no_cache", bool],
  ["no_cache_filter", stringList],
  ["additional_contexts", stringMap],
  ["pull", bool],
  ["extra_hosts", hostsList],
  ["isolation", str],
  ["network", str],
  ["target", str],
  ["secrets", listOf(fileReference)],
  ["shm_size", bytes],
  ["tags", stringList],
  ["ulimits", mapOf(ulimit)],
  ["platforms", stringList],
  ["privileged", bool],
]);

const serviceSpec = struct(() => [
  ["profiles", stringSlice],
  ["annotations", stringMap],
  ["attach", boolPtr],
  ["build", buildSpec],
  [
    "develop",
    struct(() => [
      [
        "watch",
        listOf(
          struct(() => [
            ["path", strKeep],
            ["action", strKeep],
            ["target", str],
            ["exec", serviceHook],
            ["include", stringList],
            ["ignore", stringList],
            ["initial_sync", bool],
          ]),
        ),
      ],
    ]),
  ],
  [
    "blkio_config",
    struct(() => [
      ["weight", int],
      [
        "weight_device",
        listOf(
          struct(() => [
            ["path", strKeep],
            ["weight", intKeep],
          ]),
        ),
      ],
      ["device_read_bps", listOf(throttleDevice)],
      ["device_read_iops", listOf(throttleDevice)],
      ["device_write_bps", listOf(throttleDevice)],
      ["device_write_iops", listOf(throttleDevice)],
    ]),
  ],
  ["cap_add", stringSlice],
  ["cap_drop", stringSlice],
  ["cgroup_parent", str],
  ["cgroup", str],
  ["cpu_count", int],
  ["cpu_percent", float],
  ["cpu_period", int],
  ["cpu_quota", int],
  ["cpu_rt_period", int],
  ["cpu_rt_runtime", int],
  ["cpus", cpus],
  ["cpuset", str],
  ["cpu_shares", int],
  ["command", shellCommand],
  ["configs", listOf(fileReference)],
  ["container_name", str],
  [
    "credential_spec",
    struct(() => [
      ["config", str],
      ["file", str],
      ["registry", str],
    ]),
  ],
  [
    "depends_on",
    mapOf(
      struct(() => [
        ["condition", str],
        ["restart", bool],
        ["required", (v, p, cx) => (v === null ? false : toBool(v, p, cx))],
      ]),
    ),
  ],
  [
    "deploy",
    struct(() => [
      ["mode", str],
      ["replicas", intPtr],
      ["labels", stringMap],
      ["update_config", updateConfig],
      ["rollback_config", updateConfig],
      [
        "resources",
        struct(
          () => [
            ["limits", resource],
            ["reservations", resource],
          ],
          { omitEmpty: true },
        ),
      ],
      [
        "restart_policy",
        struct(() => [
          ["condition", str],
          ["delay", durationPtr],
          ["max_attempts", intPtr],
          ["window", durationPtr],
        ]),
      ],
      [
        "placement",
        struct(
          () => [
            ["constraints", stringSlice],
            ["preferences", listOf(struct(() => [["spread", str]]))],
            ["max_replicas_per_node", int],
          ],
          { omitEmpty: true },
        ),
      ],
      ["endpoint_mode", str],
    ]),
  ],
  ["device_cgroup_rules", stringSlice],
  [
    "devices",
    listOf(
      struct(() => [
        ["source", str],
        ["target", str],
        ["permissions", str],
      ]),
    ),
  ],
  ["dns", stringList],
  ["dns_opt", stringSlice],
  ["dns_search", stringList],
  ["dockerfile", str],
  ["domainname", str],
  ["entrypoint", shellCommand],
  [
    "provider",
    struct(() => [
      ["type", str],
      ["options", multiOptions],
    ]),
  ],
  ["environment", mappingWithEquals],
  [
    "env_file",
    listOf(
      struct(
        () => [
          ["path", strKeep],
          ["required", (v, p, cx) => (v === null ? true : toBool(v, p, cx))],
          ["format", str],
        ],
        { ext: false },
      ),
    ),
  ],
  ["expose", stringList],
  [
    "extends",
    struct(
      () => [
        ["file", str],
        ["service", str],
      ],
      { ext: false },
    ),
  ],
  ["external_links", stringSlice],
  ["extra_hosts", hostsList],
  ["group_add", stringSlice],
  ["gpus", listOf(deviceRequest)],
  ["hostname", str],
  [
    "healthcheck",
    struct(() => [
      ["test", healthTest],
      ["timeout", durationPtr],
      ["interval", durationPtr],
      ["retries", intPtr],
      ["start_period", durationPtr],
      ["start_interval", durationPtr],
      ["disable", bool],
    ]),
  ],
  ["image", str],
  ["init", boolPtr],
  ["ipc", str],
  ["isolation", str],
  ["labels", stringMap],
  ["label_file", stringList],
  ["links", stringSlice],
  [
    "logging",
    struct(() => [
      ["driver", str],
      ["options", stringMap],
    ]),
  ],
  ["log_driver", str],
  ["log_opt", stringMap],
  ["mem_limit", bytes],
  ["mem_reservation", bytes],
  ["memswap_limit", bytes],
  ["mem_swappiness", bytes],
  ["mac_address", str],
  [
    "models",
    mapOf(
      nullable(
        struct(() => [
          ["endpoint_var", str],
          ["model_var", str],
        ]),
      ),
    ),
  ],
  ["net", str],
  ["network_mode", str],
  [
    "networks",
    mapOf(
      nullable(
        struct(() => [
          ["aliases", stringSlice],
          ["driver_opts", stringMap],
          ["gw_priority", int],
          ["interface_name", str],
          ["ipv4_address", str],
          ["ipv6_address", str],
          ["link_local_ips", stringSlice],
          ["mac_address", str],
          ["priority", int],
        ]),
      ),
    ),
  ],
  ["oom_kill_disable", bool],
  ["oom_score_adj", int],
  ["pid", str],
  ["pids_limit", int],
  ["platform", str],
  [
    "ports",
    listOf(
      struct(() => [
        ["name", str],
        ["mode", str],
        ["host_ip", str],
        ["target", int],
        ["published", str],
        ["protocol", str],
        ["app_protocol", str],
      ]),
    ),
  ],
  ["privileged", bool],
  ["pull_policy", str],
  ["read_only", bool],
  ["restart", str],
  ["runtime", str],
  ["scale", intPtr],
  ["secrets", listOf(fileReference)],
  ["security_opt", stringSlice],
  ["shm_size", bytes],
  ["stdin_open", bool],
  ["stop_grace_period", durationPtr],
  ["stop_signal", str],
  ["storage_opt", stringMap],
  ["sysctls", stringMap],
  ["tmpfs", stringList],
  ["tty", bool],
  ["ulimits", mapOf(ulimit)],
  ["use_api_socket", bool],
  ["user", str],
  ["userns_mode", str],
  ["uts", str],
  ["volume_driver", str],
  [
    "volumes",
    listOf(
      struct(() => [
        ["type", str],
        ["source", str],
        ["target", str],
        ["read_only", bool],
        ["consistency", str],
        [
          "bind",
          struct(() => [
            ["selinux", str],
            ["propagation", str],
            // kept when false too: the runtime needs the opt-out, and compose-go >= 2.10 prints it
            ["create_host_path", boolPtr],
            ["recursive", str],
          ]),
        ],
        [
          "volume",
          struct(() => [
            ["labels", stringMap],
            ["nocopy", bool],
            ["subpath", str],
          ]),
        ],
        [
          "tmpfs",
          struct(() => [
            ["size", bytes],
            [
              "mode",
              (v, p, cx) => (typeof v === "string" && /^0[0-7]+$/.test(v) ? parseInt(v, 8) : int(v, p, cx)),
            ],
          ]),
        ],
        ["image", struct(() => [["subpath", str]])],
      ]),
    ),
  ],
  ["volumes_from", stringSlice],
  ["working_dir", str],
  ["post_start", listOf(serviceHook)],
  ["pre_stop", listOf(serviceHook)],
]);

const networkSpec = struct(() => [
  ["name", str],
  ["driver", str],
  ["driver_opts", stringMap],
  [
    "ipam",
    struct(
      () => [
        ["driver", str],
        [
          "config",
          listOf(
            struct(() => [
              ["subnet", str],
              ["gateway", str],
              ["ip_range", str],
              ["aux_addresses", stringMap],
            ]),
          ),
        ],
      ],
      { omitEmpty: true },
    ),
  ],
  ["external", bool],
  ["internal", bool],
  ["attachable", bool],
  ["labels", stringMap],
  ["enable_ipv4", boolPtr],
  ["enable_ipv6", boolPtr],
]);

const volumeSpec = struct(() => [
  ["name", str],
  ["driver", str],
  ["driver_opts", stringMap],
  ["external", bool],
  ["labels", stringMap],
]);

/** Secrets never print `content`; configs print it unless it came from `environment`. */
function fileObjectSpec(withContent: boolean): Decoder {
  return struct(() => [
    ["name", str],
    ["file", str],
    ["environment", str],
    ...(withContent ? ([["content", str]] as const) : []),
    ["external", bool],
    ["labels", stringMap],
    ["driver", str],
    ["driver_opts", stringMap],
    ["template_driver", str],
  ]);
}

const modelSpec = struct(() => [
  ["name", str],
  ["model", str],
  ["context_size", int],
  ["runtime_flags", stringSlice],
]);

function decodeProject(dict: Mapping, ctx: NormalizeContext, cx: Cx): Project {
  const section = <T>(key: string, decode: Decoder): Record<string, T> => {
    const value = dict[key];
    if (value === undefined || value === null) return {};
    return (mapOf(decode)(value, [key], cx) ?? {}) as Record<string, T>;
  };
  const services = section<Service>("services", serviceSpec);
  const extensions: Record<string, unknown> = {};
  for (const key of sortedKeys(dict)) if (key.startsWith("x-")) extensions[key] = sortDeep(dict[key] as Node);

  for (const [name, service] of Object.entries(services)) {
    const scale = service.scale;
    const deploy = service.deploy as { replicas?: number } | undefined;
    if (scale !== undefined && deploy !== undefined) {
      if (deploy.replicas !== undefined && deploy.replicas !== scale) {
        throw cx.error(
          ["services", name, "scale"],
          "can't set distinct values on 'scale' and 'deploy.replicas'",
        );
      }
      (services[name] as { deploy: unknown }).deploy = withReplicas(service.deploy ?? {}, scale);
    }
  }

  return {
    name: ctx.projectName,
    workingDir: ctx.workingDir,
    services,
    networks: section<Network>("networks", networkSpec),
    volumes: section<Volume>("volumes", volumeSpec),
    secrets: section<FileObject>("secrets", fileObjectSpec(false)),
    configs: section<FileObject>("configs", fileObjectSpec(true)),
    models: section<Model>("models", modelSpec),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
    ...(ctx.environment ? { environment: ctx.environment } : {}),
  };
}

/** `deploy` with `replicas` set, keeping compose-go's field order. */
function withReplicas(deploy: object, replicas: number): object {
  const out: Record<string, unknown> = {};
  const entries = Object.entries(deploy);
  let placed = false;
  for (const [key, value] of entries) {
    if (key === "replicas") continue;
    if (!placed && key !== "mode") {
      out.replicas = replicas;
      placed = true;
    }
    out[key] = value;
  }
  if (!placed) out.replicas = replicas;
  return out;
}

// =====================================================================================================
// Step 6: env_file and label_file (types/project.go WithServicesEnvironmentResolved / LabelsResolved)
// =====================================================================================================

async function resolveServiceFiles(project: Project, ctx: NormalizeContext, cx: Cx): Promise<void> {
  const read = ctx.readEnvFiles ?? ((paths, lookup) => readEnvFiles(paths, lookup, ctx.onWarning));
  const services = project.services as Record<string, Record<string, unknown>>;
  for (const [name, service] of Object.entries(services)) {
    const envFiles = (service.env_file ?? []) as { path: string; required: boolean; format?: string }[];
    if (envFiles.length > 0) {
      const declared = (service.environment ?? {}) as Record<string, string | null>;
      const present: string[] = [];
      for (const [i, file] of envFiles.entries()) {
        if (await exists(file.path)) present.push(file.path);
        else if (file.required)
          throw cx.error(
            ["services", name, "env_file", i],
            `env file ${ctx.displayPath?.(file.path) ?? file.path} not found`,
          );
      }
      const fromFiles = await read(present, (key) => {
        const own = declared[key];
        return ctx.lookup(key) ?? (typeof own === "string" ? own : undefined);
      });
      const merged: [string, string | null][] = [...fromFiles.entries()];
      for (const [key, value] of Object.entries(declared)) merged.push([key, value]);
      const environment = sortedRecord(merged);
      setField(services, name, "environment", environment ?? undefined);
    }

    const labelFiles = (service.label_file ?? []) as string[];
    if (labelFiles.length > 0) {
      for (const [i, file] of labelFiles.entries()) {
        if (!(await exists(file)))
          throw cx.error(
            ["services", name, "label_file", i],
            `label file ${ctx.displayPath?.(file) ?? file} not found`,
          );
      }
      const fromFiles = await read(labelFiles, () => undefined);
      const merged: [string, string][] = [...fromFiles.entries()];
      for (const [key, value] of Object.entries((service.labels ?? {}) as Record<string, string>)) {
        merged.push([key, value]);
      }
      setField(services, name, "labels", sortedRecord(merged) ?? undefined);
    }

    if (!ctx.keepEnvFiles) {
      const current = services[name] ?? {};
      delete current.env_file;
      delete current.label_file;
    }
  }
}

/** Set `key` on a service, placed where compose-go's field order puts it. */
function setField(
  services: Record<string, Record<string, unknown>>,
  name: string,
  key: string,
  value: unknown,
): void {
  const service = services[name] ?? {};
  const order = SERVICE_FIELD_ORDER;
  const rank = order.indexOf(key);
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const [k, v] of Object.entries(service)) {
    if (k === key) continue;
    const r = order.indexOf(k);
    if (!placed && (r > rank || r < 0)) {
      if (value !== undefined) out[key] = value;
      placed = true;
    }
    out[k] = v;
  }
  if (!placed && value !== undefined) out[key] = value;
  services[name] = out;
}

const SERVICE_FIELD_ORDER = [
  "profiles",
  "annotations",
  "attach",
  "build",
  "develop",
  "blkio_config",
  "cap_add",
  "cap_drop",
  "cgroup_parent",
  "cgroup",
  "cpu_count",
  "cpu_percent",
  "cpu_period",
  "cpu_quota",
  "cpu_rt_period",
  "cpu_rt_runtime",
  "cpus",
  "cpuset",
  "cpu_shares",
  "command",
  "configs",
  "container_name",
  "credential_spec",
  "depends_on",
  "deploy",
  "device_cgroup_rules",
  "devices",
  "dns",
  "dns_opt",
  "dns_search",
  "dockerfile",
  "domainname",
  "entrypoint",
  "provider",
  "environment",
  "env_file",
  "expose",
  "extends",
  "external_links",
  "extra_hosts",
  "group_add",
  "gpus",
  "hostname",
  "healthcheck",
  "image",
  "init",
  "ipc",
  "isolation",
  "labels",
  "label_file",
  "links",
  "logging",
  "log_driver",
  "log_opt",
  "mem_limit",
  "mem_reservation",
  "memswap_limit",
  "mem_swappiness",
  "mac_address",
  "models",
  "net",
  "network_mode",
  "networks",
  "oom_kill_disable",
  "oom_score_adj",
  "pid",
  "pids_limit",
  "platform",
  "ports",
  "privileged",
  "pull_policy",
  "read_only",
  "restart",
  "runtime",
  "scale",
  "secrets",
  "security_opt",
  "shm_size",
  "stdin_open",
  "stop_grace_period",
  "stop_signal",
  "storage_opt",
  "sysctls",
  "tmpfs",
  "tty",
  "ulimits",
  "use_api_socket",
  "user",
  "userns_mode",
  "uts",
  "volume_driver",
  "volumes",
  "volumes_from",
  "working_dir",
  "post_start",
  "pre_stop",
];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// =====================================================================================================
// Rendering: the model as `docker compose config` prints it
// =====================================================================================================

type OutputFormat = "duration" | "bytes" | "filemode" | "hosts" | "ssh" | "env_file";

/**
 * Values the model keeps as numbers or structures but Compose prints differently: durations as Go
 * durations (`1m30s`), byte sizes as decimal strings (`"536870912"`), modes as octal strings
 * (`"0440"`), extra_hosts as a sorted `host=ip` list, ssh keys as `id` / `id: path` strings,
 * env_file entries as a path (or `{path, required: false}`).
 */
export const OUTPUT_FORMATS: Readonly<Record<PathPattern, OutputFormat>> = {
  "services.*.healthcheck.timeout": "duration",
  "services.*.healthcheck.interval": "duration",
  "services.*.healthcheck.start_period": "duration",
  "services.*.healthcheck.start_interval": "duration",
  "services.*.stop_grace_period": "duration",
  "services.*.deploy.update_config.delay": "duration",
  "services.*.deploy.update_config.monitor": "duration",
  "services.*.deploy.rollback_config.delay": "duration",
  "services.*.deploy.rollback_config.monitor": "duration",
  "services.*.deploy.restart_policy.delay": "duration",
  "services.*.deploy.restart_policy.window": "duration",
  "services.*.mem_limit": "bytes",
  "services.*.mem_reservation": "bytes",
  "services.*.memswap_limit": "bytes",
  "services.*.mem_swappiness": "bytes",
  "services.*.shm_size": "bytes",
  "services.*.build.shm_size": "bytes",
  "services.*.deploy.resources.limits.memory": "bytes",
  "services.*.deploy.resources.reservations.memory": "bytes",
  "services.*.volumes.[].tmpfs.size": "bytes",
  "services.*.blkio_config.device_read_bps.[].rate": "bytes",
  "services.*.blkio_config.device_read_iops.[].rate": "bytes",
  "services.*.blkio_config.device_write_bps.[].rate": "bytes",
  "services.*.blkio_config.device_write_iops.[].rate": "bytes",
  "services.*.secrets.[].mode": "filemode",
  "services.*.configs.[].mode": "filemode",
  "services.*.build.secrets.[].mode": "filemode",
  "services.*.extra_hosts": "hosts",
  "services.*.build.extra_hosts": "hosts",
  "services.*.build.ssh": "ssh",
  "services.*.env_file": "env_file",
};

/**
 * The Project as the plain tree `docker compose config` prints: `name`, `services`, `networks`,
 * `volumes`, `secrets`, `configs`, `models` (empty sections left out), then top-level `x-*` keys.
 * `workingDir` and `environment` are not part of it.
 */
export function renderProject(project: Project): Mapping {
  const out: Mapping = { name: project.name };
  out.services = renderValue(project.services, ["services"]);
  for (const key of ["networks", "volumes", "secrets", "configs", "models"] as const) {
    const section = project[key];
    if (section && Object.keys(section).length > 0) out[key] = renderValue(section, [key]);
  }
  for (const [key, value] of Object.entries(project.extensions ?? {})) out[key] = renderValue(value, [key]);
  return out;
}

function renderValue(value: unknown, path: Path): Node {
  const format = path.length > 1 ? findRule(OUTPUT_FORMATS, path) : undefined;
  if (format !== undefined && value !== null && value !== undefined) return formatOutput(format, value);
  if (Array.isArray(value)) return value.map((item: unknown, i) => renderValue(item, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Mapping = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = renderValue(item, [...path, key]);
    }
    return out;
  }
  if (value === undefined) return null;
  return value as Scalar;
}

function formatOutput(format: OutputFormat, value: unknown): Node {
  switch (format) {
    case "duration":
      return formatDuration(value as number);
    case "bytes":
      return String(Math.trunc(value as number));
    case "filemode":
      return `0${(value as number).toString(8)}`;
    case "hosts": {
      const list: string[] = [];
      for (const [host, ips] of Object.entries(value as Record<string, string[]>)) {
        for (const ip of ips) list.push(`${host}=${ip}`);
      }
      return list.sort(compareBytes);
    }
    case "ssh":
      return (value as { id: string; path?: string }[]).map((k) => (k.path ? `${k.id}: ${k.path}` : k.id));
    case "env_file":
      return (value as { path: string; required: boolean; format?: string }[]).map((f) => {
        if (f.required && f.format === undefined) return f.path;
        const entry: Mapping = { path: f.path };
        if (!f.required) entry.required = false;
        if (f.format !== undefined) entry.format = f.format;
        return entry;
      });
  }
}

// =====================================================================================================
// Value parsers (exported for other stages)
// =====================================================================================================

const MAX_INT64 = (1n << 63n) - 1n;
const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/**
 * A duration as Compose reads it (go-str2duration: Go's `time.ParseDuration` plus `d` and `w`):
 * `1m30s`, `1.5h`, `300ms`, `10us`, `2d`, `-1s`, `0`. Returns nanoseconds; throws an Error whose
 * message starts with `invalid duration "<text>"`.
 */
export function parseDuration(text: string): number {
  const invalid = (detail?: string): Error =>
    new Error(`invalid duration ${JSON.stringify(text)}${detail ? `: ${detail}` : ""}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isAsciiDigit(s[0]))) throw invalid();
    let i = 0;
    while (i < s.length && isAsciiDigit(s[i])) i++;
    const intPart = s.slice(0, i);
    let v = intPart === "" ? 0n : BigInt(intPart);
    if (v > MAX_INT64) throw invalid();
    s = s.slice(i);
    let fraction = 0n;
    let scale = 1;
    let post = false;
    if (s.startsWith(".")) {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isAsciiDigit(s[j])) {
        if (!overflow) {
          if (fraction > MAX_INT64 / 10n) overflow = true;
          else {
            fraction = fraction * 10n + BigInt(Number(s[j]));
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (intPart === "" && !post) throw invalid();
    let u = 0;
    while (u < s.length && s[u] !== "." && !isAsciiDigit(s[u])) u++;
    if (u === 0) throw invalid("missing unit");
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = DURATION_UNITS[unitName];
    if (unit === undefined) throw invalid(`unknown unit ${JSON.stringify(unitName)}`);
    if (v > MAX_INT64 / unit) throw invalid();
    v *= unit;
    if (fraction > 0n) {
      v += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (v > MAX_INT64) throw invalid();
    }
    total += v;
    if (total > MAX_INT64) throw invalid();
  }
  return Number(negative ? -total : total);
}

/** Go's `time.Duration.String()`: `1m30s`, `10s`, `1h30m0s`, `1.5s`, `300ms`, `10µs`, `0s`. */
export function formatDuration(ns: number): string {
  const negative = ns < 0;
  let u = BigInt(Math.trunc(Math.abs(ns)));
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s";
    let precision: number;
    let unit: string;
    if (u < 1_000n) {
      precision = 0;
      unit = "ns";
    } else if (u < 1_000_000n) {
      precision = 3;
      unit = "µs";
    } else {
      precision = 6;
      unit = "ms";
    }
    const [fraction, whole] = formatFraction(u, precision);
    out = `${whole}${fraction}${unit}`;
  } else {
    const [fraction, seconds] = formatFraction(u, 9);
    u = seconds;
    out = `${u % 60n}${fraction}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** `.ddd` (trailing zeros dropped, empty when zero) of the last `precision` digits, and the rest. */
function formatFraction(v: bigint, precision: number): [string, bigint] {
  const divisor = 10n ** BigInt(precision);
  const digits = precision === 0 ? "" : (v % divisor).toString().padStart(precision, "0").replace(/0+$/, "");
  return [digits === "" ? "" : `.${digits}`, v / divisor];
}

const BINARY_UNITS: Readonly<Record<string, number>> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * A size as go-units `RAMInBytes` reads it: a decimal number, optionally followed (after an
 * optional space) by `b`, `k`, `m`, `g`, `t`, `p` with an optional `b` / `ib` — all binary
 * (`512m` = `512MB` = `512MiB` = 536870912). Case-insensitive. Throws on anything else.
 */
export function parseBytes(text: string): number {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(text[i] ?? "")) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size ${JSON.stringify(text)}`);
  const num = text[sep] === " " ? text.slice(0, sep) : text.slice(0, sep + 1);
  let suffix = text.slice(sep + 1);
  const size = goParseFloat(num);
  if (size === undefined || size < 0) throw new Error(`invalid size ${JSON.stringify(text)}`);
  if (suffix.length === 0) return Math.trunc(size);
  const badSuffix = (): Error =>
    new Error(`invalid size ${JSON.stringify(text)}: invalid suffix '${suffix}'`);
  if (suffix.length > 3) throw badSuffix();
  suffix = suffix.toLowerCase();
  if (suffix[0] === "b") {
    if (suffix.length > 1) throw badSuffix();
    return Math.trunc(size);
  }
  const multiplier = BINARY_UNITS[suffix[0] ?? ""];
  if (multiplier === undefined) throw badSuffix();
  if (suffix.length === 2 && suffix[1] !== "b") throw badSuffix();
  if (suffix.length === 3 && suffix.slice(1) !== "ib") throw badSuffix();
  return Math.trunc(size * multiplier);
}

/** Go's `strconv.ParseFloat` on a decimal number; `undefined` when it is not one. */
function goParseFloat(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return undefined;
}

/**
 * Split a command line into words as go-shellwords v1.0.12 does (Compose's `command`/`entrypoint`
 * strings): blanks separate words; `'...'` is literal; `"..."` groups; a backslash escapes the next
 * character (outside single quotes); `$(...)` and backquotes are kept as text; parsing stops at an
 * unquoted `;`, `&`, `|`, `<` or `>`. Throws on an unterminated quote or escape.
 */
export function shellSplit(line: string): string[] {
  const invalid = (): Error => new Error("invalid command line string");
  const args: string[] = [];
  let buf = "";
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;
  let got: "none" | "single" | "quoted" = "none";
  loop: for (const r of line) {
    if (escaped) {
      buf += r;
      escaped = false;
      got = "single";
      continue;
    }
    if (r === "\\") {
      if (singleQuoted) buf += r;
      else escaped = true;
      continue;
    }
    if (r === " " || r === "\t" || r === "\r" || r === "\n") {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) {
        buf += r;
      } else if (got !== "none") {
        args.push(buf);
        buf = "";
        got = "none";
      }
      continue;
    }
    switch (r) {
      case "`":
        if (!singleQuoted && !doubleQuoted && !dollarQuote) backQuote = !backQuote;
        break;
      case ")":
        if (!singleQuoted && !doubleQuoted && !backQuote) dollarQuote = !dollarQuote;
        break;
      case "(":
        if (!singleQuoted && !doubleQuoted && !backQuote) {
          if (!dollarQuote && buf.endsWith("$")) {
            dollarQuote = true;
            buf += "(";
            continue;
          }
          throw invalid();
        }
        break;
      case '"':
        if (!singleQuoted && !dollarQuote) {
          if (doubleQuoted) got = "quoted";
          doubleQuoted = !doubleQuoted;
          continue;
        }
        break;
      case "'":
        if (!doubleQuoted && !dollarQuote) {
          if (singleQuoted) got = "quoted";
          singleQuoted = !singleQuoted;
          continue;
        }
        break;
      case ";":
      case "&":
      case "|":
      case "<":
      case ">":
        if (!(singleQuoted || doubleQuoted || backQuote || dollarQuote)) {
          if (r === ">" && buf.length > 0 && isAsciiDigit(buf[0])) got = "none";
          break loop;
        }
        break;
    }
    got = "single";
    buf += r;
  }
  if (got !== "none") args.push(buf);
  if (escaped || singleQuoted || doubleQuoted || backQuote || dollarQuote) throw invalid();
  return args;
}

export interface ParsedPort {
  readonly mode: "ingress";
  readonly host_ip?: string;
  readonly target: number;
  readonly published?: string;
  readonly protocol: string;
}

/**
 * A short port spec as compose-go's `ParsePortConfig` reads it (docker/go-connections `nat`):
 * `[[ip:]published:]target[/protocol]`, each port possibly a range, IPv6 addresses in brackets.
 * A container range gives one entry per port (in the string order of `port/proto`, as Compose
 * sorts them); a host range with a single container port stays a range (`8000-8010`).
 */
export function parsePortSpec(spec: string): ParsedPort[] {
  const parts = spec.split(":");
  const n = parts.length;
  let ip = n <= 2 ? "" : n === 3 ? (parts[0] ?? "") : parts.slice(0, n - 2).join(":");
  const hostPort = n >= 2 ? (parts[n - 2] ?? "") : "";
  const [proto, containerPort] = splitProtoPort(parts[n - 1] ?? "");

  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) throw new Error(`invalid IP address ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === "") throw new Error(`no port specified: ${spec}<empty>`);

  const container = parsePortRange(containerPort);
  if (!container) throw new Error(`invalid containerPort: ${containerPort}`);
  let host: [number, number] = [0, 0];
  if (hostPort !== "") {
    const parsed = parsePortRange(hostPort);
    if (!parsed) throw new Error(`invalid hostPort: ${hostPort}`);
    host = parsed;
  }
  const [start, end] = container;
  const [hostStart, hostEnd] = host;
  if (hostPort !== "" && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(
      `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
    );
  }
  const protocol = proto.toLowerCase();
  if (!["tcp", "udp", "sctp"].includes(protocol)) throw new Error(`invalid proto: ${proto}`);

  const byKey = new Map<string, ParsedPort>();
  for (let i = 0; i <= end - start; i++) {
    let published = hostPort === "" ? "" : String(hostStart + i);
    if (start === end && hostStart !== hostEnd) published = `${published}-${hostEnd}`;
    const port: ParsedPort = {
      mode: "ingress",
      ...(ip !== "" ? { host_ip: ip } : {}),
      target: start + i,
      ...(published !== "" ? { published } : {}),
      protocol,
    };
    byKey.set(`${start + i}/${protocol}`, port);
  }
  return [...byKey.keys()].sort(compareBytes).map((key) => byKey.get(key) as ParsedPort);
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw.length === 0 || (parts[0] ?? "") === "") return ["", ""];
  if (parts.length === 1) return ["tcp", raw];
  if ((parts[1] ?? "") === "") return ["tcp", parts[0] ?? ""];
  return [parts[1] ?? "", parts[0] ?? ""];
}

/** `8000` or `8000-9000` (ports are 0–65535); undefined when not a valid range. */
function parsePortRange(ports: string): [number, number] | undefined {
  const port = (s: string | undefined): number | undefined =>
    s !== undefined && /^\d+$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined;
  if (!ports.includes("-")) {
    const p = port(ports);
    return p === undefined ? undefined : [p, p];
  }
  const parts = ports.split("-");
  const start = port(parts[0]);
  const end = port(parts[1]);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

/** Go's `net.ParseIP`: dotted IPv4 without leading zeros, or IPv6 without a zone. */
function isIP(ip: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    return ip
      .split(".")
      .every((octet) => Number(octet) <= 255 && !(octet.length > 1 && octet.startsWith("0")));
  }
  return !ip.includes("%") && isIPv6(ip);
}

// =====================================================================================================
// Small helpers
// =====================================================================================================

/**
 * The order go-yaml prints map keys in (yaml.v3 `keyList.Less`): letters by code point, runs of
 * digits by numeric value, a digit/punctuation before a letter unless it follows digits.
 */
export function compareYamlKeys(a: string, b: string): number {
  if (a === b) return 0;
  return yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0;
}

function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) {
      digits = isDigit(ac);
      continue;
    }
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
  return ar.length < br.length;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && /^\p{Nd}$/u.test(c);
}

function isLetter(c: string): boolean {
  return /^\p{L}$/u.test(c);
}

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** Go's `sort.Strings`: byte order of the UTF-8 encoding (= code point order). */
function compareBytes(a: string, b: string): number {
  const ac = [...a];
  const bc = [...b];
  for (let i = 0; i < ac.length && i < bc.length; i++) {
    const d = (ac[i]?.codePointAt(0) ?? 0) - (bc[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return ac.length - bc.length;
}

function sortedKeys(m: Mapping): string[] {
  return Object.keys(m).sort(compareYamlKeys);
}

function sortedRecord<T>(entries: readonly (readonly [string, T])[]): Record<string, T> | undefined {
  const map = new Map<string, T>();
  for (const [key, value] of entries) map.set(key, value);
  if (map.size === 0) return undefined;
  const out: Record<string, T> = {};
  for (const key of [...map.keys()].sort(compareYamlKeys)) out[key] = map.get(key) as T;
  return out;
}

/** A copy with every mapping's keys in go-yaml order (how Compose prints free-form values). */
function sortDeep(v: Node): Node {
  if (isSequence(v)) return v.map(sortDeep);
  if (isMapping(v)) {
    const out: Mapping = {};
    for (const key of sortedKeys(v)) out[key] = sortDeep(v[key] as Node);
    return out;
  }
  return v;
}

/** A scalar's text as Go's `fmt.Sprint` gives it (`true`, `8080`, `1.5`). */
function scalarText(v: Node | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return describe(v);
}

function scalarOrFail(v: Node, path: Path, cx: Cx): string {
  if (isMapping(v) || isSequence(v)) fail(cx, path, "a string", v);
  return scalarText(v);
}

function describe(v: Node): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (isSequence(v)) return "a list";
  if (isMapping(v)) return "a mapping";
  return String(v);
}

/** An integer from a number or a decimal string (`"+2"`, `"02"`); undefined otherwise. */
function toInteger(v: Node): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) ? v : undefined;
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

function intValue(v: Node, path: Path, cx: Cx): number | undefined {
  if (v === null) return undefined;
  const n = toInteger(v);
  if (n === undefined) fail(cx, path, "an integer", v);
  return n;
}

function floatValue(v: Node, path: Path, cx: Cx): number | undefined {
  if (v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? goParseFloat(v.trim()) : undefined;
  if (n === undefined) fail(cx, path, "a number", v);
  return n;
}

function toBool(v: Node, path: Path, cx: Cx): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const lower = v.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  fail(cx, path, "a boolean", v);
}

function durationValue(v: Node, path: Path, cx: Cx): number | undefined {
  if (v === null) return undefined;
  if (isMapping(v) || isSequence(v)) fail(cx, path, "a duration", v);
  try {
    return parseDuration(scalarText(v));
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
}

/** UnitBytes: an integer as is, a string through RAMInBytes (a fractional number is ignored, as in Compose). */
function bytesValue(v: Node, path: Path, cx: Cx): number | undefined {
  if (v === null) return undefined;
  if (typeof v === "number") return Number.isInteger(v) ? v : undefined;
  if (typeof v !== "string") fail(cx, path, "a byte size", v);
  try {
    return parseBytes(v);
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
}
