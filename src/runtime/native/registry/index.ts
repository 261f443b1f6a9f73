/**
 * The registry client of the native runtime: what the image store uses to pull and push.
 * See client.ts for the protocol, reference.ts for how names are read.
 */
export {
  checkManifestDigest,
  createRegistryClient,
  DEFAULT_TIMEOUT_MS,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  type BlobSource,
  type GetBlobOptions,
  type Manifest,
  type PutBlobOptions,
  type PutBlobResult,
  type RequestOptions,
  type RegistryClient,
  type RegistryClientOptions,
} from "./client.js";
export { digestOf, DigestMismatchError, parseDigest, VerifyingStream, type Digest } from "./digest.js";
export { RegistryUnreachableError } from "./errors.js";
export {
  assertTag,
  canonicalString,
  familiarName,
  familiarString,
  HUB_API_HOST,
  HUB_DOMAIN,
  parseReference,
  referenceTarget,
  type ImageReference,
} from "./reference.js";
