/**
 * Step 5 of normalize: the canonical tree → the model's types, as compose-go's mapstructure hooks
 * decode it: list/map forms of labels, environment, extra_hosts, sysctls …; `command` strings split
 * as shell words; durations, byte sizes, octal modes, cpus parsed; `omitempty` fields dropped. The
 * structs list their fields in compose-go's order, which is the order `config` prints.
 */
import { LoadError } from "../errors.js";
import { extensionKeys, sortDeep, sortedKeys, sortedRecord, sortYamlKeys } from "./key-order.js";
import type { FileObject, Model, Network, Project, Service, Volume } from "./model.js";
import type { NormalizeContext } from "./normalize.js";
import { shellSplit } from "./shellwords.js";
import type { SourceMap } from "./source-map.js";
import { formatPath, isMapping, isSequence, typeName, type Mapping, type Node, type Path } from "./tree.js";
import { goParseFloat, parseBytes, parseDuration } from "./units.js";

/** Where decoding and the canonical steps report errors and warnings. */
export class Cx {
  constructor(
    readonly sources: SourceMap,
    readonly onWarning?: ((message: string) => void) | undefined,
    /** Keep a value a canonical step cannot parse, as written (`config --no-interpolate`). */
    readonly keepUnparsed = false,
  ) {}

  error(path: Path, message: string): LoadError {
    return new LoadError(message, this.sources.valueAt(path), formatPath(path));
  }

  warn(message: string): void {
    this.onWarning?.(message);
  }
}

/**
 * Decodes a value at `path`; `undefined` means "omitted" (Go's zero value under `omitempty`).
 * `path` is the decoding walk's own array (`struct`, `listOf` and `mapOf` push a child's key while
 * it is decoded, rather than copying the path for every value): read it, or copy it to keep it.
 */
type Decoder = (value: Node, path: PathStack, cx: Cx) => unknown;
type PathStack = (string | number)[];
type Fields = readonly (readonly [string, Decoder])[];

interface StructOptions {
  /** Keep `x-*` keys (structs with compose-go's `Extensions`). Default true. */
  readonly ext?: boolean;
  /** Omit when nothing is left (a non-pointer struct under `omitempty`). Default false. */
  readonly omitEmpty?: boolean;
}

function struct(fields: () => Fields, options: StructOptions = {}): Decoder {
  let resolved: { readonly fields: Fields; readonly rank: ReadonlyMap<string, number> } | undefined;
  return (value, path, cx) => {
    if (value === null) return undefined;
    if (!isMapping(value)) throw cx.error(path, `must be a mapping, not ${typeName(value)}`);
    if (!resolved) {
      const list = fields();
      resolved = { fields: list, rank: new Map(list.map(([key], index) => [key, index])) };
    }
    // The fields present, in the struct's order: a service has ~100 fields but sets a dozen, so
    // look the mapping's keys up rather than every field in the mapping.
    const present: number[] = [];
    const extensions: string[] = [];
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const rank = resolved.rank.get(key);
      if (rank !== undefined) insertSorted(present, rank);
      else if (key.startsWith("x-")) extensions.push(key);
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < present.length; i++) {
      const field = resolved.fields[present[i] as number] as Fields[number];
      const key = field[0];
      path.push(key);
      const decoded = field[1](value[key] as Node, path, cx);
      path.pop();
      if (decoded !== undefined) out[key] = decoded;
    }
    if (options.ext !== false) {
      for (const key of sortYamlKeys(extensions)) out[key] = sortDeep(value[key] as Node);
    }
    if (options.omitEmpty && Object.keys(out).length === 0) return undefined;
    return out;
  };
}

/** Insert into a short sorted list (a dozen fields: no call to `sort`, which allocates). */
function insertSorted(list: number[], value: number): void {
  let i = list.length;
  list.push(value);
  for (; i > 0 && (list[i - 1] as number) > value; i--) list[i] = list[i - 1] as number;
  list[i] = value;
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
  const out = v.map((item, i) => itemText(item, path, i, cx));
  return out.length === 0 ? undefined : out;
};
/** StringList / StringOrNumberList: a string or a list. Omitted when empty. */
const stringList: Decoder = (v, path, cx) => (typeof v === "string" ? [v] : stringSlice(v, path, cx));

function listOf(decode: Decoder): Decoder {
  return (v, path, cx) => {
    if (v === null) return undefined;
    if (!isSequence(v)) fail(cx, path, "a list", v);
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      out.push(decode(v[i] as Node, path, cx) ?? null);
      path.pop();
    }
    return out.length === 0 ? undefined : out;
  };
}

function mapOf(decode: Decoder): Decoder {
  return (v, path, cx) => {
    if (v === null) return undefined;
    if (!isMapping(v)) fail(cx, path, "a mapping", v);
    const out: Record<string, unknown> = {};
    const keys = sortedKeys(v);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      path.push(key);
      out[key] = decode(v[key] as Node, path, cx) ?? null;
      path.pop();
    }
    return Object.keys(out).length === 0 ? undefined : out;
  };
}

/** Labels / Mapping / Options: `k=v` list or mapping; a missing value is the empty string. */
const stringMap: Decoder = (v, path, cx) => keyValues(v, path, cx, "");

/** MappingWithEquals (environment, build args): `KEY` alone, or a `null` value, stays `null`. */
const mappingWithEquals: Decoder = (v, path, cx) => keyValues(v, path, cx, null);

/** A `k=v` list or a mapping as a sorted record; a key without a value gets `missing`. */
function keyValues<T extends string | null>(
  v: Node,
  path: Path,
  cx: Cx,
  missing: T,
): Record<string, string | T> | undefined {
  if (v === null) return undefined;
  const values = new Map<string, string | T>(); // a later entry for a key wins
  if (isSequence(v)) {
    for (let i = 0; i < v.length; i++) {
      const text = itemText(v[i] as Node, path, i, cx);
      const eq = text.indexOf("=");
      if (eq < 0) values.set(text, missing);
      else values.set(text.slice(0, eq), text.slice(eq + 1));
    }
  } else if (isMapping(v)) {
    for (const key of Object.keys(v)) {
      const value = v[key] as Node;
      values.set(key, value === null ? missing : itemText(value, path, key, cx));
    }
  } else {
    fail(cx, path, "a mapping or a list", v);
  }
  return sortedRecord(values);
}

/** MultiOptions: each option a value or a list of values. */
const multiOptions: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (!isMapping(v)) fail(cx, path, "a mapping", v);
  const values = new Map<string, string[]>();
  for (const [key, value] of Object.entries(v)) {
    values.set(
      key,
      isSequence(value)
        ? value.map((item, i) => scalarOrFail(item, [...path, key, i], cx))
        : [itemText(value, path, key, cx)],
    );
  }
  return sortedRecord(values);
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
  return v.map((item, i) => itemText(item, path, i, cx));
};

const healthTest: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string") return ["CMD-SHELL", v];
  if (!isSequence(v)) fail(cx, path, "a string or a list", v);
  const out = v.map((item, i) => itemText(item, path, i, cx));
  return out.length === 0 ? undefined : out;
};

/** HostsList: `host=ip` / `host:ip` entries (`ip` may be comma-separated) or a mapping. */
const hostsList: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  const hosts = new Map<string, string[]>();
  if (isSequence(v)) {
    v.forEach((item, i) => {
      const text = itemText(item, path, i, cx);
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
      else hosts.set(host, [itemText(value, path, host, cx)]);
    }
  } else {
    fail(cx, path, "a mapping or a list", v);
  }
  for (const [host, ips] of hosts) {
    if (host === "" || host.includes(":") || host.includes("="))
      throw cx.error(path, `bad host name '${host}'`);
    hosts.set(
      host,
      ips.map((ip) => (ip.length > 2 && ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip)),
    );
  }
  return sortedRecord(hosts);
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
    return p === null || p === undefined || p === "" ? { id } : { id, path: itemText(p, path, id, cx) };
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

export function decodeProject(dict: Mapping, ctx: NormalizeContext, cx: Cx): Project {
  const section = <T>(key: string, decode: Decoder): Record<string, T> => {
    const value = dict[key];
    if (value === undefined || value === null) return {};
    return (mapOf(decode)(value, [key], cx) ?? {}) as Record<string, T>;
  };
  const services = section<Service>("services", serviceSpec);
  const extensions: Record<string, unknown> = {};
  for (const key of extensionKeys(dict)) extensions[key] = sortDeep(dict[key] as Node);

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

/** A scalar's text as Go's `fmt.Sprint` gives it (`true`, `8080`, `1.5`). */
export function scalarText(v: Node | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return describe(v);
}

function scalarOrFail(v: Node, path: Path, cx: Cx): string {
  if (isMapping(v) || isSequence(v)) fail(cx, path, "a string", v);
  return scalarText(v);
}

/** `scalarOrFail` for the entry `key` of the list or mapping at `path` (its path is made only for an error). */
function itemText(v: Node, path: Path, key: string | number, cx: Cx): string {
  if (isMapping(v) || isSequence(v)) fail(cx, [...path, key], "a string", v);
  return scalarText(v);
}

export function describe(v: Node): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (isSequence(v)) return "a list";
  if (isMapping(v)) return "a mapping";
  return String(v);
}

/** An integer from a number or a decimal string (`"+2"`, `"02"`); undefined otherwise. */
export function toInteger(v: Node): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) ? v : undefined;
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

function intValue(v: Node, path: Path, cx: Cx): number | undefined {
  if (v === null) return undefined;
  const n = toInteger(v);
  if (n === undefined) fail(cx, path, "an integer", v);
  return int64(n, v, path, cx);
}

/**
 * Compose's integers are Go int64s: a larger number (YAML reads `1e32` as one) would wrap around
 * there and be refused by the engine at create time, so it is refused here.
 */
function int64(n: number, v: Node, path: Path, cx: Cx): number {
  const big = typeof v === "string" ? BigInt(v.trim()) : undefined;
  const outside = big !== undefined ? big < INT64_MIN || big > INT64_MAX : n >= 2 ** 63 || n < -(2 ** 63);
  if (outside) fail(cx, path, "a 64-bit integer", v);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

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
  if (typeof v === "number") return Number.isInteger(v) ? int64(v, v, path, cx) : undefined;
  if (typeof v !== "string") fail(cx, path, "a byte size", v);
  try {
    return parseBytes(v);
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
}
