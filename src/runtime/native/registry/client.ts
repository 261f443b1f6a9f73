/**
 * An OCI distribution-spec client (https://github.com/opencontainers/distribution-spec): manifests
 * and blobs by reference, pull and push, over node:http/https. Which hosts to try (mirrors,
 * insecure registries), how to authenticate, and how failures read are decided in the modules
 * beside this one; this one speaks the protocol.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { PassThrough, type Readable } from "node:stream";
import { InvalidRequestError, RuntimeError } from "../../errors.js";
import type { RegistryAuth } from "../../runtime.js";
import { Authorizer, repositoryScope } from "./auth.js";
import { parseChallenges, pickChallenge } from "./challenge.js";
import {
  type Credentials,
  type DockerConfig,
  dockerConfigPath,
  type Env,
  lookupCredentials,
  readDockerConfig,
} from "./credentials.js";
import {
  type DaemonRegistryConfig,
  DEFAULT_DAEMON_CONFIG,
  type Endpoint,
  endpointsFor,
  type Lookup,
  readDaemonConfig,
} from "./daemon-config.js";
import { digestOf, DigestMismatchError, parseDigest, VerifyingStream } from "./digest.js";
import { connectionReason, registryError, RegistryUnreachableError, unreachable } from "./errors.js";
import { AnswerTimeoutError, formatSeconds, HttpClient, type HttpResponse, readBody } from "./http.js";
import {
  assertTag,
  familiarName,
  familiarString,
  type ImageReference,
  parseReference,
  referenceTarget,
} from "./reference.js";

export const DEFAULT_TIMEOUT_MS = 30_000;
/** distribution refuses manifests over 4 MiB; so does berth, on the way in. */
const MANIFEST_LIMIT = 4 << 20;
const ERROR_BODY_LIMIT = 64 << 10;

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

/**
 * Always asked for: without an Accept header a registry downgrades a Docker manifest to schema 1
 * and answers 404 for an OCI one.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
];

export interface RegistryClientOptions {
  /** Environment for `DOCKER_CONFIG`, `HOME` and credential helpers' PATH (default process.env). */
  readonly env?: Env | undefined;
  /** config.json (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  readonly dockerConfigPath?: string | undefined;
  /** daemon.json, for `insecure-registries` and `registry-mirrors` (default /etc/docker/daemon.json). */
  readonly daemonConfigPath?: string | undefined;
  /** Credentials that replace config.json's for the registry named in references (not mirrors). */
  readonly auth?: RegistryAuth | undefined;
  /** Milliseconds a request may wait for the answer's headers (default 30 s). */
  readonly timeoutMs?: number | undefined;
  /** Host name resolution for matching insecure CIDRs (default: the system resolver). */
  readonly lookup?: Lookup | undefined;
  /** Clock for token expiry (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly userAgent?: string | undefined;
}

export interface Manifest {
  /** The raw bytes, exactly as served: their sha256 is the digest. */
  readonly bytes: Buffer;
  readonly mediaType: string;
  /** `sha256:<hex>` of `bytes` (or the pinned digest of a by-digest reference, checked against them). */
  readonly digest: string;
}

/** Cancels the call: it rejects with the signal's AbortError. */
export interface RequestOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface GetBlobOptions extends RequestOptions {
  /** Pass the bytes through a check of their digest (and `size` when given); default true. */
  readonly verify?: boolean | undefined;
  readonly size?: number | undefined;
}

export type BlobSource = Readable | (() => Readable | Promise<Readable>);

export interface PutBlobOptions extends RequestOptions {
  /** Ask the registry to mount the blob from this repository of the same registry instead of uploading. */
  readonly mountFrom?: ImageReference | string | undefined;
}

export interface PutBlobResult {
  /** `exists`: the registry had it (nothing sent); `mounted`: linked from `mountFrom`; `uploaded`: sent. */
  readonly outcome: "exists" | "mounted" | "uploaded";
}

export interface RegistryClient {
  getManifest(
    ref: ImageReference | string,
    accept?: readonly string[],
    options?: RequestOptions,
  ): Promise<Manifest>;
  getBlob(ref: ImageReference | string, digest: string, options?: GetBlobOptions): Promise<Readable>;
  hasBlob(ref: ImageReference | string, digest: string, options?: RequestOptions): Promise<boolean>;
  putBlob(
    ref: ImageReference | string,
    digest: string,
    source: BlobSource,
    size: number,
    options?: PutBlobOptions,
  ): Promise<PutBlobResult>;
  putManifest(
    ref: ImageReference | string,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
    options?: RequestOptions,
  ): Promise<{ digest: string }>;
  /** Closes kept-alive connections. */
  close(): void;
}

interface Attempt {
  /** Set once a request body stream has started: no other endpoint can be tried after that. */
  committed: boolean;
}

interface SendRequest {
  readonly method: string;
  /** Path below the endpoint (`/v2/...`), or an absolute URL the registry gave (upload Location). */
  readonly target: string;
  readonly scopes: readonly string[];
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: Uint8Array | Readable | undefined;
  readonly signal?: AbortSignal | undefined;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  return new DistributionClient(options);
}

class DistributionClient implements RegistryClient {
  private readonly env: Env;
  private readonly timeoutMs: number;
  private readonly http = new HttpClient();
  private readonly auth: Authorizer;
  private readonly lookup: Lookup;
  private readonly userAgent: string;
  private daemonConfig: Promise<DaemonRegistryConfig> | undefined;
  private dockerConfig: Promise<DockerConfig> | undefined;
  private readonly credentials = new Map<string, Promise<Credentials | undefined>>();
  /** Endpoints that could not be reached and have a fallback: skipped for this client's life. */
  private readonly unreachableEndpoints = new Set<string>();

  constructor(private readonly options: RegistryClientOptions) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.lookup = options.lookup ?? systemLookup;
    this.userAgent = options.userAgent ?? "berth";
    this.auth = new Authorizer({
      http: this.http,
      timeoutMs: this.timeoutMs,
      credentialsFor: (endpoint) => this.credentialsFor(endpoint),
      now: options.now ?? Date.now,
      userAgent: this.userAgent,
    });
  }

  close(): void {
    this.http.close();
  }

  async getManifest(
    refIn: ImageReference | string,
    accept: readonly string[] = [],
    options: RequestOptions = {},
  ): Promise<Manifest> {
    const ref = toRef(refIn);
    const target = referenceTarget(ref);
    const acceptList = [...new Set([...accept, ...MANIFEST_ACCEPT])];
    return this.withEndpoints(ref, "pull", async (endpoint, attempt) => {
      const res = await this.send(endpoint, attempt, {
        method: "GET",
        target: `/v2/${ref.path}/manifests/${target}`,
        scopes: [repositoryScope(ref.path, false)],
        headers: { Accept: acceptList.join(", ") },
        signal: options.signal,
      });
      if (res.status !== 200) {
        const what = `manifest for ${familiarString(ref)}`;
        throw await failure(res, res.status === 404 ? `${what} not found` : what);
      }
      const bytes = await readBody(res.body, MANIFEST_LIMIT).catch((error: unknown) => {
        throw new InvalidRequestError(`manifest for ${familiarString(ref)}: ${(error as Error).message}`);
      });
      const digest = checkManifestDigest(bytes, ref, header(res, "docker-content-digest"));
      return { bytes, mediaType: manifestMediaType(header(res, "content-type"), bytes), digest };
    });
  }

  async getBlob(
    refIn: ImageReference | string,
    digest: string,
    options: GetBlobOptions = {},
  ): Promise<Readable> {
    const ref = toRef(refIn);
    parseDigest(digest);
    return this.withEndpoints(ref, "pull", async (endpoint, attempt) => {
      const res = await this.send(endpoint, attempt, {
        method: "GET",
        target: `/v2/${ref.path}/blobs/${digest}`,
        scopes: [repositoryScope(ref.path, false)],
        signal: options.signal,
      });
      if (res.status !== 200) throw await failure(res, `blob ${digest} of ${familiarName(ref)}`);
      const out =
        options.verify === false
          ? new PassThrough()
          : new VerifyingStream(digest, options.size, `blob ${digest} of ${familiarName(ref)}`);
      const registry = new URL(res.url).host;
      res.body.once("error", (error) => {
        out.destroy(
          error instanceof RuntimeError ? error : unreachable(registry, connectionReason(error), error),
        );
      });
      out.once("close", () => {
        if (!res.body.complete) res.body.destroy();
      });
      res.body.pipe(out);
      return out;
    });
  }

  async hasBlob(
    refIn: ImageReference | string,
    digest: string,
    options: RequestOptions = {},
  ): Promise<boolean> {
    const ref = toRef(refIn);
    parseDigest(digest);
    return this.withEndpoints(ref, "pull", (endpoint, attempt) =>
      this.headBlob(endpoint, attempt, ref, digest, false, options.signal),
    );
  }

  async putBlob(
    refIn: ImageReference | string,
    digest: string,
    source: BlobSource,
    size: number,
    options: PutBlobOptions = {},
  ): Promise<PutBlobResult> {
    const ref = toRef(refIn);
    parseDigest(digest);
    const from = options.mountFrom === undefined ? undefined : toRef(options.mountFrom);
    const mount =
      from !== undefined && from.domain === ref.domain && from.path !== ref.path ? from : undefined;
    const scopes = [repositoryScope(ref.path, true), ...(mount ? [repositoryScope(mount.path, false)] : [])];
    const what = `upload of blob ${digest} to ${familiarName(ref)}`;
    let opened: Readable | undefined;
    try {
      return await this.withEndpoints(ref, "push", async (endpoint, attempt) => {
        if (await this.headBlob(endpoint, attempt, ref, digest, true, options.signal)) {
          return { outcome: "exists" };
        }
        const query = mount
          ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mount.path)}`
          : "";
        const started = await this.send(endpoint, attempt, {
          method: "POST",
          target: `/v2/${ref.path}/blobs/uploads/${query}`,
          scopes,
          headers: { "Content-Length": "0" },
          signal: options.signal,
        });
        if (mount && started.status === 201) {
          started.body.resume();
          return { outcome: "mounted" };
        }
        if (started.status !== 202) throw await failure(started, what);
        started.body.resume();
        const location = header(started, "location");
        if (location === undefined) throw new RuntimeError(`${what}: the registry gave no upload location`);
        const upload = new URL(location, started.url).toString();
        const put = `${upload}${upload.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`;

        opened = typeof source === "function" ? await source() : source;
        const checked = new VerifyingStream(digest, size, `blob ${digest}`);
        const input = opened;
        input.once("error", (error) => checked.destroy(error));
        input.pipe(checked);
        attempt.committed = true;
        const done = await this.send(endpoint, attempt, {
          method: "PUT",
          target: put,
          scopes,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
          body: checked,
          signal: options.signal,
        });
        if (done.status !== 201 && done.status !== 204) throw await failure(done, what);
        done.body.resume();
        const stored = header(done, "docker-content-digest");
        if (stored !== undefined && stored !== digest) {
          throw new DigestMismatchError(`${what}: the registry stored it as ${stored}`);
        }
        return { outcome: "uploaded" };
      });
    } finally {
      // The stream is ours once handed over: closed when done, unneeded (the blob existed) or failed.
      const stream = opened ?? (typeof source === "function" ? undefined : source);
      if (stream !== undefined && !stream.destroyed) stream.destroy();
    }
  }

  async putManifest(
    refIn: ImageReference | string,
    tagOrDigest: string,
    bytes: Uint8Array,
    mediaType: string,
    options: RequestOptions = {},
  ): Promise<{ digest: string }> {
    const ref = toRef(refIn);
    const digest = digestOf(bytes);
    if (tagOrDigest.includes(":")) {
      const pinned = parseDigest(tagOrDigest);
      if (digestOf(bytes, pinned.algorithm) !== pinned.text) {
        throw new InvalidRequestError(`manifest bytes do not match ${tagOrDigest}`);
      }
    } else {
      assertTag(tagOrDigest);
    }
    const what = `push of manifest ${familiarName(ref)}:${tagOrDigest}`;
    return this.withEndpoints(ref, "push", async (endpoint, attempt) => {
      const res = await this.send(endpoint, attempt, {
        method: "PUT",
        target: `/v2/${ref.path}/manifests/${tagOrDigest}`,
        scopes: [repositoryScope(ref.path, true)],
        headers: { "Content-Type": mediaType },
        body: Buffer.from(bytes),
        signal: options.signal,
      });
      if (res.status !== 201 && res.status !== 200 && res.status !== 204) throw await failure(res, what);
      res.body.resume();
      const stored = header(res, "docker-content-digest");
      if (stored !== undefined && stored !== digest) {
        throw new DigestMismatchError(
          `${what}: the registry stored it as ${stored}, its bytes are ${digest}`,
        );
      }
      return { digest };
    });
  }

  private async headBlob(
    endpoint: Endpoint,
    attempt: Attempt,
    ref: ImageReference,
    digest: string,
    push: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const res = await this.send(endpoint, attempt, {
      method: "HEAD",
      target: `/v2/${ref.path}/blobs/${digest}`,
      scopes: [repositoryScope(ref.path, push)],
      signal,
    });
    res.body.resume();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw registryError(res.status, "", `blob ${digest} of ${familiarName(ref)}`);
  }

  /**
   * Runs `fn` against each endpoint in turn (mirrors, then the registry; HTTPS then HTTP for an
   * insecure one). A mirror's failure of any kind, or a registry that cannot be reached, moves on
   * to the next; an answer from the registry itself (even an error) is final, as in moby.
   */
  private async withEndpoints<T>(
    ref: ImageReference,
    purpose: "pull" | "push",
    fn: (endpoint: Endpoint, attempt: Attempt) => Promise<T>,
  ): Promise<T> {
    const endpoints = await endpointsFor(ref.domain, await this.daemon(), purpose, this.lookup);
    let lastError: unknown;
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[i] as Endpoint;
      const last = i === endpoints.length - 1;
      if (!last && this.unreachableEndpoints.has(endpoint.url)) continue;
      const attempt: Attempt = { committed: false };
      try {
        return await fn(endpoint, attempt);
      } catch (error) {
        lastError = error;
        const cannotReach = error instanceof RegistryUnreachableError;
        if (last || attempt.committed || !(endpoint.mirror || cannotReach)) throw error;
        if (cannotReach) this.unreachableEndpoints.add(endpoint.url);
      }
    }
    throw lastError;
  }

  /** One request with authorization, retried once after a challenge it can answer. */
  private async send(endpoint: Endpoint, attempt: Attempt, req: SendRequest): Promise<HttpResponse> {
    const url = req.target.startsWith("/") ? `${endpoint.url}${req.target}` : req.target;
    const sameOrigin = new URL(url).origin === new URL(endpoint.url).origin;
    for (let round = 0; ; round++) {
      const headers: Record<string, string> = { "User-Agent": this.userAgent, ...req.headers };
      const authorization = sameOrigin ? await this.auth.header(endpoint, req.scopes) : undefined;
      if (authorization !== undefined) headers["Authorization"] = authorization;
      let res: HttpResponse;
      try {
        res = await this.http.request({
          method: req.method,
          url,
          headers,
          body: req.body,
          skipVerify: endpoint.skipVerify,
          timeoutMs: this.timeoutMs,
          signal: req.signal,
        });
      } catch (error) {
        if (error instanceof RuntimeError) throw error;
        if ((error as { name?: string }).name === "AbortError") throw error;
        const reason =
          error instanceof AnswerTimeoutError
            ? `no answer within ${formatSeconds(this.timeoutMs)}`
            : connectionReason(error);
        throw unreachable(endpoint.registry, reason, error);
      }
      const streamed = req.body !== undefined && !(req.body instanceof Uint8Array);
      if (res.status !== 401 || round > 0 || streamed || attempt.committed) return res;
      const challenge = pickChallenge(parseChallenges(res.headers["www-authenticate"]));
      if (!this.auth.learn(endpoint, challenge, req.scopes)) return res;
      res.body.resume();
    }
  }

  private daemon(): Promise<DaemonRegistryConfig> {
    this.daemonConfig ??= readDaemonConfig(this.options.daemonConfigPath ?? DEFAULT_DAEMON_CONFIG);
    return this.daemonConfig;
  }

  private credentialsFor(endpoint: Endpoint): Promise<Credentials | undefined> {
    const explicit = this.options.auth;
    if (explicit !== undefined && !endpoint.mirror) {
      return Promise.resolve({
        username: explicit.username,
        password: explicit.password,
        identityToken: explicit.identityToken,
      });
    }
    let found = this.credentials.get(endpoint.registry);
    if (found === undefined) {
      const file = this.options.dockerConfigPath ?? dockerConfigPath(this.env);
      this.dockerConfig ??= readDockerConfig(file);
      found = this.dockerConfig.then((config) =>
        lookupCredentials(config, endpoint.registry, this.env, file),
      );
      this.credentials.set(endpoint.registry, found);
    }
    return found;
  }
}

function toRef(ref: ImageReference | string): ImageReference {
  return typeof ref === "string" ? parseReference(ref) : ref;
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function failure(res: HttpResponse, prefix: string): Promise<RuntimeError> {
  const text =
    res.status === 0
      ? ""
      : (await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0))).toString("utf8");
  return registryError(res.status, text, prefix);
}

/**
 * The manifest's digest, after checking the bytes against what the reference pins and what the
 * registry says (`Docker-Content-Digest`), each with its own algorithm.
 */
export function checkManifestDigest(
  bytes: Uint8Array,
  ref: ImageReference,
  served: string | undefined,
): string {
  if (ref.digest !== undefined) {
    const pinned = parseDigest(ref.digest);
    const actual = digestOf(bytes, pinned.algorithm);
    if (actual !== pinned.text) {
      throw new DigestMismatchError(`manifest for ${familiarString(ref)}: content has digest ${actual}`);
    }
  }
  if (served !== undefined && served !== "") {
    let claimed;
    try {
      claimed = parseDigest(served);
    } catch {
      throw new DigestMismatchError(
        `manifest for ${familiarString(ref)}: the registry sent an invalid digest "${served}"`,
      );
    }
    const actual = digestOf(bytes, claimed.algorithm);
    if (actual !== claimed.text) {
      throw new DigestMismatchError(
        `manifest for ${familiarString(ref)}: the registry says ${claimed.text}, its content has ${actual}`,
      );
    }
  }
  return ref.digest ?? digestOf(bytes);
}

/**
 * The manifest's media type: the Content-Type when it names one, else the body's `mediaType`, else
 * the shape (`manifests` → index, `config`+`layers` → manifest), as containerd sniffs it.
 */
export function manifestMediaType(contentType: string | undefined, bytes: Uint8Array): string {
  const declared = contentType?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (
    declared !== "" &&
    declared !== "application/json" &&
    declared !== "application/octet-stream" &&
    declared !== "text/plain"
  ) {
    return declared;
  }
  let body: { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    if (typeof parsed === "object" && parsed !== null) body = parsed as typeof body;
  } catch {
    return declared || "application/octet-stream";
  }
  if (typeof body.mediaType === "string" && body.mediaType !== "") return body.mediaType;
  if (Array.isArray(body.manifests)) return MEDIA_TYPES.ociIndex;
  if (body.config !== undefined && Array.isArray(body.layers)) return MEDIA_TYPES.ociManifest;
  return declared || "application/octet-stream";
}

const LOOKUP_TIMEOUT_MS = 5_000;

/** The system resolver, bounded in time; a failure means "no address", as in moby. */
async function systemLookup(host: string): Promise<readonly string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<readonly string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
  });
  try {
    const answer = dnsLookup(host, { all: true }).then(
      (entries) => entries.map((e) => e.address),
      () => [],
    );
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
