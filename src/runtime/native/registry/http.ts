/**
 * One HTTP exchange with a registry over node:http/https: keep-alive agents (one verifying TLS, one
 * not, for insecure registries), a bounded wait for the answer's headers, and redirects followed
 * for body-less requests with `Authorization` dropped when the redirect leaves the origin (blob
 * downloads are redirected to object stores that must never see registry credentials).
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { chunkBytes } from "../../../bytes.js";

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes, or a stream sent as is (set Content-Length in `headers`); a stream is never redirected. */
  readonly body?: Uint8Array | Readable | undefined;
  /** HTTPS without checking the certificate: only for the registry's own origin. */
  readonly skipVerify?: boolean | undefined;
  /** Milliseconds from sending (the last byte of a streamed body) to the answer's headers. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Unread body. */
  readonly body: http.IncomingMessage;
  /** Where the answer came from, after redirects. */
  readonly url: string;
}

/** No answer's headers within the time allowed. */
export class AnswerTimeoutError extends Error {
  readonly code = "ETTFB";
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${formatSeconds(timeoutMs)}`);
  }
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly insecureAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    rejectUnauthorized: false,
  });

  /** Sends `req`, following redirects when it has no stream body. Network errors reject as they are. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const origin = url.origin;
    let method = req.method;
    let headers: Record<string, string> = { ...req.headers };
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === origin;
      const res = await this.once(method, url, headers, body, sameOrigin && req.skipVerify === true, req);
      const location = res.headers.location;
      if (
        !REDIRECTS.has(res.statusCode ?? 0) ||
        location === undefined ||
        body instanceof Readable ||
        hop >= MAX_REDIRECTS
      ) {
        return { status: res.statusCode ?? 0, headers: res.headers, body: res, url: url.toString() };
      }
      res.resume();
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"),
        );
      }
      if (
        res.statusCode === 303 ||
        ((res.statusCode === 301 || res.statusCode === 302) && method === "POST")
      ) {
        method = method === "HEAD" ? "HEAD" : "GET";
        body = undefined;
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => !/^content-(length|type)$/i.test(k)),
        );
      }
      url = next;
    }
  }

  private once(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Uint8Array | Readable | undefined,
    skipVerify: boolean,
    req: HttpRequest,
  ): Promise<http.IncomingMessage> {
    const secure = url.protocol === "https:";
    const agent = secure ? (skipVerify ? this.insecureAgent : this.httpsAgent) : this.httpAgent;
    const send = secure ? https.request : http.request;
    const allHeaders: Record<string, string> = { ...headers };
    if (body instanceof Uint8Array) allHeaders["Content-Length"] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = send(url, { method, headers: allHeaders, agent, signal: req.signal });
      const timer = setTimeout(() => outgoing.destroy(new AnswerTimeoutError(req.timeoutMs)), req.timeoutMs);
      outgoing.once("response", (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      outgoing.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      if (body instanceof Readable) {
        // An upload takes as long as it takes: the wait counts from the last byte handed over.
        body.on("data", () => timer.refresh());
        body.once("error", (error) => outgoing.destroy(error));
        body.pipe(outgoing);
      } else {
        outgoing.end(body);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.insecureAgent.destroy();
  }
}

/** The whole body as bytes, at most `limit` of them (manifests and error bodies are small). */
export async function readBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunkBytes(chunk);
    size += buf.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`answer larger than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
