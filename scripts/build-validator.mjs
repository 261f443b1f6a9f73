#!/usr/bin/env node
/**
 * Compiles schemas/compose-spec.json ahead of time into a standalone ESM validator
 * (src/project/schema/compose-validator.generated.js), so loading berth never compiles a schema.
 *
 * - `allErrors: true`: a valid file costs the same as with early exit, and an invalid one gets
 *   every error, from which src/project/validate.ts picks the most specific one, as Compose does.
 * - `$ref`s stay separate functions (`inlineRefs: false`): the module is about half the size it
 *   is with every reference inlined, and loads in about half the time.
 * - The custom formats (duration, bytes, ports, expose) are written below as self-contained
 *   functions; their source is copied into the generated module and exported as `formats`.
 * - `schemaJson`, the schema without its prose, is exported as a string: validate.ts parses it
 *   only when a file is invalid, to name allowed keys and the types a `oneOf` accepts.
 *
 * Usage: node scripts/build-validator.mjs [--check]   (--check: fail if the output is stale)
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv, { _ } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const schemaFile = join(root, "schemas", "compose-spec.json");
const outFile = join(root, "src", "project", "schema", "compose-validator.generated.js");

// ---------------------------------------------------------------------------------------------
// Formats and helpers. Each function must be self-contained: its source text is copied into the
// output, which imports nothing (node:net alone would add ~3 ms to loading berth's validator).

/** Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 (optionally ending in IPv4), no zone. */
function isIP(text) {
  const v4 = (s) => {
    const parts = s.split(".");
    return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  };
  if (v4(text)) return true;
  if (!text.includes(":")) return false;
  let groups = 8;
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (body.slice(lastColon + 1).includes(".")) {
    if (!v4(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + "0";
    groups = 7;
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const count = (half) => (half === "" ? [] : half.split(":"));
  const left = count(halves[0]);
  const right = halves.length === 2 ? count(halves[1]) : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < groups : all.length === groups;
}

/** Deep equality of JSON values, for `uniqueItems` over mappings and lists. */
function equal(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
}

/** Go's time.ParseDuration syntax (`1m30s`, `1.5h`, `500ms`, `100us`, `0`), negative values refused. */
function duration(value) {
  if (value === "0" || value === "+0") return true;
  return /^\+?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/.test(value);
}

/** docker/go-units RAMInBytes, which Compose uses for every byte size: `512m`, `1g`, `100kb`, `2 GiB`. */
function bytes(value) {
  let sep = -1;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 46 || c === 32) {
      sep = i;
      break;
    }
  }
  if (sep === -1) return false;
  const num = value[sep] === " " ? value.slice(0, sep) : value.slice(0, sep + 1);
  const suffix = value.slice(sep + 1).toLowerCase();
  // strconv.ParseFloat, decimal form: sign, digits (with `_` between them), fraction, exponent.
  // A literal, not `new RegExp(...)`: this runs for every byte size of a file.
  const float = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
  if (!float.test(num)) return false;
  if (Number(num.replaceAll("_", "")) < 0) return false;
  if (suffix === "") return true;
  if (suffix.length > 3) return false;
  if (suffix[0] === "b") return suffix.length === 1;
  if (!"kmgtp".includes(suffix[0])) return false;
  if (suffix.length === 2) return suffix[1] === "b";
  if (suffix.length === 3) return suffix.slice(1) === "ib";
  return true;
}

/**
 * Port short syntax, as docker/go-connections' ParsePortSpec reads it:
 * `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`, IPv6 host addresses in brackets.
 */
function ports(value) {
  const range = (text, min) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    if (!m) return undefined;
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (start < min || start > 65535 || end > 65535 || end < start) return undefined;
    return [start, end];
  };
  const parts = value.split(":");
  let last = parts[parts.length - 1];
  const slash = last.indexOf("/");
  if (slash !== -1) {
    const protocol = last.slice(slash + 1).toLowerCase();
    if (protocol !== "" && protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") return false;
    last = last.slice(0, slash);
  }
  const container = range(last, 1);
  if (!container) return false;
  if (parts.length === 1) return true;
  const hostText = parts[parts.length - 2];
  let ip = parts.slice(0, -2).join(":");
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) return false;
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIP(ip)) return false;
  if (hostText === "") return true;
  const host = range(hostText, 0);
  if (!host) return false;
  // Equal-length ranges, or a host range for a single container port (a pool to pick one from).
  return container[0] === container[1] || host[1] - host[0] === container[1] - container[0];
}

/** `expose` entries: `PORT[-END][/PROTOCOL]`. */
function expose(value) {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(value);
  if (!m) return false;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start >= 1 && end <= 65535 && end >= start;
}

const formats = { duration, bytes, ports, expose };

// ---------------------------------------------------------------------------------------------

/**
 * The schema with each inline property of `service` (but bare type checks) moved to a definition
 * of its own. With `inlineRefs: false`, ajv makes each of them a function apart; V8 compiles a
 * function when it is first called, so a file that uses a dozen of a service's ninety properties
 * compiles only their validators (the service validator was one 110 KB function, compiled whole
 * at the first service).
 * The rules do not change; errors inside a moved property name its schema path from the new
 * definition, which validate.ts reads only relative to the `oneOf` that holds them.
 */
function withServicePropertiesApart(schema) {
  const copy = JSON.parse(JSON.stringify(schema));
  const properties = copy.definitions.service.properties;
  for (const [name, property] of Object.entries(properties)) {
    // A bare type check (`{"type": "string"}`) stays inline: a function apart would cost more.
    if (property.$ref !== undefined || JSON.stringify(property).length < 40) continue;
    const definition = `service_${name}`;
    if (copy.definitions[definition]) throw new Error(`definition ${definition} already exists`);
    copy.definitions[definition] = property;
    properties[name] = { $ref: `#/definitions/${definition}` };
  }
  return copy;
}

/** The schema without prose: what validate.ts needs to explain an error. */
function stripProse(node) {
  if (Array.isArray(node)) return node.map(stripProse);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (["description", "title", "$schema", "$id", "deprecated"].includes(key)) continue;
    // Inside `properties` / `patternProperties` every key is a name, not a keyword.
    out[key] =
      key === "properties" || key === "patternProperties"
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripProse(sub)]))
        : stripProse(value);
  }
  return out;
}

function selfTest() {
  const cases = [
    [
      duration,
      ["1m30s", "10s", "1.5h", "500ms", "100us", "0", "1h2m3s4ms5us6ns", ".5s", "1.s"],
      ["10", "1d", "5 s", "-1s", "", "s", "1S"],
    ],
    [
      bytes,
      ["512m", "1g", "100kb", "2 GiB", "0", "1.5g", "1e3m", "10b"],
      ["12x", "-5m", "", "m", "1.2.3m", "5bb", "5mi", "5kbit"],
    ],
    [
      ports,
      [
        "80",
        "80:80",
        "[::1]:80:80",
        "127.0.0.1:8000-8001:80-81/udp",
        "9000",
        "127.0.0.1::80",
        "8000-8010:80",
        "53/UDP",
      ],
      [
        "70000:80",
        "8080-8079:80",
        "80-90:80-85",
        "abc:80",
        "80/xyz",
        "80:80:80",
        "0",
        "",
        "1.2.3.4.5:80:80",
        "[::1:80:80",
      ],
    ],
    [expose, ["3000", "8000-8010", "53/udp"], ["0", "70000", "3000/xyz", "a", "10-5"]],
    [
      isIP,
      [
        "127.0.0.1",
        "0.0.0.0",
        "::",
        "::1",
        "fe80::1",
        "2001:db8::8:800:200c:417a",
        "::ffff:10.0.0.1",
        "1:2:3:4:5:6:7:8",
      ],
      [
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        ":::1",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "fe80::1%eth0",
        "g::1",
        "1:2:3:4:5:6:7::8",
      ],
    ],
  ];
  for (const [fn, good, bad] of cases) {
    for (const value of good)
      if (!fn(value)) throw new Error(`format ${fn.name}: "${value}" should be valid`);
    for (const value of bad)
      if (fn(value)) throw new Error(`format ${fn.name}: "${value}" should be invalid`);
  }
}

function generate() {
  selfTest();
  const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    inlineRefs: false,
    messages: false,
    formats,
    code: { source: true, esm: true, lines: false, optimize: true, formats: _`formats` },
  });
  const validate = ajv.compile(withServicePropertiesApart(schema));
  let code = standaloneCode(ajv, validate);
  // Runtime helpers ajv would require() (deep equality for uniqueItems): use the local one.
  code = code.replace(/require\("ajv\/dist\/runtime\/equal"\)\.default/g, "equal");
  if (/\brequire\(/.test(code)) throw new Error("generated validator still uses require()");
  const helperSource = [isIP, equal, ...Object.values(formats)].map((fn) => fn.toString()).join("\n");
  const header = [
    "// GENERATED by scripts/build-validator.mjs from schemas/compose-spec.json. Do not edit.",
    "/* eslint-disable */",
  ].join("\n");
  return [
    header,
    helperSource,
    "const formats = { duration, bytes, ports, expose };",
    "export { formats };",
    code.replace(/^"use strict";\n?/, ""),
    `export const schemaJson = ${JSON.stringify(JSON.stringify(stripProse(schema)))};`,
    "",
  ].join("\n");
}

const output = generate();
if (process.argv.includes("--check")) {
  const current = existsSync(outFile) ? readFileSync(outFile, "utf8") : "";
  if (current !== output) {
    console.error(`${outFile} is stale: run node scripts/build-validator.mjs`);
    process.exit(1);
  }
} else {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, output);
}
