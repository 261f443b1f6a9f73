/**
 * The value types of the model (`model.ts`), as compose-go's mapstructure hooks decode them: each a
 * `FieldType` that decodes a canonical value (list/map forms of labels, environment, extra_hosts …;
 * `command` split as shell words; durations, byte sizes, octal modes, cpus parsed; `omitempty`
 * fields dropped) and, for a value `config` prints in another form than the model keeps, says how.
 * `fields.ts` builds the model's structs from them.
 */
import { extensionKeys, sortDeep, sortedKeys, sortedRecord, sortYamlKeys } from "./key-order.js";
import type { DecodeContext } from "./decode-context.js";
import { shellSplit } from "./shellwords.js";
import { isMapping, isSequence, typeName, type Node, type Path } from "./tree.js";
import { goParseFloat, parseBytes, parseDuration } from "./units.js";

/**
 * How `config` prints a value the model keeps as a number or a structure (render.ts): a Go duration
 * (`1m30s`), a decimal byte count (`"536870912"`), an octal mode (`"0440"`), a sorted `host=ip`
 * list, `id` / `id: path` strings, an env_file entry as its path (or `{path, required: false}`).
 */
export type OutputFormat = "duration" | "bytes" | "filemode" | "hosts" | "ssh" | "env_file";

/** A type cast compose-go applies to a string right after interpolation (interpolate.ts). */
export type CastKind = "int" | "int64" | "float" | "float32" | "boolean";

/**
 * Decodes a value at `path`; `undefined` means "omitted" (Go's zero value under `omitempty`).
 * `path` is the decoding walk's own array (structs, lists and maps push a child's key while it is
 * decoded, rather than copying the path for every value): read it, or copy it to keep it.
 */
export type Decoder = (value: Node, path: PathStack, cx: DecodeContext) => unknown;
type PathStack = (string | number)[];

/** One field's type: how it decodes, and what the tables derived from the model need to know. */
export interface FieldType {
  readonly decode: Decoder;
  /** How `config` prints it, when not as the model keeps it. */
  readonly print?: OutputFormat;
  /** The cast after interpolation, where compose-go applies one (it is per field, not per type). */
  readonly cast?: CastKind;
  /** What lies below, by path segment: a struct's keys, `*` for a map's values, `[]` for a list's items. */
  readonly children?: Fields;
}

type Fields = Readonly<Record<string, FieldType>>;

/**
 * The fields of a struct that decodes into `T`: one for each key of `T` (its `x-*` extensions
 * aside), in the order `config` prints them (compose-go's struct field order).
 */
export type FieldsOf<T> = { readonly [K in Exclude<keyof T, `x-${string}`>]-?: FieldType };

/** `type` with the cast compose-go applies to it at this field. */
export function cast(type: FieldType, kind: CastKind): FieldType {
  return { ...type, cast: kind };
}

function leaf(decode: Decoder, print?: OutputFormat): FieldType {
  return print === undefined ? { decode } : { decode, print };
}

interface StructOptions {
  /** Keep `x-*` keys (structs with compose-go's `Extensions`). Default true. */
  readonly ext?: boolean;
  /** Omit when nothing is left (a non-pointer struct under `omitempty`). Default false. */
  readonly omitEmpty?: boolean;
}

/**
 * A struct: a mapping of known fields (decoded in the fields' order), plus its `x-*` keys. `T` is the
 * model's type for it: a key of `T` without a field here, or a field `T` lacks, does not compile.
 */
export function struct<T>(fields: FieldsOf<T>, options: StructOptions = {}): FieldType {
  const table: Fields = fields;
  const names = Object.keys(table);
  const types = names.map((key) => table[key] as FieldType);
  const rank = new Map(names.map((key, index) => [key, index]));
  const decode: Decoder = (value, path, cx) => {
    if (value === null) return undefined;
    if (!isMapping(value)) throw cx.error(path, `must be a mapping, not ${typeName(value)}`);
    // The fields present, in the struct's order: a service has ~100 fields but sets a dozen, so
    // look the mapping's keys up rather than every field in the mapping.
    const present: number[] = [];
    const extensions: string[] = [];
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const at = rank.get(key);
      if (at !== undefined) insertSorted(present, at);
      else if (key.startsWith("x-")) extensions.push(key);
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < present.length; i++) {
      const index = present[i] as number;
      const key = names[index] as string;
      path.push(key);
      const decoded = (types[index] as FieldType).decode(value[key] as Node, path, cx);
      path.pop();
      if (decoded !== undefined) out[key] = decoded;
    }
    if (options.ext !== false) {
      for (const key of sortYamlKeys(extensions)) out[key] = sortDeep(value[key] as Node);
    }
    if (options.omitEmpty && Object.keys(out).length === 0) return undefined;
    return out;
  };
  return { decode, children: table };
}

/** Insert into a short sorted list (a dozen fields: no call to `sort`, which allocates). */
function insertSorted(list: number[], value: number): void {
  let i = list.length;
  list.push(value);
  for (; i > 0 && (list[i - 1] as number) > value; i--) list[i] = list[i - 1] as number;
  list[i] = value;
}

/** A pointer field: present (even as `null` for a map value) rather than omitted. */
export function nullable(type: FieldType): FieldType {
  const decode = type.decode;
  return { ...type, decode: (value, path, cx) => (value === null ? null : decode(value, path, cx)) };
}

export function listOf(item: FieldType): FieldType {
  return { decode: listDecoder(item.decode), children: { "[]": item } };
}

export function mapOf(value: FieldType): FieldType {
  return { decode: mapDecoder(value.decode), children: { "*": value } };
}

function listDecoder(decode: Decoder): Decoder {
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

function mapDecoder(decode: Decoder): Decoder {
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

function fail(cx: DecodeContext, path: Path, expected: string, value: Node): never {
  throw cx.error(path, `must be ${expected}, not ${describe(value)}`);
}

// --- scalars --------------------------------------------------------------------------------------

export const str = leaf((v, path, cx) => {
  if (v === null) return undefined;
  const s = scalarOrFail(v, path, cx);
  return s === "" ? undefined : s;
});
/** A string without `omitempty`. */
export const strKeep = leaf((v, path, cx) => (v === null ? "" : scalarOrFail(v, path, cx)));

export const bool = leaf((v, path, cx) => (toBool(v, path, cx) ? true : undefined));
export const boolPtr = leaf((v, path, cx) => (v === null ? undefined : toBool(v, path, cx)));
/** A boolean without `omitempty`, `fallback` when null. */
export function boolKeep(fallback: boolean): FieldType {
  return leaf((v, path, cx) => (v === null ? fallback : toBool(v, path, cx)));
}

const decodeInt: Decoder = (v, path, cx) => {
  const n = intValue(v, path, cx);
  return n === 0 ? undefined : n;
};
export const int = leaf(decodeInt);
export const intKeep = leaf((v, path, cx) => intValue(v, path, cx) ?? 0);
export const intPtr = leaf((v, path, cx) => intValue(v, path, cx));

export const float = leaf((v, path, cx) => {
  const n = floatValue(v, path, cx);
  return n === 0 ? undefined : n;
});

export const duration = leaf((v, path, cx) => {
  const ns = durationValue(v, path, cx);
  return ns === 0 ? undefined : ns;
}, "duration");
export const durationPtr = leaf((v, path, cx) => durationValue(v, path, cx), "duration");

export const bytes = leaf((v, path, cx) => {
  const n = bytesValue(v, path, cx);
  return n === 0 ? undefined : n;
}, "bytes");
export const bytesKeep = leaf((v, path, cx) => bytesValue(v, path, cx) ?? 0, "bytes");

/** compose-go FileMode: a number as written (the YAML reader handles `0440`), a string as octal. */
export const fileMode = leaf((v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^[+-]?[0-7]+$/.test(v)) return parseInt(v, 8);
  fail(cx, path, "an octal file mode", v);
}, "filemode");

/** A tmpfs mount's mode: an integer, or a string with a leading 0 read as octal; printed as a number. */
export const tmpfsMode = leaf((v, path, cx) =>
  typeof v === "string" && /^0[0-7]+$/.test(v) ? parseInt(v, 8) : decodeInt(v, path, cx),
);

/** compose-go NanoCPUs (float32, omitempty): a number or a numeric string. */
export const cpus = leaf((v, path, cx) => {
  if (v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? goParseFloat(v) : undefined;
  if (n === undefined) fail(cx, path, "a number", v);
  return n === 0 ? undefined : n;
});

/** DeviceCount: a number, or `all` (-1). */
export const deviceCount = leaf((v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string" && v.toLowerCase() === "all") return -1;
  const n = toInteger(v);
  if (n === undefined)
    throw cx.error(
      path,
      `invalid value ${JSON.stringify(scalarText(v))}, the only value allowed is 'all' or a number`,
    );
  return n === 0 ? undefined : n;
});

// --- lists and maps of strings --------------------------------------------------------------------

const decodeStringSlice: Decoder = (v, path, cx) => {
  if (v === null) return undefined;
  if (!isSequence(v)) fail(cx, path, "a list", v);
  const out = v.map((item, i) => itemText(item, path, i, cx));
  return out.length === 0 ? undefined : out;
};
/** `[]string` (numbers written unquoted are read as their text). Omitted when empty. */
export const stringSlice = leaf(decodeStringSlice);
/** StringList / StringOrNumberList: a string or a list. Omitted when empty. */
export const stringList = leaf((v, path, cx) =>
  typeof v === "string" ? [v] : decodeStringSlice(v, path, cx),
);

/** Labels / Mapping / Options: `k=v` list or mapping; a missing value is the empty string. */
export const stringMap = leaf((v, path, cx) => keyValues(v, path, cx, ""));

/** MappingWithEquals (environment, build args): `KEY` alone, or a `null` value, stays `null`. */
export const mappingWithEquals = leaf((v, path, cx) => keyValues(v, path, cx, null));

/** A `k=v` list or a mapping as a sorted record; a key without a value gets `missing`. */
function keyValues<T extends string | null>(
  v: Node,
  path: Path,
  cx: DecodeContext,
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
export const multiOptions = leaf((v, path, cx) => {
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
});

/** ShellCommand: a string is split as shell words (go-shellwords); `[]` and `""` clear the image's. */
export const shellCommand = leaf((v, path, cx) => {
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
});

export const healthTest = leaf((v, path, cx) => {
  if (v === null) return undefined;
  if (typeof v === "string") return ["CMD-SHELL", v];
  if (!isSequence(v)) fail(cx, path, "a string or a list", v);
  const out = v.map((item, i) => itemText(item, path, i, cx));
  return out.length === 0 ? undefined : out;
});

/** HostsList: `host=ip` / `host:ip` entries (`ip` may be comma-separated) or a mapping. */
export const hostsList = leaf((v, path, cx) => {
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
}, "hosts");

/** UlimitsConfig: a single number, or soft/hard (missing ones are 0). */
export const ulimit: FieldType = {
  decode: (v, path, cx) => {
    if (isMapping(v)) {
      return {
        soft: v.soft === undefined ? 0 : (intValue(v.soft, [...path, "soft"], cx) ?? 0),
        hard: v.hard === undefined ? 0 : (intValue(v.hard, [...path, "hard"], cx) ?? 0),
      };
    }
    const single = intValue(v, path, cx) ?? 0;
    return single === 0 ? { soft: 0, hard: 0 } : single;
  },
  children: { soft: intKeep, hard: intKeep },
};

/** SSHConfig: the canonical `{id: path|null}` mapping → `[{id, path?}]`. */
export const sshConfig = leaf((v, path, cx) => {
  if (v === null) return undefined;
  if (!isMapping(v)) fail(cx, path, "a mapping", v);
  const out = sortedKeys(v).map((id) => {
    const p = v[id];
    return p === null || p === undefined || p === "" ? { id } : { id, path: itemText(p, path, id, cx) };
  });
  return out.length === 0 ? undefined : out;
}, "ssh");

/** `x-*` keys of a mapping, their values sorted as `config` prints them. */
export function extensionsOf(value: Record<string, Node>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of extensionKeys(value)) out[key] = sortDeep(value[key] as Node);
  return out;
}

// --- reading scalars ------------------------------------------------------------------------------

/** A scalar's text as Go's `fmt.Sprint` gives it (`true`, `8080`, `1.5`). */
export function scalarText(v: Node | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return describe(v);
}

function scalarOrFail(v: Node, path: Path, cx: DecodeContext): string {
  if (isMapping(v) || isSequence(v)) fail(cx, path, "a string", v);
  return scalarText(v);
}

/** `scalarOrFail` for the entry `key` of the list or mapping at `path` (its path is made only for an error). */
function itemText(v: Node, path: Path, key: string | number, cx: DecodeContext): string {
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

function intValue(v: Node, path: Path, cx: DecodeContext): number | undefined {
  if (v === null) return undefined;
  const n = toInteger(v);
  if (n === undefined) fail(cx, path, "an integer", v);
  return int64(n, v, path, cx);
}

/**
 * Compose's integers are Go int64s: a larger number (YAML reads `1e32` as one) would wrap around
 * there and be refused by the engine at create time, so it is refused here.
 */
function int64(n: number, v: Node, path: Path, cx: DecodeContext): number {
  const big = typeof v === "string" ? BigInt(v.trim()) : undefined;
  const outside = big !== undefined ? big < INT64_MIN || big > INT64_MAX : n >= 2 ** 63 || n < -(2 ** 63);
  if (outside) fail(cx, path, "a 64-bit integer", v);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function floatValue(v: Node, path: Path, cx: DecodeContext): number | undefined {
  if (v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? goParseFloat(v.trim()) : undefined;
  if (n === undefined) fail(cx, path, "a number", v);
  return n;
}

function toBool(v: Node, path: Path, cx: DecodeContext): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const lower = v.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  fail(cx, path, "a boolean", v);
}

function durationValue(v: Node, path: Path, cx: DecodeContext): number | undefined {
  if (v === null) return undefined;
  if (isMapping(v) || isSequence(v)) fail(cx, path, "a duration", v);
  try {
    return parseDuration(scalarText(v));
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
}

/** UnitBytes: an integer as is, a string through RAMInBytes (a fractional number is ignored, as in Compose). */
function bytesValue(v: Node, path: Path, cx: DecodeContext): number | undefined {
  if (v === null) return undefined;
  if (typeof v === "number") return Number.isInteger(v) ? int64(v, v, path, cx) : undefined;
  if (typeof v !== "string") fail(cx, path, "a byte size", v);
  try {
    return parseBytes(v);
  } catch (error) {
    throw cx.error(path, (error as Error).message);
  }
}
