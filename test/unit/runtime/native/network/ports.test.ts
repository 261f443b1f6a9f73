import { describe, expect, it } from "vitest";
import { portRequest, publishedBy } from "../../../../../src/runtime/native/network/ports.js";
import { EMPTY_STATE, type NetworkState } from "../../../../../src/runtime/native/network/records.js";

describe("published ports", () => {
  it("read a binding: wildcard host addresses, ranges, no host port", () => {
    expect(
      portRequest({ containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: "8000-8010" }),
    ).toEqual({
      protocol: "tcp",
      hostIp: "",
      low: 8000,
      high: 8010,
      containerPort: 80,
    });
    expect(portRequest({ containerPort: 53, protocol: "udp", hostIp: "127.0.0.1" })).toEqual({
      protocol: "udp",
      hostIp: "127.0.0.1",
      low: undefined,
      high: undefined,
      containerPort: 53,
    });
  });

  it("refuse what DNAT over IPv4 cannot publish", () => {
    expect(() => portRequest({ containerPort: 80, protocol: "sctp" })).toThrow("tcp and udp only");
    expect(() => portRequest({ containerPort: 80, protocol: "tcp", hostIp: "::1" })).toThrow(
      "not an IPv4 address",
    );
    expect(() => portRequest({ containerPort: 80, protocol: "tcp", hostPort: "90-80" })).toThrow(
      "invalid host port",
    );
  });

  it("know which berth container publishes a port, a wildcard clashing with any address", () => {
    const state: NetworkState = {
      ...EMPTY_STATE,
      containers: {
        c1: {
          id: "c1",
          netns: "ns",
          state: "ready",
          endpoints: [],
          ports: [
            {
              protocol: "tcp",
              hostIp: "127.0.0.1",
              hostPort: 8080,
              containerPort: 80,
              network: "n",
              address: "10.0.0.2",
            },
          ],
        },
      },
    };
    expect(publishedBy(state, "tcp", "", 8080)).toBe("c1");
    expect(publishedBy(state, "tcp", "127.0.0.2", 8080)).toBeUndefined();
    expect(publishedBy(state, "udp", "", 8080)).toBeUndefined();
  });
});
