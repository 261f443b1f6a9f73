/**
 * One file streamed into a tar being written (tar-stream's pack), for the build context sent to
 * Docker and the native builder's layers alike.
 */
import { createReadStream } from "node:fs";
import type { Header, Pack } from "tar-stream";
import { chunkBytes } from "../bytes.js";
import { drainedOrClosed } from "./backpressure.js";

/** A header as written: its name, the rest as tar-stream's defaults have them. */
export type HeaderArg = Partial<Header> & Pick<Header, "name">;

/**
 * Streams the file at `abs` as one entry, waiting for the tar's reader between chunks. No more than
 * the size the header announces is read: a file growing meanwhile must not corrupt the archive (one
 * that shrinks fails the entry).
 */
export async function fileEntry(pack: Pack, header: HeaderArg, abs: string): Promise<void> {
  const size = header.size ?? 0;
  let sink!: ReturnType<Pack["entry"]>;
  const done = new Promise<void>((resolveDone, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolveDone()));
  });
  // Its failure is awaited below; until then it must not count as unhandled.
  done.catch(() => undefined);
  if (size > 0) {
    for await (const chunk of createReadStream(abs, { start: 0, end: size - 1 })) {
      if (sink.destroyed) break;
      if (!sink.write(chunkBytes(chunk))) await drainedOrClosed(sink);
    }
  }
  if (!sink.destroyed) sink.end(undefined);
  await done;
}
