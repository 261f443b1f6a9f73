/**
 * Packet filtering and NAT for a berth network, rendered in pure code as whole texts: one nftables
 * table per network (family ip, named after its bridge) loaded atomically with `nft -f -`, and the
 * few iptables rules that let bridged traffic past a firewall whose FORWARD drops it.
 *
 * Why both. With dockerd on the host, `br_netfilter` sends even bridge-local traffic through the
 * forward hook, where Docker's `ip filter FORWARD` has policy DROP; an accept in another nftables
 * table cannot override a drop in that one (every base chain at the hook must accept). So the
 * accepts go where Docker's chain consults them — `DOCKER-USER` (or FORWARD itself when a DROP
 * policy exists without Docker's chain) — and say only "this bridge's traffic is berth's to judge";
 * berth's own table then decides: replies, traffic within the network and to published ports come
 * in; nothing else enters; a non-internal network goes out masqueraded (but not into Docker's
 * bridges, as Docker keeps its own networks apart); an `internal` one goes nowhere. A drop in
 * berth's table is final whatever else is loaded, so the rules hold with and without dockerd.
 *
 * Published ports are DNAT (prerouting for other hosts, output for this one, 127.0.0.1 included)
 * with `route_localnet=1` on the bridge and masquerade of 127.0.0.0/8 leaving through it — measured
 * 0.79 ms a request against 1.57 ms through a userland proxy, and no process to keep alive, which a
 * daemonless runtime cannot promise. Packets arriving on the bridge for 127.0.0.0/8 are dropped
 * (the CVE-2020-8558 exposure route_localnet would open).
 */
import type { NetworkRecord, PortRecord } from "./records.js";
import { iptablesTag, tableName } from "./names.js";

function quote(text: string): string {
  // Interface names and generated comments never hold quotes; refuse rather than escape.
  if (/["\\\n]/.test(text)) throw new Error(`cannot quote ${JSON.stringify(text)} for nft`);
  return `"${text}"`;
}

function portRule(port: PortRecord, tag: string): string {
  const match =
    port.hostIp === "" || port.hostIp === "0.0.0.0" ? "fib daddr type local" : `ip daddr ${port.hostIp}`;
  return `${match} ${port.protocol} dport ${port.hostPort} dnat to ${port.address}:${port.containerPort} comment ${quote(tag)}`;
}

/** The ports whose rules live in `network`'s table, in a stable order. */
function portsOf(
  network: NetworkRecord,
  ports: readonly (PortRecord & { container: string })[],
): (PortRecord & { container: string })[] {
  return ports
    .filter((p) => p.network === network.name)
    .sort(
      (a, b) =>
        a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp),
    );
}

/**
 * The nft script that (re)creates `network`'s table in one transaction: declare it (so the delete
 * cannot fail), delete it, define it whole. `ports` are every published port of every container
 * (each with its container id); those of this network are rendered.
 */
export function renderTable(
  network: NetworkRecord,
  ports: readonly (PortRecord & { container: string })[],
): string {
  const table = tableName(network.bridge);
  const br = quote(network.bridge);
  const tag = (what: string): string => `comment ${quote(`berth ${network.name}: ${what}`)}`;
  const published = network.internal ? [] : portsOf(network, ports);
  const dnat = published.map(
    (p) => `\t\t${portRule(p, `berth ${network.name}: container ${p.container.slice(0, 12)}`)}`,
  );
  const forward = network.internal
    ? [
        `\t\toifname ${br} iifname ${br} accept ${tag("between its containers")}`,
        `\t\tiifname ${br} drop ${tag("internal, no way out")}`,
        `\t\toifname ${br} drop ${tag("internal, no way in")}`,
      ]
    : [
        `\t\toifname ${br} ct state established,related accept ${tag("replies")}`,
        `\t\toifname ${br} iifname ${br} accept ${tag("between its containers")}`,
        `\t\toifname ${br} ct status dnat accept ${tag("published ports")}`,
        `\t\toifname ${br} drop ${tag("nothing else comes in")}`,
        // The accepts in DOCKER-USER would let it into Docker's networks, which Docker keeps apart
        // from each other: kept apart from them too, their published ports (DNAT) excepted.
        `\t\tiifname ${br} oifname { "docker0", "br-*" } ct status != dnat drop ${tag("not into Docker's networks")}`,
        `\t\tiifname ${br} accept ${tag("outbound")}`,
      ];
  const postrouting = [
    `\t\toifname ${br} ip saddr 127.0.0.0/8 masquerade ${tag("published ports from loopback")}`,
    ...(network.internal
      ? []
      : [
          `\t\toifname ${br} iifname ${br} ct status dnat masquerade ${tag("hairpin")}`,
          `\t\tip saddr ${network.subnet} oifname != ${br} masquerade ${tag("outbound")}`,
        ]),
  ];
  return [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    ...forward,
    `\t}`,
    `\tchain martians {`,
    `\t\ttype filter hook prerouting priority raw; policy accept;`,
    `\t\tiifname ${br} ip daddr 127.0.0.0/8 drop ${tag("no loopback from the bridge")}`,
    `\t}`,
    `\tchain prerouting {`,
    `\t\ttype nat hook prerouting priority dstnat; policy accept;`,
    ...dnat,
    `\t}`,
    `\tchain output {`,
    `\t\ttype nat hook output priority -100; policy accept;`,
    ...dnat,
    `\t}`,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    ...postrouting,
    `\t}`,
    `}`,
    "",
  ].join("\n");
}

/** The nft script that removes `network`'s table (declared first, so removal is idempotent). */
export function renderTableRemoval(bridge: string): string {
  const table = tableName(bridge);
  return `table ip ${table}\ndelete table ip ${table}\n`;
}

// --- iptables --------------------------------------------------------------------------------------

/** Where the accepts for a bridge go, from `iptables -S` (filter table) output. */
export type AcceptChain = "DOCKER-USER" | "FORWARD" | undefined;

export interface FilterView {
  readonly chain: AcceptChain;
  /** The rules berth tagged, as `iptables -S` prints them (`-A CHAIN …`). */
  readonly tagged: readonly string[];
}

/**
 * Reads `iptables -S` of the filter table: DOCKER-USER when dockerd made it; FORWARD when its policy
 * is DROP without that chain (another firewall); none when FORWARD accepts (nothing to get past).
 */
export function parseFilter(text: string): FilterView {
  const lines = text.split("\n").map((l) => l.trim());
  const chain: AcceptChain = lines.includes("-N DOCKER-USER")
    ? "DOCKER-USER"
    : lines.includes("-P FORWARD DROP")
      ? "FORWARD"
      : undefined;
  return { chain, tagged: lines.filter((l) => l.startsWith("-A ") && /--comment "?berth:/.test(l)) };
}

/** The accepts for `bridge`, in `iptables -S` form without the `-A CHAIN` head (it quotes the comment). */
export function bridgeAccepts(bridge: string): string[] {
  const tag = `"${iptablesTag(bridge)}"`;
  return [
    `-i ${bridge} -m comment --comment ${tag} -j ACCEPT`,
    `-o ${bridge} -m comment --comment ${tag} -j ACCEPT`,
  ];
}

/**
 * The `iptables-restore --noflush` text that brings the accepts of `bridges` to `want` (present or
 * absent) given what `view` saw; undefined when nothing changes. Inserted at the top, so they come
 * before a RETURN or a user's drop-all.
 */
export function renderAccepts(
  view: FilterView,
  bridges: readonly string[],
  want: boolean,
): string | undefined {
  const lines: string[] = [];
  for (const bridge of bridges) {
    const tag = ` --comment "${iptablesTag(bridge)}" `;
    const mine = view.tagged.filter((l) => l.includes(tag));
    if (want && view.chain) {
      for (const rule of bridgeAccepts(bridge)) {
        if (!mine.includes(`-A ${view.chain} ${rule}`)) lines.push(`-I ${view.chain} 1 ${rule}`);
      }
      for (const line of mine) {
        if (!line.startsWith(`-A ${view.chain} `)) lines.push(line.replace(/^-A /, "-D "));
      }
    } else if (!want) {
      for (const line of mine) lines.push(line.replace(/^-A /, "-D "));
    }
  }
  return lines.length === 0 ? undefined : ["*filter", ...lines, "COMMIT", ""].join("\n");
}
