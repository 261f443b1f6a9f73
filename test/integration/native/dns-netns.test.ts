/**
 * The embedded DNS server as containers meet it, as root: a network namespace with a veth to the
 * host, the server listening on the host-side address (port 53, as for a bridge gateway), queried
 * from inside the namespace with busybox `nslookup` and with a client that sends each query once (no
 * retry), already running so that the first query leaves the moment the server is said to listen. Covers the first query after a cold start (also when the address comes up
 * after ensureDnsServer was called), round robin, NODATA, NXDOMAIN, and a scale up/down seen within
 * a second. Everything made (namespace, link, process, files) is removed and checked gone.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDnsServer, runningDnsServer } from "../../../src/runtime/native/dns/ensure.js";
import {
  type DnsContainerRecord,
  releaseDnsNetwork,
  removeDnsRecords,
  writeDnsRecords,
} from "../../../src/runtime/native/dns/records.js";
import { readReply, type Reply } from "../../unit/runtime/native/dns/wire.js";
import { requireOrSkip } from "../engine.js";
import { addressesOf, disposeDnsEnv, type DnsEnv, openDnsEnv, serverEnded } from "./dns-harness.js";
import { existsSync } from "node:fs";

const BUSYBOX = process.env["BERTH_TEST_BUSYBOX"] ?? "/bin/busybox";
const ready = process.getuid?.() === 0 && existsSync("/usr/sbin/ip") && existsSync(BUSYBOX);
const tag = String(process.pid % 100_000);
const NS = `berth-dns-${tag}`;
const HOST_LINK = `bdns${tag}h`;
const SUBNET = `10.213.${20 + (process.pid % 200)}`;
const GATEWAY = `${SUBNET}.1`;
const ASKER = `${SUBNET}.2`;
const NETWORK = "dnstest_default";

const id = (n: number): string => String(n).padStart(2, "0").repeat(32);
const api = (n: number): Omit<DnsContainerRecord, "version"> => ({
  id: id(n),
  name: `dnstest-api-${n}`,
  service: "api",
  networks: { [NETWORK]: { ipv4: `${SUBNET}.${10 + n}`, aliases: ["api"] } },
});

let env: DnsEnv | undefined;
let made = false;
let client: Client | undefined;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ip = (...args: string[]) => execa("ip", args);

/**
 * A client living inside the namespace: for each stdin line `name type` it sends one query (encoded
 * by hand), no retry, and prints the reply's bytes as base64, or `timeout` after 1 s. Started
 * before a test needs it, so a query goes out the moment the test writes its line.
 */
const CLIENT = `
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";
const server = process.argv[2];
const socket = createSocket("udp4");
let pending;
socket.on("message", (m) => {
  if (pending && m.readUInt16BE(0) === pending.id) { clearTimeout(pending.timer); pending = undefined; console.log(m.toString("base64")); }
});
for await (const line of createInterface({ input: process.stdin })) {
  const [name, type] = line.split(" ");
  const labels = name.split(".").filter(Boolean).flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const id = Math.floor(Math.random() * 65535);
  const header = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const question = Buffer.concat([...labels, Buffer.from([0, 0, type === "AAAA" ? 28 : 1, 0, 1])]);
  await new Promise((resolve) => {
    pending = { id, timer: setTimeout(() => { pending = undefined; console.log("timeout"); resolve(); }, 1000) };
    const check = setInterval(() => { if (!pending) { clearInterval(check); resolve(); } }, 1);
    socket.send(Buffer.concat([header, question]), 53, server);
  });
}
socket.close();
`;

interface Client {
  ask(name: string, type?: "A" | "AAAA"): Promise<Reply | undefined>;
  close(): Promise<void>;
}

function startClient(): Client {
  const file = path.join(env!.dir, "client.mjs");
  const child = execa("ip", ["netns", "exec", NS, process.execPath, file, GATEWAY], {
    reject: false,
    timeout: 60_000,
    buffer: false,
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    rest += chunk.toString();
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  return {
    async ask(name, type = "A") {
      const line = new Promise<string>((resolve) => {
        const ready = lines.shift();
        if (ready !== undefined) resolve(ready);
        else waiters.push(resolve);
      });
      child.stdin?.write(`${name} ${type}\n`);
      const text = await Promise.race([line, sleep(5_000).then(() => "no output")]);
      return /^[A-Za-z0-9+/=]+$/.test(text) && text !== "timeout"
        ? readReply(Buffer.from(text, "base64"))
        : undefined;
    },
    async close() {
      child.stdin?.end();
      await child;
    },
  };
}

async function nslookup(
  type: string,
  name: string,
): Promise<{ exitCode: number; addresses: string[]; text: string }> {
  const result = await execa(
    "ip",
    ["netns", "exec", NS, BUSYBOX, "nslookup", `-type=${type}`, name, GATEWAY],
    {
      reject: false,
      timeout: 15_000,
    },
  );
  // After the "Name:" line, each "Address: x" is an answer (the first Address line is the server's).
  const text = result.stdout;
  const body = text.slice(Math.max(0, text.indexOf("Name:")));
  const addresses = text.includes("Name:") ? [...body.matchAll(/^Address: (\S+)$/gm)].map((m) => m[1]!) : [];
  return { exitCode: result.exitCode ?? -1, addresses, text };
}

async function linksAndNamespaces(): Promise<string[]> {
  const links = (await ip("-o", "link")).stdout.split("\n").filter((l) => l.includes(HOST_LINK));
  const namespaces = (await ip("netns", "list")).stdout.split("\n").filter((l) => l.startsWith(NS));
  return [...links, ...namespaces];
}

describe("native embedded DNS seen from a network namespace", () => {
  beforeAll(async () => {
    if (!ready) return;
    env = await openDnsEnv();
    writeFileSync(path.join(env.dir, "client.mjs"), CLIENT);
    await ip("netns", "add", NS);
    made = true;
    await ip("link", "add", HOST_LINK, "type", "veth", "peer", "name", "eth0", "netns", NS);
    await ip("link", "set", HOST_LINK, "up");
    await ip("-n", NS, "addr", "add", `${ASKER}/24`, "dev", "eth0");
    await ip("-n", NS, "link", "set", "eth0", "up");
    await ip("-n", NS, "link", "set", "lo", "up");
    client = startClient();
  }, 60_000);

  afterAll(async () => {
    if (!env) return;
    releaseDnsNetwork(env.paths, NETWORK);
    const ended = await serverEnded(env);
    await client?.close();
    if (made) {
      // The host end first: a namespace's links otherwise go with it asynchronously.
      await ip("link", "del", HOST_LINK).catch(() => undefined);
      await ip("netns", "del", NS).catch(() => undefined);
    }
    disposeDnsEnv(env);
    expect(await linksAndNamespaces(), "links and namespaces left").toEqual([]);
    expect(ended, "the server ended by itself once its network was released").toBe(true);
  }, 30_000);

  it("answers the first query of a cold start, even when the gateway address comes up late", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS namespace tests need root, ip and busybox");
    const { paths, entry } = env!;
    writeDnsRecords(paths, api(1));
    writeDnsRecords(paths, api(2));
    expect(runningDnsServer(paths)).toBeUndefined();
    // The bridge's address is assigned a moment after the server was asked for it.
    const ensured = ensureDnsServer(paths, [{ network: NETWORK, address: GATEWAY }], { entry });
    await sleep(400);
    await ip("addr", "add", `${GATEWAY}/24`, "dev", HOST_LINK);
    expect((await ensured).started).toBe(true);
    const first = await client!.ask("api");
    expect(first?.rcode).toBe("NOERROR");
    expect(addressesOf(first).sort()).toEqual([`${SUBNET}.11`, `${SUBNET}.12`]);
  });

  it("busybox nslookup: every replica, rotated; AAAA NODATA; unknown and outside names NXDOMAIN", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS namespace tests need root, ip and busybox");
    const one = await nslookup("a", "api");
    const two = await nslookup("a", "api.");
    expect(one.exitCode, one.text).toBe(0);
    expect([...one.addresses].sort()).toEqual([`${SUBNET}.11`, `${SUBNET}.12`]);
    expect(two.addresses).toEqual([...one.addresses].reverse());
    expect((await nslookup("a", "dnstest-api-1")).addresses).toEqual([`${SUBNET}.11`]);
    const aaaa = await nslookup("aaaa", "api");
    expect([aaaa.exitCode, aaaa.addresses, aaaa.text.includes("NXDOMAIN")]).toEqual([0, [], false]);
    const unknown = await nslookup("a", "nosuch");
    expect([unknown.exitCode, unknown.text.includes("NXDOMAIN")]).toEqual([1, true]);
    const outside = await nslookup("a", "example.org");
    expect([outside.exitCode, outside.text.includes("NXDOMAIN")]).toEqual([1, true]);
  });

  it("a scale to 3 and back to 1 is visible from the namespace within a second", async (ctx) => {
    requireOrSkip(ctx, ready, "DNS namespace tests need root, ip and busybox");
    const { paths } = env!;
    const within = async (count: number): Promise<number | undefined> => {
      const start = Date.now();
      for (let i = 0; i < 50 && Date.now() - start < 1_000; i++) {
        if (addressesOf(await client!.ask("api")).length === count) return Date.now() - start;
      }
      return undefined;
    };
    writeDnsRecords(paths, api(3));
    expect(await within(3), "3 addresses within 1 s").toBeDefined();
    removeDnsRecords(paths, api(3).id);
    removeDnsRecords(paths, api(2).id);
    expect(await within(1), "1 address within 1 s").toBeDefined();
    expect((await nslookup("a", "api")).addresses).toEqual([`${SUBNET}.11`]);
  });
});
