/**
 * Holds the host ports berth publishes, as Docker's port mapper does without its userland proxy
 * (libnetwork's dummyProxy): a listening TCP socket or a bound UDP socket per published port, so no
 * other program binds a port whose traffic DNAT sends to a container, and the port shows as taken
 * (`ss`, a bind, the engine's pre-check). The sockets never see a packet: DNAT rewrites it first.
 *
 * It lives in the DNS server because that is the one process per BERTH_ROOT that outlives commands
 * while networks exist (and ports exist only on networks). The wanted set comes from the containers'
 * DNS records (`ports`), so a port is held within a second of its container's create and released
 * as soon after its remove.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";

export interface HeldPort {
  readonly protocol: "tcp" | "udp";
  /** "" for every address. */
  readonly hostIp: string;
  readonly hostPort: number;
}

const keyOf = (port: HeldPort): string => `${port.protocol}/${port.hostIp || "0.0.0.0"}/${port.hostPort}`;

function hold(port: HeldPort): Promise<Server | UdpSocket> {
  const host = port.hostIp === "" ? "0.0.0.0" : port.hostIp;
  return new Promise((resolve, reject) => {
    if (port.protocol === "tcp") {
      const server = createServer((socket) => socket.destroy());
      server.once("error", reject);
      server.listen({ host, port: port.hostPort, exclusive: true, backlog: 1 }, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        resolve(server);
      });
      return;
    }
    const socket = createSocket("udp4");
    socket.once("error", (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ address: host, port: port.hostPort, exclusive: true }, () => {
      socket.removeAllListeners("error");
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

function release(socket: Server | UdpSocket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

export class PortHolder {
  private readonly held = new Map<string, Server | UdpSocket>();
  /** Ports that could not be bound (another program has them), retried at the next sync. */
  private failing = new Set<string>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** Whether a port wanted at the last sync is still not held. */
  pending(): boolean {
    return this.failing.size > 0;
  }

  /** Holds exactly `wanted`: binds the new ones, releases the ones no longer wanted. */
  async sync(wanted: readonly HeldPort[]): Promise<void> {
    const want = new Map(wanted.map((p) => [keyOf(p), p]));
    for (const [key, socket] of this.held) {
      if (want.has(key)) continue;
      this.held.delete(key);
      await release(socket);
    }
    const failing = new Set<string>();
    for (const [key, port] of want) {
      if (this.held.has(key)) continue;
      try {
        this.held.set(key, await hold(port));
      } catch (error) {
        if (!this.failing.has(key)) this.log(`cannot hold port ${key}: ${(error as Error).message}`);
        failing.add(key);
      }
    }
    this.failing = failing;
  }

  async close(): Promise<void> {
    for (const socket of this.held.values()) await release(socket);
    this.held.clear();
  }
}
