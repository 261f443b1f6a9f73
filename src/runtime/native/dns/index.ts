/**
 * The native runtime's embedded DNS (service discovery, as Docker's 127.0.0.11 on user networks):
 * one server process per BERTH_ROOT, listening (UDP and TCP, port 53) on each network's bridge
 * gateway, answering container names, Compose service names, aliases, links, hostnames and short
 * IDs to the containers that share a network with them, round robin over replicas; AAAA of a known
 * name NODATA, an unknown bare name NXDOMAIN, other names forwarded to the host's resolvers (or the
 * container's `dns:` servers) from the host's side.
 *
 * How the containers/network code uses it:
 * 1. When a bridge network is up (its gateway address assigned):
 *      await ensureDnsServer(paths, [{ network: "<network name>", address: "<gateway>" }])
 *    It returns once the server listens there (starting the process if none runs, or if one was
 *    killed), so a container started next is answered from its first query.
 * 2. Each container's /etc/resolv.conf: containerResolvConf({ nameserver: <its first network's
 *    gateway>, hostResolvConf: <host /etc/resolv.conf>, dns, dnsSearch, dnsOptions }).text
 * 3. Once its endpoints have addresses (before it starts), and again when they change:
 *      writeDnsRecords(paths, { id, name, hostname, service, networks: { "<network name>": { ipv4,
 *        aliases, links } }, searchDomains, upstreams })   (the last two from containerResolvConf)
 *    (`stopped: true` unless it runs). At its start and at its exit: markDnsRunning(paths, id,
 *    running), so only running containers are answered, and setDnsPorts(paths, id, ports) with the
 *    host ports it publishes (none from its exit), which the server holds. On remove (or disconnect of its last
 *    network): removeDnsRecords(paths, id). The server sees a change within a second (scale up/down).
 * 4. When a network is removed: releaseDnsNetwork(paths, "<network name>"); the server closes that
 *    address and exits when no network is left.
 * 5. At the start of a command (its sweep): ensureDnsIfNeeded(paths) restarts a killed server for the
 *    networks still listed; pruneDnsRecords(paths, liveIds) drops records of containers gone.
 * Network names key everything: the listen file, the record's `networks`, and `name.<network>`.
 */
export { ANSWER_TTL } from "./answer.js";
export {
  awaitDnsReleased,
  claimDnsServer,
  DNS_ENTRY_ENV,
  dnsServerEntry,
  ensureDnsIfNeeded,
  ensureDnsServer,
  runningDnsServer,
  type EnsureDnsOptions,
  type EnsureDnsResult,
} from "./ensure.js";
export { buildIndex, lookupName, RoundRobin, type DnsIndex, type LookupResult } from "./lookup.js";
export {
  dnsFiles,
  readDnsNetworks,
  pruneDnsRecords,
  readDnsRecords,
  markDnsRunning,
  setDnsPorts,
  releaseDnsNetwork,
  removeDnsRecords,
  writeDnsNetwork,
  writeDnsRecords,
  type DnsContainerRecord,
  type DnsEndpoint,
  type DnsListenAddress,
} from "./records.js";
export { containerResolvConf, type ContainerResolvConf, type ResolvConfInput } from "./resolv-conf.js";
export { DNS_PORT, DnsServer, type DnsServerOptions, type DnsServerStatus } from "./server.js";
