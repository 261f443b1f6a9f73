/**
 * The files Docker manages for each container and bind-mounts over the image's: `/etc/hosts`,
 * `/etc/resolv.conf`, `/etc/hostname` (moby's daemon/container/container_unix.go). Pure text here;
 * the lifecycle writes them into the bundle. Until the native network part brings DNS, resolv.conf is
 * the host's (as Docker does for `host` and `none`), with the spec's dns/dns_search/dns_opt applied.
 */
import type { ContainerSpec } from "../../runtime.js";

/** Docker's /etc/hosts of a container without a network address (+ `extra_hosts`). */
export function hostsFile(spec: ContainerSpec, hostname: string, hostHosts?: string): string {
  if (spec.networkMode === "host" && hostHosts !== undefined) {
    return withExtraHosts(hostHosts.endsWith("\n") ? hostHosts : `${hostHosts}\n`, spec.extraHosts);
  }
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
  ];
  if (spec.networkMode !== "none" && spec.networkMode !== "host") lines.push(`127.0.1.1\t${hostname}`);
  return withExtraHosts(`${lines.join("\n")}\n`, spec.extraHosts);
}

function withExtraHosts(text: string, extra: readonly string[] | undefined): string {
  let out = text;
  for (const entry of extra ?? []) {
    // `host:ip` (the IP may itself hold colons: IPv6); compose also accepts `host=ip`.
    const sep = entry.includes("=") ? entry.indexOf("=") : entry.indexOf(":");
    if (sep <= 0) continue;
    out += `${entry.slice(sep + 1)}\t${entry.slice(0, sep)}\n`;
  }
  return out;
}

/** The host's resolv.conf with the spec's servers, search domains and options put in. */
export function resolvFile(spec: ContainerSpec, hostResolv: string): string {
  const kept: string[] = [];
  const servers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  for (const raw of hostResolv.split("\n")) {
    const line = raw.trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === "nameserver") {
      const server = rest[0] ?? "";
      // A loopback resolver of the host is unreachable from another network namespace.
      if (spec.networkMode === "host" || !/^(127\.|::1$)/.test(server)) servers.push(server);
    } else if (key === "search" || key === "domain") search.push(...rest);
    else if (key === "options") options.push(...rest);
    else if (line !== "" && !line.startsWith("#") && !line.startsWith(";")) kept.push(line);
  }
  // Docker's fallback when only loopback resolvers were left out (libnetwork resolvconf defaults).
  const fallback = servers.length > 0 ? servers : ["8.8.8.8", "8.8.4.4"];
  const finalServers = spec.dns && spec.dns.length > 0 ? [...spec.dns] : fallback;
  const finalSearch = spec.dnsSearch && spec.dnsSearch.length > 0 ? [...spec.dnsSearch] : search;
  const finalOptions = spec.dnsOptions && spec.dnsOptions.length > 0 ? [...spec.dnsOptions] : options;
  const out = [
    ...finalServers.filter((s) => s !== "").map((s) => `nameserver ${s}`),
    ...(finalSearch.length > 0 ? [`search ${finalSearch.join(" ")}`] : []),
    ...(finalOptions.length > 0 ? [`options ${finalOptions.join(" ")}`] : []),
    ...kept,
  ];
  return `${out.join("\n")}\n`;
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}
