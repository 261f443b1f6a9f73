/**
 * Content digests (`sha256:<hex>`): validation worded as go-digest words it, hashing of whole
 * buffers, and a pass-through stream that fails when the bytes are not what the digest names.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ApiError, InvalidRequestError } from "../../errors.js";

/** Hex lengths of the algorithms a registry may use (distribution registers these three). */
const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_SHAPE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest {
  readonly algorithm: string;
  readonly hex: string;
  /** `algorithm:hex`. */
  readonly text: string;
}

/** go-digest's `Parse`: format, then a known algorithm, then length, then lower-case hex. */
export function parseDigest(text: string): Digest {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon + 1 === text.length)
    throw new InvalidRequestError("invalid checksum digest format");
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) {
    if (!DIGEST_SHAPE.test(text)) throw new InvalidRequestError("invalid checksum digest format");
    throw new InvalidRequestError("unsupported digest algorithm");
  }
  if (hex.length !== length) throw new InvalidRequestError("invalid checksum digest length");
  if (!/^[a-f0-9]+$/.test(hex)) throw new InvalidRequestError("invalid checksum digest format");
  return { algorithm, hex, text };
}

export function digestOf(bytes: Uint8Array, algorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** The registry (or a file) gave bytes that do not hash to the digest that names them. */
export class DigestMismatchError extends ApiError {
  override readonly code: string = "DIGEST_MISMATCH";
}

/**
 * Passes bytes through unchanged and fails at the end (before signalling it) when their digest or
 * count differs from what was expected; a stream that runs past `size` fails at once.
 */
export class VerifyingStream extends Transform {
  private readonly expected: Digest;
  private readonly size: number | undefined;
  private readonly what: string;
  private readonly hash: Hash;
  private count = 0;

  constructor(digest: string, size?: number, what = digest) {
    super();
    this.expected = parseDigest(digest);
    this.size = size;
    this.what = what;
    this.hash = createHash(this.expected.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.size !== undefined && this.count > this.size) {
      callback(new DigestMismatchError(`${this.what}: more than the expected ${this.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.size !== undefined && this.count !== this.size) {
      callback(new DigestMismatchError(`${this.what}: got ${this.count} bytes, expected ${this.size}`));
      return;
    }
    const actual = `${this.expected.algorithm}:${this.hash.digest("hex")}`;
    if (actual !== this.expected.text) {
      callback(
        new DigestMismatchError(`${this.what}: content has digest ${actual}, expected ${this.expected.text}`),
      );
      return;
    }
    callback();
  }
}
