/**
 * Names that are not the containers' go to outside resolvers, asked from the host's side (the
 * server runs there, so the host's loopback resolvers such as 127.0.0.53 are reachable, as
 * Docker's embedded server reaches them). Up to 3 servers in turn (libnetwork's maxExtDNS), each
 * given 4 s (its extIOTimeout); the query is sent as received, over the transport it came on, and
 * the first answer whose ID matches is returned as is.
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { isIPv6, Socket } from "node:net";

export const MAX_UPSTREAMS = 3;
export const UPSTREAM_TIMEOUT_MS = 4_000;

/** The nameservers of a resolv.conf text (every one: the server asks from the host). */
export function resolvConfServers(text: string): string[] {
  const servers: string[] = [];
  for (const raw of text.split("\n")) {
    const [key, value] = raw.trim().split(/\s+/);
    if (key === "nameserver" && value !== undefined && value !== "") servers.push(value);
  }
  return servers;
}

export function hostResolvers(file = "/etc/resolv.conf"): string[] {
  try {
    return resolvConfServers(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
}

function viaUdp(server: string, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(server) ? "udp6" : "udp4");
    const id = query.readUInt16BE(0);
    let settled = false;
    const done = (answer: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("error", () => done(undefined));
    socket.on("message", (message, from) => {
      // Anything else reaching this port (another server, a late answer) is ignored.
      if (from.address === server && message.length >= 12 && message.readUInt16BE(0) === id) {
        done(message);
      }
    });
    socket.send(query, 53, server, (error) => {
      if (error) done(undefined);
    });
  });
}

function viaTcp(server: string, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let buffered = Buffer.alloc(0);
    let settled = false;
    const done = (answer: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(undefined));
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length) done(buffered.subarray(2, 2 + length));
    });
    socket.connect(53, server, () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
  });
}

/** The first upstream's answer, or undefined when none answered in time. */
export async function forwardQuery(
  query: Buffer,
  servers: readonly string[],
  transport: "udp" | "tcp",
  timeoutMs = UPSTREAM_TIMEOUT_MS,
): Promise<Buffer | undefined> {
  for (const server of servers.slice(0, MAX_UPSTREAMS)) {
    const answer = await (transport === "udp" ? viaUdp : viaTcp)(server, query, timeoutMs);
    if (answer !== undefined) return answer;
  }
  return undefined;
}
