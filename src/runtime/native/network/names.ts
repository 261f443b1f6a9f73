/**
 * Names of what the network layer makes on the host. Every name is derived (hashed) from what it
 * belongs to, so a later command — or the sweep after a crash — finds it again without asking the
 * kernel, and two berth state roots on one host (tests) never share a name. Interface names fit
 * IFNAMSIZ (15 bytes); prefixes say "berth" so nothing is mistaken for Docker's `br-…`/`veth…`.
 */
import { createHash } from "node:crypto";

/** Linux's IFNAMSIZ less the terminating NUL. */
export const MAX_IFNAME = 15;

function hex(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/** The bridge of network `name` in the state root `root`: `berth` + 10 hex (40 bits) = 15 chars. */
export function bridgeName(root: string, name: string): string {
  return `berth${hex(root, "network", name).slice(0, 10)}`;
}

/** The host end of a container's veth on one network: `bv` + 13 hex = 15 chars. */
export function hostVethName(root: string, containerId: string, network: string): string {
  return `bv${hex(root, "veth", containerId, network).slice(0, 13)}`;
}

/** The container's network namespace in /run/netns (where `ip netns` and runc find it). */
export function netnsName(root: string, containerId: string): string {
  return `berth-${hex(root).slice(0, 6)}-${containerId.slice(0, 12)}`;
}

export const NETNS_DIR = "/run/netns";

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** The container-side interface of its `index`-th network (priority order), as Docker names it. */
export function containerIfName(index: number): string {
  return `eth${index}`;
}

/** The nftables table (family ip) that holds one network's rules. */
export function tableName(bridge: string): string {
  return bridge;
}

/** The comment that tags every iptables rule berth adds for a bridge (how it finds them again). */
export function iptablesTag(bridge: string): string {
  return `berth:${bridge}`;
}

/** Docker's MAC for an address: 02:42 followed by the four bytes of the IPv4 address. */
export function macFor(ip: number): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
