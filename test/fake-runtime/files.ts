/** Files inside the fake: trees of entries by path, read from and written to tar archives. */
import { Readable } from "node:stream";
import tar from "tar-stream";

export type Tree = Map<string, Entry>;
export interface Entry {
  readonly type: "file" | "directory" | "symlink";
  readonly data: Buffer;
  readonly mode: number;
  readonly linkname?: string | undefined;
}

export function splitPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, "").replace(/\/+/g, "/");
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** The entries of a tar archive, by their path (no leading `./` or `/`). */
export async function readTar(bytes: Buffer): Promise<Map<string, Entry>> {
  const extract = tar.extract();
  const entries = new Map<string, Entry>();
  Readable.from([bytes]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
    const name = splitPath(entry.header.name.replace(/^\.\//, ""));
    if (name === "") continue;
    const type =
      entry.header.type === "directory" ? "directory" : entry.header.type === "symlink" ? "symlink" : "file";
    entries.set(name, {
      type,
      data: Buffer.concat(chunks),
      mode: entry.header.mode ?? 0o644,
      linkname: entry.header.linkname ?? undefined,
    });
  }
  return entries;
}

export async function writeTar(entries: readonly (readonly [string, Entry])[]): Promise<Readable> {
  const pack = tar.pack();
  for (const [name, entry] of entries) {
    if (entry.type === "file") pack.entry({ name, mode: entry.mode, type: "file" }, entry.data);
    else if (entry.type === "symlink")
      pack.entry({ name, mode: entry.mode, type: "symlink", linkname: entry.linkname ?? "" });
    else pack.entry({ name, mode: entry.mode, type: "directory" });
  }
  pack.finalize();
  return Readable.from([await readAll(Readable.from(pack))]);
}
