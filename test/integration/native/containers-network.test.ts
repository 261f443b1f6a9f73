/**
 * The native Runtime's containers on its networks, as root: a container on a user network is found
 * by its name and alias through the embedded DNS, gets /etc/hosts and /etc/resolv.conf as Docker
 * writes them there (its address and hostname, `extra_hosts` with host-gateway, the gateway as
 * nameserver), publishes a port reachable from 127.0.0.1 and held against other programs while
 * it runs (bound at its start, freed at its stop, as Docker's); `network_mode: container:x` joins
 * x's namespace. Once everything is removed no
 * namespace, veth, bridge, nft table, DOCKER-USER rule, DNS record or server, or held port is left.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canBind } from "../../../src/host/ports.js";
import { runtimeBackend } from "../../../src/runtime/backends.js";
import { dnsFiles, readDnsRecords, runningDnsServer } from "../../../src/runtime/native/dns/index.js";
import { bridgeName, netnsName } from "../../../src/runtime/native/network/index.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import type { Runtime } from "../../../src/runtime/runtime.js";
import { requireOrSkip } from "../engine.js";
import { ensureTestImage } from "../images.js";
import { mountsUnder, nativeReady, NOT_READY } from "./containers-harness.js";

let dir = "";
let paths: NativePaths | undefined;
let runtime: Runtime | undefined;
let image = "";
const made: string[] = [];
const networks: string[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first line a TCP server at 127.0.0.1:`port` sends, or the error. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error("timed out")));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) socket.end();
    });
    socket.on("close", () => resolve(text.trim()));
    socket.on("error", reject);
  });
}

/** A TCP port free on 127.0.0.1 now (the kernel's pick, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(ms: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 500 && Date.now() < deadline; i++) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

/** Runs `command` on `network` to its exit: exit code and output. */
async function runOn(network: string, command: readonly string[], extra: { extraHosts?: string[] } = {}) {
  const { id } = await runtime!.containers.create({
    name: `berth-nt-client-${made.length}`,
    image,
    labels: {},
    command,
    networkMode: network,
    ...extra,
  });
  made.push(id);
  await runtime!.containers.start(id);
  const { exitCode } = await runtime!.containers.wait(id, { signal: AbortSignal.timeout(20_000) });
  const lines: string[] = [];
  for await (const line of runtime!.containers.logs(id, { signal: AbortSignal.timeout(10_000) }))
    lines.push(line.line);
  return { id, exitCode, output: lines.join("\n") };
}

/** What of this root's networking is left on the host. */
function hostLeftovers(names: readonly string[]): string[] {
  const left: string[] = [];
  const prefix = netnsName(paths!.root, "");
  for (const ns of existsSync("/run/netns") ? readdirSync("/run/netns") : [])
    if (ns.startsWith(prefix)) left.push(`netns ${ns}`);
  const tables = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  let rules = "";
  try {
    rules = execFileSync("iptables", ["-w", "5", "-S"], { encoding: "utf8" });
  } catch {
    // No iptables.
  }
  for (const name of names) {
    const bridge = bridgeName(paths!.root, name);
    if (existsSync(`/sys/class/net/${bridge}`)) left.push(`bridge ${bridge}`);
    if (tables.includes(`table ip ${bridge}\n`)) left.push(`nft table ${bridge}`);
    if (rules.includes(`berth:${bridge}`)) left.push(`iptables rules of ${bridge}`);
  }
  for (const record of readDnsRecords(paths!)) left.push(`dns record ${record.id}`);
  return left;
}

describe("native containers on networks", () => {
  beforeAll(async () => {
    if (!nativeReady) return;
    dir = mkdtempSync("/var/tmp/berth-nt-");
    const env = { BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") };
    paths = nativePaths(env);
    // The DNS server answers the containers' names only, never asking outside.
    process.env["BERTH_DNS_FORWARD"] = "0";
    runtime = await runtimeBackend("native").create({ ...process.env, ...env });
    image = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
  }, 90_000);

  afterAll(async () => {
    if (!runtime) return;
    for (const id of made) await runtime.containers.remove(id, { force: true }).catch(() => undefined);
    for (const name of networks) await runtime.networks.remove(name).catch(() => undefined);
    const server = runningDnsServer(paths!);
    const ended = await until(10_000, () => runningDnsServer(paths!) === undefined);
    if (!ended && server) process.kill(server.pid, "SIGKILL");
    const left = [...hostLeftovers(networks), ...mountsUnder(dir)];
    rmSync(dir, { recursive: true, force: true });
    expect(left).toEqual([]);
    expect(ended).toBe(true);
  }, 60_000);

  it("resolves names and aliases, writes Docker's hosts and resolv.conf, publishes a held port, and leaves nothing", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const network = `berth-nt-${process.pid}`;
    networks.push(network);
    await runtime!.networks.create({ name: network, labels: {} });
    const gateway = (await runtime!.networks.inspect(network))?.ipam.pools[0]?.gateway ?? "";
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.1$/);

    const { id: server } = await runtime!.containers.create({
      name: "berth-nt-server",
      image,
      labels: {},
      command: ["nc", "-ll", "-p", "80", "-e", "echo", "hello"],
      networkMode: network,
      networks: { [network]: { aliases: ["db"] } },
      ports: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1" }],
    });
    made.push(server);
    await runtime!.containers.start(server);
    const state = await runtime!.containers.inspect(server);
    const address = state?.networks[network]?.ipAddress ?? "";
    expect(state?.networks[network]?.aliases).toContain("db");
    const hostPort = Number(state?.ports[0]?.hostPort);
    expect(state?.ports).toEqual([
      { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: String(hostPort) },
    ]);
    expect((await runtime!.containers.list({ name: "berth-nt-server" }))[0]?.networks).toEqual([network]);
    expect(await until(5_000, async () => (await firstLine(hostPort).catch(() => "")) === "hello")).toBe(
      true,
    );
    // Held while published, as Docker's port mapper holds it: no other program binds it.
    expect(await until(2_000, async () => !(await canBind("tcp", "127.0.0.1", hostPort)))).toBe(true);

    const client = await runOn(
      network,
      ["sh", "-c", "nslookup db && nslookup berth-nt-server && nc db 80 && cat /etc/hosts /etc/resolv.conf"],
      { extraHosts: ["gw:host-gateway"] },
    );
    expect(client.exitCode, client.output).toBe(0);
    expect(client.output).toContain(`Address: ${address}`);
    expect(client.output).toContain("hello");
    const clientState = await runtime!.containers.inspect(client.id);
    const clientAddress = clientState?.networks[network]?.ipAddress ?? "";
    expect(client.output).toContain(`${gateway}\tgw\n${clientAddress}\t${client.id.slice(0, 12)}`);
    expect(client.output).toMatch(
      new RegExp(`nameserver ${gateway.replace(/\./g, "\\.")}\\noptions .*ndots:0`),
    );

    // Renamed: the new name answers, the old one no longer does.
    await runtime!.containers.rename(server, "berth-nt-renamed");
    const renamed = await runOn(network, [
      "sh",
      "-c",
      "nslookup berth-nt-renamed && ! nslookup berth-nt-server",
    ]);
    expect(renamed.exitCode, renamed.output).toBe(0);
    expect(renamed.output).toContain(`Address: ${address}`);
    await runtime!.containers.remove(renamed.id, { force: true });

    // Stopped: out of the DNS, as on Docker, till it starts again (each check bounded to ~3 s,
    // the time the server takes to see a record change being well under one).
    const answers = (name: string, wanted: boolean) =>
      runOn(network, [
        "sh",
        "-c",
        `for i in 1 2 3 4 5 6 7 8 9 10; do if nslookup ${name} >/dev/null 2>&1; then r=0; else r=1; fi; ` +
          `[ "$r" = ${wanted ? 0 : 1} ] && exit 0; sleep 0.3; done; exit 1`,
      ]);
    await runtime!.containers.stop(server, { timeoutS: 1 });
    const checks = [
      { name: "berth-nt-renamed", wanted: false, says: "a stopped container's name still answered" },
      { name: "db", wanted: false, says: "a stopped container's alias still answered" },
      { name: "db", wanted: true, says: "a started again container's alias did not answer" },
    ];
    for (const check of checks) {
      if (check.wanted) await runtime!.containers.start(server);
      const answered = await answers(check.name, check.wanted);
      await runtime!.containers.remove(answered.id, { force: true });
      expect(answered.exitCode, check.says).toBe(0);
    }

    // Removed: its names, its port and its attachment go with it.
    await runtime!.containers.remove(server, { force: true });
    await runtime!.containers.remove(client.id, { force: true });
    expect(await canBind("tcp", "127.0.0.1", hostPort)).toBe(true);
    expect((await runtime!.networks.inspect(network))?.containers).toEqual({});
    await runtime!.networks.remove(network);
    expect(hostLeftovers([network])).toEqual([]);
    expect(existsSync(path.join(dnsFiles(paths!).networks, `${network}.json`))).toBe(false);
  }, 60_000);

  it("binds a published port at start and frees it at stop, as Docker's: another takes it, the first's start then fails", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const network = `berth-nt3-${process.pid}`;
    networks.push(network);
    await runtime!.networks.create({ name: network, labels: {} });
    const port = await freePort();
    const serving = async (name: string) => {
      const { id } = await runtime!.containers.create({
        name,
        image,
        labels: {},
        command: ["nc", "-ll", "-p", "80", "-e", "echo", name],
        networkMode: network,
        ports: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: String(port) }],
      });
      made.push(id);
      return id;
    };
    const answers = (name: string) =>
      until(5_000, async () => (await firstLine(port).catch(() => "")) === name);

    const first = await serving("berth-nt-port-a");
    // Created, not started: it holds no host port yet.
    expect(await canBind("tcp", "127.0.0.1", port)).toBe(true);
    await runtime!.containers.start(first);
    expect(await answers("berth-nt-port-a")).toBe(true);
    expect(await until(2_000, async () => !(await canBind("tcp", "127.0.0.1", port)))).toBe(true);

    // Stopped: the port is free when the stop returns, and another container publishes it.
    await runtime!.containers.stop(first, { timeoutS: 1 });
    expect(await canBind("tcp", "127.0.0.1", port)).toBe(true);
    expect((await runtime!.containers.inspect(first))?.ports).toEqual([
      { containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort: String(port) },
    ]);
    const second = await serving("berth-nt-port-b");
    await runtime!.containers.start(second);
    expect(await answers("berth-nt-port-b")).toBe(true);

    // The first cannot start while the second holds its port, and nothing of it runs.
    await expect(runtime!.containers.start(first)).rejects.toThrow(
      new RegExp(`${port}/tcp is already in use`),
    );
    expect((await runtime!.containers.inspect(first))?.status).toBe("exited");
    expect(await answers("berth-nt-port-b")).toBe(true);

    // Once the second is gone, the first starts and answers on the port again.
    await runtime!.containers.remove(second, { force: true });
    await runtime!.containers.start(first);
    expect(await answers("berth-nt-port-a")).toBe(true);
    await runtime!.containers.remove(first, { force: true });
    expect(await canBind("tcp", "127.0.0.1", port)).toBe(true);
    await runtime!.networks.remove(network);
    expect(hostLeftovers([network])).toEqual([]);
  }, 60_000);

  it("joins another container's namespace with network_mode container:x", async (context) => {
    requireOrSkip(context, nativeReady, NOT_READY);
    const network = `berth-nt2-${process.pid}`;
    networks.push(network);
    await runtime!.networks.create({ name: network, labels: {} });
    const { id: first } = await runtime!.containers.create({
      name: "berth-nt-first",
      image,
      labels: {},
      command: ["sleep", "60"],
      networkMode: network,
    });
    made.push(first);
    await runtime!.containers.start(first);
    const mac = execFileSync("ip", ["-n", netnsName(paths!.root, first), "-o", "link", "show", "eth0"], {
      encoding: "utf8",
    }).match(/link\/ether ([0-9a-f:]+)/)?.[1];
    const joined = await runOn("container:berth-nt-first", ["cat", "/sys/class/net/eth0/address"]);
    expect(joined.exitCode, joined.output).toBe(0);
    expect(joined.output.trim()).toBe(mac);
    await runtime!.containers.remove(joined.id, { force: true });
    await runtime!.containers.remove(first, { force: true });
    await runtime!.networks.remove(network);
    expect(hostLeftovers([network])).toEqual([]);
  }, 60_000);
});
