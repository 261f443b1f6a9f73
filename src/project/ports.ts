/** Short port syntax (`"127.0.0.1:8080:80/tcp"`), as docker/go-connections' `nat` package reads it. */
import { createRequire } from "node:module";
import type * as Net from "node:net";
import { compareBytes } from "./key-order.js";

/** node:net is loaded on first use: only an IPv6 host address needs it, and loading it costs ~1.5 ms. */
let net: typeof Net | undefined;
function isIPv6(ip: string): boolean {
  net ??= createRequire(import.meta.url)("node:net") as typeof Net;
  return net.isIPv6(ip);
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
export function parsePortSpec(spec: string): readonly ParsedPort[] {
  return PARSED.get(spec) ?? remember(spec, parse(spec));
}

/**
 * Specs read before, by text: merge's unicity, normalize and the consistency check each read every
 * short port of a project (500 services: 1,500 reads of 500 specs). Bounded for a long-lived process.
 */
const PARSED = new Map<string, readonly ParsedPort[]>();
const MAX_PARSED = 10_000;

function remember(spec: string, ports: readonly ParsedPort[]): readonly ParsedPort[] {
  if (PARSED.size >= MAX_PARSED) PARSED.clear();
  PARSED.set(spec, ports);
  return ports;
}

function parse(spec: string): readonly ParsedPort[] {
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
  return Object.freeze([...byKey.keys()].sort(compareBytes).map((key) => byKey.get(key) as ParsedPort));
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
