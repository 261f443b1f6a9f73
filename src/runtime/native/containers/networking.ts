/**
 * A container's networking, made at create and undone at remove (a restart keeps its namespace and
 * addresses): its network namespace and veths from the network layer (../network), its names in
 * the embedded DNS (../dns), and the /etc/hosts and /etc/resolv.conf Docker writes for it. Its
 * published ports are bound at each start and freed at its stop, as Docker's are: a stopped
 * container holds no host port, and a port taken meanwhile fails its next start.
 *
 * Network modes, as Docker gives them:
 * - `host`: the host's stack, hosts and resolv.conf; nothing made.
 * - `none`: a namespace of its own with loopback only (runc makes it), no network to join later.
 * - `container:<x>`: x's namespace (and its hosts and resolv.conf).
 * - otherwise (a network name, `bridge`, `default` or none given): a namespace from the layer with a
 *   veth per network of `spec.networks` in priority order (the named mode's network first when
 *   `networks` leaves it out). With no network (a container made without one, as the runtime
 *   conformance suite's are) it has loopback only, and `networks.connect` adds them later.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { canBind } from "../../../host/ports.js";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { ContainerSpec, EndpointSpec } from "../../runtime.js";
import {
  awaitDnsReleased,
  containerResolvConf,
  ensureDnsIfNeeded,
  pruneDnsRecords,
  readDnsNetworks,
  readDnsRecords,
  releaseDnsNetwork,
  removeDnsRecords,
  setDnsPorts,
  writeDnsRecords,
  type DnsEndpoint,
} from "../dns/index.js";
import { appendEvent } from "../events.js";
import { type ContainerNetworking, type PortRecord, portRequest } from "../network/index.js";
import type { NativePaths } from "../paths.js";
import { hostsFile, resolvFile } from "./bundle-files.js";
import type { ContainerContext } from "./context.js";
import { notFound } from "./context.js";
import { type ContainerRecord, readRecord } from "./records.js";

/** What the bundle gets of a container's networking. */
export interface BundleNetworking {
  /** The namespace runc joins; undefined: runc makes one (`none`), or none at all (`host`). */
  readonly netnsPath: string | undefined;
  readonly hosts: string;
  readonly resolv: string;
  /** Its hostname, when the mode dictates it (`container:x` takes x's). */
  readonly hostname?: string | undefined;
}

/** A network's event as Docker logs it: its id, its name and driver (no labels). */
export function networkEvent(
  paths: NativePaths,
  network: { readonly id: string; readonly name: string },
  action: "create" | "destroy" | "connect" | "disconnect",
  container?: string,
): void {
  appendEvent(paths, {
    type: "network",
    id: network.id,
    attributes: { ...(container === undefined ? {} : { container }), name: network.name, type: "bridge" },
    time: new Date(),
    action,
  });
}

/** Modes Docker names for its default bridge network: natively, a namespace joined to no network yet. */
const DEFAULT_MODES = new Set(["", "bridge", "default"]);

function hostText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Whether the container gets a namespace from the network layer (one it can join networks in later). */
export function layerManaged(spec: ContainerSpec): boolean {
  const mode = spec.networkMode ?? "";
  return mode !== "host" && mode !== "none" && !mode.startsWith("container:");
}

/** The networks to join at create, in priority order: `networks`, led by the mode's own if left out. */
export function networksToJoin(spec: ContainerSpec): Record<string, EndpointSpec> {
  const mode = spec.networkMode ?? "";
  const networks: Record<string, EndpointSpec> = {};
  if (!DEFAULT_MODES.has(mode) && spec.networks?.[mode] === undefined) networks[mode] = {};
  for (const [name, endpoint] of Object.entries(spec.networks ?? {})) networks[name] = endpoint;
  return networks;
}

/**
 * /etc/hosts on a network, as libnetwork writes it: the defaults, `extra_hosts`, then the
 * container's first address with its hostname (and its FQDN first when it has a domain name).
 */
export function networkHostsFile(
  spec: ContainerSpec,
  hostname: string,
  address: string,
  gateway: string,
): string {
  const base = hostsFile({ ...spec, networkMode: "none", extraHosts: undefined }, hostname);
  const extra = (spec.extraHosts ?? []).flatMap((entry) => {
    const sep = entry.includes("=") ? entry.indexOf("=") : entry.indexOf(":");
    if (sep <= 0) return [];
    // `host-gateway` is the host as the container reaches it: its network's gateway here.
    const ip = entry.slice(sep + 1) === "host-gateway" ? gateway : entry.slice(sep + 1);
    return [`${ip}\t${entry.slice(0, sep)}\n`];
  });
  const fqdn = spec.domainname ? `${hostname}.${spec.domainname} ${hostname}` : hostname;
  return `${base}${extra.join("")}${address}\t${fqdn}\n`;
}

/** The DNS record of a container on the networks it has joined (undefined when it has none). */
function dnsEndpoints(
  record: ContainerRecord,
  networking: ContainerNetworking,
): Record<string, DnsEndpoint> | undefined {
  if (networking.endpoints.length === 0) return undefined;
  const networks: Record<string, DnsEndpoint> = {};
  for (const endpoint of networking.endpoints) {
    const asked = record.spec.networks?.[endpoint.network];
    networks[endpoint.network] = {
      ipv4: endpoint.address,
      aliases: endpoint.aliases,
      // `links:` (compose gives `<container>:<alias>`) and the endpoint's own, on every network it joins.
      links: [...(record.spec.links ?? []), ...(asked?.links ?? [])],
    };
  }
  return networks;
}

/** The container's resolv.conf on its networks, and what its DNS record takes of it. */
function resolvOn(spec: ContainerSpec, gateway: string) {
  return containerResolvConf({
    nameserver: gateway,
    hostResolvConf: hostText("/etc/resolv.conf") ?? "",
    dns: spec.dns,
    dnsSearch: spec.dnsSearch,
    dnsOptions: spec.dnsOptions,
  });
}

/** Puts (or replaces) the container's names in the embedded DNS, or takes them away when it has no network. */
export function writeDnsOf(
  ctx: ContainerContext,
  record: ContainerRecord,
  networking: ContainerNetworking,
): void {
  const networks = dnsEndpoints(record, networking);
  const first = networking.endpoints[0];
  if (networks === undefined || first === undefined) {
    removeDnsRecords(ctx.paths, record.id);
    return;
  }
  const resolv = resolvOn(record.spec, first.gateway);
  writeDnsRecords(ctx.paths, {
    id: record.id,
    name: record.name,
    hostname: record.hostname,
    networks,
    searchDomains: resolv.searchDomains,
    upstreams: resolv.upstreams,
    // Held by the DNS server, so no other program takes them while DNAT sends them here.
    ports: networking.ports.map((p) => ({ protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort })),
    // Answered from its start to its exit (markDnsRunning), as Docker's DNS does.
    ...(record.run === undefined ? { stopped: true } : {}),
  });
}

/** After a rename: the container answers to its new name (its DNS record rewritten). */
export async function renameInDns(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const networking = await ctx.deps.networks?.containerNetworking(record.id);
  if (networking && networking.endpoints.length > 0) writeDnsOf(ctx, record, networking);
}

/**
 * Rewrites the bundle's resolv.conf in place (the container has it bind-mounted: a rename would
 * leave it the old file), for a container that joins its first network after it was made.
 */
export function rewriteResolv(ctx: ContainerContext, record: ContainerRecord, gateway: string): void {
  writeFileSync(ctx.layoutOf(record.id).resolv, resolvOn(record.spec, gateway).text);
}

/** `container:<x>`: x's namespace, hosts, resolv.conf and hostname. */
async function joinContainer(
  ctx: ContainerContext,
  record: ContainerRecord,
  target: string,
): Promise<BundleNetworking> {
  const other = ctx.find(target);
  if (!other) throw notFound(target);
  if (other.id === record.id)
    throw new InvalidRequestError("cannot join own network namespace", { status: 400 });
  const theirs = ctx.layoutOf(other.id);
  const hosts = hostText(theirs.hosts) ?? hostsFile(record.spec, other.hostname);
  const resolv = hostText(theirs.resolv) ?? resolvFile(record.spec, hostText("/etc/resolv.conf") ?? "");
  if (other.spec.networkMode === "host")
    return { netnsPath: undefined, hosts, resolv, hostname: other.hostname };
  const layered = await ctx.deps.networks?.containerNetworking(other.id);
  let netnsPath = layered?.netnsPath;
  if (netnsPath === undefined) {
    // x made its own (`none`): its running init's namespace, as Docker joins x's.
    const pid = other.run?.pid;
    if (pid === undefined)
      throw new ConflictError(`cannot join network of a non running container: ${other.id}`, { status: 409 });
    netnsPath = `/proc/${pid}/ns/net`;
  }
  return { netnsPath, hosts, resolv, hostname: other.hostname };
}

/**
 * Makes the container's networking (before its bundle is written): namespace, veths, addresses,
 * published ports and DNS names. Undone by teardownNetworking, which a failed create runs.
 */
export async function setupNetworking(
  ctx: ContainerContext,
  record: ContainerRecord,
): Promise<BundleNetworking> {
  const { spec } = record;
  const mode = spec.networkMode ?? "";
  const hostHosts = hostText("/etc/hosts");
  const hostResolv = hostText("/etc/resolv.conf") ?? "";
  if (mode.startsWith("container:")) return joinContainer(ctx, record, mode.slice("container:".length));
  const layer = ctx.deps.networks;
  if (!layerManaged(spec) || layer === undefined) {
    const named = Object.keys(networksToJoin(spec));
    if (layerManaged(spec) && named.length > 0)
      throw new InvalidRequestError(`container ${record.name}: network ${named[0]} needs the network layer`);
    return {
      netnsPath: undefined,
      hosts: hostsFile(spec, record.hostname, hostHosts),
      resolv: resolvFile(spec, hostResolv),
    };
  }
  // Checked now, as Docker refuses a bad port at create; bound at the start (publishPorts).
  for (const binding of spec.ports ?? []) portRequest(binding);
  const networking = await layer.setupContainer({ id: record.id, networks: networksToJoin(spec) });
  const first = networking.endpoints[0];
  if (first === undefined) {
    return {
      netnsPath: networking.netnsPath,
      hosts: hostsFile(spec, record.hostname, hostHosts),
      resolv: resolvFile(spec, hostResolv),
    };
  }
  writeDnsOf(ctx, record, networking);
  for (const e of networking.endpoints)
    networkEvent(ctx.paths, { id: e.networkId, name: e.network }, "connect", record.id);
  return {
    netnsPath: networking.netnsPath,
    hosts: networkHostsFile(spec, record.hostname, first.address, first.gateway),
    resolv: resolvOn(spec, first.gateway).text,
  };
}

/** Undoes setupNetworking (idempotent): DNS names first, then namespace, veths, addresses, ports. */
export async function teardownNetworking(ctx: ContainerContext, id: string): Promise<void> {
  removeDnsRecords(ctx.paths, id);
  const networking = await ctx.deps.networks?.containerNetworking(id);
  await ctx.deps.networks?.teardownContainer(id);
  for (const e of networking?.endpoints ?? [])
    networkEvent(ctx.paths, { id: e.networkId, name: e.network }, "disconnect", id);
  await portsReleased(networking?.ports ?? []);
}

/**
 * At a start, before its process runs: binds the ports the container publishes (the ones it had
 * from its last run are let go first). Nothing for a container with no layer networking or whose
 * namespace is another's (`container:x` publishes nothing of its own).
 */
export async function publishPorts(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const layer = ctx.deps.networks;
  const wanted = record.spec.ports ?? [];
  // No state read for the many containers that publish nothing.
  if (layer === undefined || wanted.length === 0 || !layerManaged(record.spec)) return;
  let ports: readonly PortRecord[];
  try {
    ports = await layer.publishPorts(record.id, wanted);
  } catch (error) {
    // No networking of its own (made without a network): nothing to publish through.
    if (error instanceof NotFoundError) return;
    throw error;
  }
  setDnsPorts(ctx.paths, record.id, ports);
}

/**
 * At a stop (the run's end collected) or a failed start: frees the container's host ports, and
 * returns once the DNS server let go of them, so a port is bindable when the stop returns.
 */
export async function unpublishPorts(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const layer = ctx.deps.networks;
  if (layer === undefined || (record.spec.ports ?? []).length === 0) return;
  const freed = await layer.unpublishPorts(record.id);
  if (freed.length === 0) return;
  setDnsPorts(ctx.paths, record.id, []);
  await portsReleased(freed);
}

/** How long a removal waits for the DNS server to let go of the container's host ports. */
const RELEASE_WAIT_MS = 2_000;

/**
 * Waits (bounded) until the DNS server has released `ports` (it sees the record gone within
 * milliseconds), so a removal returns with its ports free, as Docker's does: an `up` right after
 * `down` finds them bindable.
 */
async function portsReleased(ports: readonly PortRecord[]): Promise<void> {
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (const port of ports) {
    for (let i = 0; i < 200 && Date.now() < deadline; i++) {
      if (await canBind(port.protocol, port.hostIp, port.hostPort)) break;
      await sleep(10);
    }
  }
}

/**
 * At a command's start: what a crash left of containers that no longer exist (namespaces, veths,
 * rules, addresses, DNS names), networks half made or half removed, listen addresses of networks
 * gone, and a DNS server killed while networks still want it.
 */
export async function sweepNetworking(ctx: ContainerContext): Promise<void> {
  const layer = ctx.deps.networks;
  if (layer === undefined) return;
  // A container's directory is made before its networking and removed after it: asked at the
  // moment of deciding, it tells a container gone from one being made right now (by any command).
  const live = (id: string): boolean => existsSync(ctx.layoutOf(id).dir);
  await layer.sweep(live);
  const records = readDnsRecords(ctx.paths);
  pruneDnsRecords(ctx.paths, new Set(records.map((r) => r.id).filter(live)));
  const networks = new Set((await layer.listNetworks()).map((n) => n.name));
  for (const listen of readDnsNetworks(ctx.paths)) {
    if (networks.has(listen.network)) continue;
    releaseDnsNetwork(ctx.paths, listen.network);
    await awaitDnsReleased(ctx.paths, listen.network);
  }
  await ensureDnsIfNeeded(ctx.paths);
}

/** Why a container in `spec`'s network mode cannot join or leave networks, if it cannot (Docker's words). */
function modeRefusal(spec: ContainerSpec): string | undefined {
  const mode = spec.networkMode ?? "";
  if (mode === "host")
    return "container cannot be disconnected from host network or connected to host network";
  if (mode === "none")
    return "container cannot be connected to multiple networks with one of the networks in private (none) mode";
  if (mode.startsWith("container:"))
    return "container sharing network namespace with another container or host cannot be connected to any other network";
  return undefined;
}

function layerOf(ctx: ContainerContext) {
  const layer = ctx.deps.networks;
  if (layer === undefined) throw new InvalidRequestError("networks are not available here");
  return layer;
}

/**
 * What connect and disconnect share: the network must exist, the container be one a network can be
 * changed on (Docker's refusal for host/none/container: modes), and the change made under its lock.
 */
async function changeNetworks(
  ctx: ContainerContext,
  network: string,
  nameOrId: string,
  change: (layer: ContainerNetworkLayer, record: ContainerRecord) => Promise<void>,
): Promise<void> {
  const layer = layerOf(ctx);
  if ((await layer.inspectNetwork(network)) === undefined)
    throw new NotFoundError(`network ${network} not found`, { status: 404 });
  const found = ctx.mustFind(nameOrId);
  const refusal = modeRefusal(found.spec);
  if (refusal !== undefined) throw new ConflictError(refusal, { status: 403 });
  await ctx.locked(found.id, async () => {
    const record = readRecord(ctx.paths, found.id);
    if (!record || record.state !== "created") throw notFound(nameOrId);
    await change(layer, record);
  });
}

/** The network layer as the lifecycle is given it (deps). */
type ContainerNetworkLayer = NonNullable<ContainerContext["deps"]["networks"]>;

/** Runtime.networks.connect: one more endpoint, its DNS names, and a resolv.conf for a first network. */
export async function connectNetwork(
  ctx: ContainerContext,
  network: string,
  nameOrId: string,
  endpoint: EndpointSpec = {},
): Promise<void> {
  await changeNetworks(ctx, network, nameOrId, async (layer, record) => {
    const before = await layer.containerNetworking(record.id);
    const networking = await layer.connectContainer(record.id, network, endpoint);
    const first = networking.endpoints[0];
    if ((before?.endpoints.length ?? 0) === 0 && first !== undefined)
      rewriteResolv(ctx, record, first.gateway);
    const asked = { ...record.spec.networks, [network]: endpoint };
    writeDnsOf(ctx, { ...record, spec: { ...record.spec, networks: asked } }, networking);
    const joined = networking.endpoints.find((e) => e.network === network);
    if (joined) networkEvent(ctx.paths, { id: joined.networkId, name: network }, "connect", record.id);
  });
}

/** Runtime.networks.disconnect: the endpoint goes, and its DNS names on that network with it. */
export async function disconnectNetwork(
  ctx: ContainerContext,
  network: string,
  nameOrId: string,
): Promise<void> {
  await changeNetworks(ctx, network, nameOrId, async (layer, record) => {
    const before = await layer.containerNetworking(record.id);
    await layer.disconnectContainer(record.id, network);
    const left = before?.endpoints.find((e) => e.network === network);
    if (left) networkEvent(ctx.paths, { id: left.networkId, name: network }, "disconnect", record.id);
    const networking = await layer.containerNetworking(record.id);
    if (networking) writeDnsOf(ctx, record, networking);
    else removeDnsRecords(ctx.paths, record.id);
  });
}
