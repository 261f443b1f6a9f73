/**
 * Digests as the OCI image spec writes them (`sha256:<64 hex>`), and the chain IDs that name
 * unpacked layers (`ispec:config.md`: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1)
 * + " " + DiffID(Ln))). Only sha256 is accepted: it is what every registry and `docker save` use.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { InvalidRequestError } from "../../errors.js";

export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isDigest(text: string): text is Digest {
  return DIGEST.test(text);
}

/** The digest, checked; throws InvalidRequestError naming `what` otherwise. */
export function parseDigest(text: string, what = "digest"): Digest {
  if (!isDigest(text))
    throw new InvalidRequestError(`${what} ${JSON.stringify(text)} is not a sha256 digest`);
  return text;
}

/** The 64 hex characters of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice("sha256:".length);
}

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The chain IDs of a stack of layers, bottom to top, from their diff IDs. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const chains: Digest[] = [];
  for (const diffId of diffIds) {
    const parent = chains.at(-1);
    chains.push(parent === undefined ? diffId : sha256(`${parent} ${diffId}`));
  }
  return chains;
}

/** Passes bytes through, hashing and counting them (`onBytes` hears the count so far). */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;

  constructor(private readonly onBytes?: (count: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  /** The digest of everything that passed (once it has all passed). */
  digest(): Digest {
    return `sha256:${this.hash.digest("hex")}`;
  }
}
