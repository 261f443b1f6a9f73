/**
 * The classic builder's local cache (moby image/cache/local.go getLocalCachedImage): a step is
 * reused when an image exists whose parent is the current image and whose step matches: the same
 * history `created_by` (for COPY/ADD it holds the sources' content hash, for RUN the command and
 * its ARGs) and the same container config after the step. The parent of each image a build
 * commits is recorded as `BERTH_ROOT/build-cache/<parent hex | scratch>/<child hex>` (dockerd keeps
 * it in its image metadata); an entry whose image was removed is skipped. The newest match wins.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { OciContainerConfig, OciImageConfig } from "../images/config.js";
import { parseImageConfig } from "../images/config.js";
import type { StoreParts } from "../images/commit.js";
import { digestHex, isDigest, parseDigest } from "../images/digest.js";
import type { NativePaths } from "../paths.js";

export interface BuildCache {
  /** The cached image for a step on `parent` (undefined: scratch), if any. */
  find(
    parent: string | undefined,
    createdBy: string,
    config: OciContainerConfig,
  ): Promise<string | undefined>;
  /** Records that `child` was built on `parent`. */
  record(parent: string | undefined, child: string): Promise<void>;
}

/** JSON with object keys sorted: configs read back from disk compare with ones built in memory. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Whether `image` is the step `createdBy` with `config` (pure). */
export function stepMatches(image: OciImageConfig, createdBy: string, config: OciContainerConfig): boolean {
  return (
    image.history?.at(-1)?.created_by === createdBy && canonical(image.config ?? {}) === canonical(config)
  );
}

export function openBuildCache(paths: NativePaths, parts: StoreParts): BuildCache {
  const base = path.join(paths.root, "build-cache");
  const keyOf = (parent: string | undefined): string =>
    parent === undefined ? "scratch" : digestHex(parseDigest(parent, "image ID"));
  return {
    async find(parent, createdBy, config) {
      let children: string[];
      try {
        children = await readdir(path.join(base, keyOf(parent)));
      } catch {
        return undefined;
      }
      let best: { id: string; created: number } | undefined;
      for (const hex of children) {
        const id = `sha256:${hex}`;
        if (!isDigest(id) || !(await parts.records.get(id))) continue;
        const image = parseImageConfig(await parts.blobs.read(id));
        if (!stepMatches(image, createdBy, config)) continue;
        const created = Date.parse(image.created ?? "") || 0;
        if (!best || created > best.created) best = { id, created };
      }
      return best?.id;
    },
    async record(parent, child) {
      const dir = path.join(base, keyOf(parent));
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, digestHex(parseDigest(child, "image ID"))), "");
    },
  };
}
