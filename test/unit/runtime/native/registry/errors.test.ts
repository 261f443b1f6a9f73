/**
 * berth must turn registry answers into the sentences Docker prints (`manifest unknown: …`,
 * `unauthorized: …`) with an error kind the engine can act on, name the registry it cannot reach,
 * and check a manifest's bytes against every digest that names them.
 */
import { describe, expect, it } from "vitest";
import { ApiError, InvalidRequestError, NotFoundError } from "../../../../../src/runtime/errors.js";
import {
  checkManifestDigest,
  manifestMediaType,
  MEDIA_TYPES,
} from "../../../../../src/runtime/native/registry/client.js";
import {
  digestOf,
  DigestMismatchError,
  VerifyingStream,
} from "../../../../../src/runtime/native/registry/digest.js";
import {
  connectionReason,
  registryError,
  unreachable,
} from "../../../../../src/runtime/native/registry/errors.js";
import { parseReference } from "../../../../../src/runtime/native/registry/reference.js";

const body = (...errors: { code: string; message: string }[]): string => JSON.stringify({ errors });

describe("registryError", () => {
  it("words each error as distribution does and picks the kind from the first code", () => {
    const notFound = registryError(
      404,
      body({ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }),
      "manifest for app:nope not found",
    );
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound.message).toBe("manifest for app:nope not found: manifest unknown: manifest unknown");
    expect(notFound.status).toBe(404);

    const name = registryError(
      404,
      body({ code: "NAME_UNKNOWN", message: "repository name not known to registry" }),
      "x",
    );
    expect(name).toBeInstanceOf(NotFoundError);

    const denied = registryError(
      401,
      body({ code: "UNAUTHORIZED", message: "authentication required" }),
      "reg/app",
    );
    expect(denied).toBeInstanceOf(ApiError);
    expect(denied.message).toBe("reg/app: unauthorized: authentication required");

    const invalid = registryError(
      400,
      body(
        { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry" },
        { code: "TAG_INVALID", message: "t" },
      ),
      "push",
    );
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid.message).toBe("push: manifest blob unknown: blob unknown to registry; tag invalid: t");
  });

  it("words an answer without an error body by its status", () => {
    const e = registryError(404, "<html>nope</html>", "blob sha256:1 of app");
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe("blob sha256:1 of app: not found (HTTP 404)");
    expect(registryError(503, "", "x").message).toBe("x: service unavailable (HTTP 503)");
  });
});

describe("unreachable registries", () => {
  it("says which registry and why, in Go's words", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5999"), { code: "ECONNREFUSED" });
    expect(unreachable("127.0.0.1:5999", connectionReason(refused)).message).toBe(
      "cannot reach registry 127.0.0.1:5999: connection refused",
    );
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
    expect(connectionReason(dns)).toBe("no such host");
    const cert = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(connectionReason(cert)).toBe("TLS: self-signed certificate");
  });
});

describe("manifest digests and media types", () => {
  const bytes = Buffer.from('{"schemaVersion":2}');
  const digest = digestOf(bytes);

  it("checks a by-digest reference and Docker-Content-Digest against the bytes", () => {
    expect(checkManifestDigest(bytes, parseReference("r.example/app:1"), digest)).toBe(digest);
    expect(checkManifestDigest(bytes, parseReference(`r.example/app@${digest}`), undefined)).toBe(digest);
    const other = digestOf(Buffer.from("other"));
    expect(() => checkManifestDigest(bytes, parseReference(`r.example/app@${other}`), undefined)).toThrow(
      DigestMismatchError,
    );
    expect(() => checkManifestDigest(bytes, parseReference("r.example/app:1"), other)).toThrow(
      `manifest for r.example/app:1: the registry says ${other}, its content has ${digest}`,
    );
    // A header with another algorithm is checked with that algorithm.
    expect(checkManifestDigest(bytes, parseReference("r.example/app:1"), digestOf(bytes, "sha512"))).toBe(
      digest,
    );
  });

  it("takes the media type from Content-Type, else the body's mediaType, else its shape", () => {
    expect(manifestMediaType(`${MEDIA_TYPES.dockerManifest}; charset=utf-8`, bytes)).toBe(
      MEDIA_TYPES.dockerManifest,
    );
    expect(
      manifestMediaType("application/json", Buffer.from(`{"mediaType":"${MEDIA_TYPES.ociManifest}"}`)),
    ).toBe(MEDIA_TYPES.ociManifest);
    expect(manifestMediaType(undefined, Buffer.from('{"manifests":[]}'))).toBe(MEDIA_TYPES.ociIndex);
    expect(manifestMediaType("application/octet-stream", Buffer.from('{"config":{},"layers":[]}'))).toBe(
      MEDIA_TYPES.ociManifest,
    );
  });
});

describe("VerifyingStream", () => {
  async function run(data: Buffer, digest: string, size?: number): Promise<Buffer> {
    const stream = new VerifyingStream(digest, size);
    const out: Buffer[] = [];
    stream.on("data", (c: Buffer) => out.push(c));
    const done = new Promise<void>((resolve, reject) => {
      stream.once("end", resolve);
      stream.once("error", reject);
    });
    stream.end(data);
    await done;
    return Buffer.concat(out);
  }

  it("passes matching bytes through and fails on a wrong digest or size", async () => {
    const data = Buffer.from("layer bytes");
    expect(await run(data, digestOf(data), data.length)).toEqual(data);
    await expect(run(data, digestOf(Buffer.from("x")))).rejects.toThrow(DigestMismatchError);
    await expect(run(data, digestOf(data), data.length + 1)).rejects.toThrow(/got 11 bytes, expected 12/);
    await expect(run(data, digestOf(data), 3)).rejects.toThrow(/more than the expected 3 bytes/);
  });
});
