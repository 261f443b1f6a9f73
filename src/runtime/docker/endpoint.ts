/**
 * Where the Docker engine is, from an explicit host or DOCKER_HOST and the TLS variables: pure
 * apart from reading the TLS files, and light, so the CLI can ask whether the engine is on this
 * host without loading the client.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { EngineUnavailableError } from "../errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

export type Endpoint =
  | { readonly kind: "unix"; readonly socketPath: string }
  | {
      readonly kind: "tcp";
      readonly host: string;
      readonly port: number;
      readonly tls?: {
        readonly ca: Buffer;
        readonly cert: Buffer;
        readonly key: Buffer;
        readonly verify: boolean;
      };
    };

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export const ENGINE_HINT = "is dockerd running? set DOCKER_HOST to the engine's address";

/**
 * Where the engine is: an explicit host, else DOCKER_HOST, else the default socket. TLS follows
 * the Go client: DOCKER_CERT_PATH or DOCKER_TLS_VERIFY (or DOCKER_TLS) turn it on, and only
 * DOCKER_TLS_VERIFY checks the server's certificate.
 */
export function resolveEndpoint(env: Env, host?: string): Endpoint {
  const raw = host ?? (env["DOCKER_HOST"] || undefined) ?? `unix://${DEFAULT_SOCKET}`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === "unix") {
    const socketPath = raw.slice("unix://".length);
    if (socketPath === "") throw engineUnavailable(raw, "the unix socket path is empty");
    return { kind: "unix", socketPath };
  }
  if (scheme === "tcp" || scheme === "http" || scheme === "https") {
    let url: URL;
    try {
      url = new URL(raw.replace(/^[a-z]+:/i, "http:"));
    } catch {
      throw engineUnavailable(describeRaw(raw), "the address is not a valid tcp://host:port");
    }
    const verify = Boolean(env["DOCKER_TLS_VERIFY"]);
    const wantTls =
      verify || Boolean(env["DOCKER_CERT_PATH"]) || Boolean(env["DOCKER_TLS"]) || scheme === "https";
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = url.port === "" ? (wantTls ? 2376 : 2375) : Number(url.port);
    if (!wantTls) return { kind: "tcp", host: hostname, port };
    const certDir = env["DOCKER_CERT_PATH"] || join(env["HOME"] || homedir(), ".docker");
    const read = (file: string): Buffer => {
      try {
        return readFileSync(join(certDir, file));
      } catch (err) {
        throw engineUnavailable(
          `tcp://${hostname}:${port}`,
          `cannot read the TLS file ${join(certDir, file)}`,
          err,
        );
      }
    };
    return {
      kind: "tcp",
      host: hostname,
      port,
      tls: { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem"), verify },
    };
  }
  if (scheme === "ssh") {
    throw engineUnavailable(
      describeRaw(raw),
      "ssh:// engine addresses are not supported; forward the socket instead",
    );
  }
  throw engineUnavailable(describeRaw(raw), "the address must be unix:///path or tcp://host:port");
}

/**
 * Whether the engine is on this host (a unix socket), so its published ports are this host's; a
 * TCP address may be a tunnel to anywhere.
 */
export function engineIsOnThisHost(env: Env): boolean {
  try {
    return resolveEndpoint(env).kind === "unix";
  } catch {
    return false; // an address berth cannot use: the runtime reports that itself
  }
}

/** The address for messages: never any user:password part of a URL. */
export function describeEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === "unix") return `unix://${endpoint.socketPath}`;
  const host = endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host;
  return `tcp://${host}:${endpoint.port}`;
}

function describeRaw(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, "//");
}

export function engineUnavailable(where: string, reason: string, cause?: unknown): EngineUnavailableError {
  return new EngineUnavailableError(`cannot connect to the Docker engine at ${where}: ${reason}`, {
    hint: ENGINE_HINT,
    cause,
  });
}
