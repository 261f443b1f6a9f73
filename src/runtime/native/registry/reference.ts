/**
 * Image references normalised as Docker normalises them (distribution/reference's
 * `ParseNormalizedNamed` + `ParseDockerRef`): the first path part names a registry only when it has
 * a `.` or `:`, is `localhost`, or has an upper-case letter; otherwise the name is on Docker Hub
 * (`docker.io`), under `library/` when it has one part. No tag and no digest means `latest`.
 * Errors carry the library's own wording (`invalid reference format`, ...), which users know from
 * the Docker CLI.
 */
import { InvalidRequestError } from "../../errors.js";
import { parseDigest } from "./digest.js";

export const HUB_DOMAIN = "docker.io";
/** Docker Hub's API host: `docker.io` itself serves no registry API. */
export const HUB_API_HOST = "registry-1.docker.io";
const LEGACY_HUB_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const DEFAULT_TAG = "latest";
const NAME_MAX = 255;

export interface ImageReference {
  /** Registry as named: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`, `localhost`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  readonly path: string;
  /** `domain/path`. */
  readonly name: string;
  /** The tag as written, or `latest` when neither a tag nor a digest was given. */
  readonly tag: string | undefined;
  /** `sha256:<hex>` when the reference pins one (a digest wins over a tag when fetching). */
  readonly digest: string | undefined;
  /** Host[:port] that serves the API (`registry-1.docker.io` for Docker Hub). */
  readonly apiHost: string;
}

// The grammar of distribution/reference's regexp.go, built the same way.
const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const optionalPort = "(?::[0-9]+)?";
const tagPat = "[\\w][\\w.-]{0,127}";
const digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}${optionalPort}`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredIdentifier = /^[a-f0-9]{64}$/;
const anchoredTag = new RegExp(`^${tagPat}$`);
/** Longer input cannot be a valid reference; refusing it early bounds the regexp work. */
const INPUT_MAX = 4096;

function invalid(message: string): InvalidRequestError {
  return new InvalidRequestError(message);
}

/** `splitDockerDomain`: where the registry ends and the repository path begins. */
function splitDockerDomain(text: string): { domain: string; remainder: string } {
  const slash = text.indexOf("/");
  if (slash < 0) return { domain: HUB_DOMAIN, remainder: OFFICIAL_PREFIX + text };
  const maybeDomain = text.slice(0, slash);
  const maybeRemainder = text.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === "localhost") {
    domain = maybeDomain;
    remainder = maybeRemainder;
  } else if (maybeDomain === LEGACY_HUB_DOMAIN) {
    domain = HUB_DOMAIN;
    remainder = maybeRemainder;
  } else if (/[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    // A dot or colon (host name, IP, port), or upper case (never allowed in a path): a registry.
    domain = maybeDomain;
    remainder = maybeRemainder;
  } else {
    domain = HUB_DOMAIN;
    remainder = text;
  }
  if (domain === HUB_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parses `text` as Docker does for pull, push and run. Throws InvalidRequestError with
 * distribution/reference's message when it is not a valid reference.
 */
export function parseReference(text: string): ImageReference {
  if (anchoredIdentifier.test(text)) {
    throw invalid(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  if (text.length > INPUT_MAX) throw invalid("invalid reference format");
  const { domain, remainder } = splitDockerDomain(text);
  const tagSep = remainder.indexOf(":");
  const remote = tagSep >= 0 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }

  const full = `${domain}/${remainder}`;
  const match = referenceRegexp.exec(full);
  if (!match) {
    const lower = full.toLowerCase();
    if (lower !== full && referenceRegexp.test(lower)) throw invalid("repository name must be lowercase");
    throw invalid("invalid reference format");
  }
  const nameMatch = anchoredNameRegexp.exec(match[1] ?? "");
  const path = nameMatch?.[2] ?? "";
  if (path.length > NAME_MAX) {
    throw invalid(`repository name must not be more than ${NAME_MAX} characters`);
  }
  const tag = match[2] || undefined;
  const digest = match[3] ? parseDigest(match[3]).text : undefined;
  return {
    domain,
    path,
    name: `${domain}/${path}`,
    tag: tag ?? (digest === undefined ? DEFAULT_TAG : undefined),
    digest,
    apiHost: domain === HUB_DOMAIN ? HUB_API_HOST : domain,
  };
}

/** Throws unless `tag` is a valid tag (`[\w][\w.-]{0,127}`). */
export function assertTag(tag: string): void {
  if (!anchoredTag.test(tag)) throw invalid("invalid tag format");
}

/** What a fetch asks the registry for: the digest when pinned (as `ParseDockerRef`), else the tag. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** The name as people write it: `busybox`, `user/app`, `127.0.0.1:5000/app` (FamiliarName). */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== HUB_DOMAIN) return ref.name;
  const rest = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : "";
  return rest !== "" && !rest.includes("/") ? rest : ref.path;
}

/** `busybox:latest`, `127.0.0.1:5000/app@sha256:…`, `busybox:1@sha256:…` (FamiliarString). */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** `docker.io/library/busybox:latest` (the canonical String()). */
export function canonicalString(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}
