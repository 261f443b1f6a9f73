/**
 * Forwarding of names that are not the containers', as root, to stand-in resolvers the test runs on
 * loopback port 53 (as a host's 127.0.0.53 would be; nothing goes outside): the host's resolvers by
 * default, a container's own `dns:` servers when its record names them, the next server when one
 * does not answer, SERVFAIL when none does, UDP and TCP alike; bare unknown names never leave.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server } from "node:net";
import * as dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDnsNetwork, writeDnsRecords } from "../../../src/runtime/native/dns/records.js";
import { DnsServer } from "../../../src/runtime/native/dns/server.js";
import { query, readReply, type Reply } from "../../unit/runtime/native/dns/wire.js";
import { requireOrSkip } from "../engine.js";
import { addressesOf, askUdp, disposeDnsEnv, type DnsEnv, openDnsEnv } from "./dns-harness.js";

const ready = process.getuid?.() === 0;
const PORT = 20_000 + ((process.pid + 7) % 20_000);
const LISTEN = { address: "127.0.54.10", port: PORT };
const HOST_RESOLVER = "127.0.54.1";
const OWN_RESOLVER = "127.0.54.2";
const SILENT = "127.0.54.3";

interface Upstream {
  readonly asked: string[];
  close(): Promise<void>;
}

/** A resolver answering every A question with `address`, over UDP and TCP, remembering the names. */
async function upstream(host: string, address: string): Promise<Upstream> {
  const asked: string[] = [];
  const answer = (message: Buffer): Buffer => {
    const packet = dnsPacket.decode(message);
    const questions = packet.questions ?? [];
    asked.push(...questions.map((q) => q.name));
    return dnsPacket.encode({
      type: "response",
      id: packet.id ?? 0,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions,
      answers: questions.map((q) => ({ type: "A", name: q.name, ttl: 30, data: address })),
    });
  };
  const udp: UdpSocket = createSocket("udp4");
  udp.on("message", (message, from) => udp.send(answer(message), from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(53, host, resolve));
  const tcp: Server = createServer((socket) => {
    socket.on("data", (chunk: Buffer) => {
      const reply = answer(chunk.subarray(2, 2 + chunk.readUInt16BE(0)));
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([length, reply]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(53, host, resolve));
  return {
    asked,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

function askTcp(name: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LISTEN.address, port: PORT, localAddress: "127.0.54.20" });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no TCP answer in 3 s"));
    }, 3_000);
    let buffered = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(readReply(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      }
    });
    socket.on("connect", () => {
      const message = query(name, "A", 99);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
  });
}

let env: DnsEnv | undefined;
let server: DnsServer | undefined;
let upstreams: Upstream[] = [];
let hostResolvers: string[] = [HOST_RESOLVER];

describe("native embedded DNS forwarding (stand-in resolvers on loopback)", () => {
  beforeAll(async () => {
    if (!ready) return;
    env = await openDnsEnv();
    upstreams = [await upstream(HOST_RESOLVER, "192.0.2.7"), await upstream(OWN_RESOLVER, "192.0.2.8")];
    writeDnsNetwork(env.paths, { network: "f_default", ...LISTEN });
    writeDnsRecords(env.paths, {
      id: "a".repeat(64),
      name: "f-app-1",
      networks: { f_default: { ipv4: "127.0.54.20", aliases: ["app"] } },
    });
    writeDnsRecords(env.paths, {
      id: "b".repeat(64),
      name: "f-own-1",
      networks: { f_default: { ipv4: "127.0.54.21", aliases: ["own"] } },
      upstreams: [OWN_RESOLVER],
    });
    server = new DnsServer({
      paths: env.paths,
      forward: true,
      hostResolvers: () => hostResolvers,
      upstreamTimeoutMs: 300,
    });
    await server.start();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    for (const u of upstreams) await u.close();
    if (env) disposeDnsEnv(env);
  });

  it("forwards other names to the host's resolvers over UDP and TCP, keeps its own names", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS forwarding tests need root (stand-in resolvers on port 53)");
    expect(addressesOf(await askUdp(LISTEN, "example.org", "A", { source: "127.0.54.20" }))).toEqual([
      "192.0.2.7",
    ]);
    const tcp = await askTcp("example.net");
    expect([tcp.id, tcp.answers.map((a) => a[3])]).toEqual([99, ["192.0.2.7"]]);
    expect(addressesOf(await askUdp(LISTEN, "own", "A", { source: "127.0.54.20" }))).toEqual(["127.0.54.21"]);
    expect((await askUdp(LISTEN, "nosuch", "A", { source: "127.0.54.20" }))?.rcode).toBe("NXDOMAIN");
    expect(upstreams[0]!.asked).toEqual(["example.org", "example.net"]);
  });

  it("a container's own dns servers take its other names", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS forwarding tests need root (stand-in resolvers on port 53)");
    expect(addressesOf(await askUdp(LISTEN, "example.org", "A", { source: "127.0.54.21" }))).toEqual([
      "192.0.2.8",
    ]);
    expect(upstreams[1]!.asked).toEqual(["example.org"]);
  });

  it("skips a silent resolver, and answers SERVFAIL when none answers", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS forwarding tests need root (stand-in resolvers on port 53)");
    hostResolvers = [SILENT, HOST_RESOLVER];
    expect(addressesOf(await askUdp(LISTEN, "example.com", "A", { source: "127.0.54.20" }))).toEqual([
      "192.0.2.7",
    ]);
    hostResolvers = [SILENT];
    const failed = await askUdp(LISTEN, "example.com", "A", { source: "127.0.54.20", timeoutMs: 2_000 });
    expect(failed?.rcode).toBe("SERVFAIL");
  });
});
