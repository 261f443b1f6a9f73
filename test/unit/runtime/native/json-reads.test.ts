import { describe, expect, it } from "vitest";
import { parseRuncState } from "../../../../src/runtime/native/containers/runc.js";
import { asDnsServerStatus } from "../../../../src/runtime/native/dns/ensure.js";
import { type Digest } from "../../../../src/runtime/native/images/digest.js";
import { asImageRecord, asTagIndex } from "../../../../src/runtime/native/images/records.js";

const digest = (n: number): Digest => `sha256:${n.toString(16).padStart(64, "0")}`;
const layer = {
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  digest: digest(2),
  size: 10,
  diffId: digest(3),
  diffSize: 20,
};

describe("native state files read back with their shape checked", () => {
  it("an image record is read for its own id, with its layers, manifest and repo digests", () => {
    const stored = {
      id: digest(1),
      layers: [layer],
      manifest: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest(4), size: 300 },
      repoDigests: ["127.0.0.1:5000/x@" + digest(4)],
      lastTagTime: "2026-01-01T00:00:00.000Z",
    };
    expect(asImageRecord(JSON.parse(JSON.stringify(stored)), digest(1))).toEqual(stored);
    expect(asImageRecord({ id: digest(1), layers: [] }, digest(1))).toEqual({
      id: digest(1),
      layers: [],
      manifest: undefined,
      repoDigests: [],
      lastTagTime: undefined,
    });
  });

  it("a record for another id, a layer without its diff id or a damaged manifest is no record", () => {
    expect(asImageRecord({ id: digest(9), layers: [layer] }, digest(1))).toBeUndefined();
    expect(
      asImageRecord({ id: digest(1), layers: [{ ...layer, diffId: "sha256:short" }] }, digest(1)),
    ).toBeUndefined();
    expect(
      asImageRecord({ id: digest(1), layers: [layer], manifest: { digest: 7 } }, digest(1)),
    ).toBeUndefined();
    expect(asImageRecord([layer], digest(1))).toBeUndefined();
    expect(asImageRecord(null, digest(1))).toBeUndefined();
  });

  it("the tag index keeps name → digest entries and drops the rest", () => {
    expect(asTagIndex({ "x:latest": digest(1), "y:1": "not a digest", "z:2": 3 })).toEqual({
      "x:latest": digest(1),
    });
    expect(asTagIndex(["x:latest"])).toEqual({});
  });

  it("runc state's answer is checked and a strange one is named", () => {
    const answer = JSON.stringify({
      ociVersion: "1.0.2",
      id: "c1",
      pid: 42,
      status: "running",
      bundle: "/b",
      rootfs: "/r",
      created: "2026-01-01T00:00:00Z",
    });
    expect(parseRuncState(answer, "c1")).toEqual({
      id: "c1",
      pid: 42,
      status: "running",
      bundle: "/b",
      created: "2026-01-01T00:00:00Z",
    });
    expect(() =>
      parseRuncState(
        JSON.stringify({ id: "c1", pid: 42, status: "dancing", bundle: "/b", created: "x" }),
        "c1",
      ),
    ).toThrow(/runc state c1 answered what is not a container's state/);
    expect(() => parseRuncState("not json", "c1")).toThrow(/not json/);
  });

  it("the DNS server's status is read as written, and anything else reads as no status", () => {
    const status = {
      pid: 7,
      listening: [{ network: "n", address: "10.0.0.1", port: 53, ready: true }],
      records: 3,
    };
    expect(asDnsServerStatus(status)).toEqual({
      ...status,
      listening: [{ ...status.listening[0], error: undefined }],
    });
    expect(
      asDnsServerStatus({ pid: 7, listening: [{ network: "n", address: "10.0.0.1" }], records: 3 }),
    ).toBeUndefined();
    expect(asDnsServerStatus({ pid: "7", listening: [] })).toBeUndefined();
  });
});
