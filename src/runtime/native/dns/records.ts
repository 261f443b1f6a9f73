/**
 * The embedded DNS server's inputs, as files under BERTH_RUN_ROOT (they live as long as the
 * containers and bridges do):
 * - `<run>/dns/containers/<container id>.json`: one `DnsContainerRecord` per container on a
 *   network, written by the command that connects it and removed with it. One file per container,
 *   so two commands changing different containers never rewrite each other's entries and no lock
 *   is needed: each file is replaced whole (temporary file + rename) or unlinked.
 * - `<run>/dns/networks/<network>.json`: one `DnsListenAddress` per network that wants DNS (the
 *   server listens on its gateway); written by ensureDnsServer, removed by releaseDnsNetwork.
 * The server re-reads both directories when they change (fs.watch, plus polling of their mtimes).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { NativePaths } from "../paths.js";
import type { HeldPort } from "./port-holder.js";

export const DNS_RECORD_VERSION = 1;

/** A container's endpoint on one network. */
export interface DnsEndpoint {
  readonly ipv4: string;
  readonly ipv6?: string | undefined;
  /** Network-scoped aliases (Compose puts the service name here too). */
  readonly aliases?: readonly string[] | undefined;
  /** `links:` as the endpoint holds them, `<container name>:<alias>`: only this container sees them. */
  readonly links?: readonly string[] | undefined;
}

export interface DnsContainerRecord {
  readonly version: typeof DNS_RECORD_VERSION;
  /** The container's ID (64 hex); its first 12 characters resolve too, as on Docker. */
  readonly id: string;
  /** The container's name (no leading slash). */
  readonly name: string;
  readonly hostname?: string | undefined;
  /** The Compose service (`com.docker.compose.service`), resolvable like an alias. */
  readonly service?: string | undefined;
  /** By network name (as the listen files name them), in the container's priority order. */
  readonly networks: Readonly<Record<string, DnsEndpoint>>;
  /** Search domains of the container's resolv.conf: `name.<domain>` is looked up as `name`. */
  readonly searchDomains?: readonly string[] | undefined;
  /**
   * Where this container's other names go (its `dns:` servers, see containerResolvConf); absent:
   * the host's resolvers.
   */
  readonly upstreams?: readonly string[] | undefined;
  /** Host ports published for this container, which the server holds (./port-holder.ts). */
  readonly ports?: readonly HeldPort[] | undefined;
  /**
   * Not running (created, exited, stopped): its names are not answered, as Docker's DNS leaves a
   * container out from its stop to its next start; its addresses stay its own (its published ports
   * go at its stop: setDnsPorts).
   */
  readonly stopped?: boolean | undefined;
}

/** An address the server listens on (UDP and TCP) for the containers of one network. */
export interface DnsListenAddress {
  readonly network: string;
  /** The bridge gateway, e.g. 172.20.0.1. */
  readonly address: string;
  /** 53 unless given (tests may use another). */
  readonly port?: number | undefined;
}

export interface DnsFiles {
  readonly dir: string;
  readonly containers: string;
  readonly networks: string;
  readonly pidFile: string;
  /** What the server listens on now (`DnsServerStatus`), rewritten after each change. */
  readonly statusFile: string;
  readonly logFile: string;
}

export function dnsFiles(paths: NativePaths): DnsFiles {
  const dir = path.join(paths.run, "dns");
  return {
    dir,
    containers: path.join(dir, "containers"),
    networks: path.join(dir, "networks"),
    pidFile: path.join(dir, "server.pid"),
    statusFile: path.join(dir, "server.status.json"),
    logFile: path.join(dir, "server.log"),
  };
}

/** A file name for a key that cannot leave its directory (IDs and network names normally are safe). */
function fileName(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(key) || key.length > 200) {
    throw new Error(`invalid DNS record key ${JSON.stringify(key)}`);
  }
  return `${key}.json`;
}

/** Writes `value` to `file` whole: readers see the old content or the new, never a part. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  // A leading dot: readers skip temporaries.
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}`,
  );
  try {
    writeFileSync(temporary, `${JSON.stringify(value)}\n`, { mode: 0o644 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function readJsonDir(dir: string): unknown[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".") || !name.endsWith(".json")) continue;
    try {
      out.push(JSON.parse(readFileSync(path.join(dir, name), "utf8")));
    } catch {
      // Removed meanwhile, or not ours: skipped.
    }
  }
  return out;
}

const isString = (value: unknown): value is string => typeof value === "string";
const stringList = (value: unknown): readonly string[] | undefined =>
  Array.isArray(value) && value.every(isString) ? value : undefined;

/** A record read back, or undefined when the value is not one (an unknown version included). */
export function parseDnsRecord(value: unknown): DnsContainerRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v["version"] !== DNS_RECORD_VERSION || !isString(v["id"]) || !isString(v["name"])) return undefined;
  const rawNetworks = v["networks"];
  if (typeof rawNetworks !== "object" || rawNetworks === null) return undefined;
  const networks: Record<string, DnsEndpoint> = {};
  for (const [network, raw] of Object.entries(rawNetworks as Record<string, unknown>)) {
    if (typeof raw !== "object" || raw === null) continue;
    const e = raw as Record<string, unknown>;
    if (!isString(e["ipv4"])) continue;
    networks[network] = {
      ipv4: e["ipv4"],
      ipv6: isString(e["ipv6"]) ? e["ipv6"] : undefined,
      aliases: stringList(e["aliases"]),
      links: stringList(e["links"]),
    };
  }
  return {
    version: DNS_RECORD_VERSION,
    id: v["id"],
    name: v["name"],
    hostname: isString(v["hostname"]) ? v["hostname"] : undefined,
    service: isString(v["service"]) ? v["service"] : undefined,
    networks,
    searchDomains: stringList(v["searchDomains"]),
    upstreams: stringList(v["upstreams"]),
    ports: heldPorts(v["ports"]),
    stopped: v["stopped"] === true ? true : undefined,
  };
}

function heldPorts(value: unknown): HeldPort[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((raw: unknown) => {
    if (typeof raw !== "object" || raw === null) return [];
    const p = raw as Record<string, unknown>;
    const port = p["hostPort"];
    if ((p["protocol"] !== "tcp" && p["protocol"] !== "udp") || !isString(p["hostIp"])) return [];
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return [];
    return [{ protocol: p["protocol"], hostIp: p["hostIp"], hostPort: port }];
  });
}

export function parseListenAddress(value: unknown): DnsListenAddress | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!isString(v["network"]) || !isString(v["address"])) return undefined;
  const port = v["port"];
  return {
    network: v["network"],
    address: v["address"],
    port: typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined,
  };
}

/** Puts (or replaces) the container's names and addresses; the server sees them within a second. */
export function writeDnsRecords(paths: NativePaths, record: Omit<DnsContainerRecord, "version">): void {
  writeJsonAtomic(path.join(dnsFiles(paths).containers, fileName(record.id)), {
    ...record,
    version: DNS_RECORD_VERSION,
  });
}

/**
 * Rewrites the container's record with `change` (nothing when it has none, or when `change` gives
 * undefined: nothing to change).
 */
function changeDnsRecord(
  paths: NativePaths,
  id: string,
  change: (record: DnsContainerRecord) => object | undefined,
): void {
  const file = path.join(dnsFiles(paths).containers, fileName(id));
  let record: DnsContainerRecord | undefined;
  try {
    record = parseDnsRecord(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return;
  }
  const next = record === undefined ? undefined : change(record);
  if (next !== undefined) writeJsonAtomic(file, next);
}

/**
 * Marks the container's record running or not (nothing when it has none): its names are answered
 * from its start to its exit. Rewritten only when it changes.
 */
export function markDnsRunning(paths: NativePaths, id: string, running: boolean): void {
  changeDnsRecord(paths, id, (record) => {
    if ((record.stopped !== true) === running) return undefined;
    const { stopped: _stopped, ...rest } = record;
    return running ? rest : { ...rest, stopped: true };
  });
}

/**
 * Sets the host ports the server holds for the container (nothing when it has no record): those it
 * publishes at its start, none from its stop. Rewritten only when they change.
 */
export function setDnsPorts(paths: NativePaths, id: string, ports: readonly HeldPort[]): void {
  const held = ports.map((p) => ({ protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort }));
  changeDnsRecord(paths, id, (record) => {
    if (JSON.stringify(record.ports ?? []) === JSON.stringify(held)) return undefined;
    const { ports: _ports, ...rest } = record;
    return held.length > 0 ? { ...rest, ports: held } : rest;
  });
}

/** Takes the container's names away (nothing when it had none). */
export function removeDnsRecords(paths: NativePaths, id: string): void {
  rmSync(path.join(dnsFiles(paths).containers, fileName(id)), { force: true });
}

/**
 * Removes the records of containers that no longer exist (a command killed between removing a
 * container and its record leaves one): the sweep of the next command, given the live IDs.
 * Returns the IDs removed.
 */
export function pruneDnsRecords(paths: NativePaths, liveIds: ReadonlySet<string>): string[] {
  const gone = readDnsRecords(paths)
    .map((r) => r.id)
    .filter((id) => !liveIds.has(id));
  for (const id of gone) removeDnsRecords(paths, id);
  return gone;
}

/** Every container record, in file-name order (malformed or foreign files skipped). */
export function readDnsRecords(paths: NativePaths): DnsContainerRecord[] {
  return readJsonDir(dnsFiles(paths).containers)
    .map(parseDnsRecord)
    .filter((r): r is DnsContainerRecord => r !== undefined);
}

export function writeDnsNetwork(paths: NativePaths, listen: DnsListenAddress): void {
  writeJsonAtomic(path.join(dnsFiles(paths).networks, fileName(listen.network)), listen);
}

/** The network no longer wants DNS: the server closes its address, and exits when none is left. */
export function releaseDnsNetwork(paths: NativePaths, network: string): void {
  rmSync(path.join(dnsFiles(paths).networks, fileName(network)), { force: true });
}

export function readDnsNetworks(paths: NativePaths): DnsListenAddress[] {
  return readJsonDir(dnsFiles(paths).networks)
    .map(parseListenAddress)
    .filter((r): r is DnsListenAddress => r !== undefined);
}
