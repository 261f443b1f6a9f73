/**
 * Name lookup for the embedded DNS, pure: an index built from the container records answers a
 * name asked by a container, as libnetwork's resolver does (sandbox.ResolveName):
 * - the network the query arrived on (the gateway it was sent to) comes first, then the asking
 *   container's other networks in its priority order; an asker the index does not know (a source
 *   address no record holds on that network) sees that network alone;
 * - names: the container's name, its first 12 ID characters, `hostname`, the Compose service and the
 *   endpoint's aliases, all case-insensitive; `links:` aliases only for the container that holds
 *   them; `name.<network>` for a network in scope; `name.<search domain>` of the asker as `name`;
 * - every container answering the name on the first network that has it, the order rotated at
 *   each answer (round robin over replicas).
 * An unknown single-label name is the server's to refuse (NXDOMAIN); other unknown names are
 * the outside world's (forwarded).
 */
import type { DnsContainerRecord } from "./records.js";

interface Entry {
  readonly record: DnsContainerRecord;
  readonly network: string;
  readonly ipv4: string;
  readonly ipv6: string | undefined;
  /** Lowercased names this entry answers on its network. */
  readonly names: ReadonlySet<string>;
  /** Link alias (lowercased) → target container name (lowercased). */
  readonly links: ReadonlyMap<string, string>;
}

export interface DnsIndex {
  /** network → entries in record order. */
  readonly byNetwork: ReadonlyMap<string, readonly Entry[]>;
  /** network → ipv4 → entry (who is asking). */
  readonly byAddress: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
}

export type LookupResult =
  | {
      readonly kind: "found";
      /** The network that answered. */
      readonly network: string;
      readonly ipv4: readonly string[];
      readonly ipv6: readonly string[];
    }
  /** Ours to answer and unknown (NXDOMAIN). */
  | { readonly kind: "unknown" }
  /** Not ours: the asker's upstreams (or the host's) answer it. */
  | { readonly kind: "external"; readonly upstreams: readonly string[] | undefined };

export interface LookupQuery {
  /** The network whose gateway received the query. */
  readonly network: string;
  /** The asking address. */
  readonly source: string;
  /** The name as asked (any case, trailing dot or not). */
  readonly name: string;
}

const lower = (text: string): string => text.toLowerCase();

export function normalizeName(name: string): string {
  return lower(name.replace(/\.+$/, ""));
}

export function buildIndex(records: readonly DnsContainerRecord[]): DnsIndex {
  const byNetwork = new Map<string, Entry[]>();
  const byAddress = new Map<string, Map<string, Entry>>();
  for (const record of records) {
    for (const [network, endpoint] of Object.entries(record.networks)) {
      const names = new Set<string>();
      for (const name of [
        record.name,
        record.id.slice(0, 12),
        record.hostname,
        record.service,
        ...(endpoint.aliases ?? []),
      ]) {
        if (name !== undefined && name !== "") names.add(normalizeName(name));
      }
      const links = new Map<string, string>();
      for (const link of endpoint.links ?? []) {
        const sep = link.indexOf(":");
        const target = sep < 0 ? link : link.slice(0, sep);
        const alias = sep < 0 ? link : link.slice(sep + 1);
        if (target !== "" && alias !== "") links.set(normalizeName(alias), normalizeName(target));
      }
      const entry: Entry = { record, network, ipv4: endpoint.ipv4, ipv6: endpoint.ipv6, names, links };
      let list = byNetwork.get(network);
      if (!list) byNetwork.set(network, (list = []));
      list.push(entry);
      let addresses = byAddress.get(network);
      if (!addresses) byAddress.set(network, (addresses = new Map()));
      addresses.set(endpoint.ipv4, entry);
    }
  }
  return { byNetwork, byAddress };
}

/** The asking container's entry on the arrival network, if the index knows it. */
function askerOf(index: DnsIndex, query: LookupQuery): Entry | undefined {
  return index.byAddress.get(query.network)?.get(query.source);
}

/** Networks to search, arrival network first. */
function scopeOf(query: LookupQuery, asker: Entry | undefined): string[] {
  const scope = [query.network];
  for (const network of Object.keys(asker?.record.networks ?? {})) {
    if (!scope.includes(network)) scope.push(network);
  }
  return scope;
}

function onNetwork(index: DnsIndex, network: string, name: string, asker: Entry | undefined): Entry[] {
  const entries = index.byNetwork.get(network) ?? [];
  // A link alias of the asker's endpoint on this network names the linked container.
  const askerHere =
    asker === undefined
      ? undefined
      : (index.byNetwork.get(network) ?? []).find((e) => e.record.id === asker.record.id);
  const linked = askerHere?.links.get(name);
  if (linked !== undefined) {
    const targets = entries.filter((e) => normalizeName(e.record.name) === linked);
    if (targets.length > 0) return targets.filter((e) => e.record.stopped !== true);
  }
  return entries.filter((e) => e.names.has(name) && e.record.stopped !== true);
}

/** Resolves `query.name` for the asker; rotation is not applied here (see RoundRobin). */
export function lookupName(index: DnsIndex, query: LookupQuery): LookupResult {
  const name = normalizeName(query.name);
  const asker = askerOf(index, query);
  const scope = scopeOf(query, asker);
  const candidates: { name: string; networks: readonly string[] }[] = [{ name, networks: scope }];
  // `name.<network>`: that network only (network names may hold dots, so try each split).
  for (const network of scope) {
    const suffix = `.${lower(network)}`;
    if (name.endsWith(suffix) && name.length > suffix.length) {
      candidates.push({ name: name.slice(0, -suffix.length), networks: [network] });
    }
  }
  for (const domain of asker?.record.searchDomains ?? []) {
    const suffix = `.${normalizeName(domain)}`;
    if (suffix !== "." && name.endsWith(suffix) && name.length > suffix.length) {
      candidates.push({ name: name.slice(0, -suffix.length), networks: scope });
    }
  }
  for (const candidate of candidates) {
    for (const network of candidate.networks) {
      const found = onNetwork(index, network, candidate.name, asker);
      if (found.length > 0) {
        return {
          kind: "found",
          network,
          ipv4: found.map((e) => e.ipv4),
          ipv6: found.flatMap((e) => (e.ipv6 === undefined ? [] : [e.ipv6])),
        };
      }
    }
  }
  if (name !== "" && !name.includes(".")) return { kind: "unknown" };
  return { kind: "external", upstreams: asker?.record.upstreams };
}

/** Rotates each name's answers by one per answer, so replicas share the first place. */
export class RoundRobin {
  private readonly turns = new Map<string, number>();

  order<T>(key: string, items: readonly T[]): T[] {
    if (items.length < 2) return [...items];
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, (turn + 1) % items.length);
    // Bounded: one number per name asked, forgotten all at once past 10 000 names.
    if (this.turns.size > 10_000) this.turns.clear();
    const start = turn % items.length;
    return [...items.slice(start), ...items.slice(0, start)];
  }
}
