/** Manifests and indexes read from their bytes (OCI and Docker schema 2), and the host's manifest of an index. */
import { describe, expect, it } from "vitest";
import {
  parseManifest,
  parsePlatform,
  selectManifest,
} from "../../../../../src/runtime/native/images/manifests.js";
import { MediaType } from "../../../../../src/runtime/native/images/media-types.js";

const d = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("manifests", () => {
  it("reads a Docker schema 2 manifest and an OCI one whose media type only the transport gave", () => {
    const docker = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: d(1), size: 10 },
        layers: [{ mediaType: MediaType.dockerLayerGzip, digest: d(2), size: 20 }],
      }),
    );
    expect(docker).toEqual({
      kind: "manifest",
      mediaType: MediaType.dockerManifest,
      config: {
        mediaType: MediaType.dockerConfig,
        digest: d(1),
        size: 10,
        platform: undefined,
        annotations: undefined,
      },
      layers: [
        {
          mediaType: MediaType.dockerLayerGzip,
          digest: d(2),
          size: 20,
          platform: undefined,
          annotations: undefined,
        },
      ],
    });
    const oci = parseManifest(
      JSON.stringify({ schemaVersion: 2, config: { digest: d(1), size: 1 }, layers: [] }),
      MediaType.ociManifest,
    );
    expect(oci.mediaType).toBe(MediaType.ociManifest);
  });

  it("refuses schema 1 and bad digests, naming what is wrong", () => {
    expect(() => parseManifest(JSON.stringify({ schemaVersion: 1, fsLayers: [] }))).toThrow(
      /schema version 1/,
    );
    expect(() =>
      parseManifest(JSON.stringify({ schemaVersion: 2, config: { digest: "md5:x", size: 1 }, layers: [] })),
    ).toThrow(/config digest/);
  });

  it("picks the host's manifest of a manifest list (amd64 for Node's x64), a variant only when asked", () => {
    const list = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [
          {
            mediaType: MediaType.dockerManifest,
            digest: d(1),
            size: 1,
            platform: { os: "linux", architecture: "arm", variant: "v7" },
          },
          {
            mediaType: MediaType.dockerManifest,
            digest: d(2),
            size: 1,
            platform: { os: "linux", architecture: "arm64", variant: "v8" },
          },
          {
            mediaType: MediaType.dockerManifest,
            digest: d(3),
            size: 1,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    if (list.kind !== "index") throw new Error("expected an index");
    expect(parsePlatform(undefined)).toEqual({
      os: "linux",
      architecture: process.arch === "x64" ? "amd64" : process.arch,
    });
    expect(selectManifest(list, { os: "linux", architecture: "amd64" })?.digest).toBe(d(3));
    expect(selectManifest(list, parsePlatform("linux/arm64"))?.digest).toBe(d(2));
    expect(selectManifest(list, parsePlatform("linux/arm/v6"))).toBeUndefined();
    expect(selectManifest(list, parsePlatform("windows/amd64"))).toBeUndefined();
  });
});
