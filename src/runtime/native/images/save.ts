/**
 * `save`: images written as a docker-archive that `docker load` reads (`moby@20.10:image/tarexport/
 * save.go`): `manifest.json` (`[{Config, RepoTags, Layers}]`), the config as `<id hex>.json`, each
 * layer as a plain tar `<diff id hex>/layer.tar` (gzip blobs are decompressed on the way), and
 * `repositories`. Layers shared by several images are written once.
 */
import { Readable } from "node:stream";
import tar from "tar-stream";
import { feed } from "../../backpressure.js";
import { decompressed } from "./compression.js";
import { digestHex } from "./digest.js";
import type { StoreParts } from "./commit.js";
import type { ImageRecord } from "./records.js";

export interface SaveItem {
  readonly record: ImageRecord;
  /** The tags to write for it (`docker save name:tag` writes that one; by ID, none). */
  readonly repoTags: readonly string[];
}

const MTIME = new Date(0);

function entry(
  pack: tar.Pack,
  header: Parameters<tar.Pack["entry"]>[0],
  body?: Readable | Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (body === undefined || Buffer.isBuffer(body)) {
      if (body === undefined) pack.entry(header, done);
      else pack.entry(header, body, done);
      return;
    }
    feed(body, pack.entry(header, done));
  });
}

/** The archive as a stream; a failure part-way destroys it with the error. */
export function saveArchive(parts: StoreParts, items: readonly SaveItem[]): Readable {
  const pack = tar.pack();
  const write = async (): Promise<void> => {
    const written = new Set<string>();
    const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { record, repoTags } of items) {
      const configName = `${digestHex(record.id)}.json`;
      if (!written.has(configName)) {
        await entry(pack, { name: configName, mtime: MTIME, mode: 0o644 }, await parts.blobs.read(record.id));
        written.add(configName);
      }
      const layers: string[] = [];
      for (const layer of record.layers) {
        const dir = digestHex(layer.diffId);
        const name = `${dir}/layer.tar`;
        if (!written.has(name)) {
          await entry(pack, { name: dir, type: "directory", mtime: MTIME, mode: 0o755 });
          await entry(pack, { name: `${dir}/VERSION`, mtime: MTIME, mode: 0o644 }, Buffer.from("1.0"));
          const body = await decompressed(parts.blobs.open(layer.digest));
          await entry(pack, { name, size: layer.diffSize, mtime: MTIME, mode: 0o644 }, body);
          written.add(name);
        }
        layers.push(name);
      }
      manifest.push({
        Config: configName,
        RepoTags: repoTags.length > 0 ? [...repoTags] : null,
        Layers: layers,
      });
      const top = record.layers.at(-1);
      for (const tag of repoTags) {
        const colon = tag.lastIndexOf(":");
        if (top) (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = digestHex(top.diffId);
      }
    }
    await entry(
      pack,
      { name: "manifest.json", mtime: MTIME, mode: 0o644 },
      Buffer.from(JSON.stringify(manifest)),
    );
    await entry(
      pack,
      { name: "repositories", mtime: MTIME, mode: 0o644 },
      Buffer.from(JSON.stringify(repositories)),
    );
    pack.finalize();
  };
  write().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  return Readable.from(pack);
}
