import { describe, expect, it } from "vitest";
import {
  bridgeSetup,
  bridgeTeardown,
  containerTeardown,
  hostSetup,
  insideSetup,
} from "../../../../../src/runtime/native/network/plan.js";
import { networkRecord } from "./fixtures.js";
import type { ContainerRecord, NetworkRecord } from "../../../../../src/runtime/native/network/records.js";

function network(
  name: string,
  bridge: string,
  subnet: string,
  gateway: string,
  internal = false,
): NetworkRecord {
  return networkRecord({ name, bridge, subnet, gateway, internal, mtu: internal ? 1500 : 1400 });
}

const back = network("p_back", "berthbbbbbbbbbb", "10.9.0.0/24", "10.9.0.1", true);
const front = network("p_front", "berthffffffffff", "172.18.0.0/16", "172.18.0.1");
const networks = new Map([back, front].map((n) => [n.name, n]));
const container: ContainerRecord = {
  id: "c".repeat(64),
  netns: "berth-abcdef-cccccccccccc",
  state: "creating",
  ports: [],
  endpoints: [
    {
      network: "p_back",
      ifname: "eth0",
      hostVeth: "bv1111111111111",
      address: "10.9.0.2",
      mac: "02:42:0a:09:00:02",
      aliases: [],
    },
    {
      network: "p_front",
      ifname: "eth1",
      hostVeth: "bv2222222222222",
      address: "172.18.0.2",
      mac: "02:42:ac:12:00:02",
      aliases: [],
    },
  ],
};

describe("ip scripts", () => {
  it("make a bridge once, then only re-assert its address, MTU and state", () => {
    expect(bridgeSetup(front, false)).toEqual([
      "link add name berthffffffffff mtu 1400 type bridge",
      "addr replace 172.18.0.1/16 dev berthffffffffff",
      "link set berthffffffffff mtu 1400 address 02:42:ac:12:00:01 up",
    ]);
    expect(bridgeSetup(front, true)).toEqual(bridgeSetup(front, false).slice(1));
    expect(bridgeTeardown(front)).toEqual(["link del berthffffffffff"]);
  });

  it("set a container up in two scripts: the host side, then inside its namespace", () => {
    expect(hostSetup(container, networks).join("\n")).toBe(`netns add berth-abcdef-cccccccccccc
link add bv1111111111111 mtu 1500 type veth peer name eth0 mtu 1500 address 02:42:0a:09:00:02 netns berth-abcdef-cccccccccccc
link set bv1111111111111 master berthbbbbbbbbbb up
link add bv2222222222222 mtu 1400 type veth peer name eth1 mtu 1400 address 02:42:ac:12:00:02 netns berth-abcdef-cccccccccccc
link set bv2222222222222 master berthffffffffff up`);
    // The default route goes through the first network that is not internal.
    expect(insideSetup(container, networks).join("\n")).toBe(`link set lo up
addr add 10.9.0.2/24 dev eth0
link set eth0 up
addr add 172.18.0.2/16 dev eth1
link set eth1 up
route replace default via 172.18.0.1 dev eth1`);
  });

  it("give a container only on internal networks no default route", () => {
    const lines = insideSetup({ ...container, endpoints: container.endpoints.slice(0, 1) }, networks);
    expect(lines).toEqual(["link set lo up", "addr add 10.9.0.2/24 dev eth0", "link set eth0 up"]);
  });

  it("tear down only what is still there, host ends before the namespace", () => {
    expect(containerTeardown(container, { netns: true, links: new Set(["bv2222222222222"]) })).toEqual([
      "link del bv2222222222222",
      "netns del berth-abcdef-cccccccccccc",
    ]);
    expect(containerTeardown(container, { netns: false, links: new Set() })).toEqual([]);
  });
});
