/**
 * Which host port each published port gets. A fixed port must be free (no socket holds it, no other
 * berth container publishes it); a range gives its first free port; none gives a free port the
 * kernel picks. A taken port fails naming its holder ("node (pid 4242)" or the berth container).
 * DNAT holds no socket, so berth's own published ports are known from the state, not the kernel.
 */
import dgram from "node:dgram";
import net from "node:net";
import { canBind, findHolder } from "../../../host/ports.js";
import { ConflictError, InvalidRequestError } from "../../errors.js";
import type { PortBinding } from "../../runtime.js";
import type { NetworkState, PortRecord } from "./records.js";

/** Tries at picking a random port that berth itself does not already publish. */
const RANDOM_TRIES = 32;

export interface PortRequest {
  readonly protocol: "tcp" | "udp";
  /** "" for every address. */
  readonly hostIp: string;
  readonly low: number | undefined;
  readonly high: number | undefined;
  readonly containerPort: number;
}

const WILDCARDS = new Set(["", "0.0.0.0", "::"]);

/** A binding in the form the rules need, refusing what DNAT over IPv4 cannot publish. */
export function portRequest(binding: PortBinding): PortRequest {
  if (binding.protocol === "sctp")
    throw new InvalidRequestError(
      `published port ${binding.containerPort}/sctp: the native runtime publishes tcp and udp only`,
    );
  const hostIp = WILDCARDS.has(binding.hostIp ?? "") ? "" : (binding.hostIp ?? "");
  if (hostIp !== "" && !net.isIPv4(hostIp))
    throw new InvalidRequestError(
      `published port ${binding.containerPort}: host_ip ${hostIp} is not an IPv4 address`,
    );
  if (!Number.isInteger(binding.containerPort) || binding.containerPort < 1 || binding.containerPort > 65535)
    throw new InvalidRequestError(`published port ${binding.containerPort} is not a port number`);
  if (!binding.hostPort)
    return {
      protocol: binding.protocol,
      hostIp,
      low: undefined,
      high: undefined,
      containerPort: binding.containerPort,
    };
  const match = /^(\d+)(?:-(\d+))?$/.exec(binding.hostPort);
  const low = Number(match?.[1]);
  const high = match?.[2] === undefined ? low : Number(match[2]);
  if (!match || low < 1 || high > 65535 || high < low)
    throw new InvalidRequestError(
      `published port ${binding.hostPort}:${binding.containerPort}: invalid host port`,
    );
  return { protocol: binding.protocol, hostIp, low, high, containerPort: binding.containerPort };
}

/** The berth container already publishing `port` on an address clashing with `hostIp`. */
export function publishedBy(
  state: NetworkState,
  protocol: string,
  hostIp: string,
  port: number,
  extra: readonly PortRecord[] = [],
): string | undefined {
  const clash = (p: PortRecord): boolean =>
    p.protocol === protocol &&
    p.hostPort === port &&
    (p.hostIp === "" || hostIp === "" || p.hostIp === hostIp);
  for (const container of Object.values(state.containers)) {
    if (container.ports.some(clash)) return container.id;
  }
  return extra.some(clash) ? "(this container)" : undefined;
}

/** A port the kernel considers free now on `hostIp` (bound to port 0 and released). */
function ephemeralPort(protocol: "tcp" | "udp", hostIp: string): Promise<number> {
  const address = hostIp === "" ? "0.0.0.0" : hostIp;
  return new Promise((resolve, reject) => {
    if (protocol === "tcp") {
      const server = net.createServer();
      server.once("error", reject);
      server.listen({ host: address, port: 0, exclusive: true }, () => {
        const port = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(port));
      });
      return;
    }
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind({ address, port: 0, exclusive: true }, () => {
      const port = socket.address().port;
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Host ports for `requests` (one container), checked against the kernel and the state. Runs under
 * the state lock, so two berth commands never pick the same port.
 */
export async function choosePorts(
  state: NetworkState,
  requests: readonly PortRequest[],
  target: { readonly network: string; readonly address: string },
): Promise<PortRecord[]> {
  const chosen: PortRecord[] = [];
  for (const request of requests) {
    const record = (hostPort: number): PortRecord => ({
      protocol: request.protocol,
      hostIp: request.hostIp,
      hostPort,
      containerPort: request.containerPort,
      network: target.network,
      address: target.address,
    });
    if (request.low === undefined || request.high === undefined) {
      let port: number | undefined;
      for (let i = 0; i < RANDOM_TRIES && port === undefined; i++) {
        const candidate = await ephemeralPort(request.protocol, request.hostIp);
        if (publishedBy(state, request.protocol, request.hostIp, candidate, chosen) === undefined)
          port = candidate;
      }
      if (port === undefined)
        throw new ConflictError(`no free host port for ${request.containerPort}/${request.protocol}`);
      chosen.push(record(port));
      continue;
    }
    let port: number | undefined;
    let busy: { port: number; by: string } | undefined;
    // Bounded by the range (at most 65535 ports).
    for (let candidate = request.low; candidate <= request.high && port === undefined; candidate++) {
      const container = publishedBy(state, request.protocol, request.hostIp, candidate, chosen);
      if (container === undefined && (await canBind(request.protocol, request.hostIp, candidate)))
        port = candidate;
      else busy ??= { port: candidate, by: container ?? "" };
    }
    if (port === undefined) {
      const where = `${request.hostIp ? `${request.hostIp}:` : ""}${busy?.port ?? request.low}/${request.protocol}`;
      let by = busy?.by ? `berth container ${busy.by.slice(0, 12)}` : "another process";
      if (!busy?.by) {
        const holder = await findHolder(request.protocol, busy?.port ?? request.low);
        if (holder) by = `${holder.command} (pid ${holder.pid})`;
      }
      const what =
        request.low === request.high
          ? `host port ${where}`
          : `every port of ${request.low}-${request.high}/${request.protocol}; ${where}`;
      throw new ConflictError(
        `cannot publish ${request.containerPort}/${request.protocol}: ${what} is already in use by ${by}`,
        {
          hint: "stop what holds the port, or publish another one",
        },
      );
    }
    chosen.push(record(port));
  }
  return chosen;
}
