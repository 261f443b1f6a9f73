/**
 * The embedded DNS server process on loopback addresses (no root needed): two "networks" whose
 * gateways are 127.0.53.1 and 127.0.53.2, "containers" that ask from their own 127.0.53.x source
 * addresses. Started on demand by ensureDnsServer and answering its first query, scoped by arrival
 * address and asker, round robin, NODATA/NXDOMAIN, TCP, records changed by another writer seen
 * within a second, records of gone containers pruned, a SIGKILLed server replaced by the next
 * command's ensureDnsIfNeeded, and an exit once no network is left. Nothing is forwarded outside (the test bundle turns forwarding off).
 */
import { connect } from "node:net";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureDnsIfNeeded,
  ensureDnsServer,
  runningDnsServer,
} from "../../../src/runtime/native/dns/ensure.js";
import {
  dnsFiles,
  type DnsContainerRecord,
  type DnsListenAddress,
  pruneDnsRecords,
  releaseDnsNetwork,
  removeDnsRecords,
  writeDnsRecords,
} from "../../../src/runtime/native/dns/records.js";
import { query, readReply, type Reply } from "../../unit/runtime/native/dns/wire.js";
import {
  addressesOf,
  alive,
  askUdp,
  disposeDnsEnv,
  type DnsEnv,
  openDnsEnv,
  serverEnded,
} from "./dns-harness.js";

const PORT = 20_000 + (process.pid % 20_000);
const FRONT: DnsListenAddress = { network: "t_front", address: "127.0.53.1", port: PORT };
const BACK: DnsListenAddress = { network: "t_back", address: "127.0.53.2", port: PORT };
const front = { address: FRONT.address, port: PORT };
const back = { address: BACK.address, port: PORT };

const id = (n: number): string => String(n).padStart(2, "0").repeat(32);
type Input = Omit<DnsContainerRecord, "version">;
const WEB: Input = {
  id: id(1),
  name: "t-web-1",
  service: "web",
  networks: { t_front: { ipv4: "127.0.53.10", aliases: ["web", "www"] } },
};
const API = (n: number): Input => ({
  id: id(10 + n),
  name: `t-api-${n}`,
  service: "api",
  networks: {
    t_front: { ipv4: `127.0.53.${10 + n}`, aliases: ["api"] },
    t_back: { ipv4: `127.0.53.${20 + n}`, aliases: ["api"] },
  },
});
const DB: Input = {
  id: id(30),
  name: "t-db-1",
  service: "db",
  networks: { t_back: { ipv4: "127.0.53.30", aliases: ["db", "database"] } },
};

let env: DnsEnv | undefined;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function askTcp(server: { address: string; port: number }, name: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.address, port: server.port, localAddress: "127.0.53.10" });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no TCP answer in 2 s"));
    }, 2_000);
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
      const message = query(name, "A", 777);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
  });
}

/** Asks until `check` holds (bounded by `withinMs`); the time it took, or undefined. */
async function visibleWithin(
  withinMs: number,
  ask: () => Promise<Reply | undefined>,
  check: (reply: Reply | undefined) => boolean,
): Promise<number | undefined> {
  const start = Date.now();
  for (let i = 0; i < 200 && Date.now() - start < withinMs; i++) {
    if (check(await ask())) return Date.now() - start;
    await sleep(20);
  }
  return undefined;
}

describe("native embedded DNS server (loopback)", () => {
  beforeAll(async () => {
    env = await openDnsEnv();
  }, 60_000);

  afterAll(async () => {
    if (!env) return;
    releaseDnsNetwork(env.paths, FRONT.network);
    releaseDnsNetwork(env.paths, BACK.network);
    const ended = await serverEnded(env);
    disposeDnsEnv(env);
    expect(ended, "the server ended by itself once no network was left").toBe(true);
  }, 20_000);

  it("starts on demand and answers the very first query", async () => {
    const { paths, entry } = env!;
    for (const record of [WEB, API(1), API(2), DB]) writeDnsRecords(paths, record);
    expect(runningDnsServer(paths)).toBeUndefined();
    const started = await ensureDnsServer(paths, [FRONT, BACK], { entry });
    expect(started.started).toBe(true);
    // One send, no retry: the server listens once ensureDnsServer returns.
    const first = await askUdp(front, "api", "A", { source: "127.0.53.10", timeoutMs: 1_000 });
    expect(first?.rcode).toBe("NOERROR");
    expect(addressesOf(first).sort()).toEqual(["127.0.53.11", "127.0.53.12"]);
    const again = await ensureDnsServer(paths, [FRONT, BACK], { entry });
    expect(again).toEqual({ pid: started.pid, started: false });
  });

  it("scopes names by the arrival network and the asking container", async () => {
    // web (front only) does not see db; api (front + back) does, through either gateway.
    expect((await askUdp(front, "db", "A", { source: "127.0.53.10" }))?.rcode).toBe("NXDOMAIN");
    expect(addressesOf(await askUdp(front, "db", "A", { source: "127.0.53.11" }))).toEqual(["127.0.53.30"]);
    expect(addressesOf(await askUdp(back, "database", "A", { source: "127.0.53.21" }))).toEqual([
      "127.0.53.30",
    ]);
    // On back, api answers with its back addresses; db does not see web.
    expect(addressesOf(await askUdp(back, "api", "A", { source: "127.0.53.30" })).sort()).toEqual([
      "127.0.53.21",
      "127.0.53.22",
    ]);
    expect((await askUdp(back, "web", "A", { source: "127.0.53.30" }))?.rcode).toBe("NXDOMAIN");
    expect(addressesOf(await askUdp(front, "t-web-1.t_front.", "A", { source: "127.0.53.11" }))).toEqual([
      "127.0.53.10",
    ]);
  });

  it("rotates replicas, answers AAAA NODATA, unknown names NXDOMAIN, and TCP", async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 2; i++) {
      orders.add(addressesOf(await askUdp(front, "api", "A", { source: "127.0.53.10" })).join(","));
    }
    expect(orders.size).toBe(2);
    const aaaa = await askUdp(front, "api", "AAAA", { source: "127.0.53.10" });
    expect([aaaa?.rcode, aaaa?.answers]).toEqual(["NOERROR", []]);
    expect((await askUdp(front, "nosuch", "A", { source: "127.0.53.10" }))?.rcode).toBe("NXDOMAIN");
    // Forwarding is off here: an outside name is not sent anywhere.
    expect((await askUdp(front, "example.org", "A", { source: "127.0.53.10" }))?.rcode).toBe("NXDOMAIN");
    const tcp = await askTcp(front, "www");
    expect([tcp.id, tcp.rcode, tcp.answers.map((a) => a[3])]).toEqual([777, "NOERROR", ["127.0.53.10"]]);
  });

  it("sees a scale up and down written by another process within a second", async () => {
    const { paths } = env!;
    const ask = () => askUdp(front, "api", "A", { source: "127.0.53.10", timeoutMs: 500 });
    writeDnsRecords(paths, API(3));
    const up = await visibleWithin(1_000, ask, (r) => addressesOf(r).length === 3);
    expect(up, "3 api addresses within 1 s").toBeDefined();
    removeDnsRecords(paths, API(3).id);
    removeDnsRecords(paths, API(2).id);
    const down = await visibleWithin(1_000, ask, (r) => addressesOf(r).join() === "127.0.53.11");
    expect(down, "back to 1 api address within 1 s").toBeDefined();
    writeDnsRecords(paths, API(2));
  });

  it("drops the records of containers gone (a sweep) from the answers", async () => {
    const { paths } = env!;
    const ask = () => askUdp(front, "api", "A", { source: "127.0.53.10", timeoutMs: 500 });
    writeDnsRecords(paths, API(4));
    expect(await visibleWithin(1_000, ask, (r) => addressesOf(r).length === 3)).toBeDefined();
    const live = new Set([WEB, API(1), API(2), DB].map((r) => r.id));
    expect(pruneDnsRecords(paths, live)).toEqual([API(4).id]);
    expect(await visibleWithin(1_000, ask, (r) => addressesOf(r).length === 2)).toBeDefined();
  });

  it("a killed server is replaced by the next command's ensureDnsIfNeeded", async () => {
    const { paths, entry } = env!;
    const before = runningDnsServer(paths)!;
    process.kill(before.pid, "SIGKILL");
    for (let i = 0; i < 100 && alive(before); i++) await sleep(20);
    expect(runningDnsServer(paths)).toBeUndefined();
    const after = await ensureDnsIfNeeded(paths, { entry });
    expect(after?.started).toBe(true);
    expect(after?.pid).not.toBe(before.pid);
    expect(await ensureDnsIfNeeded(paths, { entry })).toBeUndefined();
    expect(await ensureDnsServer(paths, [FRONT, BACK], { entry })).toEqual({
      pid: after?.pid,
      started: false,
    });
    expect(addressesOf(await askUdp(back, "db", "A", { source: "127.0.53.21" }))).toEqual(["127.0.53.30"]);
  });

  it("closes a released network's address and exits once no network is left", async () => {
    const { paths } = env!;
    const owner = runningDnsServer(paths)!;
    releaseDnsNetwork(paths, FRONT.network);
    const closed = await visibleWithin(
      1_000,
      () => askUdp(front, "api", "A", { source: "127.0.53.10", timeoutMs: 200 }),
      (r) => r === undefined,
    );
    expect(closed, "front's address closed within 1 s").toBeDefined();
    expect(addressesOf(await askUdp(back, "db", "A", { source: "127.0.53.21" }))).toEqual(["127.0.53.30"]);
    releaseDnsNetwork(paths, BACK.network);
    for (let i = 0; i < 100 && alive(owner); i++) await sleep(50);
    expect(alive(owner)).toBe(false);
    expect(existsSync(dnsFiles(paths).pidFile)).toBe(false);
  });
});
