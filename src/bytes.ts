/**
 * A chunk of a byte stream (one with no encoding set) as a Buffer: Node types stream chunks as
 * `any`, so they are checked here rather than cast where they are read.
 */
export function chunkBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a byte stream gave a ${typeof chunk} chunk`);
}
