/**
 * Authorization for registry requests, learned from the registry's challenges (distribution's
 * `registry/client/auth`): a 401 with `WWW-Authenticate: Bearer realm,service,scope` sends berth to
 * the realm for a token (GET with `service` and each `scope`, Basic credentials and `account` when
 * known; or an OAuth2 POST with the identity token as refresh token), cached per realm, service and
 * scope until it expires (at least 60 s, as distribution's client assumes); `Basic` puts the
 * credentials on every request to that registry. Once a registry has challenged, later requests
 * carry the answer up front, so streamed uploads never need a retry.
 */
import { ApiError } from "../../errors.js";
import { type Challenge } from "./challenge.js";
import type { Credentials } from "./credentials.js";
import type { Endpoint } from "./daemon-config.js";
import { connectionReason, registryError, unreachable } from "./errors.js";
import { type HttpClient, readBody } from "./http.js";

const MIN_TOKEN_LIFETIME_S = 60;
const CLIENT_ID = "berth";
const TOKEN_BODY_LIMIT = 1 << 20;

export interface AuthorizerOptions {
  readonly http: HttpClient;
  readonly timeoutMs: number;
  /** Credentials for a registry (`endpoint.registry`), or undefined for anonymous. */
  readonly credentialsFor: (endpoint: Endpoint) => Promise<Credentials | undefined>;
  readonly now: () => number;
  readonly userAgent: string;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class Authorizer {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(private readonly options: AuthorizerOptions) {}

  /**
   * Remembers `challenge` for the endpoint. Returns false when it is one berth cannot answer
   * (another scheme) or one it already answered without success for these scopes.
   */
  learn(endpoint: Endpoint, challenge: Challenge | undefined, scopes: readonly string[]): boolean {
    if (challenge === undefined || (challenge.scheme !== "bearer" && challenge.scheme !== "basic"))
      return false;
    const previous = this.challenges.get(endpoint.url);
    this.challenges.set(endpoint.url, challenge);
    if (challenge.scheme === "bearer") {
      // A token we hold was refused (expired early, or too narrow a scope): fetch a new one.
      const key = tokenKey(challenge, scopes);
      const had = this.tokens.has(key);
      this.tokens.delete(key);
      return previous === undefined || previous.scheme !== "bearer" || had;
    }
    return previous === undefined || previous.scheme !== "basic";
  }

  /** The `Authorization` value for a request to `endpoint` needing `scopes`, if any is known. */
  async header(endpoint: Endpoint, scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenges.get(endpoint.url);
    if (challenge === undefined) return undefined;
    if (challenge.scheme === "basic") {
      const creds = await this.options.credentialsFor(endpoint);
      if (creds?.username === undefined || creds.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}`;
    }
    const key = tokenKey(challenge, scopes);
    let pending = this.tokens.get(key);
    if (pending !== undefined) {
      const cached = await pending.catch(() => undefined);
      if (cached !== undefined && cached.expiresAt > this.options.now()) return `Bearer ${cached.token}`;
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
    }
    pending = this.fetchToken(endpoint, challenge, scopes);
    this.tokens.set(key, pending);
    try {
      return `Bearer ${(await pending).token}`;
    } catch (error) {
      this.tokens.delete(key);
      throw error;
    }
  }

  private async fetchToken(
    endpoint: Endpoint,
    challenge: Challenge,
    scopes: readonly string[],
  ): Promise<CachedToken> {
    const realmText = challenge.params["realm"];
    if (realmText === undefined || realmText === "") {
      throw new ApiError(`registry ${endpoint.registry}: its Bearer challenge names no realm`);
    }
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new ApiError(`registry ${endpoint.registry}: its token realm "${realmText}" is not a URL`);
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") {
      throw new ApiError(`registry ${endpoint.registry}: its token realm "${realm.origin}" is not HTTP(S)`);
    }
    const service = challenge.params["service"];
    const creds = await this.options.credentialsFor(endpoint);
    const started = this.options.now();
    const where = `${realm.origin}${realm.pathname}`;

    const headers: Record<string, string> = {
      "User-Agent": this.options.userAgent,
      Accept: "application/json",
    };
    let method = "GET";
    let body: Uint8Array | undefined;
    if (creds?.identityToken !== undefined) {
      // docker login stored a refresh token: the OAuth2 flow (distribution's fetchTokenWithOAuth).
      const form = new URLSearchParams();
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", creds.identityToken);
      form.set("client_id", CLIENT_ID);
      if (service !== undefined) form.set("service", service);
      form.set("scope", scopes.join(" "));
      method = "POST";
      body = Buffer.from(form.toString(), "utf8");
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      if (service !== undefined) realm.searchParams.append("service", service);
      for (const scope of scopes) realm.searchParams.append("scope", scope);
      if (creds?.username && creds.password) {
        realm.searchParams.append("account", creds.username);
        headers["Authorization"] =
          `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}`;
      }
    }

    let res;
    try {
      res = await this.options.http.request({
        method,
        url: realm.toString(),
        headers,
        body,
        skipVerify: endpoint.skipVerify,
        timeoutMs: this.options.timeoutMs,
      });
    } catch (error) {
      throw unreachable(`${endpoint.registry} (token server ${realm.host})`, connectionReason(error), error);
    }
    const text = (await readBody(res.body, TOKEN_BODY_LIMIT)).toString("utf8");
    if (res.status < 200 || res.status >= 300) {
      throw registryError(res.status, text, `registry ${endpoint.registry}: token from ${where}`);
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new ApiError(
        `registry ${endpoint.registry}: the token server ${where} answered something that is not JSON`,
      );
    }
    const token =
      typeof parsed.access_token === "string" && parsed.access_token !== ""
        ? parsed.access_token
        : typeof parsed.token === "string"
          ? parsed.token
          : "";
    if (token === "")
      throw new ApiError(`registry ${endpoint.registry}: the token server ${where} gave no token`);
    const lifetime =
      typeof parsed.expires_in === "number" && parsed.expires_in >= MIN_TOKEN_LIFETIME_S
        ? parsed.expires_in
        : MIN_TOKEN_LIFETIME_S;
    const issued = typeof parsed.issued_at === "string" ? Date.parse(parsed.issued_at) : Number.NaN;
    // A server clock far from ours would make issued_at meaningless; trust it only when close.
    const base = Number.isFinite(issued) && Math.abs(issued - started) < 5 * 60_000 ? issued : started;
    return { token, expiresAt: base + lifetime * 1000 };
  }
}

function tokenKey(challenge: Challenge, scopes: readonly string[]): string {
  return JSON.stringify([
    challenge.params["realm"] ?? "",
    challenge.params["service"] ?? "",
    [...scopes].sort(),
  ]);
}

/** `repository:<path>:pull` or `repository:<path>:pull,push`. */
export function repositoryScope(path: string, push: boolean): string {
  return `repository:${path}:${push ? "pull,push" : "pull"}`;
}
