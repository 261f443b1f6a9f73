/**
 * HTTP/1.1 to the Docker engine over a unix socket or TCP (optionally TLS), with nothing Docker
 * specific above the wire: where the engine is, keep-alive connections, streamed bodies, the
 * connection upgrade that attach and exec use, and turning "cannot reach it" into one error kind.
 */
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BerthError } from "../../errors.js";
import { EngineUnavailableError } from "../errors.js";
import { describeEndpoint, type Endpoint, ENGINE_HINT, engineUnavailable, type Env } from "./endpoint.js";

/** TCP connects that hang (a firewalled host) fail after this long; unix sockets fail at once. */
const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long a sent request may wait for the first byte of its answer (the reply's headers), unless
 * the call says otherwise. docker-compose's COMPOSE_HTTP_TIMEOUT (seconds) sets it, with the same
 * default of 60 s: an engine that accepts connections but never answers must not hang a command.
 * Once the headers are in, a streamed body (logs -f, events, pulls) has no timeout.
 */
export const DEFAULT_ANSWER_TIMEOUT_MS = 60_000;

/** COMPOSE_HTTP_TIMEOUT in milliseconds, or the default when unset or not a positive number. */
export function answerTimeoutFromEnv(env: Env): number {
  const raw = env["COMPOSE_HTTP_TIMEOUT"]?.trim();
  const seconds = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_ANSWER_TIMEOUT_MS;
}

export type Body = Uint8Array | AsyncIterable<Uint8Array>;

export interface TransportRequest {
  readonly method: string;
  /** Path and query, already encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: Body | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Milliseconds from the request being sent to the reply's headers; 0 waits for ever. Default:
   * the transport's own. Calls the engine answers only when done (stop with a grace period) ask
   * for longer.
   */
  readonly answerTimeoutMs?: number | undefined;
}

export interface TransportResponse {
  readonly kind: "response";
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Unread; streamed bodies have no timeout. */
  readonly body: Readable;
}

/** A connection taken over for raw two-way bytes (attach, exec start). */
export interface HijackedStream {
  readonly kind: "hijacked";
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The engine's bytes: those that arrived with the reply headers first, then the socket's. */
  readonly output: AsyncIterable<Uint8Array>;
  /** Where stdin goes; `end()` shuts down the write side only, so reading goes on. */
  readonly input: Writable;
  destroy(): void;
}

export class Transport {
  readonly endpoint: Endpoint;
  readonly description: string;
  private readonly agent: http.Agent;
  private readonly answerTimeoutMs: number;

  constructor(endpoint: Endpoint, options: { readonly answerTimeoutMs?: number } = {}) {
    this.endpoint = endpoint;
    this.answerTimeoutMs = options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    this.description = describeEndpoint(endpoint);
    this.agent =
      endpoint.kind === "tcp" && endpoint.tls
        ? new https.Agent({
            keepAlive: true,
            ca: endpoint.tls.ca,
            cert: endpoint.tls.cert,
            key: endpoint.tls.key,
            rejectUnauthorized: endpoint.tls.verify,
          })
        : new http.Agent({ keepAlive: true });
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    return this.send(req, true);
  }

  /**
   * Sends `Connection: Upgrade` / `Upgrade: tcp`. A 101 gives the raw socket; an engine that
   * answers 2xx without upgrading switches to raw bytes anyway, so its body is the stream; any
   * other status comes back as a plain response for the caller to turn into an error.
   */
  hijack(req: TransportRequest): Promise<HijackedStream | TransportResponse> {
    return this.upgrade(req, true);
  }

  private upgrade(req: TransportRequest, mayRetry: boolean): Promise<HijackedStream | TransportResponse> {
    return new Promise((resolve, reject) => {
      const body = req.body instanceof Uint8Array ? req.body : new Uint8Array();
      const r = this.open(req, {
        ...req.headers,
        Connection: "Upgrade",
        Upgrade: "tcp",
        "Content-Length": String(body.byteLength),
      });
      r.on("upgrade", (res, socket: Socket, head: Buffer) => {
        socket.setTimeout(0);
        if (this.endpoint.kind === "tcp") socket.setKeepAlive(true, 30_000);
        resolve({
          kind: "hijacked",
          status: res.statusCode ?? 101,
          headers: res.headers,
          output: socketOutput(socket, head),
          input: socket,
          destroy: () => socket.destroy(),
        });
      });
      r.on("response", (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && res.socket) {
          const socket = res.socket;
          resolve({
            kind: "hijacked",
            status,
            headers: res.headers,
            output: res,
            input: socket,
            destroy: () => socket.destroy(),
          });
        } else {
          resolve({ kind: "response", status, headers: res.headers, body: res });
        }
      });
      r.on("error", (err) => {
        // The same stale kept-alive socket retry as in `send`; the body is a buffer, so resendable.
        // Always a POST, but a repeat is harmless: attaching twice is fine, and an exec started
        // twice is refused by the engine (409) rather than run again.
        if (mayRetry && r.reusedSocket && errorCode(err) === "ECONNRESET") resolve(this.upgrade(req, false));
        else reject(this.classify(err, req.signal));
      });
      r.end(body);
    });
  }

  /** Drops every kept-alive connection so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private send(req: TransportRequest, mayRetry: boolean): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      const body = req.body;
      if (body instanceof Uint8Array) headers["Content-Length"] = String(body.byteLength);
      // The engine rejects some bodiless POSTs sent chunked (start on 20.10): say "no body" outright.
      else if (body === undefined && req.method !== "GET" && req.method !== "HEAD")
        headers["Content-Length"] = "0";
      const r = this.open(req, headers);
      let answered = false;
      r.on("response", (res) => {
        answered = true;
        resolve({ kind: "response", status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      r.on("error", (err) => {
        if (answered) return;
        // A kept-alive socket the engine closed while idle fails at once; Node's documented
        // remedy is one retry, safe only when the body can be sent again and the call can be
        // repeated: a reset may equally mean the engine died after acting on it (a POST that
        // created a network), and sending it again then does it twice.
        if (
          mayRetry &&
          r.reusedSocket &&
          errorCode(err) === "ECONNRESET" &&
          !isStreamBody(body) &&
          IDEMPOTENT.has(req.method)
        ) {
          resolve(this.send(req, false));
          return;
        }
        reject(this.classify(err, req.signal));
      });
      if (body === undefined) r.end();
      else if (body instanceof Uint8Array) r.end(body);
      else {
        // An early answer (a 404 for a missing container) can cut the upload short; the
        // response carries the error then, so the upload's own failure is not reported.
        pipeline(Readable.from(body, { objectMode: false }), r).catch((err: unknown) => {
          if (!answered) r.destroy(err instanceof Error ? err : new Error(String(err)));
        });
      }
    });
  }

  private open(req: TransportRequest, headers: Record<string, string>): http.ClientRequest {
    const e = this.endpoint;
    const options: http.RequestOptions = {
      agent: this.agent,
      method: req.method,
      path: req.path,
      headers,
      ...(req.signal ? { signal: req.signal } : {}),
      // servername "" spares Node's agent an isIP("localhost") test per request, whose first call
      // compiles the IPv6 pattern (~5-10 ms of every command); a socket has no server name.
      ...(e.kind === "unix" ? { socketPath: e.socketPath, servername: "" } : { host: e.host, port: e.port }),
    };
    const r = e.kind === "tcp" && e.tls ? https.request(options) : http.request(options);
    r.on("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        r.destroy(
          Object.assign(new Error(`no connection after ${CONNECT_TIMEOUT_MS / 1000}s`), {
            code: "ETIMEDOUT",
          }),
        );
      }, CONNECT_TIMEOUT_MS);
      timer.unref();
      const clear = (): void => clearTimeout(timer);
      socket.once("connect", clear);
      socket.once("close", clear);
    });
    this.boundAnswer(r, req);
    return r;
  }

  /**
   * From the moment the request is fully sent (an uploaded build context does not count) until
   * the reply's headers arrive: an engine that takes the connection and never answers fails the
   * call with a message that says so, instead of hanging the command.
   */
  private boundAnswer(r: http.ClientRequest, req: TransportRequest): void {
    const limit = req.answerTimeoutMs ?? this.answerTimeoutMs;
    if (limit <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const clear = (): void => clearTimeout(timer);
    r.once("finish", () => {
      timer = setTimeout(() => {
        r.destroy(new NoAnswerError(`${req.method} ${stripQuery(req.path)}`, limit));
      }, limit);
      timer.unref();
    });
    r.once("response", clear);
    r.once("upgrade", clear);
    r.once("close", clear);
  }

  private classify(err: Error, signal: AbortSignal | undefined): Error {
    // Aborts stay aborts, and berth's own errors (a build context that cannot be read) stay as they are.
    if (signal?.aborted || err instanceof BerthError) return err;
    const code = errorCode(err) ?? "";
    if (CONNECT_CODES.has(code) || /^(ERR_TLS|ERR_SSL)|CERT|^EPROTO$/.test(code)) {
      const reason =
        code === "ENOENT"
          ? "no such socket"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied"
            : code === "ECONNREFUSED"
              ? "connection refused"
              : code === "ETIMEDOUT"
                ? "timed out"
                : err.message;
      return engineUnavailable(this.description, reason, err);
    }
    if (err instanceof NoAnswerError) {
      return new EngineUnavailableError(
        `the Docker engine at ${this.description} did not answer ${err.message} in ${seconds(err.limitMs)}`,
        {
          hint: "is the engine overloaded or hung? COMPOSE_HTTP_TIMEOUT sets the limit in seconds",
          cause: err,
        },
      );
    }
    // Node's HTTP parser failed on the reply: whatever listens there does not speak HTTP.
    if (code.startsWith("HPE_")) {
      return new EngineUnavailableError(
        `${this.description} is not a Docker engine: what it answered is not HTTP`,
        { hint: ENGINE_HINT, cause: err },
      );
    }
    if (code === "ECONNRESET" || code === "EPIPE") {
      return new EngineUnavailableError(
        `lost the connection to the Docker engine at ${this.description}: ${err.message}`,
        {
          hint: ENGINE_HINT,
          cause: err,
        },
      );
    }
    return err;
  }
}

/** A request the engine took but did not start answering in time; the message names the call. */
class NoAnswerError extends Error {
  readonly code = "BERTH_NO_ANSWER";
  readonly limitMs: number;
  constructor(call: string, limitMs: number) {
    super(call);
    this.limitMs = limitMs;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** `/v1.41/containers/json?all=1` → `/v1.41/containers/json`: a query may hold long filters. */
function stripQuery(path: string): string {
  const at = path.indexOf("?");
  return at === -1 ? path : path.slice(0, at);
}

/** Methods HTTP defines as idempotent: the only ones resent after a reset on a kept-alive socket. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

const CONNECT_CODES = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "EPERM",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOTSOCK",
  "EADDRNOTAVAIL",
]);

function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string")
    return err.code;
  return undefined;
}

function isStreamBody(body: Body | undefined): boolean {
  return body !== undefined && !(body instanceof Uint8Array);
}

async function* socketOutput(socket: Socket, head: Buffer): AsyncGenerator<Uint8Array> {
  // The reply's header read may have pulled in the first bytes of the stream: they come first.
  if (head.length > 0) yield head;
  for await (const chunk of socket) yield chunk as Buffer;
}
