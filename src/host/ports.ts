/**
 * Facts about this host's ports, for whoever publishes them: whether berth can bind a port now, and
 * which process holds one. The engine's host-port pre-check and the native runtime's port
 * publishing both ask; neither owns the question.
 */
import dgram from "node:dgram";
import { readdir, readFile, readlink } from "node:fs/promises";
import net from "node:net";

export type PortProtocol = "tcp" | "udp";
type Protocol = PortProtocol;

/** Who holds a port: the process owning the listening socket, when /proc says. */
export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/**
 * Whether berth can bind the port now. An empty host IP publishes on every address (0.0.0.0), and
 * on Linux a wildcard bind fails when any address holds the port, so that one bind covers every
 * holder. An
 * address this host does not have is the engine's error to report, not a clash.
 */
export function canBind(protocol: Protocol, hostIp: string, port: number): Promise<boolean> {
  const address = hostIp === "" ? "0.0.0.0" : hostIp;
  return new Promise((resolve) => {
    // Only "in use" is a clash: EACCES (a low port without privilege) or EADDRNOTAVAIL is not.
    const verdict = (error: unknown): void => resolve(errorCode(error) !== "EADDRINUSE");
    if (protocol === "tcp") {
      const server = net.createServer();
      server.once("error", verdict);
      server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
      return;
    }
    const socket = dgram.createSocket(net.isIPv6(address) ? "udp6" : "udp4");
    socket.once("error", (error) => {
      socket.close();
      verdict(error);
    });
    socket.bind({ address, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

/** /proc/net/tcp states: 0A is LISTEN; a bound UDP socket shows 07 (CLOSE). */
const HOLDING_STATE: Record<Protocol, string> = { tcp: "0A", udp: "07" };
/** Processes looked at, at most, when searching for a socket's owner. */
const MAX_PROCESSES = 32_768;

/**
 * The process holding `port` in this network namespace: the socket's inode from /proc/net/<proto>{,6},
 * then the /proc/<pid>/fd link that points at it. Undefined when /proc does not say (another
 * namespace, no permission).
 */
export async function findHolder(protocol: Protocol, port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text: string;
    try {
      text = await readFile(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (!local || !inode || inode === "0" || fields[3] !== HOLDING_STATE[protocol]) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port)
        inodes.add(`socket:[${inode}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  let pids: number[];
  try {
    pids = (await readdir("/proc"))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b)
      .slice(0, MAX_PROCESSES);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target === undefined || !inodes.has(target)) continue;
      const command = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "?")).trim();
      return { pid, command };
    }
  }
  return undefined;
}
