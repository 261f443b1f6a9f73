/**
 * A container's /etc/resolv.conf on a network with embedded DNS, as libnetwork writes it
 * (sandbox_dns_unix.go setupDNS + rebuildDNS, resolvconf.Build), with the network's gateway in the
 * place of 127.0.0.11:
 * - base: the host's resolv.conf; `dns:`, `dns_search:`, `dns_opt:` each replace its nameservers,
 *   search domains, options when given;
 * - written: `search` (none when the list is just "."), `nameserver <gateway>` followed by the
 *   base's IPv6 nameservers (this server answers IPv4 only), `options` = the base's, plus `ndots:0`
 *   unless they set ndots themselves (so a bare name is asked as is first);
 * - `dns:` servers do not appear as nameservers: as on Docker, they are where the embedded server
 *   forwards this container's other names (`upstreams`, to put in its DnsContainerRecord). Without
 *   `dns:` the server forwards to the host's resolvers, loopback ones included (it runs on the host).
 */

export interface ResolvConfInput {
  /** The embedded server's address for this container (its first network's gateway). */
  readonly nameserver: string;
  /** The host's /etc/resolv.conf text ("" when there is none). */
  readonly hostResolvConf: string;
  readonly dns?: readonly string[] | undefined;
  readonly dnsSearch?: readonly string[] | undefined;
  readonly dnsOptions?: readonly string[] | undefined;
}

export interface ContainerResolvConf {
  readonly text: string;
  /** The container's own upstream servers (its `dns:`), or undefined: the host's. */
  readonly upstreams: readonly string[] | undefined;
  /** The search domains written (the server strips them from names asked). */
  readonly searchDomains: readonly string[];
}

interface Parsed {
  readonly nameservers: string[];
  readonly search: string[];
  readonly options: string[];
}

/** libnetwork's GetNameservers / GetSearchDomains / GetOptions: the last search and options lines. */
function parse(text: string): Parsed {
  const nameservers: string[] = [];
  let search: string[] = [];
  let options: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === "nameserver" && rest[0] !== undefined) nameservers.push(rest[0]);
    else if (key === "search") search = rest;
    else if (key === "options") options = rest;
  }
  return { nameservers, search, options };
}

const given = (list: readonly string[] | undefined): list is readonly string[] =>
  list !== undefined && list.length > 0;
const isIPv6 = (address: string): boolean => address.includes(":");
const isLoopback = (address: string): boolean => /^127\./.test(address) || address === "::1";

export function containerResolvConf(input: ResolvConfInput): ContainerResolvConf {
  const host = parse(input.hostResolvConf);
  const nameservers = given(input.dns) ? [...input.dns] : host.nameservers;
  const search = given(input.dnsSearch) ? [...input.dnsSearch] : host.search;
  const options = given(input.dnsOptions) ? [...input.dnsOptions] : host.options;
  // The user's ndots wins; otherwise ndots:0 (libnetwork 20.10 rebuildDNS, ndotsSet).
  const ndotsSet = options.some((o) => /^ndots:\d+$/.test(o));
  const searchDomains = search.join(" ").trim() === "." ? [] : search;
  const lines = [
    ...(searchDomains.length > 0 ? [`search ${searchDomains.join(" ")}`] : []),
    `nameserver ${input.nameserver}`,
    // Loopback resolvers of the host are no use inside another network namespace.
    ...nameservers.filter((s) => isIPv6(s) && !isLoopback(s)).map((s) => `nameserver ${s}`),
    `options ${[...options, ...(ndotsSet ? [] : ["ndots:0"])].join(" ")}`,
  ];
  // `dns:` addresses: IPv4 ones are forwarded to (a loopback one would mean the container's own
  // loopback, which the server cannot reach from the host: skipped, as Docker's HostLoopback=false).
  const upstreams = given(input.dns) ? input.dns.filter((s) => !isIPv6(s) && !isLoopback(s)) : undefined;
  return { text: `${lines.join("\n")}\n`, upstreams, searchDomains };
}
