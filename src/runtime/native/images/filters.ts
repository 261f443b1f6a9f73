/** The filters of `list`, as `docker images --filter` reads them. */
import type { LabelTerms } from "../../runtime.js";

/** `name:tag` → `name`. */
export function repositoryOf(tag: string): string {
  return tag.slice(0, tag.lastIndexOf(":"));
}

/** `name@sha256:…` → `name`. */
export function repositoryOfDigest(reference: string): string {
  return reference.slice(0, reference.lastIndexOf("@"));
}

/** Docker's `reference` filter: a glob over the familiar name or `name:tag` (`*` stays within a path part). */
export function matchesReference(pattern: string, tags: readonly string[]): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("")
      .map((ch) => (ch === "*" ? "[^/]*" : ch === "?" ? "[^/]" : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
  );
  return tags.some((tag) => regex.test(tag) || regex.test(repositoryOf(tag)));
}

export function matchesLabels(labels: Readonly<Record<string, string>>, terms: LabelTerms): boolean {
  return terms.every((term) => {
    const eq = term.indexOf("=");
    return eq < 0 ? Object.hasOwn(labels, term) : labels[term.slice(0, eq)] === term.slice(eq + 1);
  });
}
