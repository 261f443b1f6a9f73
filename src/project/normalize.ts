/**
 * Stage 9: the validated tree (short syntax still allowed) → the typed Project (`model.ts`), in the
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
 * Step 2's unicity is unicity.ts (the table merge uses too). Step 5 is decode.ts, which decodes
 * each field as the field table says (fields.ts, with the types of decoders.ts); the value parsers
 * it shares with other stages are units.ts, shellwords.ts and ports.ts, and render.ts prints the result.
 *
 * Relative paths are not resolved here: the loader runs `resolveRelativePaths` (paths.ts) first, so
 * that `--no-path-resolution` can skip it. Values that cannot be read (`interval: 1x`,
 * `mem_limit: 12q`, a bad port) are a LoadError at the value's location.
 */
import { stat } from "node:fs/promises";
import { decodeProject } from "./decode.js";
import { DecodeContext } from "./decode-context.js";
import { describe, scalarText } from "./decoders.js";
import { readEnvFiles } from "./env.js";
import type { Lookup } from "./interpolate.js";
import { SERVICE_FIELD_ORDER } from "./fields.js";
import { sortedRecord } from "./key-order.js";
import type { Project } from "./model.js";
import { compilePatterns, walkPatterns, type PathPattern, type PatternState } from "./path-pattern.js";
import { goClean, parseVolumeSpec, type VolumeSpec } from "./paths.js";
import { parsePortSpec, type ParsedPort } from "./ports.js";
import type { SourceMap } from "./source-map.js";
import { uniqueTree } from "./unicity.js";
import {
  formatPath,
  isMapping,
  isSequence,
  setEntry,
  shallowCopy,
  typeName,
  type Mapping,
  type Node,
  type Path,
} from "./tree.js";

// The value parsers and the renderer moved out of this file; they stay importable from here.
export { compareYamlKeys } from "./key-order.js";
export { parsePortSpec } from "./ports.js";
export { renderProject } from "./render.js";
export { shellSplit } from "./shellwords.js";
export { formatDuration, parseBytes, parseDuration } from "./units.js";

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
  const cx = new DecodeContext(ctx.sources);
  const project = decodeProject(canonical, ctx, cx);
  await resolveServiceFiles(project, ctx, cx);
  return project;
}

/**
 * Steps 1–4: the tree in compose-go's canonical form, still as a plain tree (what compose-go's
 * `LoadModel` returns). Useful on its own for tests and for `config --no-interpolate`-like output.
 * `tree` is not modified; the result shares what no step changed with it (nothing mutates a tree).
 */
export function canonicalize(
  tree: Mapping,
  ctx: Pick<NormalizeContext, "projectName" | "sources" | "lookup" | "onWarning"> & {
    /** Interpolation was skipped: a port list that cannot be parsed stays as written, as in compose-go. */
    readonly keepUnparsed?: boolean;
  },
): Mapping {
  const cx = new DecodeContext(ctx.sources, ctx.onWarning, ctx.keepUnparsed === true);
  let result = walkTable(tree, TABLES.canonical, cx) as Mapping;
  result = uniqueTree(walkTable(result, TABLES.omitEmpty, cx) as Mapping, ctx.sources);
  result = walkTable(result, TABLES.defaults, cx) as Mapping;
  return normalizeModel(result, ctx);
}

/**
 * Apply the first matching rule of `table` at each node (then look inside what it returned). A
 * rule never changes the value it is given: it returns a new one, or the value itself.
 */
function walkTable(node: Node, table: PatternState<Transform>, cx: DecodeContext): Node {
  return walkPatterns(node, table, (value, rule, path) => rule(value, [...path], cx), true);
}

type Transform = (value: Node, path: Path, cx: DecodeContext) => Node;

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

function keyValue(v: Node, path: Path, cx: DecodeContext): Node {
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

function ssh(v: Node, path: Path, cx: DecodeContext): Node {
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

function dependsOn(v: Node, path: Path, cx: DecodeContext): Node {
  if (isSequence(v)) {
    const out: Mapping = {};
    for (const item of v) out[scalarText(item)] = { condition: "service_started", required: true };
    return out;
  }
  if (isMapping(v)) {
    let out: Mapping | undefined; // a copy, once a dependency needs its defaults
    for (const name of Object.keys(v)) {
      const dep = v[name] as Node;
      if (!isMapping(dep)) throw cx.error([...path, name], `unsupported value ${describe(dep)}`);
      if (dep.condition !== undefined && dep.required !== undefined) continue;
      const filled: Mapping = { ...dep };
      if (filled.condition === undefined) filled.condition = "service_started";
      if (filled.required === undefined) filled.required = true;
      setEntry((out ??= shallowCopy(v)), name, filled);
    }
    return out ?? v;
  }
  return v;
}

function envFile(v: Node): Node {
  const entry = (item: Node): Node => {
    if (typeof item === "string") return { path: item, required: true };
    if (isMapping(item) && item.required === undefined) return { ...item, required: true };
    return item;
  };
  if (typeof v === "string") return [entry(v)];
  return isSequence(v) ? v.map(entry) : v;
}

function volumeMount(v: Node, path: Path, cx: DecodeContext): Node {
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

function deviceMapping(v: Node, path: Path, cx: DecodeContext): Node {
  if (typeof v !== "string") return v;
  const parts = v.split(":");
  if (parts.length > 3) throw cx.error(path, `confusing device mapping, please use long syntax: ${v}`);
  const source = parts[0] ?? "";
  const target = parts[1] ?? "";
  return { source, target: target === "" ? source : target, permissions: parts[2] ?? "rwm" };
}

function ports(v: Node, path: Path, cx: DecodeContext): Node {
  if (!isSequence(v)) throw cx.error(path, `invalid type ${typeName(v)} for port`);
  const out: Node[] = [];
  for (const [i, entry] of v.entries()) {
    if (typeof entry === "number") {
      out.push({ target: entry });
    } else if (typeof entry === "string") {
      let parsed: readonly ParsedPort[];
      try {
        parsed = parsePortSpec(entry);
      } catch (error) {
        // compose-go keeps the whole list as written when one entry still holds a variable.
        if (cx.keepUnparsed) return v;
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
  }
  return out;
}

function maybeExternal(v: Node, path: Path, cx: DecodeContext): Node {
  if (!isMapping(v)) return v;
  const ext = v.external;
  if (!isMapping(ext)) return v;
  const out: Mapping = { ...v, external: true };
  if (Object.hasOwn(ext, "name")) {
    cx.warn(`${formatPath(path)}: external.name is deprecated. Please set name and external: true`);
    if (out.name !== undefined && ext.name !== out.name) {
      throw cx.error(path, "name and external.name conflict; only use name");
    }
    if (out.name === undefined) out.name = ext.name ?? null;
  }
  return out;
}

// =====================================================================================================
// Step 2: empty dns entries (loader/omitEmpty.go), then unicity (override/uncity.go) with the table
// merge uses (unicity.ts)
// =====================================================================================================

const OMIT_EMPTY: Readonly<Record<PathPattern, Transform>> = {
  "services.*.dns": (v) => {
    if (!isSequence(v)) return v;
    const kept = v.filter((item) => item !== null && item !== "");
    return kept.length === v.length ? v : kept;
  },
};

// =====================================================================================================
// Step 3: default values (transform/defaults.go)
// =====================================================================================================

const DEFAULTS: Readonly<Record<PathPattern, Transform>> = {
  "services.*.build": (v) => (isMapping(v) && v.context === undefined ? { ...v, context: "." } : v),
  "services.*.secrets.[]": (v) =>
    isMapping(v) && v.target === undefined
      ? { ...v, target: `/run/secrets/${scalarText(v.source ?? "")}` }
      : v,
  "services.*.ports.[]": (v) => {
    if (!isMapping(v) || (v.protocol !== undefined && v.mode !== undefined)) return v;
    const out: Mapping = { ...v };
    if (out.protocol === undefined) out.protocol = "tcp";
    if (out.mode === undefined) out.mode = "ingress";
    return out;
  },
  "services.*.deploy.resources.reservations.devices.[]": deviceRequestDefaults,
  "services.*.gpus.[]": deviceRequestDefaults,
  "services.*.volumes.[]": (v, path, cx) => {
    if (!isMapping(v)) return v;
    if (v.type === "bind" && (typeof v.source !== "string" || v.source === "")) {
      throw cx.error(path, 'invalid mount config for type "bind": field Source must not be empty');
    }
    if (isMapping(v.bind) && v.bind.create_host_path === undefined) {
      return { ...v, bind: { ...v.bind, create_host_path: true } };
    }
    return v;
  },
};

function deviceRequestDefaults(v: Node): Node {
  return isMapping(v) && v.count === undefined && v.device_ids === undefined ? { ...v, count: "all" } : v;
}

const TABLES = {
  canonical: compilePatterns(CANONICAL),
  omitEmpty: compilePatterns(OMIT_EMPTY),
  defaults: compilePatterns(DEFAULTS),
};

// =====================================================================================================
// Step 4: loader/normalize.go
// =====================================================================================================

/**
 * Returns a new tree: `tree` may share subtrees with the file's tree, so what this step changes
 * (the root, each service, the resource sections) is copied first, one level at a time.
 */
function normalizeModel(tree: Mapping, ctx: Pick<NormalizeContext, "projectName" | "lookup">): Mapping {
  const dict: Mapping = { ...tree };
  if (isMapping(dict.services)) {
    const services: Mapping = {};
    for (const [name, service] of Object.entries(dict.services)) {
      setEntry(services, name, isMapping(service) ? { ...service } : service);
    }
    dict.services = services;
  }
  normalizeNetworks(dict);
  const services = isMapping(dict.services) ? dict.services : undefined;
  for (const service of Object.values(services ?? {})) {
    if (!isMapping(service)) continue;
    if (service.pull_policy === "if_not_present") service.pull_policy = "missing";

    if (isMapping(service.build)) {
      const build = { ...service.build };
      service.build = build;
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

    const dependsOn: Mapping = isMapping(service.depends_on) ? { ...service.depends_on } : {};
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
    const section = dict[kind];
    if (!isMapping(section)) continue;
    const resources: Mapping = {};
    for (const [key, value] of Object.entries(section)) {
      const resource: Mapping = isMapping(value) ? { ...value } : {};
      if (resource.name === undefined || resource.name === null) {
        resource.name = isTrue(resource.external) ? key : `${ctx.projectName}_${key}`;
      }
      setEntry(resources, key, resource);
    }
    dict[kind] = resources;
  }
  return dict;
}

/** Adds the implicit `default` network; `dict` and its services are the caller's own copies. */
function normalizeNetworks(dict: Mapping): void {
  const networks: Mapping = isMapping(dict.networks) ? shallowCopy(dict.networks) : {};
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
    for (const key of Object.keys(value)) {
      const v = value[key] as Node;
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
// Step 6: env_file and label_file (types/project.go WithServicesEnvironmentResolved / LabelsResolved)
// =====================================================================================================

async function resolveServiceFiles(
  project: Project,
  ctx: NormalizeContext,
  cx: DecodeContext,
): Promise<void> {
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
      const merged = new Map<string, string | null>(fromFiles);
      for (const [key, value] of Object.entries(declared)) merged.set(key, value);
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
      const merged = new Map<string, string>(fromFiles);
      for (const [key, value] of Object.entries((service.labels ?? {}) as Record<string, string>)) {
        merged.set(key, value);
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
  const rank = SERVICE_FIELD_ORDER.indexOf(key);
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const [k, v] of Object.entries(service)) {
    if (k === key) continue;
    const r = SERVICE_FIELD_ORDER.indexOf(k);
    if (!placed && (r > rank || r < 0)) {
      if (value !== undefined) out[key] = value;
      placed = true;
    }
    out[k] = v;
  }
  if (!placed && value !== undefined) out[key] = value;
  services[name] = out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
