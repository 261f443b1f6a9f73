import * as dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { ANSWER_TTL, decide } from "../../../../../src/runtime/native/dns/answer.js";
import { buildIndex, lookupName, RoundRobin } from "../../../../../src/runtime/native/dns/lookup.js";
import { type DnsContainerRecord, parseDnsRecord } from "../../../../../src/runtime/native/dns/records.js";
import { query, readReply } from "./wire.js";

const id = (n: number): string => String(n).padStart(2, "0").repeat(32);
const record = (r: Omit<DnsContainerRecord, "version">): DnsContainerRecord => ({ version: 1, ...r });

// Project "p": web on front only, api (2 replicas) on front and back, db on back only.
// Project "q": its own web on its own network.
const records = [
  record({
    id: id(1),
    name: "p-web-1",
    service: "web",
    hostname: "www",
    networks: { p_front: { ipv4: "10.1.0.2", aliases: ["web", "frontend"], links: ["p-db-1:database"] } },
    searchDomains: ["corp.example"],
    upstreams: ["192.0.2.53"],
  }),
  record({
    id: id(2),
    name: "p-api-1",
    service: "api",
    networks: {
      p_front: { ipv4: "10.1.0.3", aliases: ["api"] },
      p_back: { ipv4: "10.2.0.3", aliases: ["api"] },
    },
  }),
  record({
    id: id(3),
    name: "p-api-2",
    service: "api",
    networks: {
      p_front: { ipv4: "10.1.0.4", aliases: ["api"] },
      p_back: { ipv4: "10.2.0.4", aliases: ["api"] },
    },
  }),
  record({
    id: id(4),
    name: "p-db-1",
    service: "db",
    networks: { p_back: { ipv4: "10.2.0.5", aliases: ["db"] } },
  }),
  record({ id: id(5), name: "q-web-1", service: "web", networks: { q_default: { ipv4: "10.9.0.2" } } }),
];
const index = buildIndex(records);
const ask = (network: string, source: string, name: string) => lookupName(index, { network, source, name });
const found = (network: string, ipv4: string[]) => ({ kind: "found", network, ipv4, ipv6: [] });

describe("lookupName scoping", () => {
  it("answers service, container, alias, hostname and short-ID names on the arrival network", () => {
    for (const name of ["web", "p-web-1", "frontend", "www", id(1).slice(0, 12)]) {
      expect(ask("p_front", "10.1.0.3", name), name).toEqual(found("p_front", ["10.1.0.2"]));
    }
  });

  it("every replica of a service, on the network that answered", () => {
    expect(ask("p_front", "10.1.0.2", "api")).toEqual(found("p_front", ["10.1.0.3", "10.1.0.4"]));
    expect(ask("p_back", "10.2.0.5", "api")).toEqual(found("p_back", ["10.2.0.3", "10.2.0.4"]));
  });

  it("a container on two networks resolves names of both; one on a single network does not see the other", () => {
    // api (front + back) asking through front's gateway finds db on back.
    expect(ask("p_front", "10.1.0.3", "db")).toEqual(found("p_back", ["10.2.0.5"]));
    // web (front only) cannot see db; db (back only) cannot see web.
    expect(ask("p_front", "10.1.0.2", "db")).toEqual({ kind: "unknown" });
    expect(ask("p_back", "10.2.0.5", "web")).toEqual({ kind: "unknown" });
  });

  it("two projects with the same service names never see each other", () => {
    expect(ask("q_default", "10.9.0.2", "web")).toEqual(found("q_default", ["10.9.0.2"]));
    expect(ask("q_default", "10.9.0.2", "api")).toEqual({ kind: "unknown" });
    expect(ask("p_front", "10.1.0.3", "q-web-1")).toEqual({ kind: "unknown" });
  });

  it("an unknown asker sees the arrival network only", () => {
    expect(ask("p_front", "10.1.0.200", "api")).toEqual(found("p_front", ["10.1.0.3", "10.1.0.4"]));
    expect(ask("p_front", "10.1.0.200", "db")).toEqual({ kind: "unknown" });
  });

  it("links are the linking container's alone", () => {
    // web links p-db-1 as `database`, but does not share a network with it: nothing on front.
    expect(ask("p_front", "10.1.0.2", "database")).toEqual({ kind: "unknown" });
    const linked = buildIndex([
      record({ id: id(6), name: "a", networks: { n: { ipv4: "10.5.0.2", links: ["b:store"] } } }),
      record({ id: id(7), name: "b", networks: { n: { ipv4: "10.5.0.3" } } }),
      record({ id: id(8), name: "c", networks: { n: { ipv4: "10.5.0.4" } } }),
    ]);
    expect(lookupName(linked, { network: "n", source: "10.5.0.2", name: "store" })).toEqual(
      found("n", ["10.5.0.3"]),
    );
    expect(lookupName(linked, { network: "n", source: "10.5.0.4", name: "store" })).toEqual({
      kind: "unknown",
    });
  });

  it("case, trailing dots, name.<network> and the asker's search domains", () => {
    expect(ask("p_front", "10.1.0.3", "API.")).toEqual(found("p_front", ["10.1.0.3", "10.1.0.4"]));
    expect(ask("p_front", "10.1.0.3", "api.p_back")).toEqual(found("p_back", ["10.2.0.3", "10.2.0.4"]));
    expect(ask("p_front", "10.1.0.3", "p-db-1.p_back.")).toEqual(found("p_back", ["10.2.0.5"]));
    // web's resolv.conf searches corp.example: `api.corp.example` is api.
    expect(ask("p_front", "10.1.0.2", "api.corp.example")).toEqual(
      found("p_front", ["10.1.0.3", "10.1.0.4"]),
    );
    // Another container does not have that search domain: the name is the outside world's.
    expect(ask("p_front", "10.1.0.3", "api.corp.example")).toEqual({
      kind: "external",
      upstreams: undefined,
    });
  });

  it("unknown bare names are ours (NXDOMAIN); dotted ones go out, to the asker's dns servers if any", () => {
    expect(ask("p_front", "10.1.0.3", "nosuch")).toEqual({ kind: "unknown" });
    expect(ask("p_front", "10.1.0.2", "example.org")).toEqual({
      kind: "external",
      upstreams: ["192.0.2.53"],
    });
    expect(ask("p_front", "10.1.0.3", "example.org.")).toEqual({ kind: "external", upstreams: undefined });
  });

  it("IPv6 addresses come with the found name when an endpoint has one", () => {
    const v6 = buildIndex([
      record({ id: id(9), name: "six", networks: { n: { ipv4: "10.6.0.2", ipv6: "fd00::2" } } }),
    ]);
    expect(lookupName(v6, { network: "n", source: "10.6.0.9", name: "six" })).toEqual({
      kind: "found",
      network: "n",
      ipv4: ["10.6.0.2"],
      ipv6: ["fd00::2"],
    });
  });
});

describe("lookupName of containers not running", () => {
  it("leaves a stopped container's names unanswered, its running replicas answered", () => {
    const stopped = buildIndex(
      records.map((r) => (r.id === id(3) || r.id === id(4) ? { ...r, stopped: true } : r)),
    );
    const askStopped = (name: string) => lookupName(stopped, { network: "p_back", source: "10.2.0.3", name });
    expect(askStopped("api")).toEqual(found("p_back", ["10.2.0.3"]));
    expect(askStopped("p-api-2").kind).toBe("unknown");
    expect(askStopped("db").kind).toBe("unknown");
    // A link to a stopped container answers nothing either.
    expect(lookupName(stopped, { network: "p_front", source: "10.1.0.2", name: "database" }).kind).toBe(
      "unknown",
    );
  });

  it("reads `stopped` back from a record file, and only `true` counts", () => {
    const base = { version: 1, id: id(1), name: "a", networks: {} };
    expect(parseDnsRecord({ ...base, stopped: true })?.stopped).toBe(true);
    expect(parseDnsRecord({ ...base, stopped: "yes" })?.stopped).toBeUndefined();
    expect(parseDnsRecord(base)?.stopped).toBeUndefined();
  });
});

describe("RoundRobin", () => {
  it("rotates the order by one per answer, per name", () => {
    const rr = new RoundRobin();
    expect(rr.order("a", [1, 2, 3])).toEqual([1, 2, 3]);
    expect(rr.order("a", [1, 2, 3])).toEqual([2, 3, 1]);
    expect(rr.order("b", [1, 2])).toEqual([1, 2]);
    expect(rr.order("a", [1, 2, 3])).toEqual([3, 1, 2]);
    expect(rr.order("a", [1, 2, 3])).toEqual([1, 2, 3]);
    // Scaled down meanwhile: still a rotation of what is there.
    expect(rr.order("a", [1, 2])).toEqual([2, 1]);
    expect(rr.order("single", [7])).toEqual([7]);
  });
});

describe("decide: packets", () => {
  const context = { network: "p_front", source: "10.1.0.2", forward: true };
  const reply = (bytes: Buffer, ctx = context, rr = new RoundRobin()) => {
    const decision = decide(bytes, ctx, index, rr);
    if (decision.kind !== "reply") throw new Error(`expected a reply, got ${decision.kind}`);
    return readReply(decision.bytes);
  };

  it("A: every replica with TTL 600, authoritative, RD copied, RA set, the order rotating", () => {
    const rr = new RoundRobin();
    const first = reply(query("api", "A"), context, rr);
    expect(first.id).toBe(4242);
    expect(first.rcode).toBe("NOERROR");
    expect([first.aa, first.rd, first.ra]).toEqual([true, true, true]);
    expect(first.questions).toEqual([{ name: "api", type: "A", class: "IN" }]);
    expect(first.answers).toEqual([
      ["A", "api", ANSWER_TTL, "10.1.0.3"],
      ["A", "api", ANSWER_TTL, "10.1.0.4"],
    ]);
    const second = reply(query("api", "A"), context, rr);
    expect(second.answers.map((a) => a[3])).toEqual(["10.1.0.4", "10.1.0.3"]);
  });

  it("AAAA of a known name: NODATA; of an unknown one: NXDOMAIN", () => {
    const known = reply(query("api", "AAAA"));
    expect(known.rcode).toBe("NOERROR");
    expect(known.answers).toEqual([]);
    expect(reply(query("nosuch", "AAAA")).rcode).toBe("NXDOMAIN");
    expect(reply(query("nosuch", "A")).rcode).toBe("NXDOMAIN");
    // Another type of a known name: NODATA too.
    expect(reply(query("web", "MX")).answers).toEqual([]);
  });

  it("outside names are forwarded, or NXDOMAIN with forwarding off", () => {
    expect(decide(query("example.org", "A"), context, index, new RoundRobin())).toEqual({
      kind: "forward",
      upstreams: ["192.0.2.53"],
    });
    expect(reply(query("example.org", "A"), { ...context, forward: false }).rcode).toBe("NXDOMAIN");
  });

  it("responses are dropped, other opcodes NOTIMP, garbage FORMERR, runts dropped", () => {
    const response = dnsPacket.encode({ type: "response", id: 1, questions: [{ type: "A", name: "api" }] });
    expect(decide(response, context, index, new RoundRobin()).kind).toBe("drop");
    const status = Buffer.from(query("api", "A"));
    status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2);
    expect(reply(status).rcode).toBe("NOTIMP");
    const garbage = Buffer.concat([query("api", "A").subarray(0, 12), Buffer.from([0xff, 0xff])]);
    expect(reply(garbage).rcode).toBe("FORMERR");
    expect(decide(Buffer.from([1, 2, 3]), context, index, new RoundRobin()).kind).toBe("drop");
  });
});

describe("decide: reply size", () => {
  const many = buildIndex(
    Array.from({ length: 60 }, (_, i) =>
      record({
        id: id(i + 10),
        name: `s-web-${i + 1}`,
        networks: { n: { ipv4: `10.7.0.${i + 2}`, aliases: ["web"] } },
      }),
    ),
  );
  const reply = (bytes: Buffer, transport?: "udp" | "tcp") => {
    const decision = decide(
      bytes,
      { network: "n", source: "10.7.1.1", forward: false, transport },
      many,
      new RoundRobin(),
    );
    if (decision.kind !== "reply") throw new Error(`expected a reply, got ${decision.kind}`);
    return {
      size: decision.bytes.length,
      tc: (decision.bytes.readUInt16BE(2) & 0x0200) !== 0,
      ...readReply(decision.bytes),
    };
  };

  it("a UDP reply without EDNS0 fits 512 bytes and says it was truncated; TCP carries every answer", () => {
    const udp = reply(query("web", "A"));
    expect(udp.size).toBeLessThanOrEqual(512);
    expect(udp.tc).toBe(true);
    expect(udp.answers.length).toBeGreaterThan(0);
    expect(udp.answers.length).toBeLessThan(60);
    const tcp = reply(query("web", "A"), "tcp");
    expect([tcp.tc, tcp.answers.length]).toEqual([false, 60]);
  });

  it("an EDNS0 payload size lets a UDP reply grow to it", () => {
    const edns = dnsPacket.encode({
      type: "query",
      id: 5,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: "A", name: "web", class: "IN" }],
      additionals: [
        {
          type: "OPT",
          name: ".",
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    const udp = reply(edns);
    expect([udp.tc, udp.answers.length]).toEqual([false, 60]);
    // Few answers need no truncation at all.
    expect(reply(query("s-web-1", "A")).tc).toBe(false);
  });
});

describe("parseDnsRecord", () => {
  it("reads back what is written and refuses other versions and shapes", () => {
    const r = records[0]!;
    expect(parseDnsRecord(JSON.parse(JSON.stringify(r)))).toEqual({ ...r, hostname: "www" });
    expect(parseDnsRecord({ ...r, version: 2 })).toBeUndefined();
    expect(parseDnsRecord({ id: "x" })).toBeUndefined();
    expect(parseDnsRecord(null)).toBeUndefined();
    // An endpoint without an address is left out.
    expect(
      parseDnsRecord({ version: 1, id: "x", name: "x", networks: { n: { aliases: [] } } })?.networks,
    ).toEqual({});
  });
});
