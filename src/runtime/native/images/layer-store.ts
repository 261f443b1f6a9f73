/**
 * Unpacked layers, one per chain ID: `layers/<hex>/diff` (the layer's own changes, whiteouts in
 * overlayfs form), `layers/<hex>/layer.json` (diff ID, size), and a short link `layers/l/<16 hex>`
 * → `../<hex>/diff` that keeps a deep image's overlay options within one page (moby's overlay2
 * `l/` links). A layer is unpacked into a temporary directory and renamed into place, under a lock
 * per chain ID, so it is unpacked once however many pulls want it and is whole when it exists.
 */
import { mkdir, readFile, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ApiError } from "../../errors.js";
import { type Digest, digestHex, isDigest } from "./digest.js";
import { withStoreLock } from "./store-lock.js";
import { tempName } from "./temp-files.js";
import { unpackLayer } from "./unpack.js";
import { errnoCode } from "../../../errno.js";
import { isRecord } from "../../../json-shape.js";

export interface LayerFacts {
  readonly diffId: Digest;
  /** Bytes of the uncompressed layer tar. */
  readonly size: number;
}

export interface LayerStore {
  readonly dir: string;
  /** `layers/<hex>/diff`. */
  diffDir(chainId: Digest): string;
  /** What is known of a present layer, or undefined when it is not unpacked. */
  facts(chainId: Digest): Promise<LayerFacts | undefined>;
  /**
   * Makes the layer `chainId` present, unpacking `source()` (plain or gzip) when missing; its diff
   * ID must be `diffId`.
   */
  ensure(
    chainId: Digest,
    diffId: Digest,
    source: () => Promise<Readable> | Readable,
    signal?: AbortSignal,
  ): Promise<LayerFacts>;
  remove(chainId: Digest): Promise<void>;
  list(): Promise<Digest[]>;
}

/** The name of a layer's short link under `l/`. */
export function shortLinkName(chainId: Digest): string {
  return digestHex(chainId).slice(0, 16);
}

export function openLayerStore(layersDir: string, locksDir: string): LayerStore {
  const layerDir = (chainId: Digest): string => path.join(layersDir, digestHex(chainId));
  const linkPath = (chainId: Digest): string => path.join(layersDir, "l", shortLinkName(chainId));

  async function facts(chainId: Digest): Promise<LayerFacts | undefined> {
    try {
      const value: unknown = JSON.parse(await readFile(path.join(layerDir(chainId), "layer.json"), "utf8"));
      return isRecord(value) &&
        typeof value.diffId === "string" &&
        isDigest(value.diffId) &&
        typeof value.size === "number"
        ? { diffId: value.diffId, size: value.size }
        : undefined;
    } catch {
      return undefined;
    }
  }

  async function ensureLink(chainId: Digest): Promise<void> {
    await mkdir(path.join(layersDir, "l"), { recursive: true });
    try {
      await symlink(path.join("..", digestHex(chainId), "diff"), linkPath(chainId));
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
    }
  }

  return {
    dir: layersDir,
    diffDir: (chainId) => path.join(layerDir(chainId), "diff"),
    facts,
    ensure: (chainId, diffId, source, signal) =>
      withStoreLock(
        locksDir,
        `layer-${digestHex(chainId)}`,
        async () => {
          const present = await facts(chainId);
          if (present !== undefined) {
            await ensureLink(chainId);
            return present;
          }
          await mkdir(layersDir, { recursive: true });
          const temp = tempName(layersDir);
          try {
            await mkdir(path.join(temp, "diff"), { recursive: true });
            const unpacked = await unpackLayer(await source(), path.join(temp, "diff"), signal);
            if (unpacked.diffId !== diffId) {
              throw new ApiError(`layer ${diffId}: its content's digest is ${unpacked.diffId}`);
            }
            await writeFile(path.join(temp, "layer.json"), `${JSON.stringify(unpacked)}\n`);
            // A directory left by a kill between rename and layer.json cannot exist: layer.json goes first.
            await rm(layerDir(chainId), { recursive: true, force: true });
            await rename(temp, layerDir(chainId));
            await ensureLink(chainId);
            return unpacked;
          } catch (error) {
            await rm(temp, { recursive: true, force: true });
            throw error;
          }
        },
        signal,
      ),
    async remove(chainId) {
      await rm(linkPath(chainId), { force: true });
      await rm(layerDir(chainId), { recursive: true, force: true });
    },
    async list() {
      try {
        return (await readdir(layersDir)).map((hex) => `sha256:${hex}`).filter(isDigest);
      } catch {
        return [];
      }
    },
  };
}
