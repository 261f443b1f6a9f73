import { describe, expect, it } from "vitest";
import { networkRecord } from "./fixtures.js";
import {
  AddressExhaustedError,
  allocateAddress,
  chooseSubnet,
  DEFAULT_POOLS,
  parseProcRoutes,
  planAddressing,
  usedAddresses,
} from "../../../../../src/runtime/native/network/ipam.js";
import {
  formatCidr,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  requireCidr,
} from "../../../../../src/runtime/native/network/ipv4.js";
import {
  EMPTY_STATE,
  type NetworkRecord,
  type NetworkState,
} from "../../../../../src/runtime/native/network/records.js";

function network(name: string, subnet: string, extra: Partial<NetworkRecord> = {}): NetworkRecord {
  const cidr = requireCidr(subnet, "subnet");
  return networkRecord({ name, subnet, gateway: formatIp(cidr.base + 1), ...extra });
}

function stateWith(networks: NetworkRecord[], addresses: Record<string, string[]> = {}): NetworkState {
  return {
    ...EMPTY_STATE,
    networks: Object.fromEntries(networks.map((n) => [n.name, n])),
    containers: Object.fromEntries(
      Object.entries(addresses).flatMap(([net, ips]) =>
        ips.map((address, i) => [
          `${net}${i}`,
          {
            id: `${net}${i}`,
            netns: "ns",
            state: "ready" as const,
            ports: [],
            endpoints: [{ network: net, ifname: "eth0", hostVeth: "v", address, mac: "m", aliases: [] }],
          },
        ]),
      ),
    ),
  };
}

describe("IPv4 math", () => {
  it("parses and formats addresses and subnets, refusing host bits and junk", () => {
    expect(formatIp(parseIp("192.168.16.1") ?? 0)).toBe("192.168.16.1");
    expect(parseIp("256.0.0.1")).toBeUndefined();
    expect(parseIp("1.2.3")).toBeUndefined();
    expect(parseCidr("172.18.0.1/16")).toBeUndefined();
    expect(formatCidr(parseCidr("172.18.0.1/16", true) ?? { base: 0, prefix: 0 })).toBe("172.18.0.0/16");
    expect(() => requireCidr("10.0.0.0/33", "subnet")).toThrow('subnet "10.0.0.0/33" is not an IPv4 subnet');
  });

  it("tells overlapping subnets", () => {
    const c = (t: string) => requireCidr(t, "t");
    expect(overlaps(c("172.20.0.0/14"), c("172.22.0.0/16"))).toBe(true);
    expect(overlaps(c("172.20.0.0/16"), c("172.21.0.0/16"))).toBe(false);
  });
});

describe("IPAM", () => {
  it("takes subnets from Docker's pools in order, skipping host routes and other networks", () => {
    const routes = [requireCidr("172.17.0.0/16", "r")];
    const first = chooseSubnet(routes, DEFAULT_POOLS);
    expect(formatCidr(first)).toBe("172.18.0.0/16");
    const plan = planAddressing("p_default", undefined, stateWith([network("x", "172.18.0.0/16")]), routes);
    expect(plan).toEqual({
      subnet: "172.19.0.0/16",
      gateway: "172.19.0.1",
      ipRange: undefined,
      auxAddresses: {},
    });
  });

  it("goes on to 192.168.x.0/20 once the 172 pools are used, then says it is exhausted", () => {
    const taken = [requireCidr("172.16.0.0/12", "r")];
    expect(formatCidr(chooseSubnet(taken, DEFAULT_POOLS))).toBe("192.168.0.0/20");
    expect(formatCidr(chooseSubnet([...taken, requireCidr("192.168.0.0/20", "r")], DEFAULT_POOLS))).toBe(
      "192.168.16.0/20",
    );
    expect(() =>
      chooseSubnet([requireCidr("0.0.0.0/1", "r"), requireCidr("128.0.0.0/1", "r")], DEFAULT_POOLS),
    ).toThrow(AddressExhaustedError);
  });

  it("honors configurable pools", () => {
    expect(formatCidr(chooseSubnet([], [{ base: "10.10.0.0/16", size: 24 }]))).toBe("10.10.0.0/24");
  });

  it("honors ipam.config subnet, gateway, ip_range and aux_addresses, and refuses overlaps", () => {
    const plan = planAddressing(
      "n",
      {
        subnet: "10.5.0.0/24",
        gateway: "10.5.0.254",
        ipRange: "10.5.0.128/25",
        auxAddresses: { host1: "10.5.0.130" },
      },
      EMPTY_STATE,
      [],
    );
    expect(plan).toEqual({
      subnet: "10.5.0.0/24",
      gateway: "10.5.0.254",
      ipRange: "10.5.0.128/25",
      auxAddresses: { host1: "10.5.0.130" },
    });
    expect(() =>
      planAddressing("n", { subnet: "10.5.0.0/24" }, stateWith([network("m", "10.5.0.0/16")]), []),
    ).toThrow("network n: subnet 10.5.0.0/24 overlaps network m's subnet 10.5.0.0/16");
    expect(() =>
      planAddressing("n", { subnet: "10.5.0.0/24", gateway: "10.6.0.1" }, EMPTY_STATE, []),
    ).toThrow("gateway 10.6.0.1 is not a host address of subnet 10.5.0.0/24");
    expect(() =>
      planAddressing("n", { subnet: "10.5.0.0/24", ipRange: "10.6.0.0/25" }, EMPTY_STATE, []),
    ).toThrow("ip_range 10.6.0.0/25 is not inside subnet 10.5.0.0/24");
  });

  it("gives the lowest free address, skipping the gateway, aux addresses and those in use", () => {
    const net = network("n", "10.5.0.0/29", { auxAddresses: { a: "10.5.0.3" } });
    const state = stateWith([net], { n: ["10.5.0.2"] });
    expect(formatIp(allocateAddress(net, usedAddresses(state, "n")))).toBe("10.5.0.4");
  });

  it("allocates from ip_range, honors a static address, and says when the range is exhausted", () => {
    const net = network("n", "10.5.0.0/24", { ipRange: "10.5.0.8/30" });
    expect(formatIp(allocateAddress(net, new Set()))).toBe("10.5.0.8");
    expect(formatIp(allocateAddress(net, new Set(), "10.5.0.77"))).toBe("10.5.0.77");
    expect(() => allocateAddress(net, new Set([parseIp("10.5.0.77") ?? 0]), "10.5.0.77")).toThrow(
      "ipv4_address 10.5.0.77 is already in use on network n",
    );
    expect(() => allocateAddress(net, new Set(), "10.5.0.1")).toThrow("is reserved on network n");
    expect(() => allocateAddress(net, new Set(), "10.6.0.1")).toThrow("is not inside network n's subnet");
    const full = new Set(["10.5.0.8", "10.5.0.9", "10.5.0.10", "10.5.0.11"].map((ip) => parseIp(ip) ?? 0));
    expect(() => allocateAddress(net, full)).toThrow(
      "no available IPv4 addresses on network n (10.5.0.8/30)",
    );
  });

  it("reads the host's routes from /proc/net/route, without the default route", () => {
    const text = [
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
      "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
    ].join("\n");
    expect(parseProcRoutes(text).map(formatCidr)).toEqual(["172.17.0.0/16", "192.0.2.0/24"]);
  });
});
