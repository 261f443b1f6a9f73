/**
 * Layers arrive plain or compressed whatever their media type says (docker save writes plain tars,
 * registries gzip): the first bytes decide (gzip `1f 8b`, zstd `28 b5 2f fd`). Node 20 has no zstd,
 * so such a layer is refused by name.
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InvalidRequestError } from "../../errors.js";

export type Compression = "gzip" | "zstd" | "none";

export function compressionOf(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/** The stream with its first `count` bytes (or all, when shorter) read ahead. */
async function peek(stream: Readable, count: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

/** The uncompressed content of a layer stream. */
export async function decompressed(stream: Readable): Promise<Readable> {
  const peeked = await peek(stream, 4);
  const kind = compressionOf(peeked.head);
  if (kind === "zstd") {
    stream.destroy();
    throw new InvalidRequestError(
      "zstd-compressed layers are not supported (Node 20 has no zstd); use gzip or plain layers",
    );
  }
  if (kind === "none") return peeked.stream;
  const gunzip = createGunzip();
  peeked.stream.on("error", (error) => gunzip.destroy(error));
  return peeked.stream.pipe(gunzip);
}
