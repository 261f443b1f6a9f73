import { describe, expect, it } from "vitest";
import {
  bridgeName,
  containerIfName,
  hostVethName,
  MAX_IFNAME,
  macFor,
  netnsName,
} from "../../../../../src/runtime/native/network/names.js";
import { parseIp } from "../../../../../src/runtime/native/network/ipv4.js";

describe("network names", () => {
  it("derive interface names that fit IFNAMSIZ, are stable, and differ per name and per state root", () => {
    const name = "a-very-long-project-name_and-a-very-long-network-name";
    expect(bridgeName("/var/lib/berth", name)).toMatch(/^berth[0-9a-f]{10}$/);
    expect(bridgeName("/var/lib/berth", name)).toHaveLength(MAX_IFNAME);
    expect(bridgeName("/var/lib/berth", name)).toBe(bridgeName("/var/lib/berth", name));
    expect(bridgeName("/var/lib/berth", name)).not.toBe(bridgeName("/var/lib/berth", `${name}2`));
    expect(bridgeName("/var/lib/berth", name)).not.toBe(bridgeName("/var/tmp/other", name));
    const veth = hostVethName("/var/lib/berth", "ab".repeat(32), name);
    expect(veth).toMatch(/^bv[0-9a-f]{13}$/);
    expect(veth).not.toBe(hostVethName("/var/lib/berth", "ab".repeat(32), "other"));
  });

  it("name 1000 networks with no collision", () => {
    const names = new Set(Array.from({ length: 1000 }, (_, i) => bridgeName("/r", `p_net${i}`)));
    expect(names.size).toBe(1000);
  });

  it("name the namespace by state root and container id, the interfaces eth0, eth1…", () => {
    expect(netnsName("/r", "0123456789abcdef".repeat(4))).toMatch(/^berth-[0-9a-f]{6}-0123456789ab$/);
    expect(netnsName("/r", "")).toBe(netnsName("/r", "x").slice(0, -1));
    expect([0, 1, 2].map(containerIfName)).toEqual(["eth0", "eth1", "eth2"]);
  });

  it("give Docker's MAC for an address (02:42 + the four bytes)", () => {
    expect(macFor(parseIp("172.18.0.2") ?? 0)).toBe("02:42:ac:12:00:02");
  });
});
