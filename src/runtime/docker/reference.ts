/**
 * Image references split the way Docker splits them, because the API wants the parts apart
 * (`fromImage` + `tag` for pull, `repo` + `tag` for tag and import) and auth wants the registry.
 */

export interface ImageReference {
  /** Repository without tag or digest, as written (`nginx`, `127.0.0.1:5000/app`). */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** `docker.io` for Docker Hub names, else the host[:port] the name starts with. */
  readonly registry: string;
}

export const HUB_REGISTRY = "docker.io";

export function parseReference(reference: string): ImageReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag: tag || undefined, digest: digest || undefined, registry: registryOf(rest) };
}

/** The first path part is a registry only if it has a `.` or `:` or is `localhost`. */
export function registryOf(repository: string): string {
  const slash = repository.indexOf("/");
  if (slash < 0) return HUB_REGISTRY;
  const first = repository.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : HUB_REGISTRY;
}

/**
 * What the API's `tag` parameter gets for a pull: the digest when pinned, the tag, else `latest`
 * (an empty tag would pull every tag of the repository).
 */
export function pullTag(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}
