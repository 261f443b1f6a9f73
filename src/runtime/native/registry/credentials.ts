/**
 * Registry credentials as the Docker CLI finds them (docker/cli `configfile` and `credentials`):
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`); for a registry, the helper named
 * in `credHelpers[host]`, else `credsStore`, else the inline `auths` entry. A helper is run as
 * `docker-credential-<name> get` with the server address on stdin (argument array, no shell).
 * Secrets only ever go into request headers: never into messages, errors or logs.
 */
import { homedir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { ApiError, InvalidRequestError } from "../../errors.js";
import { parseJsonObject, readOptionalFile } from "./config-file.js";
import { HUB_DOMAIN } from "./reference.js";
import { isRecord } from "../../../json-shape.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface Credentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** An OAuth2 refresh token (`docker login` to a registry that issues them). */
  readonly identityToken?: string | undefined;
}

interface AuthEntry {
  readonly auth?: unknown;
  readonly username?: unknown;
  readonly password?: unknown;
  readonly identitytoken?: unknown;
}

export interface DockerConfig {
  readonly auths: Readonly<Record<string, AuthEntry>>;
  readonly credsStore: string | undefined;
  readonly credHelpers: Readonly<Record<string, string>>;
}

/** The key Docker Hub's credentials are stored under (the legacy index address). */
export const HUB_SERVER_ADDRESS = "https://index.docker.io/v1/";
const HUB_ALIASES = new Set([
  HUB_DOMAIN,
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);
const HELPER_TIMEOUT_MS = 30_000;
const TOKEN_USERNAME = "<token>";

export function dockerConfigPath(env: Env): string {
  const dir = env["DOCKER_CONFIG"] || path.join(env["HOME"] || homedir(), ".docker");
  return path.join(dir, "config.json");
}

/** Parses config.json's text; throws InvalidRequestError naming the file when it is not JSON. */
export function parseDockerConfig(text: string, file: string): DockerConfig {
  const obj = parseJsonObject(text, file);
  const auths = isRecord(obj["auths"]) ? (obj["auths"] as Record<string, AuthEntry>) : {};
  const credsStore =
    typeof obj["credsStore"] === "string" && obj["credsStore"] !== "" ? obj["credsStore"] : undefined;
  const credHelpers: Record<string, string> = {};
  if (isRecord(obj["credHelpers"])) {
    for (const [host, helper] of Object.entries(obj["credHelpers"])) {
      if (typeof helper === "string" && helper !== "") credHelpers[host] = helper;
    }
  }
  return { auths, credsStore, credHelpers };
}

/** config.json, or an empty config when there is none (anonymous everywhere). */
export async function readDockerConfig(file: string): Promise<DockerConfig> {
  const text = await readOptionalFile(file);
  return text === undefined
    ? { auths: {}, credsStore: undefined, credHelpers: {} }
    : parseDockerConfig(text, file);
}

/** The address credentials for `domain` are stored under: Hub's legacy URL, else the host. */
export function serverAddressFor(domain: string): string {
  return HUB_ALIASES.has(domain) ? HUB_SERVER_ADDRESS : domain;
}

/** `https://host/v1/` → `host`, as the CLI's ConvertToHostname; Hub's aliases become one. */
function hostOfKey(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  return HUB_ALIASES.has(host) ? HUB_DOMAIN : host;
}

/** The inline `auths` entry for `domain` (exact key first, then any key naming the same host). */
export function inlineCredentials(
  config: DockerConfig,
  domain: string,
  file = "config.json",
): Credentials | undefined {
  const address = serverAddressFor(domain);
  let entry = config.auths[address];
  if (entry === undefined) {
    const wanted = hostOfKey(address);
    for (const [key, value] of Object.entries(config.auths)) {
      if (hostOfKey(key) === wanted) {
        entry = value;
        break;
      }
    }
  }
  return entry === undefined ? undefined : decodeEntry(entry, file);
}

function decodeEntry(entry: AuthEntry, file: string): Credentials | undefined {
  let username = typeof entry.username === "string" ? entry.username : undefined;
  let password = typeof entry.password === "string" ? entry.password : undefined;
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    // The CLI refuses such a file too; the message never repeats the value.
    if (colon < 0) throw new InvalidRequestError(`${file}: an "auth" entry is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken =
    typeof entry.identitytoken === "string" && entry.identitytoken !== "" ? entry.identitytoken : undefined;
  if (!username && !password && !identityToken) return undefined;
  return { username, password, identityToken };
}

/** Which credential helper serves `domain`, if any. */
export function helperFor(config: DockerConfig, domain: string): string | undefined {
  const keys = HUB_ALIASES.has(domain) ? [HUB_SERVER_ADDRESS, "index.docker.io", HUB_DOMAIN] : [domain];
  for (const key of keys) {
    const helper = config.credHelpers[key];
    if (helper !== undefined) return helper;
  }
  return config.credsStore;
}

/**
 * Runs `docker-credential-<helper> get`. "credentials not found" means anonymous (undefined), as
 * for the CLI; a helper that is missing or fails is an error that names the helper, not the secret.
 */
export async function helperCredentials(
  helper: string,
  domain: string,
  env: Env,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const result = await execa(program, ["get"], {
    input: serverAddressFor(domain),
    env: env as Record<string, string | undefined>,
    extendEnv: false,
    reject: false,
    timeout: HELPER_TIMEOUT_MS,
    stripFinalNewline: true,
  });
  if (result.failed) {
    const code = (result as { code?: string }).code;
    if (code === "ENOENT") throw new ApiError(`credential helper ${program} not found on PATH`);
    if (result.timedOut)
      throw new ApiError(`credential helper ${program} did not answer within ${HELPER_TIMEOUT_MS / 1000} s`);
    const said = firstLine(String(result.stdout) || String(result.stderr));
    if (/credentials not found/i.test(said)) return undefined;
    throw new ApiError(`credential helper ${program} failed (exit ${result.exitCode ?? "?"}): ${said}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(result.stdout));
  } catch {
    throw new ApiError(`credential helper ${program} answered something that is not JSON`);
  }
  if (!isRecord(parsed))
    throw new ApiError(`credential helper ${program} answered something that is not an object`);
  const username = typeof parsed["Username"] === "string" ? parsed["Username"] : "";
  const secret = typeof parsed["Secret"] === "string" ? parsed["Secret"] : "";
  if (secret === "") return undefined;
  return username === TOKEN_USERNAME ? { identityToken: secret } : { username, password: secret };
}

/** Credentials for `domain` from config.json and its helpers, or undefined for anonymous. */
export async function lookupCredentials(
  config: DockerConfig,
  domain: string,
  env: Env,
  file: string,
): Promise<Credentials | undefined> {
  const helper = helperFor(config, domain);
  if (helper !== undefined) return helperCredentials(helper, domain, env);
  return inlineCredentials(config, domain, file);
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
