/**
 * The embedded DNS server: UDP and TCP on each network's listen address (its bridge gateway), the
 * network of a query told by the socket it arrived on, the asker by its source address. Its inputs
 * are the files of ./records.ts, re-read when they change: fs.watch on both directories for speed,
 * and a poll of their modification times (every `pollMs`) for the events fs.watch can miss, so a
 * record written by any process is answered within a second.
 *
 * An address that cannot be bound yet (its bridge not up: EADDRNOTAVAIL) is retried at each poll;
 * the status file says what is bound, for ensureDnsServer to wait on.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { type FSWatcher, mkdirSync, statSync, watch } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { NativePaths } from "../paths.js";
import { decide, serverFailure } from "./answer.js";
import { forwardQuery, hostResolvers } from "./forward.js";
import { buildIndex, type DnsIndex, RoundRobin } from "./lookup.js";
import { PortHolder } from "./port-holder.js";
import {
  dnsFiles,
  type DnsListenAddress,
  readDnsNetworks,
  readDnsRecords,
  writeJsonAtomic,
} from "./records.js";

export const DNS_PORT = 53;
/** A TCP connection idle this long is closed (a client keeps one open between queries at most). */
const TCP_IDLE_MS = 10_000;
/** Largest TCP message buffered before the connection is dropped (a DNS message is ≤ 65 535). */
const TCP_MAX_BUFFER = 2 + 65_535;

export interface DnsServerOptions {
  readonly paths: NativePaths;
  /** Forward names that are not the containers' to outside resolvers (default true; tests: false). */
  readonly forward?: boolean | undefined;
  /** Outside resolvers when a container names none (default: the host's /etc/resolv.conf). */
  readonly hostResolvers?: (() => readonly string[]) | undefined;
  readonly pollMs?: number | undefined;
  /** How long each upstream is given (default 4 s, libnetwork's extIOTimeout). */
  readonly upstreamTimeoutMs?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface ListenState {
  readonly network: string;
  readonly address: string;
  readonly port: number;
  /** Both sockets bound. */
  readonly ready: boolean;
  /** The last bind failure, while not ready. */
  readonly error?: string | undefined;
}

export interface DnsServerStatus {
  readonly pid: number;
  readonly listening: readonly ListenState[];
  /** How many container records are loaded. */
  readonly records: number;
}

interface Listener {
  readonly key: string;
  readonly listen: DnsListenAddress;
  udp: UdpSocket | undefined;
  tcp: Server | undefined;
  error: string | undefined;
  readonly connections: Set<Socket>;
}

const keyOf = (listen: DnsListenAddress): string =>
  `${listen.network}\0${listen.address}\0${listen.port ?? DNS_PORT}`;

export class DnsServer {
  private index: DnsIndex = buildIndex([]);
  private records = 0;
  private readonly roundRobin = new RoundRobin();
  private readonly listeners = new Map<string, Listener>();
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private signature = "";
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly forward: boolean;
  private readonly upstreams: () => readonly string[];
  private readonly log: (line: string) => void;
  /** The published host ports, held against other programs (./port-holder.ts). */
  private readonly ports: PortHolder;

  constructor(private readonly options: DnsServerOptions) {
    this.forward = options.forward ?? true;
    this.upstreams = options.hostResolvers ?? (() => hostResolvers());
    this.log = options.log ?? (() => undefined);
    this.ports = new PortHolder(this.log);
  }

  /** Loads the files, binds what they ask for and starts watching them. */
  async start(): Promise<void> {
    const files = dnsFiles(this.options.paths);
    for (const dir of [files.containers, files.networks]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      try {
        const watcher = watch(dir, () => this.scheduleReload(10));
        watcher.on("error", () => undefined);
        this.watchers.push(watcher);
      } catch {
        // Polling alone then.
      }
    }
    await this.reload();
    this.poll = setInterval(() => {
      // Reload when a directory changed, or to retry an address not bound yet.
      if (this.dirSignature() !== this.signature || this.pendingBinds() || this.ports.pending())
        this.scheduleReload(0);
    }, this.options.pollMs ?? 250);
  }

  /** The networks it listens for (bound or not). */
  networks(): number {
    return this.listeners.size;
  }

  status(): DnsServerStatus {
    return {
      pid: process.pid,
      listening: [...this.listeners.values()].map((l) => ({
        network: l.listen.network,
        address: l.listen.address,
        port: l.listen.port ?? DNS_PORT,
        ready: l.udp !== undefined && l.tcp !== undefined,
        error: l.error,
      })),
      records: this.records,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
    await this.reloading;
    for (const listener of [...this.listeners.values()]) await this.unbind(listener);
    await this.ports.close();
  }

  private dirSignature(): string {
    const files = dnsFiles(this.options.paths);
    return [files.containers, files.networks]
      .map((dir) => {
        try {
          const stat = statSync(dir, { bigint: true });
          return `${stat.mtimeNs}:${stat.ino}`;
        } catch {
          return "-";
        }
      })
      .join("|");
  }

  private pendingBinds(): boolean {
    return [...this.listeners.values()].some((l) => l.udp === undefined || l.tcp === undefined);
  }

  private scheduleReload(delayMs: number): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, delayMs);
  }

  /** One reload at a time; a change seen during one is picked up by the next poll. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.reloadNow())
      .catch((error: unknown) => {
        this.log(`reload failed: ${String(error)}`);
      });
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    // The signature first: a change landing while the files are read is seen again next poll.
    this.signature = this.dirSignature();
    const records = readDnsRecords(this.options.paths);
    this.index = buildIndex(records);
    this.records = records.length;
    await this.ports.sync(records.flatMap((r) => r.ports ?? []));
    const wanted = new Map(readDnsNetworks(this.options.paths).map((l) => [keyOf(l), l]));
    for (const [key, listener] of this.listeners) {
      if (!wanted.has(key)) {
        await this.unbind(listener);
        this.listeners.delete(key);
        this.log(`closed ${listener.listen.address} (${listener.listen.network})`);
      }
    }
    for (const [key, listen] of wanted) {
      let listener = this.listeners.get(key);
      if (!listener) {
        listener = { key, listen, udp: undefined, tcp: undefined, error: undefined, connections: new Set() };
        this.listeners.set(key, listener);
      }
      if (listener.udp === undefined || listener.tcp === undefined) await this.bind(listener);
    }
    writeJsonAtomic(dnsFiles(this.options.paths).statusFile, this.status());
  }

  private async bind(listener: Listener): Promise<void> {
    const { address, network } = listener.listen;
    const port = listener.listen.port ?? DNS_PORT;
    try {
      if (listener.udp === undefined) listener.udp = await this.bindUdp(listener, address, port);
      if (listener.tcp === undefined) listener.tcp = await this.bindTcp(listener, address, port);
      listener.error = undefined;
      this.log(`listening on ${address}:${port} (${network})`);
    } catch (error) {
      const message = (error as Error).message;
      if (listener.error !== message)
        this.log(`cannot listen on ${address}:${port} (${network}): ${message}`);
      listener.error = message;
    }
  }

  private bindUdp(listener: Listener, address: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: address.includes(":") ? "udp6" : "udp4" });
      const failed = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once("error", failed);
      socket.on("message", (message, from) => {
        void this.answer(message, listener.listen.network, from.address, "udp").then((reply) => {
          if (reply !== undefined && !this.closed) socket.send(reply, from.port, from.address);
        });
      });
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off("error", failed);
        socket.on("error", (error) => this.log(`udp ${address}: ${error.message}`));
        resolve(socket);
      });
    });
  }

  private bindTcp(listener: Listener, address: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.serveTcp(listener, socket));
      server.once("error", reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", (error) => this.log(`tcp ${address}: ${error.message}`));
        resolve(server);
      });
    });
  }

  /** Length-prefixed messages (RFC 1035 4.2.2), answered in order. */
  private serveTcp(listener: Listener, socket: Socket): void {
    listener.connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("close", () => listener.connections.delete(socket));
    socket.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > TCP_MAX_BUFFER * 4) socket.destroy();
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        chain = chain.then(async () => {
          const reply = await this.answer(
            message,
            listener.listen.network,
            socket.remoteAddress ?? "",
            "tcp",
          );
          if (reply === undefined || socket.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([length, reply]));
        });
      }
    });
  }

  private async answer(
    message: Buffer,
    network: string,
    source: string,
    transport: "udp" | "tcp",
  ): Promise<Buffer | undefined> {
    try {
      // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
      const asker = source.startsWith("::ffff:") ? source.slice(7) : source;
      const decision = decide(
        message,
        { network, source: asker, forward: this.forward, transport },
        this.index,
        this.roundRobin,
      );
      if (decision.kind === "reply") return decision.bytes;
      if (decision.kind === "drop") return undefined;
      // A container's own `dns:` servers, else the host's (an empty list of its own: SERVFAIL).
      const servers = decision.upstreams ?? this.upstreams();
      const answer = await forwardQuery(message, servers, transport, this.options.upstreamTimeoutMs);
      return answer ?? serverFailure(message);
    } catch (error) {
      this.log(`query from ${source}: ${String(error)}`);
      return undefined;
    }
  }

  private async unbind(listener: Listener): Promise<void> {
    const { udp, tcp } = listener;
    listener.udp = undefined;
    listener.tcp = undefined;
    for (const socket of listener.connections) socket.destroy();
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
}
