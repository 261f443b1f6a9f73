/**
 * What dockerd's `daemon.json` says about registries, applied as moby's `registry` package applies
 * it (`config.go` LoadInsecureRegistries/ValidateMirror, `service_v2.go` lookupV2Endpoints):
 * - `insecure-registries`: host[:port] names (an `http://`/`https://` prefix is dropped) and CIDRs;
 *   127.0.0.0/8 is always insecure (berth adds ::1/128 and `localhost`). An insecure registry is
 *   tried over HTTPS without certificate checks, then over plain HTTP.
 * - `registry-mirrors`: for Docker Hub pulls only, each mirror in order, then Docker Hub itself.
 */
import { BlockList, isIP } from "node:net";
import { InvalidRequestError } from "../../errors.js";
import { parseJsonObject, readOptionalFile } from "./config-file.js";
import { HUB_API_HOST, HUB_DOMAIN } from "./reference.js";

export const DEFAULT_DAEMON_CONFIG = "/etc/docker/daemon.json";

export interface DaemonRegistryConfig {
  /** Mirror base URLs without a trailing slash, e.g. `https://mirror.example.com`. */
  readonly mirrors: readonly string[];
  /** Index names listed as insecure (`host` or `host:port`, matched exactly as moby does). */
  readonly insecureNames: readonly string[];
  /** CIDRs listed as insecure, plus the loopback ones. */
  readonly insecureCidrs: readonly string[];
}

const LOOPBACK_CIDRS = ["127.0.0.0/8", "::1/128"];

export const EMPTY_DAEMON_CONFIG: DaemonRegistryConfig = {
  mirrors: [],
  insecureNames: [],
  insecureCidrs: LOOPBACK_CIDRS,
};

export function parseDaemonConfig(text: string, file: string): DaemonRegistryConfig {
  const obj = parseJsonObject(text, file);
  const mirrors = stringList(obj["registry-mirrors"], "registry-mirrors", file).map((m) =>
    validateMirror(m, file),
  );
  const insecureNames: string[] = [];
  const insecureCidrs = [...LOOPBACK_CIDRS];
  for (let entry of stringList(obj["insecure-registries"], "insecure-registries", file)) {
    entry = entry.replace(/^https?:\/\//i, "");
    if (isCidr(entry)) insecureCidrs.push(entry);
    else insecureNames.push(entry.replace(/\/+$/, ""));
  }
  return { mirrors, insecureNames, insecureCidrs };
}

/** daemon.json's registry settings, or the defaults when the file does not exist. */
export async function readDaemonConfig(file: string): Promise<DaemonRegistryConfig> {
  const text = await readOptionalFile(file);
  return text === undefined ? EMPTY_DAEMON_CONFIG : parseDaemonConfig(text, file);
}

function stringList(value: unknown, key: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new InvalidRequestError(`${file}: "${key}" must be a list of strings`);
  }
  return value as string[];
}

/** moby's ValidateMirror: an http(s) URL with nothing after the host but an optional `/`. */
function validateMirror(text: string, file: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidRequestError(`${file}: invalid mirror: "${text}" is not a valid URI`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidRequestError(
      `${file}: invalid mirror: unsupported scheme "${url.protocol.slice(0, -1)}" in "${text}"`,
    );
  }
  if (
    (url.pathname !== "" && url.pathname !== "/") ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== ""
  ) {
    throw new InvalidRequestError(
      `${file}: invalid mirror: path, query, or fragment at end of the URI "${text}"`,
    );
  }
  return `${url.protocol}//${url.host}`;
}

function isCidr(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0) return false;
  const prefix = Number(text.slice(slash + 1));
  const family = isIP(text.slice(0, slash));
  return family !== 0 && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128);
}

/** `host:port` / `[v6]:port` / `host` → the host alone, without brackets. */
export function hostOf(domain: string): string {
  if (domain.startsWith("[")) return domain.slice(1, domain.indexOf("]"));
  const colon = domain.lastIndexOf(":");
  return colon >= 0 && domain.indexOf(":") === colon ? domain.slice(0, colon) : domain;
}

/** Resolves a host name to its addresses; failures mean "no address" (moby then treats it as secure). */
export type Lookup = (host: string) => Promise<readonly string[]>;

/**
 * Whether `domain` (the registry as named, `host[:port]`) is insecure: listed by name, `localhost`,
 * or an address (literal or resolved) inside an insecure CIDR.
 */
export async function isInsecure(
  domain: string,
  config: DaemonRegistryConfig,
  lookup: Lookup,
): Promise<boolean> {
  if (config.insecureNames.includes(domain)) return true;
  const host = hostOf(domain);
  if (host === "localhost") return true;
  const addresses = isIP(host) !== 0 ? [host] : await lookup(host);
  const list = new BlockList();
  for (const cidr of config.insecureCidrs) {
    const [net, prefix] = cidr.split("/") as [string, string];
    list.addSubnet(net, Number(prefix), isIP(net) === 6 ? "ipv6" : "ipv4");
  }
  return addresses.some((address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? "ipv6" : "ipv4");
  });
}

export interface Endpoint {
  /** `https://host[:port]` or `http://host[:port]`: requests go to `<url>/v2/...`. */
  readonly url: string;
  /** HTTPS without certificate verification (an insecure registry, or an insecure mirror). */
  readonly skipVerify: boolean;
  /** A pull-through mirror: any failure there falls back to the next endpoint. */
  readonly mirror: boolean;
  /** The registry as the user named it, for messages and credentials. */
  readonly registry: string;
}

/**
 * Where to send requests for a registry, in the order to try them (moby's lookupV2Endpoints).
 * Mirrors apply to Docker Hub pulls only; pushes never go to a mirror.
 */
export async function endpointsFor(
  domain: string,
  config: DaemonRegistryConfig,
  purpose: "pull" | "push",
  lookup: Lookup,
): Promise<Endpoint[]> {
  if (domain === HUB_DOMAIN) {
    const out: Endpoint[] = [];
    if (purpose === "pull") {
      for (const mirror of config.mirrors) {
        const mirrorHost = new URL(mirror).host;
        const skipVerify = mirror.startsWith("https:") && (await isInsecure(mirrorHost, config, lookup));
        out.push({ url: mirror, skipVerify, mirror: true, registry: mirrorHost });
      }
    }
    out.push({ url: `https://${HUB_API_HOST}`, skipVerify: false, mirror: false, registry: HUB_DOMAIN });
    return out;
  }
  const insecure = await isInsecure(domain, config, lookup);
  const secure: Endpoint = {
    url: `https://${domain}`,
    skipVerify: insecure,
    mirror: false,
    registry: domain,
  };
  return insecure
    ? [secure, { url: `http://${domain}`, skipVerify: false, mirror: false, registry: domain }]
    : [secure];
}
