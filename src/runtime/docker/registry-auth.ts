/**
 * Registry credentials for pull, push and build, read from the Docker CLI's config.json
 * (`$DOCKER_CONFIG/config.json`, default `~/.docker`). Credential helpers are not run: an entry
 * without inline `auth` means anonymous. Credentials only ever go into request headers.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RegistryAuth } from "../runtime.js";
import { HUB_REGISTRY } from "./reference.js";
import type { Env } from "./endpoint.js";

interface ConfigAuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

interface WireAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/** Hosts that all mean Docker Hub in config keys. */
const HUB_HOSTS = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

export class RegistryAuthStore {
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  /**
   * The `X-Registry-Auth` value for one registry. An explicit auth wins; with nothing known the
   * header says `{}` (anonymous), which every engine version accepts.
   */
  header(registry: string, explicit?: RegistryAuth): string {
    const auth = explicit ? fromExplicit(explicit) : (this.lookup(registry) ?? {});
    return encodeAuth(auth);
  }

  /** The `X-Registry-Config` value for builds: every registry known, so FROM can pull private bases. */
  buildConfigHeader(): string | undefined {
    const auths = this.readAuths();
    const out: Record<string, WireAuth> = {};
    for (const [key, entry] of Object.entries(auths)) {
      const auth = fromEntry(key, entry);
      if (auth) out[key] = auth;
    }
    return Object.keys(out).length === 0 ? undefined : encodeAuth(out);
  }

  private lookup(registry: string): WireAuth | undefined {
    const wanted = normaliseHost(registry);
    for (const [key, entry] of Object.entries(this.readAuths())) {
      if (normaliseHost(key) === wanted) return fromEntry(key, entry);
    }
    return undefined;
  }

  private readAuths(): Readonly<Record<string, ConfigAuthEntry>> {
    const dir = this.env["DOCKER_CONFIG"] || join(this.env["HOME"] || homedir(), ".docker");
    let text: string;
    try {
      text = readFileSync(join(dir, "config.json"), "utf8");
    } catch {
      return {};
    }
    try {
      const parsed = JSON.parse(text) as { auths?: Record<string, ConfigAuthEntry> };
      return typeof parsed.auths === "object" && parsed.auths !== null ? parsed.auths : {};
    } catch {
      // A broken config.json means no credentials, as for the CLI's anonymous fallback.
      return {};
    }
  }
}

/** `https://index.docker.io/v1/` and `docker.io` are the same key; so are `host` and `https://host/`. */
function normaliseHost(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
  return HUB_HOSTS.has(host) ? HUB_REGISTRY : host;
}

function fromEntry(key: string, entry: ConfigAuthEntry): WireAuth | undefined {
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: key };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password, serveraddress: key };
  }
  return undefined;
}

function fromExplicit(auth: RegistryAuth): WireAuth {
  const out: WireAuth = {};
  if (auth.username !== undefined) out.username = auth.username;
  if (auth.password !== undefined) out.password = auth.password;
  if (auth.serverAddress !== undefined) out.serveraddress = auth.serverAddress;
  if (auth.identityToken !== undefined) out.identitytoken = auth.identityToken;
  return out;
}

/** base64url (RFC 4648 §5) with padding, which Go's URLEncoding decoder expects. */
function encodeAuth(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8")
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}
