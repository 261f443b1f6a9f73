/** Image references and configs as the engine reads them: `repo:tag`, and Dockerfile changes at import. */
import { InvalidRequestError } from "../../src/runtime/errors.js";
import type { ImageInfo } from "../../src/runtime/runtime.js";

/** `repo` → `repo:latest`; a digest or an explicit tag stays. */
export function normalizeReference(reference: string): string {
  if (reference.includes("@")) return reference;
  const lastSlash = reference.lastIndexOf("/");
  return reference.slice(lastSlash + 1).includes(":") ? reference : `${reference}:latest`;
}

export const repositoryOf = (reference: string): string => {
  const normalized = normalizeReference(reference);
  return normalized.slice(0, normalized.lastIndexOf(normalized.includes("@") ? "@" : ":"));
};

/** `CMD ["a","b"]` or `CMD a b` (the shell form) as an argument list. */
export function commandForm(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as string[];
  return ["/bin/sh", "-c", trimmed];
}

/** `k=v k2="v 2"` → pairs; `ENV k v` (the old form) is one pair. */
export function keyValues(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const pattern = /([^\s=]+)=("([^"]*)"|(\S*))/g;
  for (const match of text.matchAll(pattern)) pairs.push([match[1] ?? "", match[3] ?? match[4] ?? ""]);
  if (pairs.length > 0) return pairs;
  const [key = "", ...rest] = text.trim().split(/\s+/);
  return [[key, rest.join(" ")]];
}

/** Dockerfile instructions applied to an image config (what `import --change` takes). */
export function applyChanges(
  changes: readonly string[],
  config: ImageInfo["config"],
  labels: Record<string, string>,
): ImageInfo["config"] {
  let next = { ...config };
  for (const change of changes) {
    const [, instruction = "", rest = ""] = /^\s*(\S+)\s*(.*)$/s.exec(change) ?? [];
    switch (instruction.toUpperCase()) {
      case "LABEL":
        for (const [k, v] of keyValues(rest)) labels[k] = v;
        break;
      case "ENV": {
        const env = [...next.env];
        for (const [k, v] of keyValues(rest)) {
          const at = env.findIndex((e) => e.startsWith(`${k}=`));
          if (at >= 0) env.splice(at, 1);
          env.push(`${k}=${v}`);
        }
        next = { ...next, env };
        break;
      }
      case "CMD":
        next = { ...next, cmd: commandForm(rest) };
        break;
      case "ENTRYPOINT":
        next = { ...next, entrypoint: commandForm(rest) };
        break;
      case "WORKDIR":
        next = { ...next, workingDir: rest.trim() };
        break;
      case "USER":
        next = { ...next, user: rest.trim() };
        break;
      case "STOPSIGNAL":
        next = { ...next, stopSignal: rest.trim() };
        break;
      case "EXPOSE":
        next = {
          ...next,
          exposedPorts: [
            ...next.exposedPorts,
            ...rest
              .trim()
              .split(/\s+/)
              .map((p) => (p.includes("/") ? p : `${p}/tcp`)),
          ],
        };
        break;
      case "VOLUME":
        next = {
          ...next,
          volumes: [
            ...next.volumes,
            ...(rest.trim().startsWith("[") ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/)),
          ],
        };
        break;
      default:
        throw new InvalidRequestError(`${instruction} is not a valid change command`, { status: 400 });
    }
  }
  return next;
}
