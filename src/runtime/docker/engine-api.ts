/**
 * The Engine API over a Transport: version negotiation, versioned paths, JSON bodies, and HTTP
 * statuses turned into berth's error kinds with the engine's own message. Everything above this
 * speaks in endpoints and JSON; nothing below it knows about containers.
 */
import type { Readable } from "node:stream";
import {
  ApiError,
  ConflictError,
  EngineUnavailableError,
  InvalidRequestError,
  NotFoundError,
  type RuntimeError,
} from "../errors.js";
import { type Env, resolveEndpoint } from "./endpoint.js";
import {
  answerTimeoutFromEnv,
  type Body,
  type HijackedStream,
  Transport,
  type TransportResponse,
} from "./transport.js";

/** The newest API berth knows; the engine's own maximum caps it. */
export const MAX_API_VERSION = "1.45";
/** Used when the engine does not say (very old daemons answer `_ping` without the header). */
const FALLBACK_API_VERSION = "1.41";

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface CallOptions {
  readonly query?: Query | undefined;
  /** Serialised as JSON with its Content-Type. */
  readonly json?: unknown;
  /** A raw body (tar); give its Content-Type in `headers`. */
  readonly body?: Body | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * 20.10's libnetwork answers 403 for "already exists" and "has active endpoints", which are
   * conflicts in berth's terms; only network calls ask for this.
   */
  readonly forbiddenIsConflict?: boolean | undefined;
  /** Milliseconds the engine gets to start answering (0: no limit); default COMPOSE_HTTP_TIMEOUT's. */
  readonly answerTimeoutMs?: number | undefined;
}

export interface PingResult {
  readonly serverApiVersion: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export class EngineApi {
  private readonly env: Env;
  private readonly host: string | undefined;
  private connection: Transport | undefined;
  private negotiated: Promise<string> | undefined;
  /** `BERTH_TRACE_API=1`: one stderr line per call (method, path, status, time to the reply's headers). */
  private readonly trace: boolean;

  /** Nothing is resolved or opened until the first call, so making one never fails. */
  constructor(env: Env, host?: string) {
    this.env = env;
    this.host = host;
    this.trace = env["BERTH_TRACE_API"] === "1";
  }

  /** The connection, set up on first use (a bad DOCKER_HOST fails that call, and every one after). */
  get transport(): Transport {
    this.connection ??= new Transport(resolveEndpoint(this.env, this.host), {
      answerTimeoutMs: answerTimeoutFromEnv(this.env),
    });
    return this.connection;
  }

  /** Drops kept-alive connections; a later call opens new ones. */
  close(): void {
    this.connection?.close();
  }

  /** The API version in use, negotiated on first need and remembered (a failure is retried). */
  version(signal?: AbortSignal): Promise<string> {
    if (!this.negotiated) {
      this.negotiated = this.negotiate(signal);
      this.negotiated.catch(() => {
        this.negotiated = undefined;
      });
    }
    return this.negotiated;
  }

  /** Whether the negotiated version is at least `min` (call after `version()`). */
  async atLeast(min: string): Promise<boolean> {
    return compareVersions(await this.version(), min) >= 0;
  }

  /** `GET /_ping` (unversioned: it is how the version is found). */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.transport.request({ method: "GET", path: "/_ping", signal });
    await readAll(res.body);
    if (res.status >= 400) throw mapError(res.status, `ping failed with HTTP ${res.status}`, {});
    const header = res.headers["api-version"];
    // Podman is told apart by its `Libpod-Api-Version` header, so the headers go back too.
    return { serverApiVersion: typeof header === "string" ? header : undefined, headers: res.headers };
  }

  /** A call whose error statuses are already turned into errors; the body is left unread. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<TransportResponse> {
    let res: TransportResponse;
    const started = this.trace ? performance.now() : 0;
    try {
      res = await this.transport.request(await this.prepare(method, path, options));
    } catch (err) {
      throw abortReason(options.signal, err);
    }
    if (this.trace) traceLine(method, path, options, res.status, started);
    if (res.status >= 400) throw await errorFrom(res, options);
    return res;
  }

  /** A call whose JSON answer is parsed; `undefined` for an empty body (204, 304). */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T | undefined> {
    const res = await this.call(method, path, options);
    const text = (await whole(res.body, options.signal)).toString("utf8").trim();
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new ApiError(`the engine sent malformed JSON for ${method} ${path}`, {
        cause: err,
        status: res.status,
      });
    }
  }

  /** Like `json`, for calls that always answer with a body. */
  async jsonRequired<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const value = await this.json<T>(method, path, options);
    if (value === undefined) throw new ApiError(`the engine sent an empty answer for ${method} ${path}`);
    return value;
  }

  /** A call whose answer does not matter beyond its status (204, 304 "nothing to do"). */
  async empty(method: string, path: string, options: CallOptions = {}): Promise<void> {
    const res = await this.call(method, path, options);
    await whole(res.body, options.signal);
  }

  /** `inspect`-style lookups: `undefined` on 404 instead of NotFoundError. */
  async jsonOrUndefined<T>(method: string, path: string, options: CallOptions = {}): Promise<T | undefined> {
    try {
      return await this.json<T>(method, path, options);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** attach / exec start: the upgraded connection, or the engine's error. */
  async hijack(method: string, path: string, options: CallOptions = {}): Promise<HijackedStream> {
    let res: HijackedStream | TransportResponse;
    try {
      res = await this.transport.hijack(await this.prepare(method, path, options));
    } catch (err) {
      throw abortReason(options.signal, err);
    }
    if (res.kind === "response") {
      if (res.status >= 400) throw await errorFrom(res, options);
      await readAll(res.body);
      throw new ApiError(`the engine did not switch ${method} ${path} to a raw stream (HTTP ${res.status})`);
    }
    return res;
  }

  private async prepare(method: string, path: string, options: CallOptions) {
    const version = await this.version(options.signal);
    const headers: Record<string, string> = { ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      body = Buffer.from(JSON.stringify(options.json), "utf8");
      headers["Content-Type"] = "application/json";
    }
    return {
      method,
      path: `/v${version}${path}${encodeQuery(options.query)}`,
      headers,
      body,
      signal: options.signal,
      answerTimeoutMs: options.answerTimeoutMs,
    };
  }

  private async negotiate(signal: AbortSignal | undefined): Promise<string> {
    const pinned = this.env["DOCKER_API_VERSION"]?.trim().replace(/^v/, "");
    if (pinned) {
      if (!/^\d+\.\d+$/.test(pinned)) {
        throw new InvalidRequestError(`DOCKER_API_VERSION=${pinned} is not a version like 1.41`);
      }
      return pinned;
    }
    const { serverApiVersion } = await this.ping(signal);
    return negotiateVersion(serverApiVersion);
  }
}

/** `+<ms since start> <method> <path?query> <status> <ms>`, for counting and timing calls. */
function traceLine(
  method: string,
  path: string,
  options: CallOptions,
  status: number,
  started: number,
): void {
  const now = performance.now();
  process.stderr.write(
    `[api] +${now.toFixed(0)} ${method} ${path}${encodeQuery(options.query)} ${status} ${(now - started).toFixed(1)}ms\n`,
  );
}

/** min(server max, berth max): the server's own version when it is older than berth's range. */
export function negotiateVersion(serverMax: string | undefined): string {
  const server = serverMax && /^\d+\.\d+$/.test(serverMax) ? serverMax : FALLBACK_API_VERSION;
  return compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
}

export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am !== bm ? am - bm : an - bn;
}

/** `?a=1&t=x&t=y`: arrays repeat the key (build tags), undefined drops it, booleans are 1/0. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (typeof value === "boolean") params.append(key, value ? "1" : "0");
    else if (typeof value === "number") params.append(key, String(value));
    else if (typeof value === "string") params.append(key, value);
    else for (const item of value) params.append(key, item);
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** Filters are a JSON map of string lists; empty lists are left out. */
export function filtersParam(
  filters: Readonly<Record<string, readonly string[] | undefined>>,
): string | undefined {
  const present = Object.fromEntries(
    Object.entries(filters).filter(([, v]) => v !== undefined && v.length > 0),
  );
  return Object.keys(present).length === 0 ? undefined : JSON.stringify(present);
}

/**
 * What a call that was aborted rejects with: the signal's reason (an AbortError), not whatever
 * the cut connection happened to raise ("aborted", ECONNRESET).
 */
export function abortReason(signal: AbortSignal | undefined, err: unknown): unknown {
  return signal?.aborted ? (signal.reason ?? err) : err;
}

/** The whole body; an abort while reading it rejects with the abort's reason. */
async function whole(body: Readable, signal: AbortSignal | undefined): Promise<Buffer> {
  try {
    return await readAll(body);
  } catch (err) {
    throw abortReason(signal, err);
  }
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function errorFrom(res: TransportResponse, options: CallOptions): Promise<RuntimeError> {
  let text = "";
  try {
    text = (await readAll(res.body)).toString("utf8").trim();
  } catch (err) {
    if (err instanceof EngineUnavailableError) return err;
  }
  return mapError(res.status, engineMessage(text) ?? `HTTP ${res.status}`, options);
}

/** The engine's `{"message": …}`, or its plain text when it sent no JSON. */
function engineMessage(text: string): string | undefined {
  if (text === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "message" in parsed &&
      typeof parsed.message === "string"
    ) {
      return parsed.message;
    }
  } catch {
    // Not JSON: a proxy's page or plain text; it is still the best message there is.
  }
  return text;
}

export function mapError(
  status: number,
  message: string,
  options: Pick<CallOptions, "forbiddenIsConflict">,
): RuntimeError {
  const opts = { status };
  if (status === 404) return new NotFoundError(message, opts);
  if (status === 409) return new ConflictError(message, opts);
  if (status === 400) return new InvalidRequestError(message, opts);
  if (status === 403 && options.forbiddenIsConflict && /already exists|active endpoints/i.test(message)) {
    return new ConflictError(message, opts);
  }
  return new ApiError(message, opts);
}
