import { describe, expect, it } from "vitest";
import { networkRecord } from "./fixtures.js";
import type { NetworkRecord, PortRecord } from "../../../../../src/runtime/native/network/records.js";
import {
  parseFilter,
  renderAccepts,
  renderTable,
  renderTableRemoval,
} from "../../../../../src/runtime/native/network/rules.js";

const network: NetworkRecord = networkRecord({
  name: "shop_default",
  bridge: "berth0123456789",
  subnet: "172.18.0.0/16",
  gateway: "172.18.0.1",
});

const ports: (PortRecord & { container: string })[] = [
  {
    protocol: "udp",
    hostIp: "127.0.0.1",
    hostPort: 5353,
    containerPort: 53,
    network: "shop_default",
    address: "172.18.0.3",
    container: "b".repeat(64),
  },
  {
    protocol: "tcp",
    hostIp: "",
    hostPort: 8080,
    containerPort: 80,
    network: "shop_default",
    address: "172.18.0.2",
    container: "a".repeat(64),
  },
  {
    protocol: "tcp",
    hostIp: "",
    hostPort: 9000,
    containerPort: 90,
    network: "other",
    address: "172.19.0.2",
    container: "c".repeat(64),
  },
];

describe("nft rules", () => {
  it("render a network's whole table: accepts within, replies and published ports in, masquerade out, DNAT from every local address", () => {
    expect(renderTable(network, ports)).toBe(`table ip berth0123456789
delete table ip berth0123456789
table ip berth0123456789 {
	chain forward {
		type filter hook forward priority filter; policy accept;
		oifname "berth0123456789" ct state established,related accept comment "berth shop_default: replies"
		oifname "berth0123456789" iifname "berth0123456789" accept comment "berth shop_default: between its containers"
		oifname "berth0123456789" ct status dnat accept comment "berth shop_default: published ports"
		oifname "berth0123456789" drop comment "berth shop_default: nothing else comes in"
		iifname "berth0123456789" oifname { "docker0", "br-*" } ct status != dnat drop comment "berth shop_default: not into Docker's networks"
		iifname "berth0123456789" accept comment "berth shop_default: outbound"
	}
	chain martians {
		type filter hook prerouting priority raw; policy accept;
		iifname "berth0123456789" ip daddr 127.0.0.0/8 drop comment "berth shop_default: no loopback from the bridge"
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 127.0.0.1 udp dport 5353 dnat to 172.18.0.3:53 comment "berth shop_default: container bbbbbbbbbbbb"
		fib daddr type local tcp dport 8080 dnat to 172.18.0.2:80 comment "berth shop_default: container aaaaaaaaaaaa"
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr 127.0.0.1 udp dport 5353 dnat to 172.18.0.3:53 comment "berth shop_default: container bbbbbbbbbbbb"
		fib daddr type local tcp dport 8080 dnat to 172.18.0.2:80 comment "berth shop_default: container aaaaaaaaaaaa"
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "berth0123456789" ip saddr 127.0.0.0/8 masquerade comment "berth shop_default: published ports from loopback"
		oifname "berth0123456789" iifname "berth0123456789" ct status dnat masquerade comment "berth shop_default: hairpin"
		ip saddr 172.18.0.0/16 oifname != "berth0123456789" masquerade comment "berth shop_default: outbound"
	}
}
`);
  });

  it("render an internal network with no way in or out and no published port", () => {
    const text = renderTable({ ...network, internal: true }, ports);
    expect(text)
      .toContain(`\t\toifname "berth0123456789" iifname "berth0123456789" accept comment "berth shop_default: between its containers"
		iifname "berth0123456789" drop comment "berth shop_default: internal, no way out"
		oifname "berth0123456789" drop comment "berth shop_default: internal, no way in"
	}`);
    expect(text).not.toContain("dnat to");
    expect(text).not.toContain("outbound");
  });

  it("remove a table idempotently (declared, then deleted)", () => {
    expect(renderTableRemoval("berth0123456789")).toBe(
      "table ip berth0123456789\ndelete table ip berth0123456789\n",
    );
  });
});

const dockerFilter = `-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N DOCKER
-N DOCKER-USER
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -o berthffffffffff -m comment --comment "berth:berthffffffffff" -j ACCEPT
-A DOCKER-USER -j RETURN
`;

describe("iptables accepts", () => {
  it("go into DOCKER-USER when dockerd made it, into FORWARD under another DROP policy, nowhere otherwise", () => {
    expect(parseFilter(dockerFilter).chain).toBe("DOCKER-USER");
    expect(parseFilter("-P FORWARD DROP\n").chain).toBe("FORWARD");
    expect(parseFilter("-P FORWARD ACCEPT\n").chain).toBeUndefined();
  });

  it("are inserted at the top, tagged, and only those missing", () => {
    expect(renderAccepts(parseFilter(dockerFilter), ["berth0123456789"], true)).toBe(`*filter
-I DOCKER-USER 1 -i berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT
-I DOCKER-USER 1 -o berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT
COMMIT
`);
    const present = `${dockerFilter}-A DOCKER-USER -i berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT\n-A DOCKER-USER -o berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT\n`;
    expect(renderAccepts(parseFilter(present), ["berth0123456789"], true)).toBeUndefined();
    expect(renderAccepts(parseFilter("-P FORWARD ACCEPT\n"), ["berth0123456789"], true)).toBeUndefined();
  });

  it("cover several bridges in one restore", () => {
    expect(renderAccepts(parseFilter(dockerFilter), ["berth0123456789", "berthffffffffff"], true))
      .toBe(`*filter
-I DOCKER-USER 1 -i berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT
-I DOCKER-USER 1 -o berth0123456789 -m comment --comment "berth:berth0123456789" -j ACCEPT
-I DOCKER-USER 1 -i berthffffffffff -m comment --comment "berth:berthffffffffff" -j ACCEPT
COMMIT
`);
  });

  it("are deleted as iptables -S printed them, leaving other bridges' alone", () => {
    expect(renderAccepts(parseFilter(dockerFilter), ["berthffffffffff"], false)).toBe(`*filter
-D DOCKER-USER -o berthffffffffff -m comment --comment "berth:berthffffffffff" -j ACCEPT
COMMIT
`);
    expect(renderAccepts(parseFilter(dockerFilter), ["berth0123456789"], false)).toBeUndefined();
  });
});
