/**
 * How the store names images: references are read by the registry module's parser (Docker's
 * normalisation), and tags are keyed by their familiar form (`busybox:latest`,
 * `127.0.0.1:5000/app:1`), which is also what `RepoTags` shows.
 */
import { familiarName, type ImageReference, parseReference } from "../registry/reference.js";

export { familiarName, type ImageReference, parseReference };

/** `name:tag` as the tag index keys it; undefined for a digest-only reference. */
export function tagKey(reference: ImageReference): string | undefined {
  return reference.tag === undefined ? undefined : `${familiarName(reference)}:${reference.tag}`;
}

/** The reference, or undefined when the text is none (an image ID, say). */
export function tryParseReference(text: string): ImageReference | undefined {
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/** A name with neither tag nor digest (`docker save busybox` saves every tag of it). */
export function isBareName(text: string): boolean {
  return !/[:@][^/]*$/.test(text);
}
