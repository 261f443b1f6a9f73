/**
 * containerResolvConf against what dockerd 20.10.24 wrote on this machine (host resolv.conf:
 * `nameserver 10.255.255.53`) for `docker run --network <user network>` with the same options,
 * 127.0.0.11 replaced by the gateway the embedded server listens on here.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolvConfServers } from "../../../../../src/runtime/native/dns/forward.js";
import { containerResolvConf } from "../../../../../src/runtime/native/dns/resolv-conf.js";

const GOLDENS = path.join(import.meta.dirname, "goldens");
const golden = (name: string): string => readFileSync(path.join(GOLDENS, name), "utf8");
const HOST = "nameserver 10.255.255.53\n";
const nameserver = "172.20.0.1";

describe("containerResolvConf goldens (dockerd 20.10.24)", () => {
  it("no dns options: the gateway and ndots:0; the host's resolvers are the upstreams", () => {
    const conf = containerResolvConf({ nameserver, hostResolvConf: HOST });
    expect(conf.text).toBe(golden("default.golden"));
    expect(conf.upstreams).toBeUndefined();
    expect(conf.searchDomains).toEqual([]);
  });

  it("dns, dns_search, dns_opt: IPv6 servers listed, the user's ndots kept, IPv4 servers forwarded to", () => {
    const conf = containerResolvConf({
      nameserver,
      hostResolvConf: HOST,
      dns: ["10.0.0.2", "2001:db8::1", "127.0.0.1"],
      dnsSearch: ["example.com", "corp.local"],
      dnsOptions: ["ndots:3", "timeout:2"],
    });
    expect(conf.text).toBe(golden("every-option.golden"));
    // 127.0.0.1 is the container's own loopback: not reachable from the host side.
    expect(conf.upstreams).toEqual(["10.0.0.2"]);
    expect(conf.searchDomains).toEqual(["example.com", "corp.local"]);
  });

  it("dns_search '.' writes no search line; a user ndots:0 is not repeated", () => {
    const conf = containerResolvConf({
      nameserver,
      hostResolvConf: HOST,
      dnsSearch: ["."],
      dnsOptions: ["ndots:0", "edns0"],
    });
    expect(conf.text).toBe(golden("search-dot.golden"));
    expect(conf.searchDomains).toEqual([]);
  });

  it("dns alone does not replace the embedded server (Docker forwards to it)", () => {
    const conf = containerResolvConf({ nameserver, hostResolvConf: HOST, dns: ["10.0.0.9"] });
    expect(conf.text).toBe(golden("dns-only.golden"));
    expect(conf.upstreams).toEqual(["10.0.0.9"]);
  });
});

describe("containerResolvConf from the host's file", () => {
  it("keeps the host's search and options (last lines win) and its non-loopback IPv6 servers", () => {
    const host = [
      "# generated",
      "nameserver 127.0.0.53",
      "nameserver 192.0.2.1",
      "nameserver fd00::1",
      "nameserver ::1",
      "search old.example",
      "search lan example.org",
      "options edns0 trust-ad",
      "",
    ].join("\n");
    expect(containerResolvConf({ nameserver: "10.1.0.1", hostResolvConf: host }).text).toBe(
      "search lan example.org\nnameserver 10.1.0.1\nnameserver fd00::1\noptions edns0 trust-ad ndots:0\n",
    );
  });

  it("an empty host file still gives the gateway", () => {
    expect(containerResolvConf({ nameserver: "10.1.0.1", hostResolvConf: "" }).text).toBe(
      "nameserver 10.1.0.1\noptions ndots:0\n",
    );
  });
});

describe("resolvConfServers (the host's upstreams)", () => {
  it("lists every nameserver, loopback ones included: the server asks from the host", () => {
    expect(
      resolvConfServers("# x\nnameserver 127.0.0.53\n  nameserver\t192.0.2.1 \nsearch lan\nnameserver\n"),
    ).toEqual(["127.0.0.53", "192.0.2.1"]);
  });
});
