/**
 * Manifests and indexes, OCI (`ispec:manifest.md`, `image-index.md`) and Docker v2 schema 2
 * (`distribution:docs/spec/manifest-v2-2.md`), read from their bytes; and the choice of one
 * manifest of an index for a platform (Go's architecture names: amd64 for Node's x64).
 */
import { InvalidRequestError } from "../../errors.js";
import { goArch } from "./config.js";
import { type Digest, parseDigest } from "./digest.js";
import { isIndexType, isManifestType, MediaType } from "./media-types.js";
import type { Descriptor } from "./records.js";

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | undefined;
}

export interface PlatformDescriptor extends Descriptor {
  readonly platform?: Platform | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

export interface ImageManifest {
  readonly kind: "manifest";
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ImageIndex {
  readonly kind: "index";
  readonly mediaType: string;
  readonly manifests: readonly PlatformDescriptor[];
}

function descriptor(value: unknown, where: string): PlatformDescriptor {
  if (typeof value !== "object" || value === null)
    throw new InvalidRequestError(`${where} is not a descriptor`);
  const d = value as Record<string, unknown>;
  if (typeof d["digest"] !== "string" || typeof d["size"] !== "number") {
    throw new InvalidRequestError(`${where} has no digest or size`);
  }
  return {
    mediaType: typeof d["mediaType"] === "string" ? d["mediaType"] : "",
    digest: parseDigest(d["digest"], `${where} digest`),
    size: d["size"],
    platform: d["platform"] as Platform | undefined,
    annotations: d["annotations"] as Record<string, string> | undefined,
  };
}

/** A manifest or an index from its bytes; `mediaType` is what the transport said, if anything. */
export function parseManifest(bytes: Uint8Array | string, mediaType?: string): ImageManifest | ImageIndex {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new InvalidRequestError("the manifest is not JSON");
  }
  if (typeof value !== "object" || value === null)
    throw new InvalidRequestError("the manifest is not a JSON object");
  const m = value as Record<string, unknown>;
  const type = typeof m["mediaType"] === "string" ? m["mediaType"] : (mediaType ?? "");
  if (m["schemaVersion"] !== 2) {
    throw new InvalidRequestError(
      `manifest schema version ${String(m["schemaVersion"])} is not supported (schema 2 and OCI only)`,
    );
  }
  if (isIndexType(type) || (type === "" && Array.isArray(m["manifests"]))) {
    if (!Array.isArray(m["manifests"])) throw new InvalidRequestError("the index has no manifests");
    return {
      kind: "index",
      mediaType: type || MediaType.ociIndex,
      manifests: m["manifests"].map((d, i) => descriptor(d, `manifests[${i}]`)),
    };
  }
  if (isManifestType(type) || type === "") {
    if (!Array.isArray(m["layers"])) throw new InvalidRequestError("the manifest has no layers");
    return {
      kind: "manifest",
      mediaType: type || MediaType.ociManifest,
      config: descriptor(m["config"], "config"),
      layers: m["layers"].map((d, i) => descriptor(d, `layers[${i}]`)),
    };
  }
  throw new InvalidRequestError(`manifest media type ${type} is not supported`);
}

/** `os/arch[/variant]` → Platform; the host's when undefined. */
export function parsePlatform(text?: string): Platform {
  if (text === undefined || text === "") return { os: "linux", architecture: goArch() };
  const [os = "linux", architecture = goArch(), variant] = text.split("/");
  return {
    os,
    architecture: architecture === "x86_64" ? "amd64" : architecture === "aarch64" ? "arm64" : architecture,
    variant,
  };
}

/** The index's manifest for the platform: os and architecture must match, a variant only when asked for. */
export function selectManifest(index: ImageIndex, platform: Platform): PlatformDescriptor | undefined {
  const candidates = index.manifests.filter((m) => isManifestType(m.mediaType) || m.mediaType === "");
  const matching = candidates.filter(
    (m) =>
      m.platform !== undefined &&
      m.platform.os === platform.os &&
      m.platform.architecture === platform.architecture &&
      (platform.variant === undefined || m.platform.variant === platform.variant),
  );
  // An index without platforms (OCI layouts made by hand, attestation-free single images).
  return (
    matching[0] ??
    (candidates.length === 1 && candidates[0]!.platform === undefined ? candidates[0] : undefined)
  );
}

export function platformText(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}

export type { Digest };
