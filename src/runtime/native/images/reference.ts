/**
 * Image references as Docker reads them (`distribution/reference`, normalize.go): the first path
 * part is a registry only when it holds `.` or `:` or is `localhost`; otherwise the registry is
 * docker.io and a one-part name gets `library/`. The store keys its tags by the familiar form
 * (`busybox:latest`, `127.0.0.1:5000/app:1`), which is also what `RepoTags` shows.
 */
import { InvalidRequestError } from "../../errors.js";
import { type Digest, isDigest } from "./digest.js";

export interface ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `127.0.0.1:5000`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string | undefined;
  readonly digest?: Digest | undefined;
  /** `busybox`, `berth-test/busybox`, `127.0.0.1:5000/app`. */
  readonly familiarName: string;
}

const DEFAULT_DOMAIN = "docker.io";
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;

function invalid(text: string, why: string): InvalidRequestError {
  return new InvalidRequestError(`invalid reference format ${JSON.stringify(text)}: ${why}`);
}

/** Parses `[domain/]path[:tag][@sha256:…]`; throws InvalidRequestError as Docker refuses it. */
export function parseImageReference(text: string): ImageReference {
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const candidate = rest.slice(at + 1);
    if (!isDigest(candidate)) throw invalid(text, "the digest is not sha256:<64 hex>");
    digest = candidate;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(text, "the tag is not valid");
    rest = rest.slice(0, colon);
  }
  if (rest === "") throw invalid(text, "the name is empty");
  const parts = rest.split("/");
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOMAIN.test(first)) throw invalid(text, "the registry is not a host name");
    domain = first;
    parts.shift();
  }
  if (domain === "index.docker.io") domain = DEFAULT_DOMAIN;
  for (const part of parts) {
    if (!COMPONENT.test(part)) throw invalid(text, "repository name must be lowercase");
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift("library");
  const path = parts.join("/");
  const familiarPath =
    domain === DEFAULT_DOMAIN && path.startsWith("library/") && parts.length === 2 ? parts[1]! : path;
  const familiarName = domain === DEFAULT_DOMAIN ? familiarPath : `${domain}/${path}`;
  return { domain, path, tag, digest, familiarName };
}

/** `name:tag`, with `latest` when the reference names neither tag nor digest. */
export function familiarTagged(reference: ImageReference): string | undefined {
  if (reference.tag !== undefined) return `${reference.familiarName}:${reference.tag}`;
  return reference.digest === undefined ? `${reference.familiarName}:latest` : undefined;
}
