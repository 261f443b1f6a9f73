/**
 * The build context as a directory, as dockerd unpacks the tar `docker build` sends before the
 * classic builder reads it: the same tar (../../docker/build-context.ts, `.dockerignore` applied,
 * owners zeroed), so a COPY sees exactly what the Docker backend would send. The extra Dockerfile
 * entry (`dockerfile_inline`) is left out, as dockerd drops it.
 */
import { createWriteStream } from "node:fs";
import { chmod, lutimes, mkdir, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { contextTar, type ExtraDockerfile } from "../../docker/build-context.js";
import { chunkBytes } from "../../../bytes.js";

export async function extractContext(
  context: string,
  dockerfile: string,
  extra: ExtraDockerfile | undefined,
  into: string,
): Promise<void> {
  const extract = tar.extract();
  const dirs: { at: string; mtime: Date; mode: number }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const name = path.posix.normalize(header.name).replace(/\/+$/, "");
      if ((extra && name === extra.name) || name.startsWith("..") || name === ".") {
        entry.resume();
        continue;
      }
      const at = path.join(into, name);
      await mkdir(path.dirname(at), { recursive: true });
      const mtime = header.mtime ?? new Date(0);
      const mode = (header.mode ?? 0o644) & 0o7777;
      if (header.type === "directory") {
        await mkdir(at, { recursive: true });
        dirs.push({ at, mtime, mode });
        entry.resume();
      } else if (header.type === "symlink") {
        await symlink(header.linkname ?? "", at);
        await lutimes(at, mtime, mtime);
        entry.resume();
      } else if (header.type === "file") {
        await pipeline(
          entry,
          async function* (source: AsyncIterable<unknown>) {
            for await (const chunk of source) yield chunkBytes(chunk);
          },
          createWriteStream(at, { mode }),
        );
        await chmod(at, mode);
        await utimes(at, mtime, mtime);
      } else entry.resume();
    }
  })();
  const feeding = (async () => {
    try {
      for await (const chunk of contextTar(context, dockerfile, extra)) {
        if (!extract.write(chunk)) await new Promise<void>((r) => extract.once("drain", () => r()));
      }
      extract.end(undefined);
    } catch (err) {
      // Ends the reader above too, so neither waits for the other.
      extract.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  })();
  await Promise.all([done, feeding]);
  // Directories last, deepest first: writing their entries moved their times.
  for (const d of dirs.reverse()) {
    await chmod(d.at, d.mode);
    await utimes(d.at, d.mtime, d.mtime);
  }
}
