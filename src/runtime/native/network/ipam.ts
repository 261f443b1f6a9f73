/**
 * IPAM in pure code: which subnet a new network gets, which address a container gets. The state
 * (records.ts) and the host's routes come in as arguments; nothing here reads or writes.
 *
 * As Docker's default IPAM (libnetwork 20.10 `ipamutils`, `ipams/default`): subnets come from
 * ordered pools split into fixed-size subnets, skipping any that overlaps a host route (Docker's own
 * bridges show there) or another berth network; the gateway is the subnet's first address;
 * containers get the lowest free address of `ip_range` (or the subnet), never the network,
 * broadcast, gateway or an `aux_addresses` entry.
 */
import { ConflictError, InvalidRequestError, RuntimeError } from "../../errors.js";
import type { IpamPoolSpec } from "../../runtime.js";
import {
  type Cidr,
  contains,
  formatCidr,
  formatIp,
  last,
  overlaps,
  parseCidr,
  requireCidr,
  requireIp,
  subnetsOf,
} from "./ipv4.js";
import type { NetworkRecord, NetworkState } from "./records.js";

/** No address or subnet is left: a pool (or the network's subnet) is exhausted. */
export class AddressExhaustedError extends RuntimeError {
  override readonly code: string = "ADDRESS_EXHAUSTED";
}

/** A pool of subnets, as dockerd's `default-address-pools` entries: `base` split into /`size`. */
export interface AddressPool {
  readonly base: string;
  readonly size: number;
}

/** Docker 20.10's defaults (`ipamutils.PredefinedLocalScopeDefaultNetworks`). */
export const DEFAULT_POOLS: readonly AddressPool[] = [
  { base: "172.17.0.0/16", size: 16 },
  { base: "172.18.0.0/16", size: 16 },
  { base: "172.19.0.0/16", size: 16 },
  { base: "172.20.0.0/14", size: 16 },
  { base: "172.24.0.0/14", size: 16 },
  { base: "172.28.0.0/14", size: 16 },
  { base: "192.168.0.0/16", size: 20 },
];

export interface Addressing {
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange?: string | undefined;
  readonly auxAddresses: Readonly<Record<string, string>>;
}

function subnetsIn(state: NetworkState, except?: string): Cidr[] {
  return Object.values(state.networks)
    .filter((n) => n.name !== except)
    .map((n) => requireCidr(n.subnet, "subnet"));
}

/**
 * The addressing of a new network: from its `ipam.config` (first pool; IPv6 pools are the caller's
 * to refuse) or else the first free subnet of `pools`. `hostRoutes` are the host's routes (the
 * default route excluded).
 */
export function planAddressing(
  name: string,
  config: IpamPoolSpec | undefined,
  state: NetworkState,
  hostRoutes: readonly Cidr[],
  pools: readonly AddressPool[] = DEFAULT_POOLS,
): Addressing {
  const berth = subnetsIn(state, name);
  let subnet: Cidr;
  if (config?.subnet) {
    subnet = requireCidr(config.subnet, `network ${name}: subnet`);
    const clash = Object.values(state.networks).find(
      (n) => n.name !== name && overlaps(requireCidr(n.subnet, "subnet"), subnet),
    );
    if (clash)
      throw new ConflictError(
        `network ${name}: subnet ${config.subnet} overlaps network ${clash.name}'s subnet ${clash.subnet}`,
      );
    const route = hostRoutes.find((r) => overlaps(r, subnet));
    if (route)
      throw new ConflictError(
        `network ${name}: subnet ${config.subnet} overlaps the host's route to ${formatCidr(route)}`,
      );
  } else {
    subnet = chooseSubnet([...berth, ...hostRoutes], pools);
  }
  const gateway = config?.gateway ? requireIp(config.gateway, `network ${name}: gateway`) : subnet.base + 1;
  if (!contains(subnet, gateway) || gateway === subnet.base || gateway === last(subnet))
    throw new InvalidRequestError(
      `network ${name}: gateway ${formatIp(gateway)} is not a host address of subnet ${formatCidr(subnet)}`,
    );
  let ipRange: string | undefined;
  if (config?.ipRange) {
    const range = requireCidr(config.ipRange, `network ${name}: ip_range`);
    if (range.prefix < subnet.prefix || !contains(subnet, range.base))
      throw new InvalidRequestError(
        `network ${name}: ip_range ${config.ipRange} is not inside subnet ${formatCidr(subnet)}`,
      );
    ipRange = formatCidr(range);
  }
  const auxAddresses: Record<string, string> = {};
  for (const [host, address] of Object.entries(config?.auxAddresses ?? {})) {
    const ip = requireIp(address, `network ${name}: aux_addresses.${host}`);
    if (!contains(subnet, ip))
      throw new InvalidRequestError(
        `network ${name}: aux_addresses.${host} ${address} is not inside subnet ${formatCidr(subnet)}`,
      );
    auxAddresses[host] = formatIp(ip);
  }
  return { subnet: formatCidr(subnet), gateway: formatIp(gateway), ipRange, auxAddresses };
}

/** The first subnet of the pools that overlaps nothing in `taken`. */
export function chooseSubnet(taken: readonly Cidr[], pools: readonly AddressPool[]): Cidr {
  for (const pool of pools) {
    const base = requireCidr(pool.base, "address pool");
    if (pool.size < base.prefix || pool.size > 30)
      throw new InvalidRequestError(`address pool ${pool.base}: size /${pool.size} does not fit in it`);
    for (const subnet of subnetsOf(base, pool.size)) {
      if (!taken.some((t) => overlaps(t, subnet))) return subnet;
    }
  }
  throw new AddressExhaustedError(
    "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
    { hint: "remove unused networks, or give the network a subnet under ipam.config" },
  );
}

/** Addresses of `network` held by containers in `state` (optionally leaving one container out). */
export function usedAddresses(state: NetworkState, network: string, except?: string): Set<number> {
  const used = new Set<number>();
  for (const container of Object.values(state.containers)) {
    if (container.id === except) continue;
    for (const endpoint of container.endpoints) {
      if (endpoint.network !== network) continue;
      const ip = requireIp(endpoint.address, "address");
      used.add(ip);
    }
  }
  return used;
}

/**
 * A container's address on `network`: `requested` (compose's `ipv4_address`) when given and free,
 * else the lowest free one of the ip_range (or subnet).
 */
export function allocateAddress(
  network: NetworkRecord,
  used: ReadonlySet<number>,
  requested?: string,
): number {
  const subnet = requireCidr(network.subnet, "subnet");
  const gateway = requireIp(network.gateway, "gateway");
  const reserved = new Set(Object.values(network.auxAddresses).map((a) => requireIp(a, "aux address")));
  const unusable = (ip: number): boolean =>
    ip === subnet.base || ip === last(subnet) || ip === gateway || reserved.has(ip);
  if (requested !== undefined) {
    const ip = requireIp(requested, `ipv4_address on network ${network.name}`);
    if (!contains(subnet, ip))
      throw new InvalidRequestError(
        `ipv4_address ${requested} is not inside network ${network.name}'s subnet ${network.subnet}`,
      );
    if (unusable(ip))
      throw new InvalidRequestError(
        `ipv4_address ${requested} is reserved on network ${network.name} (network, broadcast, gateway or aux address)`,
      );
    if (used.has(ip))
      throw new ConflictError(`ipv4_address ${requested} is already in use on network ${network.name}`);
    return ip;
  }
  const range = network.ipRange ? requireCidr(network.ipRange, "ip_range") : subnet;
  // Bounded by the range's size: at most one look at each address.
  for (let ip = range.base; ip <= last(range); ip++) {
    if (!unusable(ip) && !used.has(ip)) return ip;
  }
  throw new AddressExhaustedError(
    `no available IPv4 addresses on network ${network.name} (${network.ipRange ?? network.subnet})`,
    { hint: "remove containers from the network, or give it a larger subnet" },
  );
}

/** The host's IPv4 routes from /proc/net/route's text (main table), without default routes. */
export function parseProcRoutes(text: string): Cidr[] {
  const routes: Cidr[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const destination = fields[1];
    const mask = fields[7];
    if (!destination || !mask || !/^[0-9A-Fa-f]{8}$/.test(destination) || !/^[0-9A-Fa-f]{8}$/.test(mask))
      continue;
    // Little-endian hex words.
    const dest = Buffer.from(destination, "hex").readUInt32LE(0);
    const maskValue = Buffer.from(mask, "hex").readUInt32LE(0);
    const prefix = countBits(maskValue);
    if (prefix === 0) continue;
    const cidr = parseCidr(`${formatIp(dest)}/${prefix}`, true);
    if (cidr) routes.push(cidr);
  }
  return routes;
}

function countBits(value: number): number {
  let bits = 0;
  for (let v = value >>> 0; v !== 0; v >>>= 1) bits += v & 1;
  return bits;
}
